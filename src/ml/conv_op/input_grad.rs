//! A layer's input gradient on the patch matrix's path: `g·W`, skipping the zeros of the
//! output's gradient `g` where it has enough of them.

use candle_core::{CpuStorage, CustomOp2, Layout, Result, Shape};

use crate::ml::cpu_slices::f32_slice;
use crate::ml::kernels::sparse::{sparse_times_dense, Panels, SparseRows};
use crate::ml::model::mostly_non_zero;

/// `g·W` (n×k) from the output gradient `g` (n×m) and `W` (m×k): skipping the zeros of `g`
/// unless more than three quarters of it is non-zero ([`mostly_non_zero`]: then one `gemm`
/// product). A layer that a ReLU follows gets back a gradient that is zero wherever the ReLU
/// was off, about half of it; the last one (the loss's gradient) takes the `gemm` product.
pub(super) struct InputGrad;

impl CustomOp2 for InputGrad {
    fn name(&self) -> &'static str {
        "sparse-input-grad"
    }

    fn cpu_fwd(
        &self,
        s1: &CpuStorage,
        l1: &Layout,
        s2: &CpuStorage,
        l2: &Layout,
    ) -> Result<(CpuStorage, Shape)> {
        let (n, m) = l1.shape().dims2()?;
        let (m2, k) = l2.shape().dims2()?;
        if m != m2 {
            candle_core::bail!(
                "input gradient: output gradient {:?} and weight {:?} do not fit",
                l1.shape(),
                l2.shape()
            )
        }
        let (g, w) = (f32_slice(s1, l1, "gradient")?, f32_slice(s2, l2, "weight")?);
        let mut grad_x = vec![0.0f32; n * k];
        if mostly_non_zero(g) {
            dense_product(g, w, n, m, k, &mut grad_x);
        } else {
            let rows = SparseRows::from_rows(g, n, m);
            sparse_times_dense(&rows, &Panels::from_rows(w, m, k), &mut grad_x);
        }
        Ok((CpuStorage::F32(grad_x), Shape::from((n, k))))
    }
}

/// `c = a·b` (`a` n×m, `b` m×k, `c` n×k, all row-major) with the `gemm` crate, on this thread.
fn dense_product(a: &[f32], b: &[f32], n: usize, m: usize, k: usize, c: &mut [f32]) {
    assert!(a.len() == n * m && b.len() == m * k && c.len() == n * k);
    // SAFETY: the three buffers are contiguous, row-major and of the sizes checked above.
    unsafe {
        gemm::gemm(
            n,
            k,
            m,
            c.as_mut_ptr(),
            1,
            k as isize,
            false,
            a.as_ptr(),
            1,
            m as isize,
            b.as_ptr(),
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
}
