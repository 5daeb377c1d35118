//! A panic hook that shows the panic in the page instead of leaving a silently dead UI.

use wasm_bindgen::JsCast;

/// Reports every later panic with [`show_fatal`].
pub fn install_hook() {
    std::panic::set_hook(Box::new(|info| show_fatal(&info.to_string())));
}

/// Puts a banner at the top of the page saying the app stopped because of `what`, and what to
/// do about it. Built with plain DOM calls: after a panic, the reactive UI cannot be trusted.
pub fn show_fatal(what: &str) {
    let message = format!(
        "Latent Lab stopped because of a bug: {what}. Reload the page to start again; \
         your saved models are kept."
    );
    web_sys::console::error_1(&message.clone().into());
    let Some(document) = web_sys::window().and_then(|w| w.document()) else {
        return;
    };
    if let Ok(banner) = document.create_element("div") {
        banner.set_id("panic");
        banner.set_attribute("role", "alert").ok();
        banner.set_text_content(Some(&message));
        if let Some(body) = document.body() {
            body.prepend_with_node_1(banner.unchecked_ref()).ok();
        }
    }
}
