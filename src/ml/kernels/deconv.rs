//! A 4×4, stride-2, padding-1 transposed convolution computed from its input's non-zeros, an
//! output pixel at a time, with no patch matrix in between.
//!
//! Output pixel `(2a + py, 2b + px)` is reached by four input pixels, `(a + dy, b + dx)` for
//! the two row offsets its row parity `py` allows and the two column offsets `px` allows, each
//! through one kernel tap. So the output pixels of one parity are a product: each pixel's four
//! input pixels' channels side by side (`4·in` values, their non-zeros read where they are)
//! times those four taps' weights stacked (`4·in × out`). Four such products make the layer.
//!
//! Computed as `col2im(rows · W)` instead (one input pixel a row, the way a transposed
//! convolution is usually put as a product), the sparse kernel's output rows are `16·out` wide
//! and each input pixel's few non-zeros are all a row has; the Conv-VAE's first transposed
//! convolution wrote a 6 MB patch matrix a thread that way, and `col2im` read it again to add
//! it up. Here every output row is `out` wide and has four pixels' non-zeros: the better way
//! once `out` fills a panel ([`MIN_OUTPUTS`]). For fewer (a last layer's 1 or 3 channels),
//! most of each 16-column panel would be padding, and the patch matrix's `16·out` columns fill
//! it instead.

use super::patches::KERNEL;
use super::sparse::{gather, panel_row, panel_rows, Panels, Segments, SparseRows, PANEL};

/// Outputs from which [`DeconvPanels::apply`] fills its 16-column panels: below this, the patch
/// matrix way is faster.
pub const MIN_OUTPUTS: usize = PANEL;

/// For an output parity (0 even, 1 odd), the two (input offset, kernel tap) pairs reaching
/// it: output `2a + p` reads input `i` through tap `k` where `2i + k − 1 = 2a + p`.
const fn reaching(parity: usize) -> [(isize, usize); 2] {
    if parity == 0 {
        [(0, 1), (-1, 3)]
    } else {
        [(1, 0), (0, 2)]
    }
}

/// The four (row offset, column offset, tap) of one output parity, in slot order.
fn slots(py: usize, px: usize) -> [(isize, isize, usize); 4] {
    let (rows, cols) = (reaching(py), reaching(px));
    std::array::from_fn(|s| {
        let ((dy, ky), (dx, kx)) = (rows[s / 2], cols[s % 2]);
        (dy, dx, ky * KERNEL + kx)
    })
}

/// A transposed convolution's weight packed for [`DeconvPanels::apply`]: for each output
/// parity, its four taps' weights stacked (`4·in × out`) and cut into panels. A weight that stays
/// the same over many calls (the page decoding with one model, a training step's passes:
/// `ml::held`) is packed once.
#[derive(Debug, Clone)]
pub struct DeconvPanels {
    channels: usize,
    out: usize,
    /// By parity, in the order `(0, 0), (0, 1), (1, 0), (1, 1)` ([`PARITIES`]).
    parities: [Panels; 4],
}

/// The output parities (row, column), in the order [`DeconvPanels`] keeps them.
const PARITIES: [(usize, usize); 4] = [(0, 0), (0, 1), (1, 0), (1, 1)];

impl DeconvPanels {
    /// Packs `w`, `(channels, out, 4, 4)` as candle lays out a transposed convolution's weight.
    pub fn new(w: &[f32], channels: usize, out: usize) -> Self {
        assert_eq!(
            w.len(),
            channels * out * KERNEL * KERNEL,
            "transposed convolution: a ({channels}, {out}, 4, 4) weight"
        );
        let parities = PARITIES.map(|(py, px)| {
            // Row `s·in + c` of the stack is input channel c's weights through slot s's tap.
            let mut stacked = vec![0.0f32; 4 * channels * out];
            for (s, &(_, _, tap)) in slots(py, px).iter().enumerate() {
                for c in 0..channels {
                    let row = &mut stacked[(s * channels + c) * out..][..out];
                    for (o, v) in row.iter_mut().enumerate() {
                        *v = w[(c * out + o) * KERNEL * KERNEL + tap];
                    }
                }
            }
            Panels::from_rows(&stacked, 4 * channels, out)
        });
        Self {
            channels,
            out,
            parities,
        }
    }

    /// Output channels.
    pub fn outputs(&self) -> usize {
        self.out
    }

    /// Adds to `y`, channels last `(images, 2·side, 2·side, out)`, the transposed convolution by
    /// the packed weight of the images whose pixels' non-zeros are the rows of `x` (`images·side²`
    /// rows in row-major pixel order, one column per input channel).
    pub fn apply(&self, x: &SparseRows, images: usize, side: usize, y: &mut [f32]) {
        let (channels, out) = (self.channels, self.out);
        let (plane, up) = (side * side, 2 * side);
        assert!(
            x.rows() == images * plane
                && x.width() == channels
                && y.len() == images * up * up * out,
            "transposed convolution: {} pixels of {} channels for {images} images of side \
             {side}, weights for {channels} channels, {} outputs",
            x.rows(),
            x.width(),
            y.len()
        );
        for (&(py, px), panels) in PARITIES.iter().zip(&self.parities) {
            let slots = slots(py, px);
            // Two full panels at a time: each pixel's non-zeros are read once for 32 outputs.
            let pairs = out / (2 * PANEL);
            for q in (0..pairs).map(|pair| 2 * pair) {
                let weights = [panels.panel(q), panels.panel(q + 1)];
                for (n, a, b) in
                    (0..images).flat_map(|n| (0..plane).map(move |i| (n, i / side, i % side)))
                {
                    let (segments, count) = Self::segments(x, (n, a, b), side, &slots, weights);
                    let pixel = (n * up * up + (2 * a + py) * up + 2 * b + px) * out + q * PANEL;
                    let (low, high) = y[pixel..pixel + 2 * PANEL].split_at_mut(PANEL);
                    let outs = [low, high].map(|o| o.try_into().expect("16 outputs"));
                    // SAFETY: `x`'s column indices are below its width, `channels` (asserted),
                    // so every row p·16..p·16 + 16 they pick lies inside their slot's
                    // `channels·16` weights of each panel.
                    unsafe { panel_rows(segments[..count].iter().copied(), outs) };
                }
            }
            // The rest one panel at a time, the last perhaps partial.
            for q in 2 * pairs..out.div_ceil(PANEL) {
                let (j0, width) = (q * PANEL, PANEL.min(out - q * PANEL));
                for (n, a, b) in
                    (0..images).flat_map(|n| (0..plane).map(move |i| (n, i / side, i % side)))
                {
                    let (segments, count) =
                        Self::segments(x, (n, a, b), side, &slots, [panels.panel(q)]);
                    let segments = segments[..count].iter().map(|&(c, v, [w])| (c, v, w));
                    let pixel = (n * up * up + (2 * a + py) * up + 2 * b + px) * out + j0;
                    // SAFETY: as above, for one panel.
                    unsafe { panel_row(segments, &mut y[pixel..pixel + width]) };
                }
            }
        }
    }

    /// The input pixels output pixel `(2a + py, 2b + px)` of image `n` reads, each with its
    /// slot's weights in each of `panels` (`slots` of its parity).
    #[inline(always)]
    fn segments<'a, const N: usize>(
        x: &'a SparseRows,
        (n, a, b): (usize, usize, usize),
        side: usize,
        slots: &[(isize, isize, usize); 4],
        panels: [&'a [f32]; N],
    ) -> ([Segments<'a, N>; 4], usize) {
        let reads = slots.iter().enumerate().filter_map(|(s, &(dy, dx, _))| {
            let iy = a.checked_add_signed(dy).filter(|&i| i < side)?;
            let ix = b.checked_add_signed(dx).filter(|&i| i < side)?;
            Some((s, (n * side + iy) * side + ix))
        });
        gather(x, reads, panels)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ml::rng::Rng;

    /// The transposed convolution by its definition, channels last.
    fn plain(x: &[f32], w: &[f32], images: usize, channels: usize, side: usize) -> Vec<f32> {
        let out = w.len() / (channels * 16);
        let up = 2 * side;
        let mut y = vec![0.0f64; images * up * up * out];
        for n in 0..images {
            for (iy, ix) in (0..side).flat_map(|iy| (0..side).map(move |ix| (iy, ix))) {
                for c in 0..channels {
                    let v = x[((n * side + iy) * side + ix) * channels + c] as f64;
                    for (ky, kx) in (0..4).flat_map(|ky| (0..4).map(move |kx| (ky, kx))) {
                        let (oy, ox) =
                            ((2 * iy + ky).wrapping_sub(1), (2 * ix + kx).wrapping_sub(1));
                        if oy >= up || ox >= up {
                            continue;
                        }
                        for o in 0..out {
                            let weight = w[((c * out + o) * 4 + ky) * 4 + kx] as f64;
                            y[((n * up + oy) * up + ox) * out + o] += v * weight;
                        }
                    }
                }
            }
        }
        y.into_iter().map(|v| v as f32).collect()
    }

    #[test]
    fn every_output_pixel_gets_its_four_input_pixels_through_the_right_taps() {
        let mut rng = Rng::new(9);
        // A full panel, two, a partial second one, sides from one pixel up, and a pair of panels
        // then a partial one.
        for (images, channels, out, side) in [
            (2, 5, 16, 7),
            (1, 3, 32, 4),
            (2, 4, 20, 1),
            (1, 2, 17, 3),
            (1, 3, 50, 3),
        ] {
            let x: Vec<f32> = rng
                .normal_vec(images * side * side * channels)
                .into_iter()
                .map(|v| v.max(0.0))
                .collect();
            let w = rng.normal_vec(channels * out * 16);
            let up = 2 * side;
            let start = rng.normal_vec(images * up * up * out);
            let mut y = start.clone();
            let rows = SparseRows::from_rows(&x, images * side * side, channels);
            DeconvPanels::new(&w, channels, out).apply(&rows, images, side, &mut y);
            let want = plain(&x, &w, images, channels, side);
            let diff = y
                .iter()
                .zip(want.iter().zip(&start))
                .map(|(y, (w, s))| (y - w - s).abs())
                .fold(0.0f32, f32::max);
            assert!(
                diff < 1e-4,
                "{images}×{channels}→{out}, side {side}: off by {diff}"
            );
        }
    }
}
