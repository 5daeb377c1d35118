//! The training worker: owns one trainer and the digits, in a Web Worker, so the page never
//! waits on training.
//!
//! [`runner`] is the logic (commands in, events out, work in bounded slices by the one `run` it
//! holds) and builds on every target, so it is tested natively. `host` is the wasm glue:
//! `postMessage`, fetching the digits, and scheduling the next slice right after the page's
//! messages have been answered.

mod run;
pub mod runner;

#[cfg(target_arch = "wasm32")]
mod host;
#[cfg(target_arch = "wasm32")]
pub use host::start;
