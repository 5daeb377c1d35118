//! A grid of a dataset's images on a canvas, as the model sees them: the import's preview and
//! the thumbnails of kept datasets.

use super::digit_view::paint_tiles;
use crate::ml::dataset::ImageShape;
use crate::ui_logic::pixels::GreyAs;

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
    let values: Vec<f32> = images.iter().map(|&k| f32::from(k) / 255.0).collect();
    let grey = if ink { GreyAs::Ink } else { GreyAs::Light };
    if let Err(e) = paint_tiles(canvas, shape, &values, columns, grey) {
        web_sys::console::error_1(&e.into());
    }
}
