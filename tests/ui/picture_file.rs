//! A picture file as an import reads it: decoded by the browser, scaled, fitted to a dataset's
//! shape; bytes that are no picture are refused in the page's language.

use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;
use web_sys::{CanvasRenderingContext2d, HtmlCanvasElement};

/// `canvas` as a PNG file named `name`, through the browser's encoder.
async fn png_file(canvas: &HtmlCanvasElement, name: &str) -> web_sys::File {
    let encoded = js_sys::Promise::new(&mut |resolve, _| {
        canvas.to_blob(&resolve).unwrap();
    });
    let blob = wasm_bindgen_futures::JsFuture::from(encoded).await.unwrap();
    web_sys::File::new_with_blob_sequence(&js_sys::Array::of1(&blob), name).unwrap()
}

#[wasm_bindgen_test]
async fn a_picture_file_is_decoded_scaled_and_fitted_to_a_dataset_shape() {
    use latent_lab::ml::dataset::fit::{fit, Fit, FitOptions};
    use latent_lab::ml::dataset::{Channels, ImageShape};
    use latent_lab::ui::picture_file::PictureError;
    use latent_lab::ui_logic::error_words::Worded;
    use latent_lab::ui_logic::lang::Lang;
    use latent_lab::worker::picture::decode;

    // A 400×200 PNG: white paper with a black bar down the middle of the left half.
    let document = web_sys::window().unwrap().document().unwrap();
    let canvas: HtmlCanvasElement = document.create_element("canvas").unwrap().unchecked_into();
    canvas.set_width(400);
    canvas.set_height(200);
    let ctx: CanvasRenderingContext2d = canvas.get_context("2d").unwrap().unwrap().unchecked_into();
    ctx.set_fill_style_str("#fff");
    ctx.fill_rect(0.0, 0.0, 400.0, 200.0);
    ctx.set_fill_style_str("#000");
    ctx.fill_rect(80.0, 20.0, 40.0, 160.0);
    let file = png_file(&canvas, "bar.png").await;

    let picture = decode(&file, 100.0).await.expect("a PNG decodes");
    assert_eq!(
        (picture.width, picture.height),
        (100, 50),
        "scaled to 100 on its long side"
    );
    let at = |x: usize, y: usize| picture.rgba[(y * 100 + x) * 4];
    assert!(
        at(25, 25) < 40 && at(75, 25) > 215,
        "the bar is dark, the paper light"
    );

    // Padded into 28×28 grey and inverted (dark on light): a bright bar on black.
    let shape = ImageShape::new(Channels::Grey, 28).unwrap();
    let image = fit(
        picture.as_rgba(),
        FitOptions {
            shape,
            fit: Fit::Pad,
            invert_dark_on_light: true,
        },
    )
    .unwrap();
    assert_eq!(image.len(), 784);
    assert!(image[14 * 28 + 7] > 200, "the bar, bright");
    assert!(
        image[14 * 28 + 20] < 40 && image[2 * 28 + 14] < 40,
        "paper and pad, dark"
    );

    // Bytes that are not a picture are refused, and the page names them in its language.
    let junk = web_sys::File::new_with_str_sequence(
        &js_sys::Array::of1(&"not a picture".into()),
        "notes.png",
    )
    .unwrap();
    assert!(decode(&junk, 100.0).await.is_none(), "not a picture");
    let refused = PictureError::Unreadable { name: junk.name() };
    assert_eq!(
        refused.worded(Lang::En),
        "“notes.png” could not be read as an image"
    );
    assert_eq!(refused.worded(Lang::Zh), "无法把“notes.png”读取为图像");
}
