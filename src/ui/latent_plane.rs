//! The latent plane: two dimensions of the latent space as a square map in z units, the middle
//! of the tool. Behind it, the digits the decoder makes across the plane (the other dimensions
//! where the sliders put them); on it, the point z the page decodes, which can be dragged or
//! moved with the arrow keys; and layers to switch on or off: the test digits' codes coloured by
//! class (while a model trains, from each epoch's evaluation in the worker), the prior N(0, I) as
//! circles at 1σ and 2σ, and the drawing's posterior q(z|x) as its 2σ ellipse.

use leptos::html::Canvas;
use leptos::prelude::*;
use wasm_bindgen::JsCast;

use super::class_styles::ClassStyles;
use super::dim_pair::{Axis, DimPair};
use super::first_steps::{moved_by_hand, Guide};
use super::i18n::{said_in, tr, trf, use_lang};
use super::sheet::{context, Sheet};
use super::state::use_lab;
use super::training::fitting_run_codes;
use super::visibility::{drawing_near, fill_when, shown_weights};
use crate::ml::explore::{grid_codes_at, EXPLORE_RANGE};
use crate::ui_logic::plane::{posterior_ellipse, Plane};

/// The plane's view box, in units.
const SIDE: f64 = 300.0;
const PLANE: Plane = Plane {
    side: SIDE,
    range: EXPLORE_RANGE as f64,
};
/// Cells of decoded digits across the plane (each half a z unit wide).
const CELLS: usize = 12;
/// Pixels of the dots' canvas a side (twice the view box, for sharp dots).
const DOTS_SIDE: f64 = 600.0;
/// The test digits are encoded again at most this often while the model changes.
const CODES_EVERY_MS: f64 = 1_000.0;
/// How far an arrow key moves the point.
const KEY_STEP: f64 = 0.1;

/// The test digits' posterior means under one model.
struct Codes {
    latent: usize,
    /// `count × latent`.
    means: Vec<f32>,
    labels: Vec<u8>,
    /// The epoch of the run in training whose evaluation gave them, when the worker did
    /// ([`fitting_run_codes`]); `None` when the page encoded them.
    from_epoch: Option<usize>,
}

#[component]
pub fn LatentPlane() -> impl IntoView {
    let lab = use_lab();
    let lang = use_lang();
    let guide = use_context::<Guide>();
    let dims = DimPair::new(lab);
    let (dim_x, dim_y) = (dims.across, dims.up);
    let show_sheet = RwSignal::new(true);
    let show_codes = RwSignal::new(true);
    let show_prior = RwSignal::new(true);
    let sheet_canvas = NodeRef::<Canvas>::new();
    let dots_canvas = NodeRef::<Canvas>::new();
    let sheet = Sheet::new(sheet_canvas);

    let base = dims.rest_of_z(lab);
    Effect::new(move |_| {
        let (dx, dy, base, on) = (dim_x.get(), dim_y.get(), base.get(), show_sheet.get());
        let (Some(model), Some(_mounted)) = (lab.drawn(), sheet_canvas.get()) else {
            return;
        };
        if base.len() != model.latent() {
            return; // the sliders catch up with a new model in a moment
        }
        if !on || dx >= base.len() || dy >= base.len() || dx == dy {
            sheet.clear();
            return;
        }
        let codes = grid_codes_at(&base, dx, dy, &PLANE.cell_centres(CELLS));
        sheet.draw(model, lab.grey_as(), codes, CELLS);
    });

    // The test digits' codes. While the explorer follows a run in training, they are the
    // codes each epoch's evaluation computed in the worker (once the first epoch has ended):
    // encoding them here too took the training threads a sixth of a core for a Conv-VAE.
    // Otherwise they are encoded here when the layer is on and the weights change, at most
    // once a second (a model in training changes a few times a second) and within the fills'
    // share of the page's time (a Conv-VAE's pass takes about a second), in chunks the page
    // paints between; a change during a pass is taken up when it ends.
    let codes = StoredValue::new_local(None::<Codes>);
    let codes_drawn = RwSignal::new(0u32);
    let encoding = RwSignal::new(false);
    let run_codes = fitting_run_codes(lab);
    Effect::new(move |_| {
        let Some(run) = run_codes.get() else {
            return;
        };
        let Some(test) = lab.test.get_untracked() else {
            return;
        };
        codes.set_value(Some(Codes {
            latent: run.latent,
            means: run.means.to_vec(),
            labels: test.labels().to_vec(),
            from_epoch: Some(run.epoch),
        }));
        codes_drawn.update(|n| *n += 1);
    });
    let encode_codes = move || {
        let (Some(model), Some(test)) = (lab.active.get_untracked(), lab.test.get_untracked())
        else {
            return;
        };
        encoding.set(true);
        leptos::task::spawn_local(async move {
            if let Ok(means) = model.encode_means(&test).await {
                // A pass that ends after the run's codes took over is not drawn over them.
                if run_codes.with_untracked(Option::is_none) {
                    codes.set_value(Some(Codes {
                        latent: model.latent(),
                        means,
                        labels: test.labels().to_vec(),
                        from_epoch: None,
                    }));
                    codes_drawn.update(|n| *n += 1);
                }
            }
            encoding.set(false);
        });
    };
    // Not while the plane is off screen (below a phone's first screen): encoding the 2,000
    // test digits, their encoder packed first, is the page's longest work after a model loads.
    let plane_near = drawing_near(dots_canvas);
    fill_when(
        Signal::derive(move || {
            show_codes.get() && run_codes.with(Option::is_none) && plane_near.get()
        }),
        CODES_EVERY_MS,
        move || shown_weights(lab, encoding),
        encode_codes,
    );
    // The dots, on their own canvas under the marks.
    Effect::new(move |_| {
        codes_drawn.track();
        let (dx, dy, on) = (dim_x.get(), dim_y.get(), show_codes.get());
        let Some(canvas) = dots_canvas.get() else {
            return;
        };
        let Ok(ctx) = context(&canvas) else {
            return;
        };
        ctx.clear_rect(0.0, 0.0, DOTS_SIDE, DOTS_SIDE);
        canvas.set_attribute("data-dots", "0").ok();
        if !on {
            return;
        }
        let k = DOTS_SIDE / SIDE;
        codes.with_value(|c| {
            let Some(c) = c.as_ref().filter(|c| dx < c.latent && dy < c.latent) else {
                return;
            };
            ctx.set_global_alpha(0.65);
            let styles = ClassStyles::new();
            for (code, &label) in c.means.chunks_exact(c.latent).zip(&c.labels) {
                let (x, y) = PLANE.to_view(code[dx] as f64, code[dy] as f64);
                styles.fill_with(&ctx, label);
                ctx.fill_rect(x * k - 2.0, y * k - 2.0, 4.0, 4.0);
            }
            ctx.set_global_alpha(1.0);
            canvas
                .set_attribute("data-dots", &c.labels.len().to_string())
                .ok();
            let from = c.from_epoch.map_or("page".into(), |e| format!("epoch {e}"));
            canvas.set_attribute("data-dots-from", &from).ok();
        });
    });

    // Moving the point: a drag (pointer captured, so it follows outside the plane too), a click,
    // or the arrow keys.
    let dragging = StoredValue::new_local(false);
    let move_to = move |ev: &leptos::ev::PointerEvent| {
        let Some(target) = ev
            .current_target()
            .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
        else {
            return;
        };
        let rect = target.get_bounding_client_rect();
        if rect.width() <= 0.0 || rect.height() <= 0.0 {
            return;
        }
        let x = (ev.client_x() as f64 - rect.left()) / rect.width() * SIDE;
        let y = (ev.client_y() as f64 - rect.top()) / rect.height() * SIDE;
        let (zx, zy) = PLANE.to_latent(x, y);
        let (dx, dy) = (dim_x.get_untracked(), dim_y.get_untracked());
        moved_by_hand(guide);
        let round = |v: f64| ((v * 100.0).round() / 100.0) as f32;
        lab.z.update(|z| {
            if dx < z.len() && dy < z.len() && dx != dy {
                z[dx] = round(zx);
                z[dy] = round(zy);
            }
        });
    };
    let on_down = move |ev: leptos::ev::PointerEvent| {
        if let Some(target) = ev
            .current_target()
            .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
        {
            let _ = target.set_pointer_capture(ev.pointer_id());
        }
        dragging.set_value(true);
        move_to(&ev);
    };
    let on_move = move |ev: leptos::ev::PointerEvent| {
        if dragging.get_value() {
            move_to(&ev);
        }
    };
    let on_up = move |_: leptos::ev::PointerEvent| dragging.set_value(false);
    let on_key = move |ev: leptos::ev::KeyboardEvent| {
        let (ddx, ddy) = match ev.key().as_str() {
            "ArrowRight" => (KEY_STEP, 0.0),
            "ArrowLeft" => (-KEY_STEP, 0.0),
            "ArrowUp" => (0.0, KEY_STEP),
            "ArrowDown" => (0.0, -KEY_STEP),
            _ => return,
        };
        ev.prevent_default();
        moved_by_hand(guide);
        let (dx, dy) = (dim_x.get_untracked(), dim_y.get_untracked());
        let r = EXPLORE_RANGE as f64;
        let step = |v: f32, d: f64| (((v as f64 + d) * 100.0).round() / 100.0).clamp(-r, r) as f32;
        lab.z.update(|z| {
            if dx < z.len() && dy < z.len() && dx != dy {
                z[dx] = step(z[dx], ddx);
                z[dy] = step(z[dy], ddy);
            }
        });
    };

    // The marks: where z is, and the drawing's posterior.
    let marker = move || {
        let (dx, dy) = (dim_x.get(), dim_y.get());
        lab.z.with(|z| match (z.get(dx), z.get(dy)) {
            (Some(&x), Some(&y)) => Some(PLANE.to_view(x as f64, y as f64)),
            _ => None,
        })
    };
    let ellipse = move || {
        let (dx, dy) = (dim_x.get(), dim_y.get());
        lab.encoded.with(|code| {
            let code = code.as_ref()?;
            let sigma = code.sigma.as_ref()?;
            Some(posterior_ellipse(
                &PLANE,
                (*code.mean.get(dx)? as f64, *code.mean.get(dy)? as f64),
                (*sigma.get(dx)? as f64, *sigma.get(dy)? as f64),
                2.0,
            ))
        })
    };
    let grid = PLANE
        .ticks()
        .into_iter()
        .map(|t| {
            let (x, y) = PLANE.to_view(t, t);
            let class = if t == 0.0 { "axis" } else { "grid" };
            // The ends of the range are left unlabelled: their labels would sit on the corners.
            let label = if t == 0.0 || t.abs() >= PLANE.range {
                String::new()
            } else {
                format!("{t:+.0}")
            };
            view! {
                <line class=class x1=x x2=x y1=0 y2=SIDE></line>
                <line class=class x1=0 x2=SIDE y1=y y2=y></line>
                <text class="tick" x=x y=SIDE - 4.0 text-anchor="middle">{label.clone()}</text>
                <text class="tick" x=4 y=y + 4.0>{label}</text>
            }
        })
        .collect_view();
    let dim_name = move |d: RwSignal<usize>| move || format!("z{}", d.get() + 1);
    // A layer's name may follow the data: "decoded digits" or "decoded pictures".
    let layer = move |name: Signal<String>, class: &'static str, on: RwSignal<bool>| {
        view! {
            <label class=format!("layer {class}")>
                <input type="checkbox" prop:checked=move || on.get()
                    on:change=move |ev| on.set(event_target_checked(&ev)) />
                {name}
            </label>
        }
    };

    view! {
        <div class="latent-plane">
            <div class="plane-controls">
                {move || (lab.latent() > 2).then(|| view! {
                    <label>{tr("across ", "横轴 ")} {dims.menu(lab, Axis::Across, "dim-across")}</label>
                    <label>{tr("up ", "纵轴 ")} {dims.menu(lab, Axis::Up, "dim-up")}</label>
                })}
                {layer(lab.text(|l, n| l.text(format!("decoded {}", n.many()), format!("解码出的{}", n.zh()))), "layer-sheet", show_sheet)}
                {layer(lab.text(|l, n| l.text(format!("test {}", n.many()), format!("测试{}", n.zh()))), "layer-codes", show_codes)}
                {layer(trf(|l| l.text("prior N(0, I)", "先验 N(0, I)").to_string()), "layer-prior", show_prior)}
            </div>
            <div class="plane" data-sheets=move || sheet.status.sheets.get().to_string()
                data-sheet-held=move || sheet.status.held_off_screen.get().to_string()>
                <canvas class="plane-sheet" node_ref=sheet_canvas aria-hidden="true"></canvas>
                <canvas class="plane-dots" node_ref=dots_canvas width=DOTS_SIDE height=DOTS_SIDE aria-hidden="true"
                    data-passes=move || codes_drawn.get().to_string()></canvas>
                <svg class="plane-marks" viewBox=format!("0 0 {SIDE} {SIDE}") tabindex="0" role="application"
                    aria-label=move || {
                        let (x, y) = (dim_name(dim_x)(), dim_name(dim_y)());
                        lang().text(
                            format!("latent plane: {x} across, {y} up, each from −3 to +3; drag the point or use the arrow keys"),
                            format!("潜平面：横轴 {x}，纵轴 {y}，范围均为 −3 到 +3；拖动这个点或使用方向键"),
                        )
                    }
                    on:pointerdown=on_down on:pointermove=on_move on:pointerup=on_up on:pointercancel=on_up
                    on:keydown=on_key>
                    {grid}
                    <text class="axis-name" x=SIDE - 4.0 y=SIDE / 2.0 - 5.0 text-anchor="end">{dim_name(dim_x)}</text>
                    <text class="axis-name" x=SIDE / 2.0 + 5.0 y=14>{dim_name(dim_y)}</text>
                    <g class="prior" style:display=move || if show_prior.get() { "" } else { "none" }>
                        <circle cx=SIDE / 2.0 cy=SIDE / 2.0 r=PLANE.length(1.0)></circle>
                        <circle cx=SIDE / 2.0 cy=SIDE / 2.0 r=PLANE.length(2.0)></circle>
                    </g>
                    // The point is a ring, and the ellipse is drawn over it: a confident encoder's
                    // ellipse is smaller than the ring and must still show.
                    {move || marker().map(|(x, y)| view! {
                        <circle class="point" cx=x cy=y r="6"></circle>
                    })}
                    {move || ellipse().map(|((cx, cy), (rx, ry))| view! {
                        <ellipse class="posterior" cx=cx cy=cy rx=rx.max(0.8) ry=ry.max(0.8)></ellipse>
                    })}
                </svg>
            </div>
            <p class="error" role="alert">
                {move || sheet.status.error.with(|e| said_in(lang(), e))}
                {move || (lab.latent() == 1).then(|| lang().text(
                    "This model has one latent dimension: its slider is the whole latent space.",
                    "这个模型只有一个潜在维度：它的滑块就是整个潜空间。",
                ))}
            </p>
        </div>
    }
}
