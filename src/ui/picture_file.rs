//! A picture file a person chose (PNG, JPEG, WebP, GIF's first frame, BMP, SVG: whatever the
//! browser reads), decoded by the browser and scaled, keeping its shape, to at most a given
//! side before any pixel reaches the page: a 10,000×10,000 photo costs the page only the small
//! copy. The anomaly chapter reads one as a digit; imports make many into a dataset.

use wasm_bindgen::JsCast;

use crate::ml::dataset::fit::Rgba;

/// A decoded picture: `width × height` RGBA pixels, row-major.
#[derive(Debug, Clone, PartialEq)]
pub struct DecodedPicture {
    pub width: usize,
    pub height: usize,
    pub rgba: Vec<u8>,
}

impl DecodedPicture {
    pub fn as_rgba(&self) -> Rgba<'_> {
        Rgba {
            width: self.width,
            height: self.height,
            pixels: &self.rgba,
        }
    }
}

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

/// Decodes `file` at most `max_side` pixels on its longer side (a smaller picture keeps its
/// size). The error names the file and says it could not be read as an image.
pub async fn decode(file: &web_sys::File, max_side: f64) -> Result<DecodedPicture, String> {
    decode_blob(file, &file.name(), max_side).await
}

/// [`decode`] for any blob (a file inside an archive, say), named `name` in the error.
pub async fn decode_blob(
    blob: &web_sys::Blob,
    name: &str,
    max_side: f64,
) -> Result<DecodedPicture, String> {
    let unreadable = || format!("“{name}” could not be read as an image");
    let url = web_sys::Url::create_object_url_with_blob(blob).map_err(|_| unreadable())?;
    let image = web_sys::HtmlImageElement::new().map_err(|_| unreadable())?;
    let loaded = js_sys::Promise::new(&mut |resolve, reject| {
        image.set_onload(Some(&resolve));
        image.set_onerror(Some(&reject));
    });
    image.set_src(&url);
    let outcome = wasm_bindgen_futures::JsFuture::from(loaded).await;
    image.set_onload(None);
    image.set_onerror(None);
    let _ = web_sys::Url::revoke_object_url(&url);
    outcome.map_err(|_| unreadable())?;
    let (natural_w, natural_h) = (image.natural_width() as f64, image.natural_height() as f64);
    if natural_w < 1.0 || natural_h < 1.0 {
        return Err(unreadable());
    }
    let scale = (max_side / natural_w.max(natural_h)).min(1.0);
    let (w, h) = (
        (natural_w * scale).round().max(1.0),
        (natural_h * scale).round().max(1.0),
    );
    let document = web_sys::window()
        .and_then(|w| w.document())
        .ok_or_else(unreadable)?;
    let canvas: web_sys::HtmlCanvasElement = document
        .create_element("canvas")
        .map_err(|_| unreadable())?
        .unchecked_into();
    canvas.set_width(w as u32);
    canvas.set_height(h as u32);
    let context: web_sys::CanvasRenderingContext2d = canvas
        .get_context("2d")
        .ok()
        .flatten()
        .ok_or_else(unreadable)?
        .unchecked_into();
    context
        .draw_image_with_html_image_element_and_dw_and_dh(&image, 0.0, 0.0, w, h)
        .map_err(|_| unreadable())?;
    let rgba = context
        .get_image_data(0.0, 0.0, w, h)
        .map_err(|_| unreadable())?
        .data()
        .0;
    Ok(DecodedPicture {
        width: w as usize,
        height: h as usize,
        rgba,
    })
}
