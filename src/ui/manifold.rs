//! The manifold grid: an N×N sheet of digits decoded from a 2-D slice of the latent space.
//!
//! Two chosen dimensions vary across the grid; the others stay where the sliders put them, so
//! the sheet follows the sliders. The coordinates are Φ⁻¹((i + ½)/N): each cell covers the same
//! share of the prior's probability, the way Kingma & Welling drew their figure.

use leptos::html::Canvas;
use leptos::prelude::*;
use wasm_bindgen::{Clamped, JsCast};
use web_sys::{CanvasRenderingContext2d, ImageData};

use super::clock::now_ms;
use super::state::use_lab;
use crate::ml::data::{IMAGE_PIXELS, IMAGE_SIDE};
use crate::ml::explore::{decode_many, grid_codes};
use crate::ml::stats::grid_coordinates;

pub const DEFAULT_GRID: usize = 15;

/// Paints `n × n` decoded digits (`n² × 784` grey values) as one image of `28n × 28n` pixels.
fn paint_sheet(
    canvas: &web_sys::HtmlCanvasElement,
    pixels: &[f32],
    n: usize,
) -> Result<(), String> {
    let side = n * IMAGE_SIDE;
    canvas.set_width(side as u32);
    canvas.set_height(side as u32);
    let mut rgba = vec![255u8; side * side * 4];
    for cell in 0..n * n {
        let (row, col) = (cell / n, cell % n);
        let digit = &pixels[cell * IMAGE_PIXELS..(cell + 1) * IMAGE_PIXELS];
        for y in 0..IMAGE_SIDE {
            for x in 0..IMAGE_SIDE {
                let level = 255 - (digit[y * IMAGE_SIDE + x].clamp(0.0, 1.0) * 255.0).round() as u8;
                let at = ((row * IMAGE_SIDE + y) * side + col * IMAGE_SIDE + x) * 4;
                rgba[at..at + 3].fill(level);
            }
        }
    }
    let context: CanvasRenderingContext2d = canvas
        .get_context("2d")
        .ok()
        .flatten()
        .and_then(|c| c.dyn_into().ok())
        .ok_or("this browser gave no 2D canvas")?;
    let image =
        ImageData::new_with_u8_clamped_array_and_sh(Clamped(&rgba), side as u32, side as u32)
            .map_err(|_| "could not make the grid image")?;
    context
        .put_image_data(&image, 0.0, 0.0)
        .map_err(|_| "could not draw the grid".to_string())
}

/// Index of the grid coordinate nearest to `v`.
fn nearest(coords: &[f64], v: f32) -> usize {
    coords
        .iter()
        .enumerate()
        .min_by(|a, b| (a.1 - v as f64).abs().total_cmp(&(b.1 - v as f64).abs()))
        .map_or(0, |(i, _)| i)
}

#[component]
pub fn ManifoldPanel() -> impl IntoView {
    let lab = use_lab();
    let (size, set_size) = signal(DEFAULT_GRID);
    let (dim_x, set_dim_x) = signal(0usize);
    let (dim_y, set_dim_y) = signal(1usize);
    let (grid_ms, set_grid_ms) = signal(None::<f64>);
    let (error, set_error) = signal(None::<String>);
    let canvas = NodeRef::<Canvas>::new();

    // A new model may have fewer dimensions: fall back to the first two.
    Effect::new(move |_| {
        let latent = lab.latent();
        if latent >= 2 && (dim_x.get_untracked() >= latent || dim_y.get_untracked() >= latent) {
            set_dim_x.set(0);
            set_dim_y.set(1.min(latent.saturating_sub(1)));
        }
    });
    // The sliders' other dimensions; equal values do not redraw the sheet.
    let base = Memo::new(move |_| {
        let (dx, dy) = (dim_x.get(), dim_y.get());
        lab.z.with(|z| {
            let mut base = z.clone();
            for d in [dx, dy] {
                if let Some(v) = base.get_mut(d) {
                    *v = 0.0;
                }
            }
            base
        })
    });
    Effect::new(move |_| {
        let (n, dx, dy, base) = (size.get(), dim_x.get(), dim_y.get(), base.get());
        let Some(active) = lab.active.get() else {
            return;
        };
        let Some(canvas) = canvas.get() else { return };
        if base.len() != active.latent() || dx >= base.len() || dy >= base.len() || dx == dy {
            return;
        }
        let start = now_ms();
        let result = decode_many(&active.model, &grid_codes(&base, dx, dy, n), n * n)
            .map_err(|e| format!("decoding the grid failed: {e}"))
            .and_then(|pixels| paint_sheet(&canvas, &pixels, n));
        set_grid_ms.set(Some(now_ms() - start));
        set_error.set(result.err());
    });

    let on_click = move |ev: leptos::ev::MouseEvent| {
        let Some(canvas) = canvas.get_untracked() else {
            return;
        };
        let rect = canvas.get_bounding_client_rect();
        let n = size.get_untracked();
        let cell =
            |offset: f64, extent: f64| ((offset / extent * n as f64).floor() as usize).min(n - 1);
        let col = cell(ev.client_x() as f64 - rect.left(), rect.width());
        let row = cell(ev.client_y() as f64 - rect.top(), rect.height());
        let coords = grid_coordinates(n);
        let (dx, dy) = (dim_x.get_untracked(), dim_y.get_untracked());
        lab.sigma.set(None);
        lab.z.update(|z| {
            if dx < z.len() && dy < z.len() {
                z[dx] = coords[col] as f32;
                z[dy] = coords[n - 1 - row] as f32;
            }
        });
    };
    // Where the sliders' z falls on the sheet.
    let marker_style = move || {
        let n = size.get();
        let coords = grid_coordinates(n);
        let (dx, dy) = (dim_x.get(), dim_y.get());
        lab.z.with(|z| match (z.get(dx), z.get(dy)) {
            (Some(&x), Some(&y)) => {
                let (col, row) = (nearest(&coords, x), n - 1 - nearest(&coords, y));
                let cell = 100.0 / n as f64;
                format!(
                    "left: {:.3}%; top: {:.3}%; width: {cell:.3}%; height: {cell:.3}%",
                    col as f64 * cell,
                    row as f64 * cell
                )
            }
            _ => "display: none".to_string(),
        })
    };
    // `selected` on the options (not `value` on the select), so the choice shows even when the
    // options are rebuilt for a new model.
    let dim_options = move |chosen: ReadSignal<usize>| {
        move || {
            (0..lab.latent())
                .map(|d| view! { <option value=d.to_string() selected=move || chosen.get() == d>{format!("z{}", d + 1)}</option> })
                .collect_view()
        }
    };
    let pick = |set: WriteSignal<usize>| {
        move |ev: leptos::ev::Event| {
            if let Ok(d) = event_target_value(&ev).parse() {
                set.set(d);
            }
        }
    };

    view! {
        <section class="panel manifold-panel" aria-labelledby="manifold-title">
            <h2 id="manifold-title">"The manifold: a slice of latent space"</h2>
            <p class="explain">
                "Every cell decodes one point of a 2-D slice through the latent space: one dimension across, one down, "
                "the rest as the sliders set them. Cells are spaced by the inverse normal CDF, so each holds an equal "
                "share of the prior. Click a cell to move the sliders there."
            </p>
            <div class="manifold-controls">
                <label>"across " <select class="dim-x" on:change=pick(set_dim_x)>{dim_options(dim_x)}</select></label>
                <label>"down " <select class="dim-y" on:change=pick(set_dim_y)>{dim_options(dim_y)}</select></label>
                <label>"cells "
                    <select class="grid-size" on:change=pick(set_size)>
                        {[5usize, 10, 15, 20].map(|n| view! { <option value=n.to_string() selected=move || size.get() == n>{format!("{n}×{n}")}</option> })}
                    </select>
                </label>
                <span class="timing">{move || grid_ms.get().map(|ms| format!("{0}×{0} decoded in {ms:.1} ms", size.get())).unwrap_or_default()}</span>
            </div>
            <div class="sheet">
                <canvas class="manifold" node_ref=canvas on:click=on_click role="img"
                    aria-label="a grid of digits decoded across two latent dimensions; click to choose one"></canvas>
                <div class="marker" style=marker_style></div>
            </div>
            <p class="error" role="alert">{move || error.get()}
                {move || (lab.latent() == 1).then_some("This model has one latent dimension; the grid needs two.")}
            </p>
        </section>
    }
}
