//! The built-in generated dataset: the sprites (`ml::dataset::sprites`), drawn in the page when
//! a person picks them in the Data menu (or comes back to a page that used them), never
//! downloaded and never kept in IndexedDB: drawing them again is quicker than reading 39 MiB
//! back. The page knows each test picture's factors, which the factors chapter needs.

use std::sync::Arc;

use super::clock::yield_to_browser;
use super::datasets::Chosen;
use super::i18n::Lang;
use crate::ml::dataset::file;
use crate::ml::dataset::sprites::{subset_test_factors, SubsetDrawing};
use crate::ui_logic::error_words::Worded;
use crate::ui_logic::said::Said;

/// The sprites' id in the Data menu and in the page's memory of the data in use (no kept
/// dataset's id looks like it: those start `dataset-`).
pub const SPRITES_ID: &str = "generated:sprites";

/// Images drawn between two paints (~10 ms: an image takes ~57 µs natively, a little more in wasm).
const IMAGES_A_PIECE: usize = 160;

/// What the page says while it draws them (a second or so).
pub fn drawing_words(lang: Lang) -> String {
    lang.text("Drawing 10,080 shapes…", "正在画 10,080 个形状……")
        .to_string()
}

/// Draws the sprites, letting the page paint between pieces, and makes them a dataset ready to
/// use, its file (for the worker) and its test pictures' factors beside it.
pub async fn draw_sprites() -> Result<Chosen, Said> {
    let mut drawing = SubsetDrawing::new();
    while drawing.draw(IMAGES_A_PIECE) {
        yield_to_browser().await;
    }
    let dataset = drawing.finish().map_err(|e| {
        e.said().within(
            |why| format!("the shapes could not be drawn: {why}"),
            |why| format!("无法画出这些形状：{why}"),
        )
    })?;
    yield_to_browser().await;
    let bytes = file::save(&dataset);
    Ok(Chosen {
        id: SPRITES_ID.to_string(),
        dataset: Arc::new(dataset),
        file: Arc::new(bytes),
        // White shapes on black, as dSprites draws them, shown as ink on paper like the digits.
        ink: true,
        factors: Some(Arc::new(subset_test_factors())),
    })
}
