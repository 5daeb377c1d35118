//! The class colours ([`CLASS_COLOURS`]) as the browser's own strings, for canvases that paint
//! a dot per test picture. Handing the browser a Rust `&str` decodes it on every call: for the
//! two thousand dots of the latent plane that was most of a start-up task on a phone (90 ms
//! at Lighthouse's 4× slower CPU); made once per paint, each colour is decoded once. And the
//! classes' names written among their dots, so that colour is not all that tells them apart.

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

/// Below this many dots a class's name is lifted off them.
const FEW_DOTS: usize = 20;
/// How far a name is lifted, and how far from the canvas's top and bottom it stays (its
/// 14 px line's half, and a little).
const NAME_LIFT_PX: f64 = 12.0;
/// About the widest a Latin character of the names' bold 14 px text is, and a CJK one.
const LATIN_PX: f64 = 9.0;
const WIDE_PX: f64 = 14.0;

/// Writes each class's name at the middle (the mean) of its dots, so that colour is not the
/// only thing telling the classes apart. Returns how many names were written.
///
/// A class of a few dots (a set of one's own drawings) has its name just above (or below) their
/// middle, where it would otherwise cover them all; every name stays whole inside the canvas.
pub(crate) fn name_the_classes(
    context: &CanvasRenderingContext2d,
    points: &[(f64, f64)],
    labels: &[u8],
    names: &[String],
) -> usize {
    let mut sums = vec![(0.0, 0.0, 0usize); names.len()];
    for (&(x, y), &label) in points.iter().zip(labels) {
        if let Some(sum) = sums.get_mut(label as usize) {
            *sum = (sum.0 + x, sum.1 + y, sum.2 + 1);
        }
    }
    context.set_font("bold 14px system-ui, sans-serif");
    context.set_text_align("center");
    context.set_text_baseline("middle");
    context.set_line_width(4.0);
    context.set_stroke_style_str("rgba(255, 255, 255, 0.9)");
    context.set_fill_style_str("#1d2330");
    let mut named = 0;
    for (name, &(x, y, count)) in names.iter().zip(&sums) {
        if count == 0 {
            continue;
        }
        let (mut x, mut y) = (x / count as f64, y / count as f64);
        if count < FEW_DOTS {
            // Above them, or below them at the canvas's top.
            y += if y >= 2.0 * NAME_LIFT_PX {
                -NAME_LIFT_PX
            } else {
                NAME_LIFT_PX
            };
        }
        if let Some(canvas) = context.canvas() {
            let (width, height) = (f64::from(canvas.width()), f64::from(canvas.height()));
            // Estimated, not measured (measuring would take a web-sys feature for this one
            // line; a little room too many is harmless).
            let wide: f64 = name
                .chars()
                .map(|c| if c.is_ascii() { LATIN_PX } else { WIDE_PX })
                .sum();
            let half = wide / 2.0 + 4.0;
            x = x.clamp(half, (width - half).max(half));
            y = y.clamp(NAME_LIFT_PX, (height - NAME_LIFT_PX).max(NAME_LIFT_PX));
        }
        // A halo first, so the name reads over dots of any colour.
        let _ = context.stroke_text(name, x, y);
        let _ = context.fill_text(name, x, y);
        named += 1;
    }
    named
}
