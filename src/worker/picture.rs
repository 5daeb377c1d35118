//! A picture file (PNG, JPEG, WebP, GIF's first frame, BMP: whatever the browser reads) decoded
//! by the browser with `createImageBitmap` and scaled, keeping its shape, to at most a given
//! side before any pixel reaches WebAssembly: a 10,000×10,000 photo costs only the small copy.
//!
//! It works in any scope: the import worker decodes every picture of an import with it, off the
//! page's thread, and the page the one picture the anomaly chapter scores (the page also reads
//! SVG drawings, through an `<img>`; a worker cannot, so imports leave SVG out).

use js_sys::Promise;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{
    Blob, ImageBitmap, ImageBitmapOptions, OffscreenCanvas, OffscreenCanvasRenderingContext2d,
    ResizeQuality, Window, WorkerGlobalScope,
};

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

/// `createImageBitmap(source[, options])` of the page or of the worker this runs in.
fn create_bitmap(
    source: &JsValue,
    options: Option<&ImageBitmapOptions>,
) -> Result<Promise, JsValue> {
    let global = js_sys::global();
    if let Some(window) = global.dyn_ref::<Window>() {
        match (source.dyn_ref::<ImageBitmap>(), options) {
            (Some(bitmap), Some(o)) => {
                window.create_image_bitmap_with_image_bitmap_and_image_bitmap_options(bitmap, o)
            }
            (_, _) => window.create_image_bitmap_with_blob(source.unchecked_ref()),
        }
    } else {
        let scope: &WorkerGlobalScope = global.unchecked_ref();
        match (source.dyn_ref::<ImageBitmap>(), options) {
            (Some(bitmap), Some(o)) => {
                scope.create_image_bitmap_with_image_bitmap_and_image_bitmap_options(bitmap, o)
            }
            (_, _) => scope.create_image_bitmap_with_blob(source.unchecked_ref()),
        }
    }
}

async fn bitmap(source: &JsValue, options: Option<&ImageBitmapOptions>) -> Option<ImageBitmap> {
    let promise = create_bitmap(source, options).ok()?;
    JsFuture::from(promise).await.ok()?.dyn_into().ok()
}

/// A bitmap of `blob` by way of an `<img>`: how the page reads what `createImageBitmap` does
/// not (an SVG drawing). Only where there is a document.
async fn bitmap_via_image(blob: &Blob) -> Option<ImageBitmap> {
    let window = js_sys::global().dyn_into::<Window>().ok()?;
    let url = web_sys::Url::create_object_url_with_blob(blob).ok()?;
    let image = web_sys::HtmlImageElement::new().ok()?;
    image.set_src(&url);
    let decoded = JsFuture::from(image.decode()).await;
    let _ = web_sys::Url::revoke_object_url(&url);
    decoded.ok()?;
    let promise = window
        .create_image_bitmap_with_html_image_element(&image)
        .ok()?;
    JsFuture::from(promise).await.ok()?.dyn_into().ok()
}

/// Decodes `blob` at most `max_side` pixels on its longer side (a smaller picture keeps its
/// size); `None` when the browser cannot read it as an image (the caller names the file in
/// the page's language).
pub async fn decode(blob: &Blob, max_side: f64) -> Option<DecodedPicture> {
    let full = match bitmap(blob, None).await {
        Some(full) => full,
        None => bitmap_via_image(blob).await?,
    };
    let (natural_w, natural_h) = (f64::from(full.width()), f64::from(full.height()));
    if natural_w < 1.0 || natural_h < 1.0 {
        full.close();
        return None;
    }
    let scale = (max_side / natural_w.max(natural_h)).min(1.0);
    let (w, h) = (
        (natural_w * scale).round().max(1.0) as u32,
        (natural_h * scale).round().max(1.0) as u32,
    );
    // The browser's high-quality resize, not the canvas' bilinear one: a large photo shrunk
    // many times over would otherwise alias.
    let picture = if scale < 1.0 {
        let options = ImageBitmapOptions::new();
        options.set_resize_width(w);
        options.set_resize_height(h);
        options.set_resize_quality(ResizeQuality::High);
        let scaled = bitmap(&full, Some(&options)).await;
        full.close();
        scaled?
    } else {
        full
    };
    let pixels = read_pixels(&picture, w, h);
    picture.close();
    Some(DecodedPicture {
        width: w as usize,
        height: h as usize,
        rgba: pixels?,
    })
}

/// The RGBA bytes of `picture`, drawn `w × h` on an offscreen canvas.
fn read_pixels(picture: &ImageBitmap, w: u32, h: u32) -> Option<Vec<u8>> {
    let canvas = OffscreenCanvas::new(w, h).ok()?;
    let context: OffscreenCanvasRenderingContext2d =
        canvas.get_context("2d").ok()??.dyn_into().ok()?;
    context
        .draw_image_with_image_bitmap_and_dw_and_dh(picture, 0.0, 0.0, w.into(), h.into())
        .ok()?;
    let data = context.get_image_data(0.0, 0.0, w.into(), h.into()).ok()?;
    Some(data.data().0)
}
