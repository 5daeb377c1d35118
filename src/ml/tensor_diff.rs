//! Test support: how far apart two results are, for the ops and kernels that are checked
//! against candle's plain path or a definition (`sparse_affine`, `input_linear`, `conv_op`,
//! `kernels`, the packed decoders).

use candle_core::Tensor;

/// The largest elementwise difference between two tensors of one shape.
pub(crate) fn max_abs_diff(a: &Tensor, b: &Tensor) -> f32 {
    (a - b)
        .and_then(|d| d.abs())
        .and_then(|d| d.max_all())
        .and_then(|d| d.to_scalar::<f32>())
        .unwrap()
}

/// The largest elementwise difference between two slices of one length.
pub(crate) fn max_abs_diff_values(a: &[f32], b: &[f32]) -> f32 {
    assert_eq!(a.len(), b.len(), "two results of different lengths");
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - y).abs())
        .fold(0.0, f32::max)
}
