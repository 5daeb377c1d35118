//! A drawing pad: pointer events (mouse, pen and touch alike), a round brush whose strokes look
//! like MNIST's after preprocessing, undo and clear. The page does not scroll while you draw on
//! it (`touch-action: none` in the stylesheet, and pointer capture).

use leptos::html::Canvas;
use leptos::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{CanvasRenderingContext2d, HtmlCanvasElement, PointerEvent};

use super::i18n::tr;

/// Side of the pad in canvas pixels (ten per MNIST pixel).
pub const PAD_SIDE: usize = 280;
/// Brush diameter: after a digit ~200 px tall is scaled into MNIST's 20-pixel box, the stroke is
/// about 2.4 pixels wide, like MNIST's pen strokes.
const BRUSH: f64 = 24.0;

type Stroke = Vec<(f64, f64)>;

fn context(canvas: &HtmlCanvasElement) -> Option<CanvasRenderingContext2d> {
    let ctx: CanvasRenderingContext2d = canvas.get_context("2d").ok()??.dyn_into().ok()?;
    ctx.set_line_width(BRUSH);
    ctx.set_line_cap("round");
    ctx.set_line_join("round");
    ctx.set_stroke_style_str("#000");
    ctx.set_fill_style_str("#000");
    Some(ctx)
}

fn draw_stroke(ctx: &CanvasRenderingContext2d, stroke: &[(f64, f64)]) {
    match stroke {
        [] => {}
        [(x, y)] => {
            ctx.begin_path();
            let _ = ctx.arc(*x, *y, BRUSH / 2.0, 0.0, std::f64::consts::TAU);
            ctx.fill();
        }
        [(x0, y0), rest @ ..] => {
            ctx.begin_path();
            ctx.move_to(*x0, *y0);
            for (x, y) in rest {
                ctx.line_to(*x, *y);
            }
            ctx.stroke();
        }
    }
}

fn redraw(canvas: &HtmlCanvasElement, strokes: &[Stroke]) {
    if let Some(ctx) = context(canvas) {
        ctx.clear_rect(0.0, 0.0, PAD_SIDE as f64, PAD_SIDE as f64);
        for stroke in strokes {
            draw_stroke(&ctx, stroke);
        }
    }
}

/// The ink on the pad: `PAD_SIDE²` values in [0, 1] (the canvas' alpha), row-major.
fn read_ink(canvas: &HtmlCanvasElement) -> Option<Vec<f32>> {
    let ctx = context(canvas)?;
    let data = ctx
        .get_image_data(0.0, 0.0, PAD_SIDE as f64, PAD_SIDE as f64)
        .ok()?
        .data();
    Some(
        data.chunks_exact(4)
            .map(|px| px[3] as f32 / 255.0)
            .collect(),
    )
}

/// Pointer position in canvas pixels (the pad may be shown smaller or larger than 280 px).
fn position(canvas: &HtmlCanvasElement, ev: &PointerEvent) -> (f64, f64) {
    let rect = canvas.get_bounding_client_rect();
    let scale_x = PAD_SIDE as f64 / rect.width().max(1.0);
    let scale_y = PAD_SIDE as f64 / rect.height().max(1.0);
    (
        (ev.client_x() as f64 - rect.left()) * scale_x,
        (ev.client_y() as f64 - rect.top()) * scale_y,
    )
}

/// The pad. `on_ink` gets the ink whenever a stroke ends, or after undo and clear (`None` when
/// the pad is empty).
#[component]
pub fn SketchPad(
    #[prop(into)] on_ink: Callback<Option<Vec<f32>>>,
    /// Clears the pad whenever it changes (after a drawing is kept, say).
    #[prop(optional)]
    clear_on: Option<RwSignal<u32>>,
) -> impl IntoView {
    let canvas = NodeRef::<Canvas>::new();
    let strokes = StoredValue::new_local(Vec::<Stroke>::new());
    let drawing = StoredValue::new_local(None::<i32>); // the pointer that is drawing

    let emit = move || {
        let empty = strokes.with_value(Vec::is_empty);
        let ink = if empty {
            None
        } else {
            canvas.get_untracked().and_then(|c| read_ink(&c))
        };
        on_ink.run(ink);
    };
    let on_down = move |ev: PointerEvent| {
        if ev.pointer_type() == "mouse" && ev.button() != 0 {
            return;
        }
        let Some(c) = canvas.get_untracked() else {
            return;
        };
        ev.prevent_default();
        let _ = c.set_pointer_capture(ev.pointer_id());
        drawing.set_value(Some(ev.pointer_id()));
        let point = position(&c, &ev);
        strokes.update_value(|s| s.push(vec![point]));
        if let Some(ctx) = context(&c) {
            draw_stroke(&ctx, &[point]);
        }
    };
    let on_move = move |ev: PointerEvent| {
        if drawing.get_value() != Some(ev.pointer_id()) {
            return;
        }
        let Some(c) = canvas.get_untracked() else {
            return;
        };
        ev.prevent_default();
        // Coalesced events carry every sample the pointer made since the last frame.
        let mut points: Vec<(f64, f64)> = ev
            .get_coalesced_events()
            .iter()
            .filter_map(|e| e.dyn_into::<PointerEvent>().ok())
            .map(|e| position(&c, &e))
            .collect();
        if points.is_empty() {
            points.push(position(&c, &ev));
        }
        let last = strokes.with_value(|s| s.last().and_then(|s| s.last().copied()));
        strokes.update_value(|s| {
            if let Some(stroke) = s.last_mut() {
                stroke.extend(&points);
            }
        });
        if let (Some(ctx), Some(last)) = (context(&c), last) {
            let mut segment = vec![last];
            segment.extend(points);
            draw_stroke(&ctx, &segment);
        }
    };
    let on_up = move |ev: PointerEvent| {
        if drawing.get_value() != Some(ev.pointer_id()) {
            return;
        }
        drawing.set_value(None);
        emit();
    };
    let undo = move |_| {
        strokes.update_value(|s| {
            s.pop();
        });
        if let Some(c) = canvas.get_untracked() {
            strokes.with_value(|s| redraw(&c, s));
        }
        emit();
    };
    let clear = move |_: ()| {
        strokes.update_value(Vec::clear);
        if let Some(c) = canvas.get_untracked() {
            redraw(&c, &[]);
        }
        emit();
    };

    if let Some(clear_on) = clear_on {
        Effect::new(move |seen: Option<u32>| {
            let now = clear_on.get();
            if seen.is_some_and(|seen| seen != now) {
                clear(());
            }
            now
        });
    }

    view! {
        <div class="sketch">
            <canvas
                class="pad"
                node_ref=canvas
                width=PAD_SIDE
                height=PAD_SIDE
                on:pointerdown=on_down
                on:pointermove=on_move
                on:pointerup=on_up
                on:pointercancel=on_up
                aria-label=tr("drawing pad: draw with the mouse, a pen or a finger", "画板：用鼠标、触控笔或手指作画")
            ></canvas>
            <div class="buttons">
                <button on:click=undo>{tr("Undo", "撤销")}</button>
                <button on:click=move |_| clear(())>{tr("Clear", "清除")}</button>
            </div>
        </div>
    }
}
