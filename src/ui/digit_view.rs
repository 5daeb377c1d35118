//! A decoded or chosen picture drawn on a canvas, one canvas pixel per image pixel, scaled up
//! with nearest-neighbour sampling by CSS (`image-rendering: pixelated`) so every model pixel
//! stays a crisp square. Any shape a model takes: the number of values says which
//! (`ImageShape::from_values`), so every view that shows a digit shows a colour picture too.

use leptos::html::Canvas;
use leptos::prelude::*;
use wasm_bindgen::{Clamped, JsCast};
use web_sys::{CanvasRenderingContext2d, ImageData};

use super::state::Lab;
use crate::ml::dataset::ImageShape;
use crate::ui_logic::pixels::{tile_rgba, GreyAs};

/// Paints `count` images of values in [0, 1] of `shape`, in rows of `columns`, on `canvas`
/// (resized to fit them), grey as `grey` says.
pub fn paint_tiles(
    canvas: &web_sys::HtmlCanvasElement,
    shape: ImageShape,
    images: &[f32],
    columns: usize,
    grey: GreyAs,
) -> Result<(), String> {
    let (width, height, rgba) = tile_rgba(shape, images, columns, grey);
    if canvas.width() != width as u32 || canvas.height() != height as u32 {
        canvas.set_width(width as u32);
        canvas.set_height(height as u32);
    }
    let context: CanvasRenderingContext2d = canvas
        .get_context("2d")
        .ok()
        .flatten()
        .and_then(|c| c.dyn_into().ok())
        .ok_or("this browser gave no 2D canvas")?;
    let image =
        ImageData::new_with_u8_clamped_array_and_sh(Clamped(&rgba), width as u32, height as u32)
            .map_err(|_| "could not make the image")?;
    context
        .put_image_data(&image, 0.0, 0.0)
        .map_err(|_| "could not draw the image")?;
    Ok(())
}

/// Paints one image (its values say its shape) on `canvas`.
pub fn paint(
    canvas: &web_sys::HtmlCanvasElement,
    pixels: &[f32],
    grey: GreyAs,
) -> Result<(), String> {
    let shape = ImageShape::from_values(pixels.len()).ok_or_else(|| {
        format!(
            "{} values are no picture a model takes (28×28 grey is 784)",
            pixels.len()
        )
    })?;
    paint_tiles(canvas, shape, pixels, 1, grey)
}

/// A picture; redraws whenever `pixels` (or how the page shows grey) changes.
#[component]
pub fn DigitView(
    /// Values in [0, 1] of one image of a shape a model takes (784 for a 28×28 grey digit).
    #[prop(into)]
    pixels: Signal<Vec<f32>>,
    /// Accessible description of what is shown.
    #[prop(into)]
    label: Signal<String>,
) -> impl IntoView {
    let canvas = NodeRef::<Canvas>::new();
    // Outside the page's Lab (a component test), grey is ink, as the digits are.
    let lab = use_context::<Lab>();
    Effect::new(move |_| {
        let values = pixels.get();
        let grey = lab.map_or(GreyAs::Ink, |lab| lab.grey_as());
        if let Some(canvas) = canvas.get() {
            if let Err(e) = paint(&canvas, &values, grey) {
                web_sys::console::error_1(&e.into());
            }
        }
    });
    let side = ImageShape::DIGITS.side;
    // The picture's side, for the styles: small views grow for 64×64 pictures, so each of
    // their pixels stays at least a screen pixel.
    let data_side =
        move || pixels.with(|p| ImageShape::from_values(p.len()).map_or(side, |s| s.side));
    view! {
        <canvas
            class="digit"
            node_ref=canvas
            width=side
            height=side
            data-side=data_side
            role="img"
            aria-label=label
        ></canvas>
    }
}
