//! Fetching the app's own assets as bytes.

use js_sys::{Reflect, Uint8Array};
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use web_sys::{ReadableStreamDefaultReader, Response};

use crate::ui_logic::said::Said;

/// GETs `url` as a blob: the body stays with the browser, out of the page's memory and off its
/// thread until [`blob_bytes`] reads it (a 1.3 MB file read as an array buffer held the page's
/// thread ~10 ms; as a blob, nothing measurable). For files the page may never read.
pub async fn fetch_blob(url: &str) -> Result<web_sys::Blob, Said> {
    let response = fetch_response(url).await?;
    let body = response
        .blob()
        .map_err(|e| could_not_read(url, describe(&e)))?;
    let blob = JsFuture::from(body)
        .await
        .map_err(|e| could_not_read(url, describe(&e)))?;
    blob.dyn_into().map_err(|_| {
        could_not_read(
            url,
            Said::new("the body was not a blob", "内容不是二进制块"),
        )
    })
}

/// The bytes of a blob [`fetch_blob`] kept (`what` names it in a message).
pub async fn blob_bytes(blob: &web_sys::Blob, what: &str) -> Result<Vec<u8>, Said> {
    let buffer = JsFuture::from(blob.array_buffer())
        .await
        .map_err(|e| could_not_read(what, describe(&e)))?;
    Ok(Uint8Array::new(&buffer).to_vec())
}

/// GETs `url` (relative to the page) and returns the body, or a message naming what failed;
/// `arrived` is handed the bytes come so far after each piece the network delivers (the first
/// model's decoder can draw before its encoder has come).
pub async fn fetch_bytes_as_they_come(
    url: &str,
    mut arrived: impl FnMut(&[u8]),
) -> Result<Vec<u8>, Said> {
    let response = fetch_response(url).await?;
    let Some(stream) = response.body() else {
        return Ok(Vec::new()); // a response without a body: an empty file, refused as such
    };
    let reader: ReadableStreamDefaultReader = stream.get_reader().unchecked_into();
    let mut bytes = Vec::new();
    loop {
        let piece = JsFuture::from(reader.read())
            .await
            .map_err(|e| could_not_read(url, describe(&e)))?;
        if Reflect::get(&piece, &"done".into()).is_ok_and(|d| d.is_truthy()) {
            return Ok(bytes);
        }
        let value: Uint8Array = Reflect::get(&piece, &"value".into())
            .map_err(|e| could_not_read(url, describe(&e)))?
            .unchecked_into();
        let start = bytes.len();
        bytes.resize(start + value.length() as usize, 0);
        value.copy_to(&mut bytes[start..]);
        arrived(&bytes);
    }
}

/// The response to a GET of `url`, once its status says the body is the file.
async fn fetch_response(url: &str) -> Result<Response, Said> {
    let window = web_sys::window()
        .ok_or_else(|| Said::new("no window to fetch from", "没有可用于下载的窗口"))?;
    let could_not_fetch = |why: Said| {
        why.within(
            |why| format!("could not fetch {url}: {why}"),
            |why| format!("无法获取 {url}：{why}"),
        )
    };
    let response = JsFuture::from(window.fetch_with_str(url))
        .await
        .map_err(|e| could_not_fetch(describe(&e)))?;
    let response: Response = response.dyn_into().map_err(|_| {
        Said::new(
            format!("fetching {url} gave no response"),
            format!("获取 {url} 时没有得到响应"),
        )
    })?;
    if !response.ok() {
        let (status, text) = (response.status(), response.status_text());
        return Err(could_not_fetch(Said::new(
            format!("the server answered {status} {text}"),
            format!("服务器返回 {status} {text}"),
        )));
    }
    Ok(response)
}

fn could_not_read(url: &str, why: Said) -> Said {
    why.within(
        |why| format!("could not read {url}: {why}"),
        |why| format!("无法读取 {url}：{why}"),
    )
}

/// A browser's error in its own words (the same in every language).
fn describe(error: &wasm_bindgen::JsValue) -> Said {
    error
        .dyn_ref::<js_sys::Error>()
        .map(|e| Said::plain(String::from(e.message())))
        .or_else(|| error.as_string().map(Said::plain))
        .unwrap_or_else(|| Said::new("unknown error", "未知错误"))
}
