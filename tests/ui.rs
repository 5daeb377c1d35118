//! Component tests in the browser (wasm-pack test --headless --chrome): panels mounted on their
//! own with the pretrained MLP-VAE z=2 (compiled into the test), driven by DOM events.
#![cfg(target_arch = "wasm32")]

use std::sync::Arc;

use latent_lab::ml::checkpoint;
use latent_lab::ml::data::IMAGE_SIDE;
use latent_lab::ml::preprocess::centre_of_mass;
use latent_lab::ui::draw_panel::DrawPanel;
use latent_lab::ui::latent_panel::LatentPanel;
use latent_lab::ui::manifold::ManifoldPanel;
use latent_lab::ui::state::{ActiveModel, Lab};
use leptos::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;
use web_sys::{
    CanvasRenderingContext2d, HtmlCanvasElement, HtmlElement, HtmlInputElement, PointerEvent,
    PointerEventInit,
};

wasm_bindgen_test_configure!(run_in_browser);

const MODEL: &[u8] = include_bytes!("../assets/pretrained/mlp-vae-z2.safetensors");

fn pretrained() -> Arc<ActiveModel> {
    let (model, info) = checkpoint::load(MODEL).expect("the committed model loads");
    Arc::new(ActiveModel::new("test:mlp-vae-z2".into(), model, info))
}

/// Mounts `view` in a fresh container with a `Lab` holding the pretrained model.
fn mount<V: IntoView + 'static>(view: impl FnOnce() -> V + 'static) -> HtmlElement {
    let document = web_sys::window().unwrap().document().unwrap();
    let container: HtmlElement = document.create_element("div").unwrap().unchecked_into();
    document.body().unwrap().append_child(&container).unwrap();
    let handle = leptos::mount::mount_to(container.clone(), move || {
        let lab = Lab::new();
        provide_context(lab);
        lab.activate(pretrained());
        view()
    });
    handle.forget();
    container
}

/// Lets leptos' effects and the browser's animation frames run.
async fn settle(ms: i32) {
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        web_sys::window()
            .unwrap()
            .set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, ms)
            .unwrap();
    });
    wasm_bindgen_futures::JsFuture::from(promise).await.unwrap();
}

fn find<T: JsCast>(root: &HtmlElement, selector: &str) -> T {
    root.query_selector(selector)
        .unwrap()
        .unwrap_or_else(|| panic!("no element matches {selector}"))
        .dyn_into()
        .unwrap_or_else(|_| panic!("{selector} is not the expected element type"))
}

/// Grey values (ink = 1) of a canvas' top-left `w × h` pixels.
fn ink(canvas: &HtmlCanvasElement, w: u32, h: u32) -> Vec<f32> {
    let ctx: CanvasRenderingContext2d = canvas.get_context("2d").unwrap().unwrap().unchecked_into();
    let data = ctx
        .get_image_data(0.0, 0.0, w as f64, h as f64)
        .unwrap()
        .data();
    data.chunks_exact(4)
        .map(|px| 1.0 - px[0] as f32 / 255.0)
        .collect()
}

#[wasm_bindgen_test]
async fn a_slider_input_changes_the_decoded_pixels() {
    let root = mount(|| view! { <LatentPanel /> });
    settle(50).await;
    let canvas: HtmlCanvasElement = find(&root, ".big-digit canvas");
    let before = ink(&canvas, 28, 28);
    assert!(
        before.iter().sum::<f32>() > 20.0,
        "a digit is drawn at z = 0"
    );
    let slider: HtmlInputElement = find(&root, "#z-1");
    slider.set_value("2.5");
    slider
        .dispatch_event(&web_sys::Event::new("input").unwrap())
        .unwrap();
    settle(50).await;
    let after = ink(&canvas, 28, 28);
    let changed = before
        .iter()
        .zip(&after)
        .filter(|(a, b)| (*a - *b).abs() > 0.2)
        .count();
    assert!(changed > 30, "{changed} pixels changed");
    let output: HtmlElement = find(&root, ".slider .value");
    assert_eq!(output.text_content().unwrap(), "+2.50");
}

#[wasm_bindgen_test]
async fn the_manifold_grid_has_n_by_n_cells() {
    let root = mount(|| view! { <ManifoldPanel /> });
    let canvas: HtmlCanvasElement = find(&root, "canvas.manifold");
    for _ in 0..100 {
        if canvas.get_attribute("data-rows").as_deref() == Some("15") {
            break;
        }
        settle(20).await;
    }
    assert_eq!((canvas.width(), canvas.height()), (15 * 28, 15 * 28));
    let sheet = ink(&canvas, 15 * 28, 15 * 28);
    let side = 15 * IMAGE_SIDE;
    let mut inked_cells = 0;
    for row in 0..15 {
        for col in 0..15 {
            let cell_ink: f32 = (0..IMAGE_SIDE)
                .flat_map(|y| {
                    (0..IMAGE_SIDE)
                        .map(move |x| (row * IMAGE_SIDE + y) * side + col * IMAGE_SIDE + x)
                })
                .map(|i| sheet[i])
                .sum();
            if cell_ink > 15.0 {
                inked_cells += 1;
            }
        }
    }
    assert_eq!(
        inked_cells, 225,
        "every cell of the 15×15 grid holds a digit"
    );

    // A 10×10 grid when asked.
    let select: web_sys::HtmlSelectElement = find(&root, "select.grid-size");
    select.set_value("10");
    select
        .dispatch_event(&web_sys::Event::new("change").unwrap())
        .unwrap();
    for _ in 0..100 {
        if canvas.get_attribute("data-rows").as_deref() == Some("10") {
            break;
        }
        settle(20).await;
    }
    assert_eq!(canvas.width(), 10 * 28);
}

fn pointer(kind: &str, x: f64, y: f64) -> PointerEvent {
    let init = PointerEventInit::new();
    init.set_pointer_id(1);
    init.set_pointer_type("mouse");
    init.set_bubbles(true);
    init.set_client_x(x as i32);
    init.set_client_y(y as i32);
    init.set_button(0);
    PointerEvent::new_with_event_init_dict(kind, &init).unwrap()
}

#[wasm_bindgen_test]
async fn a_stroke_in_a_corner_is_scaled_into_20_pixels_and_centred() {
    let root = mount(|| view! { <DrawPanel /> });
    settle(50).await;
    let pad: HtmlCanvasElement = find(&root, "canvas.pad");
    let rect = pad.get_bounding_client_rect();
    let scale = rect.width() / 280.0;
    let at = |x: f64, y: f64| (rect.left() + x * scale, rect.top() + y * scale);
    // A short vertical stroke near the top-left corner of the pad.
    let (x0, y0) = at(40.0, 30.0);
    pad.dispatch_event(&pointer("pointerdown", x0, y0)).unwrap();
    for step in 1..=10 {
        let (x, y) = at(40.0, 30.0 + 8.0 * step as f64);
        pad.dispatch_event(&pointer("pointermove", x, y)).unwrap();
    }
    let (x1, y1) = at(40.0, 110.0);
    pad.dispatch_event(&pointer("pointerup", x1, y1)).unwrap();
    settle(50).await;

    let drawn: HtmlCanvasElement = find(&root, ".drawn canvas");
    let pixels = ink(&drawn, 28, 28);
    let rows: Vec<usize> = (0..28)
        .filter(|y| (0..28).any(|x| pixels[y * 28 + x] > 0.05))
        .collect();
    let height = rows.last().unwrap() - rows.first().unwrap() + 1;
    assert!(
        (19..=21).contains(&height),
        "the stroke's height after scaling: {height}"
    );
    let (cx, cy) = centre_of_mass(&pixels, 28, 28).unwrap();
    assert!(
        (cx - 14.0).abs() < 1.0 && (cy - 14.0).abs() < 1.0,
        "centre of mass ({cx:.2}, {cy:.2})"
    );
    let score: HtmlElement = find(&root, ".score");
    assert!(
        score.text_content().unwrap().contains("nats"),
        "{:?}",
        score.text_content()
    );
}

#[wasm_bindgen_test]
fn chart_ticks_are_round_numbers_and_whole_for_steps() {
    use latent_lab::ui::training::charts::{smooth, ticks};
    assert_eq!(
        ticks(0.0, 100.0, 5, false),
        vec![0.0, 20.0, 40.0, 60.0, 80.0, 100.0]
    );
    assert_eq!(
        ticks(1.0, 2.0, 5, true),
        vec![1.0, 2.0],
        "epochs 1 and 2, not 1.2, 1.4…"
    );
    let t = ticks(97.3, 203.9, 4, false);
    assert!(
        t.first().unwrap() >= &97.3 && t.last().unwrap() <= &203.9 && t.len() >= 3,
        "{t:?}"
    );
    let s = smooth([(0.0, 10.0), (1.0, 0.0), (2.0, 0.0)].into_iter(), 0.5);
    assert_eq!(s, vec![(0.0, 10.0), (1.0, 5.0), (2.0, 2.5)]);
}

#[wasm_bindgen_test]
fn a_fatal_error_shows_a_banner_that_says_what_happened_and_what_to_do() {
    latent_lab::ui::panic::show_fatal("index out of bounds at src/ui/sketch.rs:10");
    let banner = web_sys::window()
        .unwrap()
        .document()
        .unwrap()
        .get_element_by_id("panic")
        .expect("a banner");
    assert_eq!(banner.get_attribute("role").as_deref(), Some("alert"));
    let text = banner.text_content().unwrap();
    assert!(text.contains("index out of bounds"), "{text}");
    assert!(text.contains("Reload the page"), "{text}");
    banner.remove();
}

#[wasm_bindgen_test]
fn a_shared_view_survives_its_hash_and_bad_links_are_read_safely() {
    use latent_lab::ui::share::{format_hash, parse_hash, SharedView};
    let view = SharedView {
        model: "pretrained:mlp-vae-z16".into(),
        z: vec![0.12, -1.3, 2.0, 0.0],
    };
    let hash = format_hash(&view);
    assert_eq!(hash, "#model=pretrained:mlp-vae-z16&z=0.12,-1.30,2.00,0.00");
    assert_eq!(parse_hash(&hash), Some(view));
    assert_eq!(
        parse_hash("#model=stored:run-1795312994623&z=").map(|v| v.z),
        Some(vec![])
    );
    let clamped = parse_hash("#z=9,-9&model=pretrained:mlp-vae-z2").unwrap();
    assert_eq!(clamped.z, vec![3.0, -3.0], "clamped to the sliders' range");
    assert_eq!(parse_hash("#z=1,2"), None, "no model, no view");
    assert_eq!(parse_hash("#model=<script>&z=1"), None);
    let junk = parse_hash("#model=pretrained:mlp-vae-z2&z=1,NaN,x").unwrap();
    assert!(junk.z.is_empty(), "an unreadable vector is dropped whole");
    let long = format!("#model=a&z={}", vec!["0.5"; 65].join(","));
    assert!(parse_hash(&long).unwrap().z.is_empty(), "at most 64 values");
}
