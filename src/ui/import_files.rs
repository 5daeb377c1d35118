//! The files of an import: where each sits (its path and its label) and gathering them, one
//! after another, into a dataset: decoded by the browser, fitted, counted.

use leptos::prelude::*;

use super::picture_file;
use crate::ml::dataset::fit::FitOptions;
use crate::ml::dataset::import::{looks_like_picture, Importer, Passed, Tally};
use crate::ml::dataset::Dataset;

/// Pictures are decoded at most this many times the dataset's side: enough for the area
/// average to be faithful, small enough that a 10,000-pixel photo costs little.
const DECODE_OVERSAMPLE: f64 = 4.0;

/// Where a file sits: its path from the chosen folder (or its name), and its label: the folder
/// it is in right under the chosen one ("shapes/discs/big/1.png" is a "discs"). A file of the
/// chosen folder itself, or a file chosen alone, has none.
pub(crate) fn place(file: &web_sys::File) -> (String, Option<String>) {
    let relative = js_sys::Reflect::get(file, &"webkitRelativePath".into())
        .ok()
        .and_then(|v| v.as_string())
        .filter(|p| !p.is_empty())
        .unwrap_or_else(|| file.name());
    let parts: Vec<&str> = relative.split('/').collect();
    let folder = (parts.len() >= 3)
        .then(|| parts[1])
        .filter(|f| !f.is_empty())
        .map(str::to_string);
    (relative, folder)
}

/// Decodes and gathers `files`, reporting `(done, total)` as it goes; stops early when
/// `cancelled` is set.
pub(crate) async fn gather(
    files: Vec<web_sys::File>,
    options: FitOptions,
    name: String,
    progress: RwSignal<Option<(usize, usize)>>,
    cancelled: StoredValue<bool>,
) -> Result<(Dataset, Tally), String> {
    let mut importer = Importer::new(options);
    let total = files.len();
    let max_side = options.shape.side as f64 * DECODE_OVERSAMPLE;
    for (done, file) in files.iter().enumerate() {
        if cancelled.get_value() {
            return Err("Import cancelled; nothing was kept.".to_string());
        }
        progress.set(Some((done, total)));
        let (path, folder) = place(file);
        if !looks_like_picture(&path) {
            importer.pass(&path, Passed::NotAPicture);
            continue;
        }
        if importer.is_full() {
            importer.pass(&path, Passed::OverTheCap);
            continue;
        }
        match picture_file::decode(file, max_side).await {
            Ok(picture) => {
                importer.add(&path, folder.as_deref(), picture.as_rgba());
            }
            Err(_) => importer.pass(&path, Passed::Unreadable),
        }
    }
    let tally = importer.tally().clone();
    importer.finish(&name).map_err(|e| {
        if tally.kept == 0 {
            format!(
                "None of the {total} files could be used: {}.",
                tally.describe()
            )
        } else {
            e.to_string()
        }
    })
}
