//! Latent Lab: train and explore variational autoencoders on handwritten digits, in the browser.
//!
//! The crate has one library and three binaries:
//! - [`ml`], the model core (candle only): data, models, loss, trainer, evaluation, checkpoints.
//!   It knows nothing of the web and is tested natively with `cargo test`.
//! - `src/bin/train.rs`, the native trainer that produces the pretrained models in `assets/`.
//! - `src/bin/app.rs`, the page (leptos, wasm32 only), which decodes with its own copy of the
//!   model on every frame. Its components are in `ui`; the decisions they make that need no
//!   browser (links, chart scales, worker supervision, pictures as ink) in [`ui_logic`], which
//!   is tested natively.
//! - `src/bin/worker.rs`, the training worker ([`worker`]), which talks to the page in the
//!   messages of [`protocol`].
//!
//! The web parts live behind `cfg(target_arch = "wasm32")` so a native build never compiles them.

pub mod ml;
pub mod protocol;
pub mod ui_logic;
pub mod worker;

#[cfg(target_arch = "wasm32")]
pub mod ui;
