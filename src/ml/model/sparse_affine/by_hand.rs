//! [`SparseAffine`] outside candle's graph, for a pass whose backward is written out
//! (`model/mlp_vae_step.rs`): the forward records no node, and its record computes the
//! gradients candle's backward would ask the op for.

use std::sync::Mutex;

use candle_core::{Result, Tensor};

use super::{held, InputGrad, SparseAffine};

/// A layer's output, and the op that made it: it keeps its input's non-zeros for the weight
/// gradient, and the weight's variable whose packing a step keeps.
pub(crate) struct AffineRecord {
    pub(crate) output: Tensor,
    op: SparseAffine,
}

/// `x·Wᵀ + b`, as [`super::sparse_affine`] computes it, recorded for [`AffineRecord::backward`].
pub(crate) fn affine_record(
    x: &Tensor,
    w: &Tensor,
    b: &Tensor,
    input_grad: InputGrad,
) -> Result<AffineRecord> {
    let op = SparseAffine {
        input_grad,
        weight: held::variable(w),
        rows_of_x: Mutex::new(None),
    };
    let output = x
        .contiguous()?
        .apply_op3_no_bwd(&w.contiguous()?, &b.contiguous()?, &op)?;
    Ok(AffineRecord { output, op })
}

impl AffineRecord {
    /// From the output's gradient: the input's (what the layer's [`InputGrad`] asks for), the
    /// weight's and the bias's. Once: it takes what the forward pass kept.
    pub(crate) fn backward(
        &self,
        x: &Tensor,
        w: &Tensor,
        grad: &Tensor,
    ) -> Result<(Option<Tensor>, Tensor, Tensor)> {
        let of_input = self.op.input_grad != InputGrad::None;
        // The weight's values without its variable: a product with it then records no node in
        // candle's graph (the op keeps the variable's id for the packing a step holds).
        self.op.gradients(x, &w.detach(), grad, of_input)
    }
}
