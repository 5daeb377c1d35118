//! Images as a canvas shows them: a model's values in [0, 1] (channel-planar, any shape) to RGBA
//! bytes, grey as ink on paper or as light, colour as it is.

use crate::ml::dataset::{Channels, ImageShape};

/// How grey values are shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GreyAs {
    /// 1 is ink: dark strokes on white paper (the digits, and pictures inverted on import).
    Ink,
    /// 1 is white: grey photographs as they were.
    Light,
}

/// RGBA bytes of `images` (each `shape.values()` values) laid out in rows of `columns`, one
/// canvas pixel per image pixel; returns `(width, height, rgba)`. A trailing partial image is
/// ignored; missing cells of the last row stay white.
pub fn tile_rgba(
    shape: ImageShape,
    images: &[f32],
    columns: usize,
    grey: GreyAs,
) -> (usize, usize, Vec<u8>) {
    let side = shape.side;
    let plane = side * side;
    let count = images.len() / shape.values();
    let columns = columns.clamp(1, count.max(1));
    let rows = count.div_ceil(columns).max(1);
    let (width, height) = (columns * side, rows * side);
    let mut rgba = vec![255u8; width * height * 4];
    let byte = |v: f32| (v.clamp(0.0, 1.0) * 255.0).round() as u8;
    for (i, image) in images.chunks_exact(shape.values()).enumerate() {
        let (x0, y0) = ((i % columns) * side, (i / columns) * side);
        for p in 0..plane {
            let at = ((y0 + p / side) * width + x0 + p % side) * 4;
            let colour = match (shape.channels, grey) {
                (Channels::Grey, GreyAs::Ink) => [255 - byte(image[p]); 3],
                (Channels::Grey, GreyAs::Light) => [byte(image[p]); 3],
                (Channels::Colour, _) => [
                    byte(image[p]),
                    byte(image[plane + p]),
                    byte(image[2 * plane + p]),
                ],
            };
            rgba[at..at + 3].copy_from_slice(&colour);
        }
    }
    (width, height, rgba)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grey_is_ink_or_light_and_colour_planes_become_pixels() {
        let grey = ImageShape::DIGITS;
        let mut image = vec![0.0; grey.values()];
        image[1] = 1.0;
        let (w, h, ink) = tile_rgba(grey, &image, 1, GreyAs::Ink);
        assert_eq!((w, h), (28, 28));
        assert_eq!(
            (&ink[0..4], &ink[4..8]),
            (&[255, 255, 255, 255][..], &[0, 0, 0, 255][..])
        );
        let (_, _, light) = tile_rgba(grey, &image, 1, GreyAs::Light);
        assert_eq!(&light[4..8], &[255, 255, 255, 255]);

        let colour = ImageShape::new(Channels::Colour, 32).unwrap();
        let mut image = vec![0.0; colour.values()];
        image[0] = 1.0; // red of pixel 0
        image[1024 + 1] = 0.5; // green of pixel 1
        let (w, h, rgba) = tile_rgba(colour, &image, 1, GreyAs::Ink);
        assert_eq!((w, h), (32, 32));
        assert_eq!(&rgba[0..8], &[255, 0, 0, 255, 0, 128, 0, 255]);
    }

    #[test]
    fn images_tile_in_rows_and_a_short_last_row_stays_white() {
        let shape = ImageShape::DIGITS;
        let images = vec![1.0; 3 * shape.values()];
        let (w, h, rgba) = tile_rgba(shape, &images, 2, GreyAs::Ink);
        assert_eq!((w, h), (56, 56));
        let at = |x: usize, y: usize| rgba[(y * w + x) * 4];
        assert_eq!((at(0, 0), at(30, 0), at(0, 30), at(30, 30)), (0, 0, 0, 255));
    }
}
