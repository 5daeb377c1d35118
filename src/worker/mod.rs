//! The workers: the training worker owns one trainer and its data, in a Web Worker, so the page
//! never waits on training; an import worker (the same binary, started for one import) makes
//! a person's pictures into a dataset off the page's thread.
//!
//! [`runner`] is the training logic (commands in, events out, work in bounded slices by the one
//! `run` it holds, and the `warm_up` that precedes the first) and builds on every target, so it
//! is tested natively. The rest is wasm glue:
//! `host` (the training worker's `postMessage`, fetching the digits, scheduling the next slice
//! right after the page's messages have been answered), `import_host` (the import worker),
//! `unzip` (a zip's pictures inflated by the browser) and [`picture`] (the browser's decoding
//! of a picture file, which the page uses too). Both workers say every message in both of the
//! page's languages (`ui_logic::said::Said`), so the page shows it in the one in use, whatever
//! the person switches to later; [`words`] keeps why something is missing as what happened.

mod pieces;
mod run;
pub mod runner;
mod warm_up;
pub mod words;

// The helper worker: in the plain build, a second instance that gets copies through a
// `SharedArrayBuffer`; in the threaded build (`tools/build-threads`), a thread of this memory.
#[cfg(all(target_arch = "wasm32", not(target_feature = "atomics")))]
mod helper_host;
#[cfg(all(target_arch = "wasm32", not(target_feature = "atomics")))]
mod helper_link;
#[cfg(target_arch = "wasm32")]
mod helper_worker;
#[cfg(target_arch = "wasm32")]
mod host;
#[cfg(target_arch = "wasm32")]
mod import_host;
#[cfg(target_arch = "wasm32")]
pub mod picture;
#[cfg(all(target_arch = "wasm32", not(target_feature = "atomics")))]
mod shared_step;
#[cfg(all(target_arch = "wasm32", target_feature = "atomics"))]
mod thread_host;
#[cfg(target_arch = "wasm32")]
mod unzip;
#[cfg(target_arch = "wasm32")]
pub use host::start;
