//! The model core: data, models, loss, training, evaluation and checkpoints.
//!
//! Pure Rust over candle, with no web crate anywhere below this module, so it builds and is
//! tested natively as well as in wasm32. The worker and the page import it; it imports neither.

pub mod axis_line;
pub mod batches;
pub mod bce_op;
pub mod checkpoint;
pub mod container;
pub mod conv_op;
pub mod cpu_slices;
pub mod data;
pub mod dataset;
pub mod eval;
pub mod explore;
pub mod fastmath;
pub(crate) mod grad_sink;
pub mod held;
pub mod helper;
pub(crate) mod kernels;
pub mod loss;
pub mod mig;
pub mod model;
pub mod neighbours;
pub(crate) mod objective_ops;
pub mod optim;
pub mod preprocess;
pub mod presets;
pub mod pretrained;
pub mod probes;
pub mod projection;
pub mod relu_op;
pub mod rng;
pub mod run_notes;
pub mod stats;
#[cfg(test)]
mod tensor_diff;
pub mod train;
pub(crate) mod weight_bytes;
