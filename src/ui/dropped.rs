//! The files of a drag and drop, folders walked: each file with its path from what was dropped
//! ("shapes/discs/1.png" for a folder "shapes"; its name for a file dropped alone), the same form
//! a folder picker gives, so a dropped folder's folders become labels too.

use js_sys::{Array, Promise};
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use web_sys::{DragEvent, File, FileSystemDirectoryEntry, FileSystemEntry, FileSystemFileEntry};

/// A dropped folder is walked at most this deep: deeper is not a folder of pictures, and a
/// link to its own parent must not loop.
const MAX_DEPTH: usize = 16;

/// What was dropped, read at once: the browser empties the drop's items once its event
/// handler returns. Files whose entry cannot be had (a synthetic drop) come as plain files.
pub(crate) enum Dropped {
    Entry(FileSystemEntry),
    File(File),
}

pub(crate) fn take(ev: &DragEvent) -> Vec<Dropped> {
    let Some(transfer) = ev.data_transfer() else {
        return Vec::new();
    };
    let items = transfer.items();
    (0..items.length())
        .filter_map(|i| items.get(i))
        .filter(|item| item.kind() == "file")
        .filter_map(|item| match item.webkit_get_as_entry() {
            Ok(Some(entry)) => Some(Dropped::Entry(entry)),
            _ => item.get_as_file().ok().flatten().map(Dropped::File),
        })
        .collect()
}

/// Every file of `dropped`, folders walked (in the order the browser lists them), with its
/// path. Unreadable parts are left out: the import counts only what it is given.
pub(crate) async fn files(dropped: Vec<Dropped>) -> Vec<(String, File)> {
    let mut out = Vec::new();
    let mut pending: Vec<(FileSystemEntry, usize)> = Vec::new();
    for item in dropped {
        match item {
            Dropped::File(file) => out.push((file.name(), file)),
            Dropped::Entry(entry) => pending.push((entry, 0)),
        }
    }
    // Depth first, in order: a stack popped from the end, children pushed reversed.
    pending.reverse();
    while let Some((entry, depth)) = pending.pop() {
        let path = entry.full_path().trim_start_matches('/').to_string();
        if entry.is_file() {
            if let Some(file) = file_of(entry.unchecked_ref()).await {
                out.push((path, file));
            }
        } else if entry.is_directory() && depth < MAX_DEPTH {
            let children = children_of(entry.unchecked_ref()).await;
            pending.extend(children.into_iter().rev().map(|c| (c, depth + 1)));
        }
    }
    out
}

async fn file_of(entry: &FileSystemFileEntry) -> Option<File> {
    let promise = Promise::new(&mut |resolve, reject| {
        entry.file_with_callback_and_callback(&resolve, &reject);
    });
    JsFuture::from(promise).await.ok()?.dyn_into().ok()
}

/// A folder's entries. The browser hands them out in batches (Chromium: 100), until an empty one.
async fn children_of(folder: &FileSystemDirectoryEntry) -> Vec<FileSystemEntry> {
    let reader = folder.create_reader();
    let mut all = Vec::new();
    loop {
        let promise = Promise::new(&mut |resolve, reject| {
            let _ = reader.read_entries_with_callback_and_callback(&resolve, &reject);
        });
        let Ok(batch) = JsFuture::from(promise).await else {
            break;
        };
        let batch: Array = batch.unchecked_into();
        if batch.length() == 0 {
            break;
        }
        all.extend(batch.iter().map(|e| e.unchecked_into::<FileSystemEntry>()));
    }
    // By name, as a listing shows them: the same folder dropped twice is the same dataset.
    all.sort_by_key(|e| e.name());
    all
}
