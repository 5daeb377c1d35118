//! Hand-written numeric kernels for the hot paths candle's generic ones leave slow in wasm:
//! products with a sparse left factor (digits, ReLU outputs) and the transposes they need.
//! Plain slices in and out, no tensors; the ops and the decoder build on them.

pub mod lanes;
pub mod patches;
pub mod sparse;
pub mod transpose;
