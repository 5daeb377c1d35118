//! Altered pictures (of any shape) for the anomaly and restore panels: the test digits' scores as a histogram, and inputs
//! that are more or less unlike the training data (a digit with noise, a rotated digit, pure
//! noise), so a person can see where each falls on that histogram.

use crate::ml::dataset::ImageShape;
use crate::ml::rng::Rng;

/// Counts of scores in equal-width bins over `[lo, hi]`; scores above `hi` are counted in
/// `above` rather than stretching the axis for a few outliers.
#[derive(Debug, Clone, PartialEq)]
pub struct Histogram {
    pub lo: f32,
    pub hi: f32,
    pub counts: Vec<usize>,
    pub above: usize,
}

impl Histogram {
    /// Bins `sorted` (ascending) into `bins` bins from its minimum to its `clip_percent`
    /// percentile. `None` when there is nothing to bin.
    pub fn of_sorted(sorted: &[f32], bins: usize, clip_percent: f64) -> Option<Self> {
        let (&lo, bins) = (sorted.first()?, bins.max(1));
        let clip = ((sorted.len() - 1) as f64 * clip_percent.clamp(0.0, 100.0) / 100.0).round();
        let hi = sorted[clip as usize].max(lo + 1e-3);
        let width = (hi - lo) / bins as f32;
        let mut counts = vec![0; bins];
        let mut above = 0;
        for &s in sorted {
            if s > hi {
                above += 1;
            } else {
                counts[(((s - lo) / width) as usize).min(bins - 1)] += 1;
            }
        }
        Some(Self {
            lo,
            hi,
            counts,
            above,
        })
    }
}

/// `image` with uniform noise of ±`amount` added to every pixel, clamped to [0, 1].
pub fn with_noise(image: &[f32], amount: f32, rng: &mut Rng) -> Vec<f32> {
    image
        .iter()
        .map(|&v| (v + rng.uniform(-amount, amount)).clamp(0.0, 1.0))
        .collect()
}

/// `image` with `fraction` of its pixels (chosen at random) set to black or white, half each:
/// salt-and-pepper noise, the classic damage a denoiser removes.
pub fn salt_and_pepper(image: &[f32], fraction: f32, rng: &mut Rng) -> Vec<f32> {
    image
        .iter()
        .map(|&v| {
            let u = rng.uniform(0.0, 1.0);
            if u < fraction / 2.0 {
                0.0
            } else if u < fraction {
                1.0
            } else {
                v
            }
        })
        .collect()
}

/// Every value of an image of `shape` uniform in [0, 1]: nothing like a picture.
pub fn pure_noise(shape: ImageShape, rng: &mut Rng) -> Vec<f32> {
    (0..shape.values()).map(|_| rng.uniform(0.0, 1.0)).collect()
}

/// `image` (of `shape`) turned a quarter clockwise, every channel alike.
pub fn rotated_quarter(image: &[f32], shape: ImageShape) -> Vec<f32> {
    let n = shape.side;
    let mut out = vec![0.0; shape.values()];
    for (plane, turned) in image.chunks_exact(n * n).zip(out.chunks_exact_mut(n * n)) {
        for row in 0..n {
            for col in 0..n {
                // The pixel at (row, col) moves to (col, n - 1 - row).
                turned[col * n + (n - 1 - row)] = plane[row * n + col];
            }
        }
    }
    out
}

/// Which values of an image of `shape` the square of side `size` centred at (`row`, `col`)
/// covers (clipped to the image), in every channel.
pub fn patch_mask(shape: ImageShape, row: usize, col: usize, size: usize) -> Vec<bool> {
    let (n, half) = (shape.side, size / 2);
    let mut plane = vec![false; n * n];
    for r in row.saturating_sub(half)..(row + size - half).min(n) {
        for c in col.saturating_sub(half)..(col + size - half).min(n) {
            plane[r * n + c] = true;
        }
    }
    plane.repeat(shape.channels.count())
}

/// `image` (of `shape`) with the square of side `size` centred at (`row`, `col`) wiped out: a
/// damaged picture for the model to restore.
pub fn erased(image: &[f32], shape: ImageShape, row: usize, col: usize, size: usize) -> Vec<f32> {
    let mask = patch_mask(shape, row, col, size);
    image
        .iter()
        .zip(&mask)
        .map(|(&v, &hole)| if hole { 0.0 } else { v })
        .collect()
}

/// `known` with the pixels under `mask` taken from `filled`: an inpainting keeps what it was
/// given and only fills the hole.
pub fn fill_hole(known: &[f32], filled: &[f32], mask: &[bool]) -> Vec<f32> {
    known
        .iter()
        .zip(filled)
        .zip(mask)
        .map(|((&k, &f), &hole)| if hole { f } else { k })
        .collect()
}

/// Mean squared difference per pixel.
pub fn mean_squared_error(a: &[f32], b: &[f32]) -> f32 {
    let n = a.len().min(b.len()).max(1);
    a.iter().zip(b).map(|(x, y)| (x - y) * (x - y)).sum::<f32>() / n as f32
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_histogram_counts_every_score_once_and_clips_the_tail() {
        let mut scores: Vec<f32> = (0..100).map(|i| 100.0 + i as f32).collect();
        scores.push(10_000.0);
        let h = Histogram::of_sorted(&scores, 10, 99.0).unwrap();
        assert_eq!(h.lo, 100.0);
        assert_eq!(h.hi, 199.0);
        assert_eq!(h.counts.iter().sum::<usize>() + h.above, scores.len());
        assert_eq!(h.above, 1, "the outlier is counted beside the axis");
        assert_eq!(h.counts[0], 10);
        assert!(Histogram::of_sorted(&[], 10, 99.0).is_none());
        let one = Histogram::of_sorted(&[5.0], 4, 100.0).unwrap();
        assert_eq!(one.counts.iter().sum::<usize>(), 1);
    }

    const DIGITS: ImageShape = ImageShape::DIGITS;

    fn colour_32() -> ImageShape {
        ImageShape::new(crate::ml::dataset::Channels::Colour, 32).unwrap()
    }

    #[test]
    fn four_quarter_turns_give_the_image_back_and_one_moves_the_top_row_to_the_right_in_every_channel(
    ) {
        for shape in [DIGITS, colour_32()] {
            let image: Vec<f32> = (0..shape.values()).map(|i| i as f32).collect();
            let once = rotated_quarter(&image, shape);
            let side = shape.side;
            assert_eq!(once[side - 1], image[0], "top-left goes to top-right");
            let last_plane = shape.values() - side * side;
            assert_eq!(
                once[last_plane + side - 1],
                image[last_plane],
                "in every channel"
            );
            let mut back = image.clone();
            for _ in 0..4 {
                back = rotated_quarter(&back, shape);
            }
            assert_eq!(back, image);
        }
    }

    #[test]
    fn noise_stays_in_range_and_erasing_clears_only_the_square() {
        let mut rng = Rng::new(1);
        let image = vec![0.5; DIGITS.values()];
        let noisy = with_noise(&image, 0.8, &mut rng);
        assert!(noisy.iter().all(|v| (0.0..=1.0).contains(v)));
        assert!(mean_squared_error(&noisy, &image) > 0.01);
        assert!(pure_noise(DIGITS, &mut rng)
            .iter()
            .all(|v| (0.0..=1.0).contains(v)));
        let peppered = salt_and_pepper(&image, 0.2, &mut rng);
        let changed = peppered.iter().filter(|&&v| v != 0.5).count();
        assert!(
            (100..220).contains(&changed),
            "about a fifth of 784: {changed}"
        );
        assert!(peppered.iter().all(|&v| v == 0.0 || v == 0.5 || v == 1.0));
        let wiped = erased(&vec![1.0; DIGITS.values()], DIGITS, 14, 14, 8);
        assert_eq!(wiped.iter().filter(|&&v| v == 0.0).count(), 64);
        assert_eq!(wiped[10 * DIGITS.side + 10], 0.0);
        assert_eq!(wiped[9 * DIGITS.side + 10], 1.0);
        let corner = erased(&vec![1.0; DIGITS.values()], DIGITS, 0, 0, 8);
        assert_eq!(corner.iter().filter(|&&v| v == 0.0).count(), 16);
        let mask = patch_mask(DIGITS, 14, 14, 8);
        let filled = fill_hole(&wiped, &vec![0.25; DIGITS.values()], &mask);
        assert_eq!(filled.iter().filter(|&&v| v == 0.25).count(), 64);
        assert_eq!(
            filled.iter().filter(|&&v| v == 1.0).count(),
            DIGITS.values() - 64
        );
        // A colour picture loses the square in all three channels.
        let shape = colour_32();
        let wiped = erased(&vec![1.0; shape.values()], shape, 16, 16, 4);
        assert_eq!(wiped.iter().filter(|&&v| v == 0.0).count(), 3 * 16);
    }
}
