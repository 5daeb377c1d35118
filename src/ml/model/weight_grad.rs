//! A layer's weight gradient `gᵀ·x` (out×in, from its input `x` n×in and its output's gradient
//! `g` n×out), by whichever of two routes costs less for the shapes at hand.
//!
//! The sparse route skips the zeros of `x` (a ReLU's output, a digit's background): it computes
//! `xᵀ·g` with the sparse kernel (rows of `xᵀ` are what is sparse), written out transposed
//! (`kernels/sparse_t.rs`, since 2026-12-05; before, a separate transpose pass over the result).
//! The dense route is one `gemm` product `gᵀ·x` written in place. Writing transposed costs in
//! proportion to the weight, whatever the rows, and a large weight is written slowly (its lines
//! are far apart): for a 64×64 colour MLP-VAE's output layer, cut into pieces of 16 pictures,
//! the transpose alone was 13.5% of a step, and the dense route takes half the sparse one's time.
//! So the choice is a cost estimate ([`dense_is_cheaper`]) from times measured in wasm. Its
//! figures were taken with the separate transpose: the sparse route now costs somewhat less
//! than they say (the digits MLP-VAE trained 6–11% faster on two threads without the pass), so
//! a shape near the line may go dense where sparse would now win; the shapes the models use
//! are far from it (the test below).
//!
//! Used by the MLP's sparse layers (`sparse_affine`) and by the Conv-VAE's layers on the patch
//! matrix's path (`conv_op::sparse`).

use candle_core::{CpuStorage, CustomOp2, Layout, Result, Shape};

use crate::ml::cpu_slices::f32_slice;
use crate::ml::kernels::sparse::{Panels, SparseRows};
use crate::ml::kernels::sparse_t::sparse_times_dense_transposed;

/// Above this share of non-zeros in the input, the weight gradient `gᵀ·x` is one dense product
/// (`gemm`) instead of the sparse `xᵀ·g` and a transpose of the result: with nothing to skip the
/// sparse route only adds that transpose, which for a 64×64 colour input layer (400 × 12,288
/// values, a 48 KB stride) was a quarter of a step.
const DENSE_ABOVE: f32 = 0.75;

/// Whether more than [`DENSE_ABOVE`] of `x`'s values are non-zero: then a product by `x` is
/// cheaper dense.
pub(crate) fn mostly_non_zero(x: &[f32]) -> bool {
    non_zeros(x) as f32 > DENSE_ABOVE * x.len() as f32
}

fn non_zeros(x: &[f32]) -> usize {
    x.iter().filter(|&&v| v != 0.0).count()
}

/// `gᵀ·x` (m×k) from `g` (n×m) and `x` (n×k), row-major, with the `gemm` crate.
fn dense_weight_grad(x: &[f32], g: &[f32], n: usize, m: usize, k: usize) -> Vec<f32> {
    assert!(x.len() == n * k && g.len() == n * m);
    let mut grad_w = vec![0.0f32; m * k];
    // SAFETY: the buffers are contiguous, row-major and of the sizes checked above: the result
    // is m×k (row stride k), gᵀ is read from g (n×m) with row stride 1 and column stride m, and
    // x is n×k (row stride k).
    unsafe {
        gemm::gemm(
            m,
            k,
            n,
            grad_w.as_mut_ptr(),
            1,
            k as isize,
            false,
            g.as_ptr(),
            m as isize,
            1,
            x.as_ptr(),
            1,
            k as isize,
            0.0f32,
            1.0f32,
            false,
            false,
            false,
            gemm::Parallelism::None,
        );
    }
    grad_w
}

/// What the routes cost in wasm, in ns per multiply-add of the dense product and per non-zero
/// times output column of the sparse one. Fitted to both routes timed in Chromium 156 over the
/// models' layer shapes (the 2-core AMD EPYC VM, 2026-12-04; the README's "Large pictures in the
/// worker" has the table): e.g. 16 rows, 400 → 12,288 at half non-zeros: sparse and transpose
/// 20.7 ms, dense 10.0 ms; 128 rows, 400 → 784: 1.7 ms and 2.5 ms.
const DENSE_NS_PER_PRODUCT: f64 = 0.09;
const SPARSE_NS_PER_PRODUCT: f64 = 0.073;
/// What transposing a value of the result cost, in ns, as a separate pass (an upper bound for
/// writing it out transposed): ~1 while the weight stays in the cache, ~3.6 for a larger one
/// (4.9 M values, 20 MB).
fn transpose_ns_per_value(values: usize) -> f64 {
    const CACHED_VALUES: usize = 2 << 20;
    if values <= CACHED_VALUES {
        1.0
    } else {
        3.6
    }
}

/// Whether the dense route is the cheaper one for `gᵀ·x` with `x` n×k holding `non_zeros`
/// non-zeros and `g` n×m: a mostly dense `x` ([`DENSE_ABOVE`]), or a weight whose transpose
/// costs more than the zeros the sparse route skips save (few rows against a large weight).
pub(crate) fn dense_is_cheaper(n: usize, m: usize, k: usize, non_zeros: usize) -> bool {
    if non_zeros as f32 > DENSE_ABOVE * (n * k) as f32 {
        return true;
    }
    let weight = (m * k) as f64;
    let dense = DENSE_NS_PER_PRODUCT * n as f64 * weight;
    let sparse =
        SPARSE_NS_PER_PRODUCT * (non_zeros * m) as f64 + transpose_ns_per_value(m * k) * weight;
    dense < sparse
}

/// `gᵀ·x` (out×in) from `x` (n×in, sparse) and `g` (n×out).
pub(crate) struct SparseWeightGrad {
    /// `x`'s non-zeros if the forward pass found them already.
    rows_of_x: Option<SparseRows>,
}

impl SparseWeightGrad {
    /// `rows_of_x`: `x`'s non-zeros if the forward pass found them already.
    pub(crate) fn new(rows_of_x: Option<SparseRows>) -> Self {
        Self { rows_of_x }
    }
}

impl CustomOp2 for SparseWeightGrad {
    fn name(&self) -> &'static str {
        "sparse-weight-grad"
    }

    fn cpu_fwd(
        &self,
        s1: &CpuStorage,
        l1: &Layout,
        s2: &CpuStorage,
        l2: &Layout,
    ) -> Result<(CpuStorage, Shape)> {
        let (n, k) = l1.shape().dims2()?;
        let (n2, m) = l2.shape().dims2()?;
        if n != n2 {
            candle_core::bail!(
                "weight gradient: input {:?} and output gradient {:?} differ in rows",
                l1.shape(),
                l2.shape()
            )
        }
        let (x, g) = (f32_slice(s1, l1, "input")?, f32_slice(s2, l2, "gradient")?);
        if dense_is_cheaper(n, m, k, non_zeros(x)) {
            let grad_w = dense_weight_grad(x, g, n, m, k);
            return Ok((CpuStorage::F32(grad_w), Shape::from((m, k))));
        }
        let columns_of_x = match &self.rows_of_x {
            Some(rows) if (rows.rows(), rows.width()) == (n, k) => rows.transposed(),
            _ => SparseRows::from_columns(x, n, k),
        };
        // `xᵀ·g` written transposed: `gᵀ·x` in the weight's layout, with no pass after it.
        let grad_w = sparse_times_dense_transposed(&columns_of_x, &Panels::from_rows(g, n, m));
        Ok((CpuStorage::F32(grad_w), Shape::from((m, k))))
    }
}

#[cfg(test)]
mod tests {
    use super::dense_is_cheaper;

    #[test]
    fn the_dense_route_takes_few_rows_against_a_large_weight_and_dense_inputs() {
        let half = |n: usize, k: usize| n * k / 2;
        // A 64×64 colour MLP-VAE's output layer, 16 or 32 pictures a piece.
        assert!(dense_is_cheaper(16, 12_288, 400, half(16, 400)));
        assert!(dense_is_cheaper(32, 12_288, 400, half(32, 400)));
        // A 32×32 colour one's: dense for 16 pictures, sparse for 64.
        assert!(dense_is_cheaper(16, 3_072, 400, half(16, 400)));
        assert!(!dense_is_cheaper(64, 3_072, 400, half(64, 400)));
        // The digits MLP-VAE's output and input layers stay sparse.
        assert!(!dense_is_cheaper(128, 784, 400, half(128, 400)));
        assert!(!dense_is_cheaper(64, 400, 784, 64 * 784 / 5));
        // A colour picture as input: dense.
        assert!(dense_is_cheaper(128, 400, 12_288, 128 * 12_288));
        // A Conv-VAE layer's patch rows: many rows, a small weight.
        assert!(!dense_is_cheaper(12_544, 32, 16, 12_544 * 4));
    }
}
