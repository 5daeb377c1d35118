//! The page's decisions that need no browser: what a shared link says, where a chart's ticks go,
//! when a silent worker is given up on, how a picture becomes ink. Plain Rust, built for every
//! target and tested natively; the leptos components in `ui/` (wasm32 only) call them.

pub mod chart_scale;
pub mod error_words;
pub mod factor_words;
pub mod import_words;
pub mod lang;
pub mod notice;
pub mod pace;
pub mod palette;
pub mod picture;
pub mod pixels;
pub mod plane;
pub mod refill;
pub mod run_words;
pub mod said;
pub mod scatter_frame;
pub mod share_link;
pub mod supervision;
pub mod typed_number;
pub mod words;
