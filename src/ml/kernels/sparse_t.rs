//! `S·B` written transposed: a weight gradient built as `xᵀ·g` (rows of `xᵀ` are what is
//! sparse) lands in the weight's own layout, `gᵀ·x`, with no transpose pass after it.
//!
//! Four rows of `S` are built at a time, each panel's 16 columns of them in a scratch block
//! that stays in L1, and the block goes out through 4×4 register transposes: four consecutive
//! values into each of 16 rows of the result. The separate transpose it replaces read and wrote
//! the whole weight again (1.25 MB for each of the digits MLP's two large layers, each step, on
//! each thread).

use std::mem::MaybeUninit;

use super::lanes::F4;
use super::sparse::{panel_rows, Panels, SparseRows, PANEL};

/// `(S·B)ᵀ`: `S` is `m × k` (its non-zeros), `B` `k × n` (packed), the result row-major
/// `n × m`. Its buffer is not zeroed first, as every value is written: zeroing a 784 × 400
/// weight's gradient took 1.4–1.8% of each training thread's time (`run-profile.mjs`,
/// 2026-12-06).
pub fn sparse_times_dense_transposed(s: &SparseRows, b: &Panels) -> Vec<f32> {
    let len = s.rows() * b.shape().1;
    let mut ct = Vec::with_capacity(len);
    write_transposed_product(s, b, &mut ct.spare_capacity_mut()[..len]);
    // SAFETY: the product wrote every one of the `len` values (its contract, pinned by
    // `the_product_comes_out_transposed_for_every_shape_edge`, which starts from NaN).
    unsafe { ct.set_len(len) };
    ct
}

/// Writes `(S·B)ᵀ` into `ct` (`n × m`), every value of it: none is added to, so it may start
/// uninitialised.
fn write_transposed_product(s: &SparseRows, b: &Panels, ct: &mut [MaybeUninit<f32>]) {
    let (k, n) = b.shape();
    let m = s.rows();
    assert!(
        s.width() == k && ct.len() == m * n,
        "S is {m}×{}, B {k}×{n}, and Cᵀ has {} values",
        s.width(),
        ct.len()
    );
    // Two full panels at a time: each row's non-zeros are read once for 32 columns.
    let pairs = n / (2 * PANEL);
    for q in (0..pairs).map(|pair| 2 * pair) {
        let panels = [b.panel(q), b.panel(q + 1)];
        for r0 in (0..m).step_by(4) {
            let mut blocks = [[[0.0f32; PANEL]; 4]; 2];
            let [low, high] = &mut blocks;
            for (i, (lo, hi)) in low.iter_mut().zip(high.iter_mut()).enumerate() {
                if r0 + i < m {
                    let (columns, values) = s.row(r0 + i);
                    // SAFETY: `s`'s column indices are below its width, which equals k
                    // (asserted above), and each panel holds k·16 values.
                    unsafe { panel_rows([(columns, values, panels)], [lo, hi]) };
                }
            }
            for (half, block) in blocks.iter().enumerate() {
                write_block(block, PANEL, (q + half) * PANEL, r0, m, ct);
            }
        }
    }
    for q in 2 * pairs..n.div_ceil(PANEL) {
        let panel = b.panel(q);
        let width = PANEL.min(n - q * PANEL);
        for r0 in (0..m).step_by(4) {
            let mut block = [[0.0f32; PANEL]; 4];
            for (i, out) in block.iter_mut().enumerate() {
                if r0 + i < m {
                    let (columns, values) = s.row(r0 + i);
                    // SAFETY: as above, for one panel.
                    unsafe { panel_rows([(columns, values, [panel])], [out]) };
                }
            }
            write_block(&block, width, q * PANEL, r0, m, ct);
        }
    }
}

/// Writes the first `width` columns of `block` (rows `r0..r0 + 4` of `S·B`, columns `j0..`) as
/// rows `j0..j0 + width`, columns `r0..` of `ct` (`m` columns), leaving out rows past `m`.
#[inline(always)]
fn write_block(
    block: &[[f32; PANEL]; 4],
    width: usize,
    j0: usize,
    r0: usize,
    m: usize,
    ct: &mut [MaybeUninit<f32>],
) {
    let lines = (m - r0).min(4);
    let mut done = 0;
    if lines == 4 {
        for c in (0..width - width % 4).step_by(4) {
            // SAFETY: c + 4 <= width <= 16, so each load reads four values of a 16-value row.
            let t = F4::transpose(std::array::from_fn(|i| unsafe {
                F4::load(block[i].as_ptr().add(c))
            }));
            for (i, v) in t.into_iter().enumerate() {
                let at = (j0 + c + i) * m + r0;
                let out = &mut ct[at..at + 4];
                // SAFETY: `out` is four values of `ct`, bounds-checked just above
                // (`MaybeUninit<f32>` has f32's layout).
                unsafe { v.store(out.as_mut_ptr().cast::<f32>()) };
            }
        }
        done = width - width % 4;
    }
    for c in done..width {
        for (i, row) in block.iter().enumerate().take(lines) {
            ct[(j0 + c) * m + r0 + i].write(row[c]);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ml::rng::Rng;

    #[test]
    fn the_product_comes_out_transposed_for_every_shape_edge() {
        let mut rng = Rng::new(3);
        // Rows off the blocks of four, columns off the panels and their pairs, an empty row.
        for (m, k, n) in [
            (9, 7, 40),
            (4, 3, 16),
            (13, 20, 33),
            (1, 5, 3),
            (64, 30, 80),
        ] {
            let mut dense = rng.normal_vec(m * k);
            for (i, v) in dense.iter_mut().enumerate() {
                if i % 3 != 0 || i / k == 2 {
                    *v = 0.0; // two thirds zeros, and row 2 empty
                }
            }
            let b = rng.normal_vec(k * n);
            // NaN where nothing is written, so that a value left unwritten fails.
            let mut written = vec![MaybeUninit::new(f32::NAN); m * n];
            let (s, b_panels) = (
                SparseRows::from_rows(&dense, m, k),
                Panels::from_rows(&b, k, n),
            );
            write_transposed_product(&s, &b_panels, &mut written);
            // SAFETY: every value was initialised (NaN) before the product.
            let ct: Vec<f32> = written.iter().map(|v| unsafe { v.assume_init() }).collect();
            assert_eq!(ct, sparse_times_dense_transposed(&s, &b_panels));
            for r in 0..m {
                for j in 0..n {
                    let plain: f32 = (0..k).map(|p| dense[r * k + p] * b[p * n + j]).sum();
                    let got = ct[j * m + r];
                    assert!(
                        (got - plain).abs() <= 1e-5 * (1.0 + plain.abs()),
                        "{m}×{k}·{k}×{n} at ({r}, {j}): {got} against {plain}"
                    );
                }
            }
        }
    }
}
