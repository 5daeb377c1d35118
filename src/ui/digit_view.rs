//! A 28×28 digit drawn on a canvas, scaled up with nearest-neighbour sampling by CSS
//! (`image-rendering: pixelated`) so every model pixel stays a crisp square.

use leptos::html::Canvas;
use leptos::prelude::*;
use wasm_bindgen::{Clamped, JsCast};
use web_sys::{CanvasRenderingContext2d, ImageData};

use crate::ml::data::{IMAGE_PIXELS, IMAGE_SIDE};

/// Paints grey values in [0, 1] (ink = 1) as dark ink on paper.
pub fn paint(canvas: &web_sys::HtmlCanvasElement, pixels: &[f32]) -> Result<(), String> {
    if pixels.len() != IMAGE_PIXELS {
        return Err(format!(
            "a digit has {IMAGE_PIXELS} pixels, got {}",
            pixels.len()
        ));
    }
    let context: CanvasRenderingContext2d = canvas
        .get_context("2d")
        .ok()
        .flatten()
        .and_then(|c| c.dyn_into().ok())
        .ok_or("this browser gave no 2D canvas")?;
    let mut rgba = vec![255u8; IMAGE_PIXELS * 4];
    for (px, &v) in rgba.chunks_exact_mut(4).zip(pixels) {
        let level = 255 - (v.clamp(0.0, 1.0) * 255.0).round() as u8;
        px[0] = level;
        px[1] = level;
        px[2] = level;
    }
    let image = ImageData::new_with_u8_clamped_array_and_sh(
        Clamped(&rgba),
        IMAGE_SIDE as u32,
        IMAGE_SIDE as u32,
    )
    .map_err(|_| "could not make the image")?;
    context
        .put_image_data(&image, 0.0, 0.0)
        .map_err(|_| "could not draw the image")?;
    Ok(())
}

/// A decoded digit; redraws whenever `pixels` changes.
#[component]
pub fn DigitView(
    /// 784 grey values in [0, 1].
    #[prop(into)]
    pixels: Signal<Vec<f32>>,
    /// Accessible description of what is shown.
    #[prop(into)]
    label: Signal<String>,
) -> impl IntoView {
    let canvas = NodeRef::<Canvas>::new();
    Effect::new(move |_| {
        let values = pixels.get();
        if let Some(canvas) = canvas.get() {
            if let Err(e) = paint(&canvas, &values) {
                web_sys::console::error_1(&e.into());
            }
        }
    });
    view! {
        <canvas
            class="digit"
            node_ref=canvas
            width=IMAGE_SIDE
            height=IMAGE_SIDE
            role="img"
            aria-label=label
        ></canvas>
    }
}
