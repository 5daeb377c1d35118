//! The scatter's dots painted by class, each class's name written among its dots so that colour
//! is not the only carrier of meaning (where they go: [`crate::ui_logic::scatter_frame`]).

use wasm_bindgen::JsCast;
use web_sys::{CanvasRenderingContext2d, HtmlCanvasElement};

use super::class_styles::{name_the_classes, ClassStyles};
use crate::ui_logic::scatter_frame::SIDE;

/// Paints `points` on `canvas` by their `labels` and writes the classes' `names` among them;
/// how many classes were named, or `None` when the browser gave no 2D canvas.
pub(crate) fn paint(
    canvas: &HtmlCanvasElement,
    points: &[(f64, f64)],
    labels: &[u8],
    names: &[String],
) -> Option<usize> {
    let context = canvas
        .get_context("2d")
        .ok()
        .flatten()
        .and_then(|c| c.dyn_into::<CanvasRenderingContext2d>().ok())?;
    context.clear_rect(0.0, 0.0, SIDE, SIDE);
    context.set_global_alpha(0.7);
    // Thousands of dots stay small so the clusters show; a few dozen are drawn large enough to
    // see.
    let half = match points.len() {
        0..=100 => 4.0,
        101..=500 => 2.5,
        _ => 1.5,
    };
    let styles = ClassStyles::new();
    for (&(x, y), &label) in points.iter().zip(labels) {
        styles.fill_with(&context, label);
        context.fill_rect(x - half, y - half, 2.0 * half, 2.0 * half);
    }
    context.set_global_alpha(1.0);
    Some(name_the_classes(&context, points, labels, names))
}
