//! A picture of any size made into one image of a dataset's shape: the step every imported
//! picture goes through, in the import worker (after the browser decodes it) and natively.
//!
//! In order: transparent parts are laid on white (a transparent PNG's background is the page
//! it was drawn on); the picture is fitted to a square ([`Fit`]); it is resampled to the side by
//! averaging the source area under each output pixel (exact coverage, so a large picture
//! shrinks without aliasing and a small one grows in crisp blocks); colour becomes grey by
//! Rec. 601 luma when the dataset is grey; and, when asked, a picture that is dark on light (ink
//! on paper, judged by its border) is inverted, so strokes are bright on dark as in MNIST.

use super::resample::{coverage, placement};
use serde::{Deserialize, Serialize};

use super::{Channels, ImageShape};

/// How a picture that is not square becomes square.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Fit {
    /// The largest centred square: nothing is distorted, the edges of the longer side are lost.
    CentreCrop,
    /// The whole picture, centred, the rest filled with the colour of its border.
    Pad,
    /// The whole picture squeezed to a square.
    Stretch,
}

impl Fit {
    pub const ALL: [Fit; 3] = [Fit::CentreCrop, Fit::Pad, Fit::Stretch];

    /// What an import does unless told otherwise (the page's and the native trainer's): the
    /// whole picture, undistorted.
    pub const DEFAULT: Fit = Fit::Pad;

    /// The name with a dash for the space ("centre-crop"), as the command line takes it.
    pub fn id(self) -> String {
        self.name().replace(' ', "-")
    }

    pub fn from_id(id: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|f| f.id() == id)
    }

    pub fn name(self) -> &'static str {
        match self {
            Fit::CentreCrop => "centre crop",
            Fit::Pad => "pad",
            Fit::Stretch => "stretch",
        }
    }
}

/// Whether an import inverts dark-on-light pictures unless told otherwise: most pictures of
/// marks (drawings, scans of ink) are dark on light, and the models read ink as bright, as in
/// MNIST.
pub const INVERT_BY_DEFAULT: bool = true;

/// What an import makes of every picture.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FitOptions {
    pub shape: ImageShape,
    pub fit: Fit,
    /// Invert a picture whose border is light (dark strokes on light paper).
    pub invert_dark_on_light: bool,
}

/// A decoded picture: `width × height` pixels of red, green, blue and alpha bytes, row-major
/// (what a canvas' `ImageData` holds).
#[derive(Debug, Clone, Copy)]
pub struct Rgba<'a> {
    pub width: usize,
    pub height: usize,
    pub pixels: &'a [u8],
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FitError {
    #[error("the picture is empty ({width}×{height})")]
    Empty { width: usize, height: usize },
    #[error("a {width}×{height} picture has {expected} RGBA bytes, not {found}")]
    WrongLength {
        width: usize,
        height: usize,
        expected: usize,
        found: usize,
    },
}

/// The picture as one image of `options.shape`: `shape.values()` grey levels, channel-planar.
pub fn fit(picture: Rgba<'_>, options: FitOptions) -> Result<Vec<u8>, FitError> {
    let Rgba {
        width,
        height,
        pixels,
    } = picture;
    if width == 0 || height == 0 {
        return Err(FitError::Empty { width, height });
    }
    let expected = width.checked_mul(height).and_then(|n| n.checked_mul(4));
    if expected != Some(pixels.len()) {
        return Err(FitError::WrongLength {
            width,
            height,
            expected: expected.unwrap_or(usize::MAX),
            found: pixels.len(),
        });
    }
    // Values are read straight from the bytes (no full-size copy, so a large picture costs
    // only its own bytes): channel `c` of pixel `i`, in [0, 255], transparency laid on white,
    // or its luma for a grey dataset.
    let channel = |i: usize, c: usize| {
        let px = &pixels[i * 4..i * 4 + 4];
        let alpha = f32::from(px[3]) / 255.0;
        f32::from(px[c]) * alpha + 255.0 * (1.0 - alpha)
    };
    let grey = options.shape.channels == Channels::Grey;
    let value = |i: usize, c: usize| {
        if grey {
            0.299 * channel(i, 0) + 0.587 * channel(i, 1) + 0.114 * channel(i, 2)
        } else {
            channel(i, c)
        }
    };
    let channels = options.shape.channels.count();
    let border: Vec<f32> = (0..channels)
        .map(|c| border_mean(|i| value(i, c), width, height))
        .collect();
    let light = border.iter().sum::<f32>() / channels as f32 > 127.5;
    let invert = options.invert_dark_on_light && light;
    let side = options.shape.side;
    let (source, target) = placement(width, height, side, options.fit);
    let along_x = coverage(source.x, source.len_x, target.len_x, width);
    let along_y = coverage(source.y, source.len_y, target.len_y, height);
    let mut out = Vec::with_capacity(options.shape.values());
    let mut rows = vec![0f32; height * target.len_x];
    for (c, &fill) in border.iter().enumerate() {
        let mut square = vec![fill; side * side];
        // Separable: rows first, then columns.
        for y in 0..height {
            for (tx, weights) in along_x.iter().enumerate() {
                rows[y * target.len_x + tx] = weights
                    .iter()
                    .map(|&(sx, w)| value(y * width + sx, c) * w)
                    .sum();
            }
        }
        for (ty, weights) in along_y.iter().enumerate() {
            for tx in 0..target.len_x {
                square[(target.y + ty) * side + target.x + tx] = weights
                    .iter()
                    .map(|&(sy, w)| rows[sy * target.len_x + tx] * w)
                    .sum();
            }
        }
        out.extend(square.into_iter().map(|v| {
            let level = v.round().clamp(0.0, 255.0) as u8;
            if invert {
                255 - level
            } else {
                level
            }
        }));
    }
    Ok(out)
}

/// The mean of the outermost ring of pixels: the paper's colour, for an ink drawing.
fn border_mean(value: impl Fn(usize) -> f32, width: usize, height: usize) -> f32 {
    let mut sum = 0.0;
    let mut count = 0usize;
    let mut add = |x: usize, y: usize| {
        sum += value(y * width + x);
        count += 1;
    };
    for y in 0..height {
        if y == 0 || y + 1 == height {
            (0..width).for_each(|x| add(x, y));
        } else {
            add(0, y);
            if width > 1 {
                add(width - 1, y);
            }
        }
    }
    sum / count as f32
}

#[cfg(test)]
mod tests {
    use super::*;

    fn grey(side: usize) -> ImageShape {
        ImageShape::new(Channels::Grey, side).unwrap()
    }

    fn options(shape: ImageShape, fit: Fit, invert: bool) -> FitOptions {
        FitOptions {
            shape,
            fit,
            invert_dark_on_light: invert,
        }
    }

    /// A `width × height` picture, each pixel `colour(x, y)` (RGBA).
    fn picture(width: usize, height: usize, colour: impl Fn(usize, usize) -> [u8; 4]) -> Vec<u8> {
        (0..height)
            .flat_map(|y| (0..width).map(move |x| (x, y)))
            .flat_map(|(x, y)| colour(x, y))
            .collect()
    }

    fn rgba(width: usize, height: usize, pixels: &[u8]) -> Rgba<'_> {
        Rgba {
            width,
            height,
            pixels,
        }
    }

    #[test]
    fn shrinking_averages_the_area_under_each_pixel() {
        // 56×56 in 2×2 checks of black and white: every 28×28 pixel covers two of each.
        let checks = picture(56, 56, |x, y| {
            let v = if (x + y) % 2 == 0 { 0 } else { 255 };
            [v, v, v, 255]
        });
        let out = fit(
            rgba(56, 56, &checks),
            options(grey(28), Fit::Stretch, false),
        )
        .unwrap();
        assert_eq!(out.len(), 784);
        assert!(
            out.iter().all(|&v| (127..=128).contains(&v)),
            "{:?}",
            &out[..8]
        );
    }

    #[test]
    fn a_small_picture_grows_in_crisp_blocks() {
        // 7×7 with one white pixel in the middle: 4×4 white pixels in the 28×28 image.
        let dot = picture(7, 7, |x, y| {
            if (x, y) == (3, 3) {
                [255; 4]
            } else {
                [0, 0, 0, 255]
            }
        });
        let out = fit(rgba(7, 7, &dot), options(grey(28), Fit::Stretch, false)).unwrap();
        let white: Vec<usize> = (0..784).filter(|&i| out[i] == 255).collect();
        assert_eq!(white.len(), 16);
        assert!(white
            .iter()
            .all(|&i| (12..16).contains(&(i / 28)) && (12..16).contains(&(i % 28))));
        assert_eq!(out.iter().filter(|&&v| v != 0 && v != 255).count(), 0);
    }

    #[test]
    fn the_three_fits_place_a_wide_picture_differently() {
        // 60×20: the left third red, the rest blue, on an opaque picture.
        let wide = picture(60, 20, |x, _| {
            if x < 20 {
                [255, 0, 0, 255]
            } else {
                [0, 0, 255, 255]
            }
        });
        let colour = ImageShape::new(Channels::Colour, 32).unwrap();
        let red = |out: &[u8], x: usize, y: usize| out[y * 32 + x];
        let blue = |out: &[u8], x: usize, y: usize| out[2 * 1024 + y * 32 + x];

        // Stretch: the red third covers the left third of the square.
        let out = fit(rgba(60, 20, &wide), options(colour, Fit::Stretch, false)).unwrap();
        assert_eq!(out.len(), 3 * 32 * 32);
        assert_eq!((red(&out, 5, 16), blue(&out, 5, 16)), (255, 0));
        assert_eq!((red(&out, 20, 16), blue(&out, 20, 16)), (0, 255));

        // Centre crop: the middle 20×20 is all blue.
        let out = fit(rgba(60, 20, &wide), options(colour, Fit::CentreCrop, false)).unwrap();
        assert!((0..32).all(|x| red(&out, x, 16) == 0 && blue(&out, x, 16) == 255));

        // Pad: the whole picture in a 32×11 band; above and below, the border's mean colour.
        let out = fit(rgba(60, 20, &wide), options(colour, Fit::Pad, false)).unwrap();
        assert_eq!(
            (red(&out, 3, 16), blue(&out, 3, 16)),
            (255, 0),
            "inside the band"
        );
        let (r, b) = (red(&out, 16, 2), blue(&out, 16, 2));
        assert!(
            r > 60 && r < 140 && b > 120 && b < 200,
            "the pad is the border's mean: {r}, {b}"
        );
    }

    #[test]
    fn dark_on_light_is_inverted_only_when_asked_and_only_when_the_border_is_light() {
        // A black bar on white paper.
        let ink = picture(28, 28, |x, _| {
            if (12..16).contains(&x) {
                [0, 0, 0, 255]
            } else {
                [255; 4]
            }
        });
        let kept = fit(rgba(28, 28, &ink), options(grey(28), Fit::Stretch, false)).unwrap();
        assert_eq!((kept[14 * 28 + 13], kept[0]), (0, 255));
        let inverted = fit(rgba(28, 28, &ink), options(grey(28), Fit::Stretch, true)).unwrap();
        assert_eq!(
            (inverted[14 * 28 + 13], inverted[0]),
            (255, 0),
            "bright strokes on dark"
        );
        // Already light on dark: left as it is.
        let chalk = picture(28, 28, |x, _| {
            if (12..16).contains(&x) {
                [255; 4]
            } else {
                [0, 0, 0, 255]
            }
        });
        let out = fit(rgba(28, 28, &chalk), options(grey(28), Fit::Stretch, true)).unwrap();
        assert_eq!((out[14 * 28 + 13], out[0]), (255, 0));
    }

    #[test]
    fn transparency_is_laid_on_white_and_colour_becomes_luma() {
        let clear = picture(4, 4, |_, _| [0, 0, 0, 0]);
        let out = fit(rgba(4, 4, &clear), options(grey(28), Fit::Stretch, false)).unwrap();
        assert!(
            out.iter().all(|&v| v == 255),
            "a fully transparent picture is white paper"
        );
        let green = picture(4, 4, |_, _| [0, 255, 0, 255]);
        let out = fit(rgba(4, 4, &green), options(grey(28), Fit::Stretch, false)).unwrap();
        assert!(
            out.iter().all(|&v| v == 150),
            "0.587 × 255 = 149.7: {}",
            out[0]
        );
    }

    #[test]
    fn a_picture_whose_bytes_do_not_match_its_size_is_refused() {
        assert_eq!(
            fit(rgba(0, 5, &[]), options(grey(28), Fit::Pad, false)),
            Err(FitError::Empty {
                width: 0,
                height: 5
            })
        );
        assert!(matches!(
            fit(rgba(2, 2, &[0; 15]), options(grey(28), Fit::Pad, false)),
            Err(FitError::WrongLength {
                expected: 16,
                found: 15,
                ..
            })
        ));
        // A very thin picture still fits: one pixel tall, padded.
        let line = picture(300, 1, |_, _| [0, 0, 0, 255]);
        let out = fit(rgba(300, 1, &line), options(grey(64), Fit::Pad, false)).unwrap();
        assert_eq!(out.len(), 64 * 64);
    }
}
