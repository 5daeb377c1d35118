//! The picture files a person chose with a file input. They are decoded by the browser
//! (`crate::worker::picture`): in an import worker for an import, here for the one picture the
//! anomaly chapter scores.

use wasm_bindgen::JsCast;

/// The files a file input's change event chose, in order. The input is cleared, so choosing
/// the same files again is a change too.
pub fn take_files(ev: &leptos::ev::Event) -> Vec<web_sys::File> {
    let Some(input) = ev
        .target()
        .and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok())
    else {
        return Vec::new();
    };
    let files = input
        .files()
        .map(|list| (0..list.length()).filter_map(|i| list.get(i)).collect())
        .unwrap_or_default();
    input.set_value("");
    files
}
