//! Test support: how far apart two tensors are, for the ops that are checked against candle's
//! plain path (`sparse_affine`, `input_linear`, `conv_op`).

use candle_core::Tensor;

/// The largest elementwise difference between two tensors of one shape.
pub(crate) fn max_abs_diff(a: &Tensor, b: &Tensor) -> f32 {
    (a - b)
        .and_then(|d| d.abs())
        .and_then(|d| d.max_all())
        .and_then(|d| d.to_scalar::<f32>())
        .unwrap()
}
