//! The class colours ([`CLASS_COLOURS`]) as the browser's own strings, for canvases that paint
//! a dot per test picture. Handing the browser a Rust `&str` decodes it on every call: for the
//! two thousand dots of the latent plane that was most of a start-up task on a phone (90 ms
//! at Lighthouse's 4× slower CPU); made once per paint, each colour is decoded once.

use wasm_bindgen::JsValue;
use web_sys::CanvasRenderingContext2d;

use crate::ui_logic::palette::{class_index, CLASS_COLOURS};

pub(crate) struct ClassStyles([JsValue; CLASS_COLOURS.len()]);

impl ClassStyles {
    pub(crate) fn new() -> Self {
        Self(CLASS_COLOURS.map(JsValue::from_str))
    }

    /// Makes `label`'s colour the fill of `ctx`.
    pub(crate) fn fill_with(&self, ctx: &CanvasRenderingContext2d, label: u8) {
        // The `JsValue` setter is deprecated in favour of the `&str` one, which is the one that
        // decodes its string on every call.
        #[allow(deprecated)]
        ctx.set_fill_style(&self.0[class_index(label)]);
    }
}
