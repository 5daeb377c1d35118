//! Fetching the app's own assets as bytes.

use js_sys::Uint8Array;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use web_sys::Response;

/// GETs `url` (relative to the page) and returns the body, or a message naming what failed.
pub async fn fetch_bytes(url: &str) -> Result<Vec<u8>, String> {
    let window = web_sys::window().ok_or("no window to fetch from")?;
    let response = JsFuture::from(window.fetch_with_str(url))
        .await
        .map_err(|e| format!("could not fetch {url}: {}", describe(&e)))?;
    let response: Response = response
        .dyn_into()
        .map_err(|_| format!("fetching {url} gave no response"))?;
    if !response.ok() {
        return Err(format!(
            "could not fetch {url}: the server answered {} {}",
            response.status(),
            response.status_text()
        ));
    }
    let body = response
        .array_buffer()
        .map_err(|e| format!("could not read {url}: {}", describe(&e)))?;
    let buffer = JsFuture::from(body)
        .await
        .map_err(|e| format!("could not read {url}: {}", describe(&e)))?;
    Ok(Uint8Array::new(&buffer).to_vec())
}

fn describe(error: &wasm_bindgen::JsValue) -> String {
    error
        .dyn_ref::<js_sys::Error>()
        .map(|e| String::from(e.message()))
        .or_else(|| error.as_string())
        .unwrap_or_else(|| "unknown error".to_string())
}
