//! A product computed only where a mask is non-zero: `G·Bᵀ` at the non-zeros of a matrix of
//! the result's shape. It is the input gradient of a layer whose input a ReLU made.
//!
//! A layer `y = h·Wᵀ + b` gives its input the gradient `g·W`, and when `h` is a ReLU's output,
//! the ReLU's backward keeps that gradient only where `h` was non-zero. For the digits' MLP-VAE,
//! whose decoder's output layer is such a layer (`g` n×784, `W` 784×400, `h` about half zeros),
//! the dense product was a third of a training step's multiply-adds and 23% of a one-thread
//! profile (the `gemm` crate's kernel, `profile.mjs`, 2026-12-05); half of it was thrown away.
//!
//! Each entry kept is a dot product of a row of `G` with a row of `B` (`B = Wᵀ`, the very
//! panels the forward pass multiplied by). The panels are walked one or two at a time (16 or 32
//! columns), so the panel read stays in the cache while every row of `G` visits it, and four
//! entries of a row are summed together: their four dot products are four registers, folded
//! into one by a transpose and added to the entries' running sums.

use super::lanes::F4;
use super::sparse::{Panels, SparseRows, PANEL};

/// Writes `Σ_c G[r, c]·B[p, c]` at `out[r, p]` for every non-zero `(r, p)` of `mask`, leaving
/// the rest of `out` as it was. `G` is row-major `rows × n`, `B` is `k × n` (packed:
/// [`Panels::shape`] is `(k, n)`), `mask` and `out` are `rows × k`.
pub fn masked_times_transposed(mask: &SparseRows, g: &[f32], b: &Panels, out: &mut [f32]) {
    let (k, n) = b.shape();
    let rows = mask.rows();
    assert!(
        mask.width() == k && g.len() == rows * n && out.len() == rows * k,
        "mask {}×{}, G {} values, B {k}×{n}, out {} values",
        rows,
        mask.width(),
        g.len(),
        out.len()
    );
    let mut sums = vec![0.0f32; mask.entries()];
    let panels = n.div_ceil(PANEL);
    let pairs = panels / 2;
    for q in (0..pairs).map(|pair| 2 * pair) {
        add_dots(mask, g, n, q, [b.panel(q), b.panel(q + 1)], &mut sums);
    }
    if panels % 2 == 1 {
        let q = panels - 1;
        add_dots(mask, g, n, q, [b.panel(q)], &mut sums);
    }
    let mut sums = sums.into_iter();
    for r in 0..rows {
        let (columns, _) = mask.row(r);
        let out_row = &mut out[r * k..(r + 1) * k];
        for (&p, sum) in columns.iter().zip(&mut sums) {
            out_row[p as usize] = sum;
        }
    }
}

/// Adds to each entry's sum in `sums` (in `mask`'s order) its dot product over the columns of
/// the `N` panels from panel `q` on.
fn add_dots<const N: usize>(
    mask: &SparseRows,
    g: &[f32],
    n: usize,
    q: usize,
    panels: [&[f32]; N],
    sums: &mut [f32],
) {
    let mut at = 0;
    for r in 0..mask.rows() {
        let (columns, _) = mask.row(r);
        let row_sums = &mut sums[at..at + columns.len()];
        at += columns.len();
        if columns.is_empty() {
            continue;
        }
        // This row's values of G under the panels, zero past the last column (as the panels).
        let mut values = [[0.0f32; PANEL]; N];
        for (i, chunk) in values.iter_mut().enumerate() {
            let c0 = (q + i) * PANEL;
            let width = PANEL.min(n.saturating_sub(c0));
            chunk[..width].copy_from_slice(&g[r * n + c0..r * n + c0 + width]);
        }
        // SAFETY: each chunk holds 16 values, four groups of four.
        let lanes: [[F4; 4]; N] =
            values.map(|chunk| std::array::from_fn(|l| unsafe { F4::load(&chunk[4 * l]) }));
        let mut quads = columns.chunks_exact(4);
        let mut quad_sums = row_sums.chunks_exact_mut(4);
        for (quad, four) in (&mut quads).zip(&mut quad_sums) {
            let quad = [quad[0], quad[1], quad[2], quad[3]];
            // SAFETY: `mask`'s columns are below its width, asserted equal to k, so each
            // panel row p·16..p·16 + 16 lies inside the panel's k·16 values; `four` holds four.
            unsafe {
                let dots = four_dots(&panels, quad, &lanes);
                F4::load(four.as_ptr()).add(dots).store(four.as_mut_ptr());
            }
        }
        let (rest, rest_sums) = (quads.remainder(), quad_sums.into_remainder());
        if let Some(&last) = rest.last() {
            // One to three entries left: the last repeated to make four, the extra dropped.
            let quad = std::array::from_fn(|i| rest.get(i).copied().unwrap_or(last));
            let mut dots = [0.0f32; 4];
            // SAFETY: as above; `dots` holds four.
            unsafe { four_dots(&panels, quad, &lanes).store(dots.as_mut_ptr()) };
            for (sum, dot) in rest_sums.iter_mut().zip(dots) {
                *sum += dot;
            }
        }
    }
}

/// The dot products of this row's values `lanes` with panel rows `quad[0..4]` of every panel,
/// as the four lanes of one register.
///
/// # Safety
/// Every panel must hold `(p + 1)·16` values for each `p` in `quad`.
#[inline(always)]
unsafe fn four_dots<const N: usize>(
    panels: &[&[f32]; N],
    quad: [u32; 4],
    lanes: &[[F4; 4]; N],
) -> F4 {
    let dots = quad.map(|p| {
        // Two sums, so each chain of additions is half as long.
        let (mut even, mut odd) = (F4::splat(0.0), F4::splat(0.0));
        for (panel, lanes) in panels.iter().zip(lanes) {
            let row = panel.as_ptr().wrapping_add(p as usize * PANEL);
            // SAFETY: the caller's contract: 16 readable values from `row`.
            unsafe {
                even = even.mul_add(lanes[0], F4::load(row));
                odd = odd.mul_add(lanes[1], F4::load(row.add(4)));
                even = even.mul_add(lanes[2], F4::load(row.add(8)));
                odd = odd.mul_add(lanes[3], F4::load(row.add(12)));
            }
        }
        even.add(odd)
    });
    // Lane j of the transpose's rows holds dot j's four partial sums.
    let [a, b, c, d] = F4::transpose(dots);
    a.add(b).add(c.add(d))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ml::rng::Rng;

    /// `rows × width` values, about `density` of them non-zero.
    fn sparse(rng: &mut Rng, rows: usize, width: usize, density: f32) -> Vec<f32> {
        (0..rows * width)
            .map(|_| {
                let v = rng.uniform(0.1, 1.0);
                if rng.uniform(0.0, 1.0) < density {
                    v
                } else {
                    0.0
                }
            })
            .collect()
    }

    #[test]
    fn masked_entries_are_the_dense_products_and_the_rest_is_untouched() {
        let mut rng = Rng::new(31);
        // The MLP's own shape, shapes off the 16-column panels (an odd panel count, a partial
        // last panel), rows with fewer than four entries, and an all-zero mask row.
        for (rows, k, n, density) in [
            (9, 400, 784, 0.5),
            (5, 37, 19, 0.3),
            (4, 3, 40, 0.9),
            (3, 13, 33, 0.05),
        ] {
            let mut mask = sparse(&mut rng, rows, k, density);
            mask[..k].fill(0.0);
            let g = rng.normal_vec(rows * n);
            let w = rng.normal_vec(n * k); // n × k: B = Wᵀ is k × n
            let panels = Panels::from_transposed(&w, n, k);
            let mut out = vec![7.0f32; rows * k];
            masked_times_transposed(
                &SparseRows::from_rows(&mask, rows, k),
                &g,
                &panels,
                &mut out,
            );
            for r in 0..rows {
                for p in 0..k {
                    let got = out[r * k + p];
                    if mask[r * k + p] == 0.0 {
                        assert_eq!(got, 7.0, "({r}, {p}) is outside the mask");
                        continue;
                    }
                    let want: f32 = (0..n).map(|c| g[r * n + c] * w[c * k + p]).sum();
                    assert!(
                        (got - want).abs() < 1e-4 * want.abs().max(1.0),
                        "{rows}×{k}·{n}: ({r}, {p}) is {got}, not {want}"
                    );
                }
            }
        }
    }
}
