//! The picture files a person chose with a file input. They are decoded by the browser
//! (`crate::worker::picture`): in an import worker for an import, here for the one picture a
//! chapter reads for the model (the anomaly score, the data column's upload).

use std::fmt;

use wasm_bindgen::JsCast;

use crate::ml::dataset::fit::{fit, Fit, FitError, FitOptions};
use crate::ml::dataset::ImageShape;
use crate::ml::preprocess::{mnist_like, PreprocessError};
use crate::ui_logic::error_words::Worded;
use crate::ui_logic::lang::Lang;
use crate::ui_logic::picture::ink_from_rgba;
use crate::ui_logic::pixels::GreyAs;

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

/// Longest side, in pixels, at which an uploaded picture is read for a digits model: plenty for
/// one digit, and a large photo is scaled down by the browser before any pixel reaches this
/// page.
const READ_SIDE: f64 = 280.0;

/// Why a picture could not be read for the model: shown in the language in use with
/// [`Worded::worded`] (its `Display` is the English).
#[derive(Debug, Clone, PartialEq)]
pub enum PictureError {
    /// The browser could not decode it.
    Unreadable { name: String },
    /// No stroke stands out from its background.
    Blank { name: String },
    /// Read as a drawing, it could not be made a digit (the model core's reason).
    NotADigit { name: String, why: PreprocessError },
    /// It could not be fitted to the model's pictures (the model core's reason).
    NotFitted { name: String, why: FitError },
}

impl Worded for PictureError {
    fn worded(&self, lang: Lang) -> String {
        let unprepared = |name: &str, why: String| {
            lang.text(
                format!("“{name}” could not be prepared: {why}"),
                format!("无法处理“{name}”：{why}"),
            )
        };
        match self {
            PictureError::Unreadable { name } => lang.text(
                format!("“{name}” could not be read as an image"),
                format!("无法把“{name}”读取为图像"),
            ),
            PictureError::Blank { name } => lang.text(
                format!("“{name}” looks blank: no stroke stands out from its background"),
                format!("“{name}”看起来是空白的：没有笔画从背景中显现出来"),
            ),
            PictureError::NotADigit { name, why } => unprepared(name, why.worded(lang)),
            PictureError::NotFitted { name, why } => unprepared(name, why.worded(lang)),
        }
    }
}

impl fmt::Display for PictureError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.worded(Lang::En))
    }
}

/// Reads an image file (PNG, JPEG, SVG…) as the model of `shape` reads pictures.
///
/// For 28×28 grey it is read the way a drawing is: the browser scales it (keeping its shape) to
/// at most [`READ_SIDE`] pixels a side, its ink is found (dark on light is inverted, see
/// [`ink_from_rgba`]), then it is cropped, scaled into 20×20 and centred by its centre of mass in
/// 28×28, as MNIST's digits were. Squashing the whole picture into 28×28 instead would leave a
/// clean digit thin, small and off-centre, and score it as an anomaly. Any other shape is read
/// as an import reads pictures ([`fit`]: the centred square, inverted when `grey` is ink and
/// the picture is dark on light), so it looks like the dataset's own.
pub async fn picture_for_model(
    file: web_sys::File,
    shape: ImageShape,
    grey: GreyAs,
) -> Result<Vec<f32>, PictureError> {
    let name = file.name();
    let unreadable = |name: &String| PictureError::Unreadable { name: name.clone() };
    if shape == ImageShape::DIGITS && grey == GreyAs::Ink {
        let picture = crate::worker::picture::decode(&file, READ_SIDE)
            .await
            .ok_or_else(|| unreadable(&name))?;
        let ink = ink_from_rgba(&picture.rgba);
        return match mnist_like(&ink, picture.width, picture.height) {
            Ok(done) => Ok(done.pixels),
            Err(PreprocessError::Blank) => Err(PictureError::Blank { name }),
            Err(why) => Err(PictureError::NotADigit { name, why }),
        };
    }
    // As an import does: the browser's resize to a few times the side, then the fit.
    let max_side = (4 * shape.side) as f64;
    let picture = crate::worker::picture::decode(&file, max_side)
        .await
        .ok_or_else(|| unreadable(&name))?;
    let options = FitOptions {
        shape,
        fit: Fit::CentreCrop,
        invert_dark_on_light: grey == GreyAs::Ink,
    };
    let levels =
        fit(picture.as_rgba(), options).map_err(|why| PictureError::NotFitted { name, why })?;
    Ok(levels.iter().map(|&k| f32::from(k) / 255.0).collect())
}
