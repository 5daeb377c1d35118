//! A grid of a dataset's images on a canvas, as the model sees them: the import's preview and
//! the thumbnails of kept datasets.

use wasm_bindgen::{Clamped, JsCast};

use crate::ml::dataset::{Channels, ImageShape};

/// Paints `images` (each `shape.values()` bytes, channel-planar) in rows of `columns` on
/// `canvas`, one canvas pixel per image pixel: grey as ink on paper when `ink`, else as it is;
/// colour as it is.
pub fn paint_images(
    canvas: &web_sys::HtmlCanvasElement,
    shape: ImageShape,
    images: &[u8],
    columns: usize,
    ink: bool,
) {
    let side = shape.side;
    let plane = side * side;
    let count = images.len() / shape.values().max(1);
    let columns = columns.clamp(1, count.max(1));
    let rows = count.div_ceil(columns).max(1);
    let (width, height) = (columns * side, rows * side);
    canvas.set_width(width as u32);
    canvas.set_height(height as u32);
    let mut rgba = vec![255u8; width * height * 4];
    for (i, image) in images.chunks_exact(shape.values()).enumerate() {
        let (x0, y0) = ((i % columns) * side, (i / columns) * side);
        for p in 0..plane {
            let at = ((y0 + p / side) * width + x0 + p % side) * 4;
            let colour = match shape.channels {
                Channels::Grey if ink => [255 - image[p]; 3],
                Channels::Grey => [image[p]; 3],
                Channels::Colour => [image[p], image[plane + p], image[2 * plane + p]],
            };
            rgba[at..at + 3].copy_from_slice(&colour);
        }
    }
    let Some(context) = canvas
        .get_context("2d")
        .ok()
        .flatten()
        .and_then(|c| c.dyn_into::<web_sys::CanvasRenderingContext2d>().ok())
    else {
        return;
    };
    if let Ok(data) = web_sys::ImageData::new_with_u8_clamped_array_and_sh(
        Clamped(&rgba),
        width as u32,
        height as u32,
    ) {
        let _ = context.put_image_data(&data, 0.0, 0.0);
    }
}
