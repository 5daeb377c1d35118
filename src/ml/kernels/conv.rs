//! A 4×4, stride-2, padding-1 convolution computed from the non-zeros of each pixel's channels,
//! with no patch matrix in between.
//!
//! Output position `(oy, ox)` of a convolution reads input pixel `(2·oy + ky − 1,
//! 2·ox + kx − 1)` through tap `(ky, kx)`. So with the input given one pixel a row (channels
//! last, a pixel's non-zeros listed once), an output row is the sum over its 16 taps of the
//! tap's pixel times the tap's weights ([`ConvPanels::apply`]): the sparse kernel over 16 segments,
//! each against the weights of its tap. Through a patch matrix the same product first wrote
//! every pixel 4 times (16 taps, stride 2) as a dense `16·in`-wide row, then scanned those
//! rows for their non-zeros, then sorted the non-zeros by column for the weight gradient.
//!
//! Two full panels of outputs are built together, so each pixel's non-zeros are loaded and
//! broadcast once for 32 outputs (measured in Chromium: the kernel ~18% faster than a panel at
//! a time, though the two panels' weights, 64 KB for 32 channels in, are more than L1 holds).
//!
//! The weight gradients over the same pixel lists are in [`super::tap_grad`].

use super::patches::KERNEL;
use super::sparse::{gather, panel_row, panel_rows, Panels, Segments, SparseRows, PANEL};

/// Taps of a 4×4 kernel.
pub(super) const TAPS: usize = KERNEL * KERNEL;

/// The input position that output position `o` reads through kernel offset `k`, if inside a
/// side of `side`.
#[inline(always)]
fn source(o: usize, k: usize, side: usize) -> Option<usize> {
    (2 * o + k).checked_sub(1).filter(|&i| i < side)
}

/// A convolution's weight packed for [`ConvPanels::apply`]: its 16 taps' weights stacked
/// (`16·in × out`) and cut into panels. A weight that stays the same over many calls (the page
/// encoding with one model, a training step's passes: `ml::held`) is packed once.
#[derive(Debug, Clone)]
pub struct ConvPanels {
    channels: usize,
    out: usize,
    panels: Panels,
}

impl ConvPanels {
    /// Packs `w`, `(out, channels, 4, 4)` as candle lays out a convolution's weight.
    pub fn new(w: &[f32], out: usize, channels: usize) -> Self {
        assert_eq!(
            w.len(),
            out * channels * TAPS,
            "convolution: an ({out}, {channels}, 4, 4) weight"
        );
        // Row `t·in + c` of the stack is input channel c's weights through tap t.
        let mut stacked = vec![0.0f32; TAPS * channels * out];
        for (t, c) in (0..TAPS).flat_map(|t| (0..channels).map(move |c| (t, c))) {
            let row = &mut stacked[(t * channels + c) * out..][..out];
            for (o, v) in row.iter_mut().enumerate() {
                *v = w[(o * channels + c) * TAPS + t];
            }
        }
        Self {
            channels,
            out,
            panels: Panels::from_rows(&stacked, TAPS * channels, out),
        }
    }

    /// Output channels.
    pub fn outputs(&self) -> usize {
        self.out
    }

    /// Adds to `y`, `(images·half², out)` with `half = side / 2` (one output position a row),
    /// the convolution by the packed weight of the images whose pixels' non-zeros are the rows
    /// of `x` (`images·side²` rows in row-major pixel order, one column per input channel).
    pub fn apply(&self, x: &SparseRows, images: usize, side: usize, y: &mut [f32]) {
        let (channels, out) = (self.channels, self.out);
        let half = side / 2;
        assert!(
            side.is_multiple_of(2)
                && x.rows() == images * side * side
                && x.width() == channels
                && y.len() == images * half * half * out,
            "convolution: {} pixels of {} channels for {images} images of side {side}, \
             weights for {channels} channels, {} outputs",
            x.rows(),
            x.width(),
            y.len()
        );
        // Two full panels at a time: each pixel's non-zeros are read once for 32 outputs.
        let pairs = out / (2 * PANEL);
        for q in (0..pairs).map(|pair| 2 * pair) {
            let weights = [self.panels.panel(q), self.panels.panel(q + 1)];
            let j0 = q * PANEL;
            for (r, dst) in y.chunks_exact_mut(out).enumerate() {
                let (segments, count) = Self::segments(x, r, side, weights);
                let (low, high) = dst[j0..j0 + 2 * PANEL].split_at_mut(PANEL);
                let outs = [low, high].map(|o| o.try_into().expect("16 outputs"));
                // SAFETY: `x`'s column indices are below its width, `channels` (asserted), so
                // every row p·16..p·16 + 16 they pick lies inside their tap's `channels·16`
                // weights of each panel.
                unsafe { panel_rows(segments[..count].iter().copied(), outs) };
            }
        }
        // The rest one panel at a time, the last perhaps partial.
        for q in 2 * pairs..out.div_ceil(PANEL) {
            let (j0, width) = (q * PANEL, PANEL.min(out - q * PANEL));
            for (r, dst) in y.chunks_exact_mut(out).enumerate() {
                let (segments, count) = Self::segments(x, r, side, [self.panels.panel(q)]);
                let segments = segments[..count].iter().map(|&(c, v, [w])| (c, v, w));
                // SAFETY: as above, for one panel.
                unsafe { panel_row(segments, &mut dst[j0..j0 + width]) };
            }
        }
    }

    /// The pixels output row `r` reads, each with its tap's weights in each of `panels`.
    #[inline(always)]
    fn segments<'a, const N: usize>(
        x: &'a SparseRows,
        r: usize,
        side: usize,
        panels: [&'a [f32]; N],
    ) -> ([Segments<'a, N>; TAPS], usize) {
        let half = side / 2;
        let (n, oy, ox) = (r / (half * half), r / half % half, r % half);
        let reads = (0..TAPS).filter_map(|t| {
            let (iy, ix) = (source(oy, t / KERNEL, side)?, source(ox, t % KERNEL, side)?);
            Some((t, (n * side + iy) * side + ix))
        });
        gather(x, reads, panels)
    }
}

#[cfg(test)]
/// Every (tap, input pixel, output position) a convolution of `side` connects, channels last:
/// `(t, (n, iy, ix), (n, oy, ox))`.
pub(super) fn connections(images: usize, side: usize) -> Vec<(usize, [usize; 3], [usize; 3])> {
    let half = side / 2;
    let mut all = vec![];
    for n in 0..images {
        for (oy, ox) in (0..half).flat_map(|oy| (0..half).map(move |ox| (oy, ox))) {
            for t in 0..TAPS {
                let (iy, ix) = (
                    (2 * oy + t / 4).wrapping_sub(1),
                    (2 * ox + t % 4).wrapping_sub(1),
                );
                if iy < side && ix < side {
                    all.push((t, [n, iy, ix], [n, oy, ox]));
                }
            }
        }
    }
    all
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ml::rng::Rng;
    use crate::ml::tensor_diff::max_abs_diff_values;

    #[test]
    fn a_convolution_of_pixel_lists_matches_its_definition() {
        let mut rng = Rng::new(12);
        // A full panel, a partial second one, one of a single column, the smallest side, a pair
        // of panels, and a pair then a partial panel.
        for (images, channels, out, side) in [
            (2, 5, 16, 6),
            (1, 3, 20, 4),
            (2, 4, 1, 2),
            (2, 5, 32, 6),
            (1, 3, 40, 4),
        ] {
            let half = side / 2;
            let x: Vec<f32> = rng
                .normal_vec(images * side * side * channels)
                .into_iter()
                .map(|v| v.max(0.0))
                .collect();
            let pixels = SparseRows::from_rows(&x, images * side * side, channels);
            let w = rng.normal_vec(out * channels * TAPS);
            let start = rng.normal_vec(images * half * half * out);
            let mut y = start.clone();
            ConvPanels::new(&w, out, channels).apply(&pixels, images, side, &mut y);
            let mut want = start;
            for (t, [n, iy, ix], [_, oy, ox]) in connections(images, side) {
                let (p, r) = (((n * side + iy) * side + ix), ((n * half + oy) * half + ox));
                for (c, o) in (0..channels).flat_map(|c| (0..out).map(move |o| (c, o))) {
                    want[r * out + o] += x[p * channels + c] * w[(o * channels + c) * TAPS + t];
                }
            }
            let diff = max_abs_diff_values(&y, &want);
            assert!(
                diff < 1e-4,
                "{:?}: off by {diff}",
                (images, channels, out, side)
            );
        }
    }
}
