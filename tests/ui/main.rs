//! Component tests in the browser (wasm-pack test --headless --chrome): panels mounted on their
//! own with the pretrained MLP-VAE z=2 (compiled into the test), driven by DOM events.
#![cfg(target_arch = "wasm32")]

#[path = "../common/mod.rs"]
mod common;
mod picture_file;
mod slices;

use std::sync::Arc;

use latent_lab::ml::checkpoint;
use latent_lab::ml::data::IMAGE_SIDE;
use latent_lab::ml::preprocess::centre_of_mass;
use latent_lab::ui::data_panel::DataPanel;
use latent_lab::ui::datasets::Datasets;
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

const MODEL: &[u8] = include_bytes!("../../assets/pretrained/mlp-vae-z2.safetensors");

fn pretrained() -> Arc<ActiveModel> {
    let (model, info) = checkpoint::load(MODEL).expect("the committed model loads");
    Arc::new(ActiveModel::new("test:mlp-vae-z2".into(), model, info))
}

/// Mounts `view` in a fresh container with a `Lab` holding the pretrained model, and an empty
/// shelf of kept datasets (the data column's "Add to my drawings" keeps to it).
fn mount<V: IntoView + 'static>(view: impl FnOnce() -> V + 'static) -> HtmlElement {
    let document = web_sys::window().unwrap().document().unwrap();
    let container: HtmlElement = document.create_element("div").unwrap().unchecked_into();
    document.body().unwrap().append_child(&container).unwrap();
    let handle = leptos::mount::mount_to(container.clone(), move || {
        let lab = Lab::new();
        provide_context(lab);
        provide_context(Datasets::new());
        lab.activate(pretrained());
        view()
    });
    handle.forget();
    container
}

/// Waits for the browser's next turn (effects, rendering, timers run meanwhile).
async fn next_turn() {
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        web_sys::window()
            .unwrap()
            .set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, 10)
            .unwrap();
    });
    wasm_bindgen_futures::JsFuture::from(promise).await.unwrap();
}

/// Polls `ready` every turn until it holds; fails naming `what` after 10 s.
async fn until(what: &str, mut ready: impl FnMut() -> bool) {
    for _ in 0..1000 {
        if ready() {
            return;
        }
        next_turn().await;
    }
    panic!("gave up waiting until {what}");
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
    until("the panel is mounted", || {
        root.query_selector(".big-digit canvas")
            .ok()
            .flatten()
            .is_some()
    })
    .await;
    let canvas: HtmlCanvasElement = find(&root, ".big-digit canvas");
    until("a digit is drawn at z = 0", || {
        ink(&canvas, 28, 28).iter().sum::<f32>() > 20.0
    })
    .await;
    let before = ink(&canvas, 28, 28);
    let slider: HtmlInputElement = find(&root, "#z-1");
    slider.set_value("2.5");
    slider
        .dispatch_event(&web_sys::Event::new("input").unwrap())
        .unwrap();
    let output: HtmlElement = find(&root, ".slider .value");
    until("the slider shows its new value", || {
        output.text_content().as_deref() == Some("+2.50")
    })
    .await;
    let changed = || {
        let after = ink(&canvas, 28, 28);
        before
            .iter()
            .zip(&after)
            .filter(|(a, b)| (*a - *b).abs() > 0.2)
            .count()
    };
    until("more than 30 pixels change", || changed() > 30).await;
}

#[wasm_bindgen_test]
async fn the_manifold_grid_has_n_by_n_cells() {
    let root = mount(|| view! { <ManifoldPanel /> });
    let canvas: HtmlCanvasElement = find(&root, "canvas.manifold");
    until("the 15×15 sheet is drawn", || {
        canvas.get_attribute("data-rows").as_deref() == Some("15")
    })
    .await;
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
    until("the 10×10 sheet is drawn", || {
        canvas.get_attribute("data-rows").as_deref() == Some("10")
    })
    .await;
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
    let root = mount(|| view! { <DataPanel /> });
    until("the pad is laid out", || {
        root.query_selector("canvas.pad")
            .ok()
            .flatten()
            .is_some_and(|pad| pad.get_bounding_client_rect().width() > 0.0)
    })
    .await;
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
    let score: HtmlElement = find(&root, ".score");
    until("the drawing is scored", || {
        score.text_content().is_some_and(|t| t.contains("nats"))
    })
    .await;

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
async fn the_page_scores_the_test_digits_exactly_as_the_worker_does() {
    use latent_lab::ml::eval::EVAL_CHUNK;
    use latent_lab::ml::model::{ModelConfig, ModelKind};
    use latent_lab::ml::train::TrainConfig;
    use latent_lab::protocol::{Command, Event, RunState};
    use latent_lab::worker::runner::Runner;

    // 1,100 synthetic digits: 220 test digits, more than one evaluation chunk.
    let split = common::bars(1_100).split();
    assert!(
        split.test.len() > EVAL_CHUNK,
        "the test set spans several chunks"
    );
    let mut runner = Runner::new();
    runner.set_data(split.clone());
    let ticks = std::cell::Cell::new(0.0);
    let clock = || {
        ticks.set(ticks.get() + 1.0);
        ticks.get()
    };
    let mut events = runner.handle(
        Command::Start {
            run: 1,
            model: ModelConfig::new(ModelKind::MlpVae, 2, 32),
            train: TrainConfig {
                batch_size: 64,
                learning_rate: 3e-3,
                ..TrainConfig::default()
            },
            epochs: 1,
            initial: None,
            resume: None,
            paused: false,
        },
        clock(),
    );
    for _ in 0..10_000 {
        if !runner.wants_slice() {
            break;
        }
        events.extend(runner.slice(&clock, 50.0));
    }
    let finished = events
        .iter()
        .any(|e| matches!(e, Event::Progress(p) if p.state == RunState::Finished));
    assert!(finished, "the worker's run finishes");
    let report = events
        .iter()
        .find_map(|e| match e {
            Event::Epoch { report, .. } => Some(report.clone()),
            _ => None,
        })
        .expect("an epoch report");
    let weights = common::last_snapshot(&events).expect("the final weights");

    // The page loads the snapshot, as it does while following a run, and ranks against its scores.
    let (model, info) = checkpoint::load(&weights).unwrap();
    let page = ActiveModel::new("test:run".into(), model, info);
    let test = Arc::new(split.test.clone());
    assert!(page.ensure_test_scores(&test).await);
    let scores = page.test_scores(&test).unwrap();
    assert_eq!(scores.len(), split.test.len());
    let mean = scores.iter().map(|&s| s as f64).sum::<f64>() / scores.len() as f64;
    assert!(
        (mean - report.neg_elbo).abs() <= 1e-6 * report.neg_elbo.abs(),
        "the page's mean −ELBO {mean} against the worker's {}",
        report.neg_elbo
    );
}
