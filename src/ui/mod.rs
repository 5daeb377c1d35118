//! The page: a thin leptos (client-side rendered) UI over the model core.
//!
//! wasm32 only. It keeps its own copy of the current model and decodes with it on the main
//! thread, so moving a slider never waits for anything else.

mod app;
mod digit_view;
mod fetch;
mod panic;

pub use app::App;

/// Entry point of the page binary: report panics in the page, then mount the app on `<body>`.
pub fn start() {
    panic::install_hook();
    leptos::mount::mount_to_body(App);
}
