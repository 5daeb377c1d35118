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
mod class_styles;
pub mod clock;
mod compare;
pub mod data_panel;
pub mod data_picker;
mod dataset_list;
pub mod datasets;
pub mod digit_view;
mod dim_pair;
mod dropped;
mod factor_reading;
mod factors;
pub mod fetch;
pub mod first_steps;
mod generated;
mod histogram;
pub mod i18n;
mod image_grid;
mod import_files;
mod import_panel;
pub mod interpolation;
mod lab_words;
pub mod latent_panel;
pub mod latent_plane;
mod later;
pub mod library;
pub mod manifold;
mod my_drawings;
mod offline;
pub mod panic;
pub mod picker;
pub mod picture_file;
mod restore;
mod scatter;
mod scatter_plot;
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

/// Entry point of the page binary: report panics in the page, then, once the browser has
/// painted the header index.html brings, mount the app on `<body>`.
pub fn start() {
    panic::install_hook();
    // Where the code arrives before the first paint (a fast network), building the app first
    // would hold that paint back by the length of the build: wait for one frame. A tab in the
    // background gets no frames, so a short timer mounts it there (whichever comes first).
    let mounted = std::rc::Rc::new(std::cell::Cell::new(false));
    let once = move || {
        if !mounted.replace(true) {
            mount();
        }
    };
    let after_frame = once.clone();
    leptos::prelude::request_animation_frame(move || {
        leptos::prelude::set_timeout(after_frame, std::time::Duration::ZERO)
    });
    leptos::prelude::set_timeout(
        once,
        std::time::Duration::from_millis(MOUNT_AT_THE_LATEST_MS),
    );
}

/// How long a page that gets no frame (a background tab) waits before it mounts anyway.
const MOUNT_AT_THE_LATEST_MS: u64 = 200;

/// The app's own header takes the place of index.html's as it is built (`app::Header`), a
/// task after this one.
fn mount() {
    leptos::mount::mount_to_body(App);
}
