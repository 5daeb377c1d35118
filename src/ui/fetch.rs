//! Fetching the app's own assets as bytes.

use js_sys::Uint8Array;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use web_sys::Response;

use super::i18n::page_lang;

/// GETs `url` (relative to the page) and returns the body, or a message naming what failed
/// (in the page's language).
pub async fn fetch_bytes(url: &str) -> Result<Vec<u8>, String> {
    let lang = page_lang();
    let window = web_sys::window().ok_or_else(|| {
        lang.text("no window to fetch from", "没有可用于下载的窗口")
            .to_string()
    })?;
    let could_not_fetch = |why: String| {
        lang.text(
            format!("could not fetch {url}: {why}"),
            format!("无法获取 {url}：{why}"),
        )
    };
    let could_not_read = |why: String| {
        lang.text(
            format!("could not read {url}: {why}"),
            format!("无法读取 {url}：{why}"),
        )
    };
    let response = JsFuture::from(window.fetch_with_str(url))
        .await
        .map_err(|e| could_not_fetch(describe(&e)))?;
    let response: Response = response.dyn_into().map_err(|_| {
        lang.text(
            format!("fetching {url} gave no response"),
            format!("获取 {url} 时没有得到响应"),
        )
    })?;
    if !response.ok() {
        let (status, text) = (response.status(), response.status_text());
        return Err(could_not_fetch(lang.text(
            format!("the server answered {status} {text}"),
            format!("服务器返回 {status} {text}"),
        )));
    }
    let body = response
        .array_buffer()
        .map_err(|e| could_not_read(describe(&e)))?;
    let buffer = JsFuture::from(body)
        .await
        .map_err(|e| could_not_read(describe(&e)))?;
    Ok(Uint8Array::new(&buffer).to_vec())
}

fn describe(error: &wasm_bindgen::JsValue) -> String {
    error
        .dyn_ref::<js_sys::Error>()
        .map(|e| String::from(e.message()))
        .or_else(|| error.as_string())
        .unwrap_or_else(|| page_lang().text("unknown error", "未知错误").to_string())
}
