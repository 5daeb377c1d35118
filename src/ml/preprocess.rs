//! Turning a drawing into a digit the models know: the MNIST preprocessing.
//!
//! MNIST's digits were size-normalised to fit a 20×20 box keeping their aspect ratio (with
//! anti-aliasing), then placed in a 28×28 field so that their centre of mass sits at the centre.
//! A drawing that skips this (a small digit in a corner, or one filling the whole pad) looks like
//! nothing the encoder has seen, and its reconstruction looks like nothing at all. This module
//! does the same steps on any ink image: crop to the ink, area-resample the longer side to 20
//! pixels, and shift by the centre of mass.

use crate::ml::data::{IMAGE_PIXELS, IMAGE_SIDE};
use crate::ml::dataset::{Channels, ImageShape};

/// Side of the box the ink is scaled into, as in MNIST.
pub const BOX_SIDE: usize = 20;

/// Ink below this level counts as paper when finding the ink's bounding box.
const INK_THRESHOLD: f32 = 0.05;

/// Why a drawing cannot be made into a digit.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PreprocessError {
    #[error("the drawing is blank: draw a digit first")]
    Blank,
    #[error("the drawing is {found} values for a {width}×{height} image, which needs {expected}")]
    WrongSize {
        width: usize,
        height: usize,
        expected: usize,
        found: usize,
    },
}

/// A drawing after preprocessing, with what was done to it.
#[derive(Debug, Clone, PartialEq)]
pub struct Preprocessed {
    /// 784 grey values in [0, 1], ink = 1.
    pub pixels: Vec<f32>,
    /// The ink's bounding box in the drawing: left, top, width, height.
    pub ink_box: (usize, usize, usize, usize),
}

/// Preprocesses `ink` (`width × height` values in [0, 1], ink = 1, row-major) like MNIST.
pub fn mnist_like(
    ink: &[f32],
    width: usize,
    height: usize,
) -> Result<Preprocessed, PreprocessError> {
    if ink.len() != width * height {
        return Err(PreprocessError::WrongSize {
            width,
            height,
            expected: width * height,
            found: ink.len(),
        });
    }
    let ink_box = bounding_box(ink, width, height).ok_or(PreprocessError::Blank)?;
    let (left, top, w, h) = ink_box;
    let crop: Vec<f32> = (top..top + h)
        .flat_map(|y| {
            ink[y * width + left..y * width + left + w]
                .iter()
                .map(|v| v.clamp(0.0, 1.0))
        })
        .collect();

    // Longer side to 20 pixels, the other in proportion (at least one pixel).
    let scale = BOX_SIDE as f64 / w.max(h) as f64;
    let new_w = ((w as f64 * scale).round() as usize).clamp(1, BOX_SIDE);
    let new_h = ((h as f64 * scale).round() as usize).clamp(1, BOX_SIDE);
    let small = resample_area(&crop, w, h, new_w, new_h);

    // Put the box in the middle, then move it so the centre of mass lands on the centre.
    let (cx, cy) =
        centre_of_mass(&small, new_w, new_h).unwrap_or((new_w as f64 / 2.0, new_h as f64 / 2.0));
    let centre = IMAGE_SIDE as f64 / 2.0;
    let offset_x = (centre - cx).round() as isize;
    let offset_y = (centre - cy).round() as isize;
    let mut pixels = vec![0f32; IMAGE_PIXELS];
    for y in 0..new_h {
        for x in 0..new_w {
            let (tx, ty) = (x as isize + offset_x, y as isize + offset_y);
            if (0..IMAGE_SIDE as isize).contains(&tx) && (0..IMAGE_SIDE as isize).contains(&ty) {
                pixels[ty as usize * IMAGE_SIDE + tx as usize] = small[y * new_w + x];
            }
        }
    }
    Ok(Preprocessed { pixels, ink_box })
}

/// Smallest box holding every value above the ink threshold: (left, top, width, height).
fn bounding_box(ink: &[f32], width: usize, height: usize) -> Option<(usize, usize, usize, usize)> {
    let (mut x0, mut y0, mut x1, mut y1) = (usize::MAX, usize::MAX, 0, 0);
    for y in 0..height {
        for x in 0..width {
            if ink[y * width + x] > INK_THRESHOLD {
                x0 = x0.min(x);
                y0 = y0.min(y);
                x1 = x1.max(x);
                y1 = y1.max(y);
            }
        }
    }
    (x0 != usize::MAX).then(|| (x0, y0, x1 - x0 + 1, y1 - y0 + 1))
}

/// Centre of mass (x, y) in pixel-centre coordinates (the pixel at column 0 spans 0..1, so its
/// centre is 0.5); `None` without ink.
pub fn centre_of_mass(pixels: &[f32], width: usize, height: usize) -> Option<(f64, f64)> {
    let (mut total, mut sx, mut sy) = (0f64, 0f64, 0f64);
    for y in 0..height {
        for x in 0..width {
            let v = pixels[y * width + x] as f64;
            total += v;
            sx += v * (x as f64 + 0.5);
            sy += v * (y as f64 + 0.5);
        }
    }
    (total > 0.0).then(|| (sx / total, sy / total))
}

/// A preprocessed 28×28 drawing (grey ink, 1 = ink) as an image of `shape`, for a model of
/// other pictures: area-resampled to its side; for grey shown as light (`ink` false: 1 is
/// white), inverted; for colour, dark strokes on white paper in all three channels. `None` if
/// `pixels` is not a 28×28 image.
pub fn drawing_as(pixels: &[f32], shape: ImageShape, ink: bool) -> Option<Vec<f32>> {
    if pixels.len() != IMAGE_PIXELS {
        return None;
    }
    let side = shape.side;
    let resized = if side == IMAGE_SIDE {
        pixels.to_vec()
    } else {
        resample_area(pixels, IMAGE_SIDE, IMAGE_SIDE, side, side)
    };
    Some(match shape.channels {
        Channels::Grey if ink => resized,
        Channels::Grey => resized.iter().map(|v| 1.0 - v).collect(),
        Channels::Colour => resized
            .iter()
            .map(|v| 1.0 - v)
            .collect::<Vec<_>>()
            .repeat(3),
    })
}

/// Resamples by area averaging: each output pixel is the mean of the input area it covers,
/// counting partly covered input pixels by their covered fraction. This is the anti-aliasing
/// that keeps thin strokes grey instead of dropping them. Works for shrinking and growing.
pub fn resample_area(src: &[f32], w: usize, h: usize, new_w: usize, new_h: usize) -> Vec<f32> {
    let rows = resample_axis(src, w, h, new_w, true);
    resample_axis(&rows, new_w, h, new_h, false)
}

/// One axis of [`resample_area`]: along x when `horizontal`, otherwise along y.
fn resample_axis(src: &[f32], w: usize, h: usize, new_len: usize, horizontal: bool) -> Vec<f32> {
    let len = if horizontal { w } else { h };
    let step = len as f64 / new_len as f64;
    // For each output index: (input index, weight) pairs, weights summing to 1.
    let weights: Vec<Vec<(usize, f64)>> = (0..new_len)
        .map(|o| {
            let (start, end) = (o as f64 * step, (o + 1) as f64 * step);
            let mut taps = Vec::new();
            let mut i = start.floor() as usize;
            while (i as f64) < end && i < len {
                let covered = (end.min(i as f64 + 1.0) - start.max(i as f64)).max(0.0);
                if covered > 0.0 {
                    taps.push((i, covered / step));
                }
                i += 1;
            }
            taps
        })
        .collect();
    let (out_w, out_h) = if horizontal {
        (new_len, h)
    } else {
        (w, new_len)
    };
    let mut out = vec![0f32; out_w * out_h];
    for y in 0..out_h {
        for x in 0..out_w {
            let taps = if horizontal { &weights[x] } else { &weights[y] };
            let v: f64 = taps
                .iter()
                .map(|&(i, wgt)| {
                    let (sx, sy) = if horizontal { (i, y) } else { (x, i) };
                    src[sy * w + sx] as f64 * wgt
                })
                .sum();
            out[y * out_w + x] = v as f32;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ink_box_of(pixels: &[f32]) -> (usize, usize, usize, usize) {
        bounding_box(pixels, IMAGE_SIDE, IMAGE_SIDE).unwrap()
    }

    /// A 280×280 canvas with a filled rectangle of ink.
    fn canvas_with_rect(left: usize, top: usize, w: usize, h: usize) -> Vec<f32> {
        let mut ink = vec![0f32; 280 * 280];
        for y in top..top + h {
            for x in left..left + w {
                ink[y * 280 + x] = 1.0;
            }
        }
        ink
    }

    #[test]
    fn a_blank_drawing_is_refused() {
        assert_eq!(
            mnist_like(&vec![0.0; 280 * 280], 280, 280),
            Err(PreprocessError::Blank)
        );
        assert_eq!(
            mnist_like(&vec![0.04; 100], 10, 10),
            Err(PreprocessError::Blank)
        );
        assert!(matches!(
            mnist_like(&[0.0; 10], 4, 4),
            Err(PreprocessError::WrongSize { .. })
        ));
    }

    #[test]
    fn a_small_stroke_in_a_corner_is_scaled_to_20_pixels_and_centred() {
        // A vertical bar 20 px wide and 100 px tall in the top-left corner.
        let out = mnist_like(&canvas_with_rect(10, 5, 20, 100), 280, 280).unwrap();
        assert_eq!(out.ink_box, (10, 5, 20, 100));
        let (_, _, w, h) = ink_box_of(&out.pixels);
        assert_eq!(
            (w, h),
            (4, 20),
            "aspect 1:5 is kept with the long side at 20"
        );
        let (cx, cy) = centre_of_mass(&out.pixels, IMAGE_SIDE, IMAGE_SIDE).unwrap();
        assert!(
            (cx - 14.0).abs() <= 0.5 && (cy - 14.0).abs() <= 0.5,
            "centre of mass ({cx}, {cy})"
        );
        assert!(out.pixels.iter().all(|v| (0.0..=1.0).contains(v)));
    }

    #[test]
    fn a_drawing_filling_the_canvas_still_fits_the_20_pixel_box() {
        let out = mnist_like(&vec![1.0; 280 * 280], 280, 280).unwrap();
        assert_eq!(ink_box_of(&out.pixels), (4, 4, 20, 20));
        assert!(out.pixels.iter().all(|v| v.is_finite()));
    }

    #[test]
    fn a_single_dot_gives_a_finite_centred_blob() {
        let mut ink = vec![0f32; 280 * 280];
        ink[140 * 280 + 100] = 1.0;
        let out = mnist_like(&ink, 280, 280).unwrap();
        assert!(out
            .pixels
            .iter()
            .all(|v| v.is_finite() && (0.0..=1.0).contains(v)));
        assert!(out.pixels.iter().sum::<f32>() > 0.0);
    }

    #[test]
    fn area_resampling_keeps_thin_strokes_as_grey_and_preserves_mean_ink() {
        // A one-pixel line in a 10×10 image, shrunk to 5×5, becomes a half-grey line.
        let mut src = vec![0f32; 100];
        for y in 0..10 {
            src[y * 10 + 4] = 1.0;
        }
        let out = resample_area(&src, 10, 10, 5, 5);
        for y in 0..5 {
            assert!(
                (out[y * 5 + 2] - 0.5).abs() < 1e-6,
                "{:?}",
                &out[y * 5..y * 5 + 5]
            );
        }
        let mean_in: f32 = src.iter().sum::<f32>() / 100.0;
        let mean_out: f32 = out.iter().sum::<f32>() / 25.0;
        assert!((mean_in - mean_out).abs() < 1e-6);
        // Non-integer ratios too: 7 -> 3.
        let src: Vec<f32> = (0..49).map(|i| (i % 7) as f32 / 6.0).collect();
        let out = resample_area(&src, 7, 7, 3, 3);
        let mean_out: f32 = out.iter().sum::<f32>() / 9.0;
        assert!((mean_out - 0.5).abs() < 1e-5, "{mean_out}");
    }

    #[test]
    fn a_drawing_becomes_a_picture_of_any_shape() {
        let mut drawing = vec![0.0; IMAGE_PIXELS];
        for y in 4..24 {
            drawing[y * IMAGE_SIDE + 14] = 1.0; // a vertical stroke
        }
        assert_eq!(
            drawing_as(&drawing, ImageShape::DIGITS, true).unwrap(),
            drawing
        );
        let grey64 = ImageShape::new(Channels::Grey, 64).unwrap();
        let big = drawing_as(&drawing, grey64, true).unwrap();
        assert_eq!(big.len(), 4096);
        let ink = |v: &[f32]| v.iter().sum::<f32>();
        // Area resampling keeps the ink's share of the picture.
        let share = ink(&big) / 4096.0 - ink(&drawing) / 784.0;
        assert!(share.abs() < 1e-4, "{share}");
        let light = drawing_as(&drawing, grey64, false).unwrap();
        assert!(big
            .iter()
            .zip(&light)
            .all(|(a, b)| (a + b - 1.0).abs() < 1e-6));
        let colour = ImageShape::new(Channels::Colour, 32).unwrap();
        let rgb = drawing_as(&drawing, colour, true).unwrap();
        assert_eq!(rgb.len(), 3 * 1024);
        assert_eq!(
            rgb[..1024],
            rgb[1024..2048],
            "the same grey in every channel"
        );
        assert_eq!(rgb[0], 1.0, "white paper");
        assert_eq!(drawing_as(&[0.0; 10], colour, true), None);
    }
}
