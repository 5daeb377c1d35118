//! The import worker: the worker binary started as `worker_loader.js?role=import`, one per
//! import. It takes one [`ImportRequest`] and then its `File`s in batches
//! ([`ImportCommand::ImportFiles`]), decodes each picture as soon as it is there with
//! the browser ([`super::picture`]) — the pictures of a zip archive too ([`super::unzip`]) —
//! gathers them with `ml::dataset::import`, and answers with progress and then the dataset
//! file. The page's thread only sends files and shows progress; cancelling is ending this
//! worker. Its messages are in both of the page's languages ([`Said`]).

use std::cell::RefCell;
use std::rc::Rc;

use js_sys::{Array, Function, Promise, Reflect, Uint8Array};
use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{Blob, MessageEvent};

use super::host::{now_ms, post_message, scope};
use super::{picture, unzip};
use crate::ml::dataset::archive::{read_zip, Listing};
use crate::ml::dataset::fit::FitOptions;
use crate::ml::dataset::import::{label_of, looks_like_picture, Importer, Passed};
use crate::ml::dataset::{file, ImageShape};
use crate::protocol::{ImportCommand, ImportEvent, ImportRequest, PROTOCOL_VERSION};
use crate::ui_logic::error_words::Worded;
use crate::ui_logic::import_words::tally_words;
use crate::ui_logic::said::Said;

/// Pictures are decoded at most this many times the dataset's side: enough for the area
/// average to be faithful, small enough that a 10,000-pixel photo costs little.
const DECODE_OVERSAMPLE: f64 = 4.0;

/// Shortest time between two progress messages: a count the eye can follow, without a
/// message per file.
const PROGRESS_EVERY_MS: f64 = 100.0;

/// The largest zip archive an import reads (it is held whole while its pictures are read).
const MAX_ARCHIVE_BYTES: f64 = 512.0 * 1024.0 * 1024.0;

fn post(event: &ImportEvent) {
    post_message(event, "dataset");
}

fn fail(message: Said) {
    post(&ImportEvent::ImportFailed { message });
}

/// The files handed over so far, and the import waiting for the next batch, if it is.
#[derive(Default)]
struct Inbox {
    files: RefCell<Vec<Option<Blob>>>,
    waiting: RefCell<Option<Function>>,
}

impl Inbox {
    /// File `index` (`None` if what came is not a file), once it has come.
    async fn file(&self, index: usize) -> Option<Blob> {
        loop {
            if let Some(file) = self.files.borrow().get(index) {
                return file.clone();
            }
            let arrived = Promise::new(&mut |resolve, _| {
                *self.waiting.borrow_mut() = Some(resolve);
            });
            let _ = JsFuture::from(arrived).await;
        }
    }

    /// A batch of files from `from` on: they must follow the ones already here.
    fn receive(&self, from: usize, files: &JsValue) -> Result<(), Said> {
        let list: Array = files.clone().dyn_into().unwrap_or_default();
        {
            let mut kept = self.files.borrow_mut();
            if from != kept.len() {
                let had = kept.len();
                return Err(Said::new(
                    format!("the import worker got files from {from} after {had}; reload the page"),
                    format!(
                        "导入线程已有 {had} 个文件，却收到了从第 {from} 个起的一批；请刷新页面"
                    ),
                ));
            }
            kept.extend(list.iter().map(|f| f.dyn_into::<Blob>().ok()));
        }
        if let Some(wake) = self.waiting.borrow_mut().take() {
            let _ = wake.call0(&JsValue::NULL);
        }
        Ok(())
    }
}

pub fn start() {
    std::panic::set_hook(Box::new(|info| {
        fail(Said::new(
            format!("the import stopped on an error inside Latent Lab: {info}"),
            format!("导入因 Latent Lab 内部的错误而中断：{info}"),
        ));
    }));
    let inbox = Rc::new(Inbox::default());
    let on_request = Closure::<dyn FnMut(MessageEvent)>::new(move |e: MessageEvent| {
        let data = e.data();
        match serde_wasm_bindgen::from_value::<ImportCommand>(data.clone()) {
            Ok(ImportCommand::Import(request)) => {
                wasm_bindgen_futures::spawn_local(import(request, inbox.clone()));
            }
            Ok(ImportCommand::ImportFiles { from }) => {
                let files = Reflect::get(&data, &"files".into()).unwrap_or_default();
                if let Err(message) = inbox.receive(from, &files) {
                    fail(message);
                }
            }
            Err(e) => fail(Said::new(
                format!(
                    "the import worker got a message it does not understand ({e}); reload the page"
                ),
                format!("导入线程收到了一条它看不懂的消息（{e}）；请刷新页面"),
            )),
        }
    });
    scope().set_onmessage(Some(on_request.as_ref().unchecked_ref()));
    on_request.forget();
    post(&ImportEvent::ImportReady {
        version: PROTOCOL_VERSION,
    });
}

/// Whether `path` names a zip archive.
fn is_zip(path: &str) -> bool {
    path.rsplit_once('.')
        .is_some_and(|(_, ending)| ending.eq_ignore_ascii_case("zip"))
}

/// An import under way: the importer, the count of files looked at, and when progress was
/// last told.
struct Gathering {
    importer: Importer,
    max_side: f64,
    done: usize,
    total: usize,
    told_ms: f64,
}

impl Gathering {
    fn tell(&mut self) {
        if now_ms() - self.told_ms >= PROGRESS_EVERY_MS {
            post(&ImportEvent::ImportProgress {
                done: self.done,
                total: self.total,
            });
            self.told_ms = now_ms();
        }
    }

    /// Whether the file at `path` is worth opening: a picture by its name, with room left.
    /// If not, it is counted as passed over.
    fn wants(&mut self, path: &str) -> bool {
        if !looks_like_picture(path) {
            self.importer.pass(path, Passed::NotAPicture);
            false
        } else if self.importer.is_full() {
            self.importer.pass(path, Passed::OverTheCap);
            false
        } else {
            true
        }
    }

    /// Decodes and adds the picture `blob`, found at `path` with `label`.
    async fn add(&mut self, path: &str, label: Option<&str>, blob: Option<Blob>) {
        let decoded = match blob {
            Some(blob) => picture::decode(&blob, self.max_side).await,
            None => None,
        };
        match decoded {
            Some(picture) => {
                self.importer.add(path, label, picture.as_rgba());
            }
            None => self.importer.pass(path, Passed::Unreadable),
        }
    }

    /// Adds the pictures of the zip archive `listing` (found at `path`): each labelled by the
    /// folder it is in.
    async fn add_archive(&mut self, path: &str, listing: Listing) {
        self.total = self.total - 1 + listing.files.len() + listing.skipped.len();
        for (inner, _why) in &listing.skipped {
            self.importer
                .pass(&format!("{path}/{inner}"), Passed::Unreadable);
            self.done += 1;
        }
        for entry in listing.files {
            self.tell();
            let inner = format!("{path}/{}", entry.path);
            if self.wants(&inner) {
                let blob = unzip::unpack(&entry.content)
                    .await
                    .ok()
                    .and_then(|bytes| unzip::blob_of(&bytes));
                self.add(&inner, entry.folder.as_deref(), blob).await;
            }
            self.done += 1;
        }
    }
}

/// Lists the zip archive `blob`, found at `path`.
async fn list_archive(blob: &Blob, path: &str) -> Result<Listing, Said> {
    if blob.size() > MAX_ARCHIVE_BYTES {
        let (size, most) = (blob.size() / 1e6, MAX_ARCHIVE_BYTES / 1e6);
        return Err(Said::new(
            format!("“{path}” is {size:.0} MB, more than the {most:.0} MB an archive may be; unpack it and import the folder"),
            format!("“{path}”有 {size:.0} MB，超过了压缩包 {most:.0} MB 的上限；请先解压，再导入解压出来的文件夹"),
        ));
    }
    let buffer = JsFuture::from(blob.array_buffer())
        .await
        .map_err(|_| unreadable(path))?;
    read_zip(&Uint8Array::new(&buffer).to_vec()).map_err(|e| {
        e.said().within(
            |why| format!("“{path}”: {why}"),
            |why| format!("“{path}”：{why}"),
        )
    })
}

/// That the file at `path` could not be read.
fn unreadable(path: &str) -> Said {
    Said::new(
        format!("“{path}” could not be read"),
        format!("无法读取“{path}”"),
    )
}

/// Carries out one request, its files taken from `inbox` as they come, posting its progress
/// and its outcome.
async fn import(request: ImportRequest, inbox: Rc<Inbox>) {
    let count = request.paths.len();
    let shape = match ImageShape::new(request.channels, request.side) {
        Ok(shape) => shape,
        Err(e) => return fail(e.said()),
    };
    let mut gathering = Gathering {
        importer: Importer::new(FitOptions {
            shape,
            fit: request.fit,
            invert_dark_on_light: request.invert_dark_on_light,
        }),
        max_side: shape.side as f64 * DECODE_OVERSAMPLE,
        done: 0,
        total: count,
        told_ms: f64::NEG_INFINITY,
    };
    for (index, path) in request.paths.iter().enumerate() {
        gathering.tell();
        let blob = inbox.file(index).await;
        if is_zip(path) {
            // A refused archive (a bomb, encrypted, damaged) ends the import: its message is
            // the news, not a count.
            let listed = match &blob {
                Some(blob) => list_archive(blob, path).await,
                None => Err(unreadable(path)),
            };
            match listed {
                Ok(listing) => gathering.add_archive(path, listing).await,
                Err(message) => {
                    return fail(message.within(
                        |why| format!("{why}. Nothing was kept."),
                        |why| format!("{why}。什么都没有保存。"),
                    ))
                }
            }
            continue;
        }
        if gathering.wants(path) {
            gathering.add(path, label_of(path), blob).await;
        }
        gathering.done += 1;
    }
    post(&ImportEvent::ImportProgress {
        done: gathering.total,
        total: gathering.total,
    });
    let importer = gathering.importer;
    let total = gathering.total;
    let tally = importer.tally().clone();
    match importer.finish(&request.name) {
        Ok((set, tally)) => post(&ImportEvent::Imported {
            dataset: file::save(&set),
            tally,
        }),
        Err(_) if tally.kept == 0 => fail(Said::of(|l| {
            let tally = tally_words(&tally, l);
            l.text(
                format!("None of the {total} files could be used: {tally}."),
                format!("这 {total} 个文件都无法使用：{tally}。"),
            )
        })),
        Err(e) => fail(e.said()),
    }
}
