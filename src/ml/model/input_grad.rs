//! The gradient a fully connected layer `x·Wᵀ + b` in wasm ([`super::sparse_affine`]) gives
//! its input: none, all of `g·W`, or `g·W` only where `x` is non-zero when `x` came out of a
//! ReLU, whose backward would zero the rest ([`masked_times_transposed`]). The decoder's output
//! layer is such a layer: its input gradient was the dense `gemm` product `g·W` (n×784 by
//! 784×400), 23% of a one-thread profile of an MLP-VAE step, and half of it was dropped by the
//! ReLU right after.

use candle_core::{CpuStorage, CustomOp2, Layout, Result, Shape, Tensor, TensorId};

use crate::ml::cpu_slices::f32_slice;
use crate::ml::held;
use crate::ml::kernels::masked::masked_times_transposed;
use crate::ml::kernels::sparse::SparseRows;

/// The gradient the backward pass of [`sparse_affine`] gives its input `x`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InputGrad {
    /// None: `x` is data (the first layer), nothing learns from it.
    None,
    /// All of `g·W`.
    Full,
    /// `g·W` where `x` is non-zero and 0 elsewhere, for an `x` that is a ReLU's output: the
    /// ReLU's backward zeroes the rest anyway. (Where the ReLU's input was exactly 0 it would
    /// pass a value on; 0 is as much a subgradient there, and a sum of products lands on
    /// exactly 0 rarely.)
    ThroughRelu,
}

/// The gradient of `x` for a layer with weight `w` (out×in) whose output's gradient is `grad`
/// (n×out): `rows_of_x` are `x`'s non-zeros when the forward pass listed them, `weight` the
/// weight's variable (for its packing, [`held`]).
pub(super) fn input_gradient(
    asked: InputGrad,
    grad: &Tensor,
    w: &Tensor,
    rows_of_x: Option<&SparseRows>,
    weight: Option<TensorId>,
) -> Result<Option<Tensor>> {
    Ok(match (asked, rows_of_x) {
        (InputGrad::None, _) => None,
        (InputGrad::ThroughRelu, Some(rows_of_x)) => {
            Some(grad.apply_op2_no_bwd(w, &MaskedInputGrad { rows_of_x, weight })?)
        }
        // Few rows (the forward product was dense and listed no non-zeros), or all asked for.
        (InputGrad::ThroughRelu, None) | (InputGrad::Full, _) => Some(grad.matmul(w)?),
    })
}

/// `g·W` (n×in, from the output's gradient `g` n×out and the weight `W` out×in) where the
/// layer's input `x` is non-zero ([`InputGrad::ThroughRelu`]), from the packing of `Wᵀ` the
/// forward product used.
struct MaskedInputGrad<'a> {
    rows_of_x: &'a SparseRows,
    weight: Option<TensorId>,
}

impl CustomOp2 for MaskedInputGrad<'_> {
    fn name(&self) -> &'static str {
        "masked-input-grad"
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
        if m != m2 || (self.rows_of_x.rows(), self.rows_of_x.width()) != (n, k) {
            candle_core::bail!(
                "input gradient: output gradient {:?}, weight {:?} and input {}×{} do not fit",
                l1.shape(),
                l2.shape(),
                self.rows_of_x.rows(),
                self.rows_of_x.width()
            )
        }
        let (g, w) = (f32_slice(s1, l1, "gradient")?, f32_slice(s2, l2, "weight")?);
        let panels = held::transposed_panels(self.weight, w, m, k);
        let mut grad_x = vec![0.0; n * k];
        masked_times_transposed(self.rows_of_x, g, &panels, &mut grad_x);
        Ok((CpuStorage::F32(grad_x), Shape::from((n, k))))
    }
}
