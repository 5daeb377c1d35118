//! Products whose left factor is mostly zeros: `C += S·B` with `S` given by its non-zero
//! entries, row by row.
//!
//! Two places in this project multiply by something sparse. A batch of MNIST digits is about 81%
//! zero pixels, so the first layer's product `x·Wᵀ` (and its weight gradient `xᵀ·g`) does a fifth
//! of a dense product's work when it skips them; and a decoder's hidden layer comes out of a
//! ReLU, so about half of what multiplies the output weights is zero. Each output row is built
//! 32 columns at a time in eight SIMD registers, adding `v·B[p, ..]` for every non-zero `v` at
//! column `p` of the row, from two packed 16-column panels of `B` that stay close at hand while
//! every row uses them (the last odd or partial panel alone, in four), 128 panel rows at a time
//! when `B` is deeper, so that what the rows pick stays in L1 ([`SparseRows::column_blocks`]:
//! the same additions in the same order, so the same sums to the bit).
//! Measured in Chromium's engine (V8): 100 decodes through a 400→784 layer with half its inputs
//! zero took 1.1 ms a panel at a time, against 2.2 ms for the `gemm` crate's dense product; two
//! panels a walk cut the kernel's share of an MLP-VAE step by a fifth (`profile.mjs`,
//! 2026-12-04).

use super::lanes::F4;
use super::sparse_rows::ColumnBlocks;

pub use super::panels::Panels;
pub(super) use super::panels::PANEL;
pub use super::sparse_rows::SparseRows;

/// Panel rows walked by every output row before the next: 16 KB of a pair of panels, half of
/// L1. A whole pair of a 784-row matrix is 100 KB, and a row's non-zeros pick from all over it.
/// 128, 192 and 256 timed alike; the MLP-VAE's first layer took 0.46 ms a call walked whole and
/// 0.35 in blocks (`kernels.mjs`, 2-core AMD EPYC, 2026-12-06).
const BLOCK_ROWS: usize = 128;

/// Adds `S·B` to `C`: `S` is `m × k` (its non-zeros), `B` `k × n` (packed), `C` row-major
/// `m × n`.
pub fn sparse_times_dense(s: &SparseRows, b: &Panels, c: &mut [f32]) {
    let (k, n) = b.shape();
    assert!(
        s.width() == k && c.len() == s.rows() * n,
        "S is {}×{}, B {k}×{n}, and C has {} values",
        s.rows(),
        s.width(),
        c.len()
    );
    // Two full panels at a time: each row's non-zeros are read once for 32 columns.
    let pairs = n / (2 * PANEL);
    let panels = n.div_ceil(PANEL);
    let cuts = match panels {
        0 => None,
        _ => s.column_blocks(BLOCK_ROWS),
    };
    let blocks = cuts.as_ref().map_or(1, ColumnBlocks::count);
    // Row `r`'s entries in block `block` (all of them when the panels are one block deep).
    let entries = |r: usize, block: usize| {
        let (columns, values) = s.row(r);
        match &cuts {
            Some(cuts) => {
                let span = cuts.span(r, block);
                (&columns[span.clone()], &values[span])
            }
            None => (columns, values),
        }
    };
    for q in (0..pairs).map(|pair| 2 * pair) {
        let pair = [b.panel(q), b.panel(q + 1)];
        let j0 = q * PANEL;
        for block in 0..blocks {
            for r in 0..s.rows() {
                let (columns, values) = entries(r, block);
                let (low, high) = c[r * n + j0..r * n + j0 + 2 * PANEL].split_at_mut(PANEL);
                let outs = [low, high].map(|o| o.try_into().expect("16 columns"));
                // SAFETY: `s` came from `from_rows` or `transposed`, so its column indices are
                // below its width, which equals k (asserted above); each panel row
                // p·16..p·16 + 16 therefore lies inside the k·16 values of each panel.
                unsafe { panel_rows([(columns, values, pair)], outs) };
            }
        }
    }
    for q in 2 * pairs..panels {
        let panel = b.panel(q);
        let j0 = q * PANEL;
        let width = PANEL.min(n - j0);
        for block in 0..blocks {
            for r in 0..s.rows() {
                let (columns, values) = entries(r, block);
                let out = &mut c[r * n + j0..r * n + j0 + width];
                // SAFETY: as above, for one panel.
                unsafe { panel_row([(columns, values, panel)], out) };
            }
        }
    }
}

/// A sparse row's column indices and values, and the panel rows they pick from.
pub(super) type Segment<'a> = (&'a [u32], &'a [f32], &'a [f32]);

/// `out += Σ v·panel[p, 0..out.len()]` over the entries `(p, v)` of every segment
/// `(columns, values, panel)`, for an `out` of at most 16 values (one panel's columns of an
/// output row), in four registers. An output row that sums several sparse rows, each against
/// its own panel (a transposed convolution's four input pixels, each through its own kernel
/// taps), loads and stores its accumulators once.
///
/// # Safety
/// Each segment's `panel` must hold `(p + 1)·16` values for every `p` in its `columns`.
#[inline(always)]
pub(super) unsafe fn panel_row<'a>(
    segments: impl IntoIterator<Item = Segment<'a>>,
    out: &mut [f32],
) {
    let width = out.len();
    if width >= PANEL {
        // SAFETY: the caller's contract, and `out` holds at least 16 values.
        unsafe { full_panel_row(segments, out) };
    } else {
        // A panel past the last column: through a 16-value scratch row.
        let mut edge = [0.0f32; PANEL];
        edge[..width].copy_from_slice(out);
        // SAFETY: the caller's contract, and `edge` holds 16 values.
        unsafe { full_panel_row(segments, &mut edge) };
        out.copy_from_slice(&edge[..width]);
    }
}

/// [`panel_row`] for an `out` of at least 16 values (the first 16 are written).
///
/// # Safety
/// As [`panel_row`]'s, and `out` must hold at least 16 values.
#[inline(always)]
unsafe fn full_panel_row<'a>(segments: impl IntoIterator<Item = Segment<'a>>, out: &mut [f32]) {
    const W: usize = PANEL / 4;
    debug_assert!(out.len() >= PANEL);
    let out = out.as_mut_ptr();
    // SAFETY: `out` holds at least 16 values (the caller's contract), so the four loads of
    // four values at 0, 4, 8 and 12 stay inside it.
    let mut acc: [F4; W] = std::array::from_fn(|w| unsafe { F4::load(out.add(4 * w)) });
    for (columns, values, panel) in segments {
        let base = panel.as_ptr();
        for (&p, &v) in columns.iter().zip(values) {
            debug_assert!((p as usize + 1) * PANEL <= panel.len());
            // SAFETY: the caller guarantees (p + 1)·16 <= panel.len(), so the row starting at
            // p·16 and the four loads of four values in it lie inside `panel`.
            let row = unsafe { base.add(p as usize * PANEL) };
            let v = F4::splat(v);
            for (w, a) in acc.iter_mut().enumerate() {
                // SAFETY: as above, 4·w + 4 <= 16 values from the start of the row.
                *a = a.mul_add(v, unsafe { F4::load(row.add(4 * w)) });
            }
        }
    }
    for (w, a) in acc.iter().enumerate() {
        // SAFETY: the same 16 values of `out` that were loaded above.
        unsafe { a.store(out.add(4 * w)) };
    }
}

/// A sparse row's column indices and values, and the panel rows of each of `N` outputs they
/// pick from.
pub(super) type Segments<'a, const N: usize> = (&'a [u32], &'a [f32], [&'a [f32]; N]);

/// The segments of one output row that reads, for each `(slot, row)` of `reads` (at most `S`),
/// row `row` of `x` through slot `slot`'s `x.width()·16` weights in each of `panels` (a kernel
/// tap's rows of a panel): `S` segments of which the first `count` are filled, and `count`.
#[inline(always)]
pub(super) fn gather<'a, const N: usize, const S: usize>(
    x: &'a SparseRows,
    reads: impl IntoIterator<Item = (usize, usize)>,
    panels: [&'a [f32]; N],
) -> ([Segments<'a, N>; S], usize) {
    let slot = x.width() * PANEL;
    let mut segments: [Segments<N>; S] = [(&[], &[], [&[]; N]); S];
    let mut count = 0;
    for (s, row) in reads {
        let (columns, values) = x.row(row);
        segments[count] = (
            columns,
            values,
            panels.map(|p| &p[s * slot..(s + 1) * slot]),
        );
        count += 1;
    }
    (segments, count)
}

/// [`full_panel_row`] for `N` output rows that read the same sparse rows, each from panel rows
/// of its own: `outs[i] += Σ v·rows[i][p, ..]` over the entries `(p, v)` of every segment
/// `(columns, values, rows)`, in `4·N` registers. Each entry is loaded and its value broadcast
/// once, not `N` times: a weight gradient's taps that read the same pixels at different shifts
/// ([`super::tap_grad`]), or two 16-column panels of outputs ([`sparse_times_dense`],
/// [`super::conv`], [`super::deconv`]).
///
/// # Safety
/// Each of a segment's `rows` must hold `(p + 1)·16` values for every `p` in its `columns`.
#[inline(always)]
pub(super) unsafe fn panel_rows<'a, const N: usize>(
    segments: impl IntoIterator<Item = Segments<'a, N>>,
    outs: [&mut [f32; PANEL]; N],
) {
    const W: usize = PANEL / 4;
    let mut acc: [[F4; W]; N] = std::array::from_fn(|i| {
        // SAFETY: each `out` holds 16 values, so the loads of four values at 0, 4, 8 and 12
        // stay inside it.
        std::array::from_fn(|w| unsafe { F4::load(outs[i].as_ptr().add(4 * w)) })
    });
    for (columns, values, rows) in segments {
        let bases = rows.map(<[f32]>::as_ptr);
        for (&p, &v) in columns.iter().zip(values) {
            let v = F4::splat(v);
            for (i, sums) in acc.iter_mut().enumerate() {
                debug_assert!((p as usize + 1) * PANEL <= rows[i].len());
                // SAFETY: the caller guarantees (p + 1)·16 <= rows[i].len(), so the row
                // starting at p·16 and the four loads of four values in it lie inside
                // `rows[i]`.
                let row = unsafe { bases[i].add(p as usize * PANEL) };
                for (w, a) in sums.iter_mut().enumerate() {
                    // SAFETY: as above, 4·w + 4 <= 16 values from the start of the row.
                    *a = a.mul_add(v, unsafe { F4::load(row.add(4 * w)) });
                }
            }
        }
    }
    for (out, sums) in outs.into_iter().zip(acc) {
        for (w, a) in sums.iter().enumerate() {
            // SAFETY: the same 16 values of `out` that were loaded above.
            unsafe { a.store(out.as_mut_ptr().add(4 * w)) };
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ml::kernels::transpose::transpose;
    use crate::ml::rng::Rng;
    use crate::ml::tensor_diff::max_abs_diff_values;

    /// A rows×cols matrix with about `density` of its entries non-zero.
    fn sparse_matrix(rng: &mut Rng, rows: usize, cols: usize, density: f32) -> Vec<f32> {
        (0..rows * cols)
            .map(|_| {
                let keep = rng.uniform(0.0, 1.0) < density;
                let v = rng.normal();
                if keep {
                    v
                } else {
                    0.0
                }
            })
            .collect()
    }

    fn plain_product(a: &[f32], b: &[f32], m: usize, k: usize, n: usize) -> Vec<f32> {
        let mut c = vec![0.0f64; m * n];
        for i in 0..m {
            for p in 0..k {
                for j in 0..n {
                    c[i * n + j] += a[i * k + p] as f64 * b[p * n + j] as f64;
                }
            }
        }
        c.into_iter().map(|v| v as f32).collect()
    }

    #[test]
    fn sparse_product_matches_the_plain_product_for_every_width() {
        let mut rng = Rng::new(3);
        // Widths that exercise the 32-column chunks, the 4-column chunks and the scalar tail;
        // depths past one block of panel rows (one ending on a block's edge).
        for (m, k, n) in [
            (5, 37, 784),
            (3, 20, 400),
            (4, 9, 35),
            (2, 6, 3),
            (1, 1, 1),
            (6, 300, 70),
            (3, 256, 64),
        ] {
            let a = sparse_matrix(&mut rng, m, k, 0.3);
            let b = rng.normal_vec(k * n);
            let start = rng.normal_vec(m * n);
            let mut c = start.clone();
            sparse_times_dense(
                &SparseRows::from_rows(&a, m, k),
                &Panels::from_rows(&b, k, n),
                &mut c,
            );
            let mut expected = plain_product(&a, &b, m, k, n);
            for (e, s) in expected.iter_mut().zip(&start) {
                *e += s;
            }
            let diff = max_abs_diff_values(&c, &expected);
            assert!(diff < 1e-4, "{m}×{k}·{k}×{n}: off by {diff}");
        }
    }

    #[test]
    fn walking_the_panels_in_blocks_adds_in_the_same_order_bit_for_bit() {
        let mut rng = Rng::new(6);
        // Three blocks deep; two pairs of panels and a lone one.
        let (m, k, n) = (5, 300, 80);
        let s = SparseRows::from_rows(&sparse_matrix(&mut rng, m, k, 0.4), m, k);
        let b = Panels::from_rows(&rng.normal_vec(k * n), k, n);
        let mut blocked = vec![0.5f32; m * n];
        sparse_times_dense(&s, &b, &mut blocked);
        // Each row whole against each panel, as the product did before it had blocks.
        let mut whole = vec![0.5f32; m * n];
        for r in 0..m {
            let (columns, values) = s.row(r);
            for q in 0..n.div_ceil(PANEL) {
                let out = &mut whole[r * n + q * PANEL..r * n + (q + 1) * PANEL];
                // SAFETY: `s`'s columns are below k, and each panel holds k·16 values.
                unsafe { panel_row([(columns, values, b.panel(q))], out) };
            }
        }
        assert_eq!(blocked, whole);
    }

    #[test]
    fn column_lists_give_the_transposed_product() {
        let mut rng = Rng::new(4);
        let (m, k, n) = (7, 30, 40);
        let x = sparse_matrix(&mut rng, m, k, 0.2);
        let g = rng.normal_vec(m * n);
        let columns = SparseRows::from_columns(&x, m, k);
        assert_eq!((columns.rows(), columns.width()), (k, m));
        assert_eq!(columns.entries(), x.iter().filter(|v| **v != 0.0).count());
        let mut xt_g = vec![0.0; k * n];
        sparse_times_dense(&columns, &Panels::from_rows(&g, m, n), &mut xt_g);
        let mut xt = vec![0.0; k * m];
        transpose(&x, m, k, &mut xt);
        let diff = max_abs_diff_values(&xt_g, &plain_product(&xt, &g, k, m, n));
        assert!(diff < 1e-4, "xᵀ·g off by {diff}");
    }

    #[test]
    fn an_all_zero_row_leaves_its_output_alone() {
        let a = [0.0, 0.0, 1.0, 2.0];
        let b = [1.0, 2.0, 3.0, 4.0];
        let mut c = [10.0, 20.0, 30.0, 40.0];
        sparse_times_dense(
            &SparseRows::from_rows(&a, 2, 2),
            &Panels::from_rows(&b, 2, 2),
            &mut c,
        );
        assert_eq!(c, [10.0, 20.0, 30.0 + 1.0 + 6.0, 40.0 + 2.0 + 8.0]);
    }

    #[test]
    fn transposed_panels_pack_the_transpose() {
        let mut rng = Rng::new(5);
        let (m, k, n) = (3, 21, 37);
        let a = sparse_matrix(&mut rng, m, k, 0.5);
        let w = rng.normal_vec(n * k);
        let mut wt = vec![0.0; k * n];
        transpose(&w, n, k, &mut wt);
        let mut c1 = vec![0.0; m * n];
        let mut c2 = vec![0.0; m * n];
        let s = SparseRows::from_rows(&a, m, k);
        sparse_times_dense(&s, &Panels::from_transposed(&w, n, k), &mut c1);
        sparse_times_dense(&s, &Panels::from_rows(&wt, k, n), &mut c2);
        assert_eq!(c1, c2);
    }
}
