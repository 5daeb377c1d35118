//! The weight gradients of the convolutions computed from pixel lists ([`super::conv`]),
//! without a patch matrix.
//!
//! A weight gradient sums, for every tap, each input pixel's channels times the output
//! gradient at the position that tap connects it to ([`conv_weight_grad`],
//! [`deconv_weight_grad`]). Per image, the output gradient is laid in a square padded by one
//! position all round, so that a tap is one fixed shift from a pixel's base position (the
//! padding answers for the positions outside); the input's non-zeros are sorted by channel
//! (and, for a convolution, by the parity of their position, which decides the taps that read
//! them). Each tap's row of the gradient is then the sparse kernel over one channel's list
//! against the shifted square, accumulated in registers, two taps that read the same list in
//! one walk over it; a 16-column panel of one image's square stays in L1.

use super::conv::TAPS;
use super::patches::KERNEL;
use super::sparse::{panel_rows, SparseRows, PANEL};

/// Taps of a group whose rows of the gradient are built in one walk over a pixel list. Two
/// keep eight registers of sums, which x86's sixteen hold with room for the loads; measured in
/// Chromium on the Conv-VAE (`profile.mjs --conv`), two cut this kernel's time by ~15% against
/// one, and four (sixteen sums, spilled) gave back most of that.
const TOGETHER: usize = 2;

/// The gradient of [`super::conv::ConvPanels::apply`]'s weight, `(out, in, 4, 4)`, from its input's
/// pixels `x` and the gradient `g` of its output rows `(images·half², out)`.
pub fn conv_weight_grad(x: &SparseRows, g: &[f32], images: usize, side: usize) -> Vec<f32> {
    assert!(side.is_multiple_of(2) && x.rows() == images * side * side);
    let half = side / 2;
    // The output's gradient, padded by one position all round: pixel (2a + py, 2b + px),
    // whose base is output position (a, b), reaches output position (a + dy, b + dx) through
    // the taps of its parity, dy and dx in −1..=1, and the padding answers for those outside.
    let pitch = half + 2;
    let base = |p: usize| {
        let (iy, ix) = (p / side % side, p % side);
        let group = (iy % 2) * 2 + ix % 2;
        (group, (iy / 2 + 1) * pitch + ix / 2 + 1)
    };
    // Input row 2a + py is read through row tap ky when 2·oy + ky − 1 = 2a + py, so only the
    // taps with ky ≡ py + 1 (mod 2), at oy = a + (py + 1 − ky)/2.
    let taps = std::array::from_fn(|t| {
        let (ky, kx) = ((t / KERNEL) as isize, (t % KERNEL) as isize);
        let (py, px) = ((ky + 1) % 2, (kx + 1) % 2);
        let (dy, dx) = ((py + 1 - ky) / 2, (px + 1 - kx) / 2);
        ((py * 2 + px) as usize, dy * pitch as isize + dx)
    });
    let layout = Shifts {
        groups: 4,
        pitch,
        taps,
    };
    let place = |r: usize| (r / half + 1) * pitch + r % half + 1;
    let stacked = layout.products(x, base, g, half * half, place, images);
    let (channels, out) = (x.width(), stacked.len() / (TAPS * x.width()).max(1));
    reorder(&stacked, channels, out, |o, c| o * channels + c)
}

/// The gradient of [`super::deconv::DeconvPanels::apply`]'s weight, `(in, out, 4, 4)`, from its
/// input's pixels `x` (`images·side²` rows) and the gradient `g` of its output, channels last
/// `(images, 2·side, 2·side, out)`.
pub fn deconv_weight_grad(x: &SparseRows, g: &[f32], images: usize, side: usize) -> Vec<f32> {
    assert_eq!(x.rows(), images * side * side);
    let up = 2 * side;
    // Input pixel (iy, ix) reaches output (2·iy + ky − 1, 2·ix + kx − 1) through tap (ky, kx):
    // a shift from (2·iy, 2·ix) by the same amount for every pixel; the output's gradient is
    // padded by one all round for those that fall outside.
    let pitch = up + 2;
    let base = |p: usize| (0, (2 * (p / side % side) + 1) * pitch + 2 * (p % side) + 1);
    let taps = std::array::from_fn(|t| {
        let (ky, kx) = ((t / KERNEL) as isize, (t % KERNEL) as isize);
        (0, (ky - 1) * pitch as isize + kx - 1)
    });
    let layout = Shifts {
        groups: 1,
        pitch,
        taps,
    };
    let place = |r: usize| (r / up + 1) * pitch + r % up + 1;
    let stacked = layout.products(x, base, g, up * up, place, images);
    let (channels, out) = (x.width(), stacked.len() / (TAPS * x.width()).max(1));
    reorder(&stacked, channels, out, |o, c| c * out + o)
}

/// How a layer connects input pixels to output positions, for its weight gradient: each
/// image's output gradient sits in a padded square of `pitch²` positions; each input pixel has
/// a group and a base position in that square; tap `t` connects the pixels of group
/// `taps[t].0` to the position `taps[t].1` away from their base.
struct Shifts {
    groups: usize,
    pitch: usize,
    taps: [(usize, isize); TAPS],
}

impl Shifts {
    /// The `(16·in, out)` stack whose row `t·in + c` is `Σ x[pixel, c] · g[position]` over
    /// every pixel and the output position tap `t` connects it to. `base(p)` gives pixel `p`'s
    /// group and base position (`p` within its image); `g` holds `rows` output positions an
    /// image, `place(r)` is where position `r` sits in the padded square.
    fn products(
        &self,
        x: &SparseRows,
        base: impl Fn(usize) -> (usize, usize),
        g: &[f32],
        rows: usize,
        place: impl Fn(usize) -> usize,
        images: usize,
    ) -> Vec<f32> {
        let channels = x.width();
        let out = g.len() / (images * rows).max(1);
        assert_eq!(
            g.len(),
            images * rows * out,
            "output gradient of {images}×{rows} rows"
        );
        let padded = self.pitch * self.pitch;
        // Base positions are stored less the largest backward shift, so that every tap's
        // panel starts inside the square.
        let margin = self
            .taps
            .iter()
            .map(|&(_, s)| (-s).max(0))
            .max()
            .unwrap_or(0) as usize;
        let per_image = x.rows() / images.max(1);
        let lists = PixelLists::new(x, images, self.groups, |p| {
            let (group, at) = base(p % per_image);
            (group, at - margin)
        });
        // Each group's taps, `TOGETHER` at a time: they read the same lists.
        let by_group: Vec<Vec<[(usize, isize); TOGETHER]>> = (0..self.groups)
            .map(|group| {
                let taps: Vec<(usize, isize)> = (self.taps.iter().enumerate())
                    .filter(|(_, &(g, _))| g == group)
                    .map(|(t, &(_, shift))| (t, shift))
                    .collect();
                let (together, rest) = taps.as_chunks::<TOGETHER>();
                assert!(rest.is_empty(), "{} taps in group {group}", taps.len());
                together.to_vec()
            })
            .collect();
        let panel_len = TAPS * channels * PANEL;
        let mut stacked = vec![0.0f32; out.div_ceil(PANEL) * panel_len];
        let mut square = vec![0.0f32; padded * PANEL];
        for n in 0..images {
            for (q, sums) in stacked.chunks_exact_mut(panel_len).enumerate() {
                let (j0, width) = (q * PANEL, PANEL.min(out - q * PANEL));
                square.fill(0.0);
                for (r, values) in g[n * rows * out..][..rows * out]
                    .chunks_exact(out)
                    .enumerate()
                {
                    square[place(r) * PANEL..][..width].copy_from_slice(&values[j0..j0 + width]);
                }
                let rows_from =
                    |shift: isize| &square[(margin as isize + shift) as usize * PANEL..];
                let sums = sums.as_chunks_mut::<PANEL>().0;
                for (group, taps) in by_group.iter().enumerate() {
                    for c in 0..channels {
                        let (positions, values) = lists.list(n, group, c);
                        let Some(&last) = positions.last() else {
                            continue;
                        };
                        for &together in taps {
                            let rows = together.map(|(_, shift)| rows_from(shift));
                            // Positions ascend within a list, so the last is the largest.
                            for rows in rows {
                                assert!((last as usize + 1) * PANEL <= rows.len());
                            }
                            let outs = sums
                                .get_disjoint_mut(together.map(|(t, _)| t * channels + c))
                                .expect("each tap has its own rows");
                            // SAFETY: every position p in the list is at most `last`, so the
                            // row p·16..p·16 + 16 lies inside each of `rows` (asserted).
                            unsafe { panel_rows([(positions, values, rows)], outs) };
                        }
                    }
                }
            }
        }
        let mut result = vec![0.0f32; TAPS * channels * out];
        for (q, sums) in stacked.chunks_exact(panel_len).enumerate() {
            let (j0, width) = (q * PANEL, PANEL.min(out - q * PANEL));
            for (k, values) in sums.chunks_exact(PANEL).enumerate() {
                result[k * out + j0..][..width].copy_from_slice(&values[..width]);
            }
        }
        result
    }
}

/// For each image, group and channel, the pixels in which that channel is non-zero: their
/// positions (ascending) and values.
struct PixelLists {
    /// List `(n·groups + group)·channels + c` is `starts[i]..starts[i + 1]`.
    starts: Vec<usize>,
    positions: Vec<u32>,
    values: Vec<f32>,
    groups: usize,
    channels: usize,
}

impl PixelLists {
    /// Sorts the non-zeros of `x` (one pixel a row, `images` images in order) into lists, by
    /// the group and position `at(pixel)` gives. Positions must ascend with the pixel within
    /// a group, as the kernel relies on: every caller's do (row-major bases).
    fn new(
        x: &SparseRows,
        images: usize,
        groups: usize,
        at: impl Fn(usize) -> (usize, usize),
    ) -> Self {
        let channels = x.width();
        let per_image = x.rows() / images.max(1);
        // List (n·groups + group)·channels + c starts at `first(n, group)` + c.
        let first = |p: usize, group: usize| {
            assert!(group < groups);
            ((p / per_image) * groups + group) * channels
        };
        // A counting sort: count each list's entries, then place them in pixel order.
        let mut starts = vec![0usize; images * groups * channels + 1];
        for p in 0..x.rows() {
            let lists = &mut starts[first(p, at(p).0) + 1..][..channels];
            for &c in x.row(p).0 {
                lists[c as usize] += 1;
            }
        }
        for i in 1..starts.len() {
            starts[i] += starts[i - 1];
        }
        let mut next = starts.clone();
        let total = x.entries();
        let (mut positions, mut values) = (vec![0u32; total], vec![0f32; total]);
        let mut previous = vec![None; groups];
        for p in 0..x.rows() {
            let (group, position) = at(p);
            if p % per_image == 0 {
                previous.fill(None);
            }
            assert!(
                previous[group].is_none_or(|q| q < position),
                "positions ascend"
            );
            previous[group] = Some(position);
            let slots = &mut next[first(p, group)..][..channels];
            let (columns, row_values) = x.row(p);
            for (&c, &v) in columns.iter().zip(row_values) {
                let slot = &mut slots[c as usize];
                positions[*slot] = position as u32;
                values[*slot] = v;
                *slot += 1;
            }
        }
        PixelLists {
            starts,
            positions,
            values,
            groups,
            channels,
        }
    }

    fn list(&self, n: usize, group: usize, c: usize) -> (&[u32], &[f32]) {
        let i = (n * self.groups + group) * self.channels + c;
        let span = self.starts[i]..self.starts[i + 1];
        (&self.positions[span.clone()], &self.values[span])
    }
}

/// The `(16·in, out)` stack (row `t·in + c`) as a weight whose `(o, c)` kernel starts at
/// `16·index(o, c)`.
fn reorder(
    stacked: &[f32],
    channels: usize,
    out: usize,
    index: impl Fn(usize, usize) -> usize,
) -> Vec<f32> {
    let mut w = vec![0.0f32; stacked.len()];
    for (k, row) in stacked.chunks_exact(out.max(1)).enumerate() {
        let (t, c) = (k / channels, k % channels);
        for (o, &v) in row.iter().enumerate() {
            w[index(o, c) * TAPS + t] = v;
        }
    }
    w
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ml::kernels::conv::connections;
    use crate::ml::rng::Rng;
    use crate::ml::tensor_diff::max_abs_diff_values;

    fn rectified(rng: &mut Rng, n: usize) -> Vec<f32> {
        rng.normal_vec(n).into_iter().map(|v| v.max(0.0)).collect()
    }

    #[test]
    fn both_weight_gradients_match_their_definitions() {
        let mut rng = Rng::new(13);
        // A full panel, a partial second one, one of a single column, and the smallest side.
        for (images, channels, out, side) in [(2, 5, 16, 6), (1, 3, 20, 4), (2, 4, 1, 2)] {
            let half = side / 2;
            let shape = (images, channels, out, side);
            // A convolution from `side` down to `half`.
            let x = rectified(&mut rng, images * side * side * channels);
            let pixels = SparseRows::from_rows(&x, images * side * side, channels);
            let g = rectified(&mut rng, images * half * half * out);
            let mut want = vec![0.0f32; out * channels * TAPS];
            for (t, [n, iy, ix], [_, oy, ox]) in connections(images, side) {
                let (p, r) = (((n * side + iy) * side + ix), ((n * half + oy) * half + ox));
                for (c, o) in (0..channels).flat_map(|c| (0..out).map(move |o| (c, o))) {
                    want[(o * channels + c) * TAPS + t] += x[p * channels + c] * g[r * out + o];
                }
            }
            let grad_w = conv_weight_grad(&pixels, &g, images, side);
            assert!(
                max_abs_diff_values(&grad_w, &want) < 1e-4,
                "weights of {shape:?}"
            );

            // The transposed convolution from `half` up to `side` connects the same pixels the
            // other way: its input is the small side, its output gradient the large one.
            let x = rectified(&mut rng, images * half * half * channels);
            let pixels = SparseRows::from_rows(&x, images * half * half, channels);
            let g = rng.normal_vec(images * side * side * out);
            let mut want = vec![0.0f32; channels * out * TAPS];
            for (t, [n, big_y, big_x], [_, small_y, small_x]) in connections(images, side) {
                let p = (n * half + small_y) * half + small_x;
                let r = (n * side + big_y) * side + big_x;
                for (c, o) in (0..channels).flat_map(|c| (0..out).map(move |o| (c, o))) {
                    want[(c * out + o) * TAPS + t] += x[p * channels + c] * g[r * out + o];
                }
            }
            let grad_w = deconv_weight_grad(&pixels, &g, images, half);
            assert!(
                max_abs_diff_values(&grad_w, &want) < 1e-4,
                "transposed weights of {shape:?}"
            );
        }
    }
}
