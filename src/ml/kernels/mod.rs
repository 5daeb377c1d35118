//! Hand-written numeric kernels for the hot paths candle's generic ones leave slow in wasm:
//! products with a sparse left factor (digits, ReLU outputs) or kept only where a ReLU was on,
//! the convolutions built on them (through patch matrices, or straight from each pixel's
//! non-zeros), and the transposes they need.
//! Plain slices in and out, no tensors; the ops and the decoder build on them.

pub mod adam;
pub mod conv;
pub mod deconv;
pub mod lanes;
pub mod line;
pub mod masked;
pub mod panels;
pub mod panels_in_parts;
pub mod patches;
pub mod sparse;
pub mod sparse_rows;
pub mod sparse_t;
pub mod tap_grad;
pub mod transpose;
