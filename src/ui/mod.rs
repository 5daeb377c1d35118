//! The page: a thin leptos (client-side rendered) UI over the model core.
//!
//! wasm32 only. It keeps its own copy of the current model and decodes with it on the main
//! thread, so moving a slider never waits for anything else. Shared state is one [`state::Lab`]
//! of signals; each panel is a component in its own file.

mod about;
mod active_model;
mod anomaly;
mod app;
pub mod bench;
pub mod clock;
mod compare;
pub mod data_panel;
pub mod data_picker;
mod dataset_list;
pub mod datasets;
pub mod digit_view;
mod dim_pair;
mod dropped;
pub mod fetch;
pub mod first_steps;
mod histogram;
mod image_grid;
mod import_files;
mod import_panel;
pub mod interpolation;
pub mod latent_panel;
pub mod latent_plane;
pub mod library;
pub mod manifold;
mod my_drawings;
mod offline;
pub mod panic;
pub mod picker;
pub mod picture_file;
mod restore;
mod scatter;
pub mod share;
mod sheet;
pub mod sketch;
pub mod sliders;
pub mod state;
pub mod storage;
mod test_digit;
pub mod training;
mod visibility;
pub mod why;

pub use app::App;

/// Entry point of the page binary: report panics in the page, then mount the app on `<body>`.
pub fn start() {
    panic::install_hook();
    leptos::mount::mount_to_body(App);
}
