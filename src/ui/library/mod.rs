//! The model library's state: the pretrained models, every model trained in this browser, and
//! files loaded from disk (the picker that shows it is `picker.rs`). Kept models live in
//! IndexedDB ([`super::storage`]), so a reload loses nothing; each can be downloaded as
//! `.safetensors`, and a file made by this app or the native trainer can be loaded by the file
//! picker or by dropping it on the page. A file that is not a usable model gets a message saying
//! why, and nothing changes. What the library keeps and forgets is in [`keep`]; a kept model's
//! name is in both languages, so the list follows a switch.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use leptos::prelude::*;

use super::clock::yield_to_browser;
use super::fetch::{blob_bytes, fetch_blob, fetch_bytes_as_they_come};
use super::state::{ActiveModel, Lab};
use super::storage;
use crate::ml::checkpoint::{self, Precision};
use crate::ml::dataset::ImageShape;
use crate::ml::pretrained::{self, TrainedOn, PRETRAINED};
use crate::ui_logic::error_words::Worded;
use crate::ui_logic::said::Said;

mod keep;

/// A model kept in this browser (the pretrained ones are listed from `PRETRAINED`).
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    /// `stored:<key>`.
    pub id: String,
    /// In both languages, so the list follows a switch.
    pub name: Said,
    pub saved_ms: f64,
}

pub fn pretrained_id(id: &str) -> String {
    format!("pretrained:{id}")
}

fn js_now() -> f64 {
    js_sys::Date::now()
}

/// The library's state, shared by the picker and the training panel.
#[derive(Clone, Copy)]
pub struct Library {
    pub entries: RwSignal<Vec<Entry>>,
    /// The last thing worth telling about the library (a bad file, full storage…).
    pub message: RwSignal<Option<Said>>,
    /// Checkpoint bytes by model id, for downloads and for loading on demand.
    bytes: StoredValue<HashMap<String, Vec<u8>>, LocalStorage>,
    /// The pretrained models' files fetched in the background ([`Library::warm`]) and not read
    /// yet, by model id, as the browser's blobs: read into the page only when chosen.
    warmed: StoredValue<HashMap<String, web_sys::Blob>, LocalStorage>,
    /// Models already loaded, by id, so switching back is instant.
    models: StoredValue<HashMap<String, Arc<ActiveModel>>, LocalStorage>,
    /// Ids deleted in this session, so a late snapshot or save does not bring them back.
    deleted: StoredValue<HashSet<String>, LocalStorage>,
    /// Bumped by every choice of model; a load that finishes after a newer choice does not
    /// overrule it.
    generation: StoredValue<u64>,
}

pub fn use_library() -> Library {
    expect_context::<Library>()
}

impl Library {
    /// Whether the page's first model is shown, or has failed to come (the library's message
    /// says why); once true, true for good. Until then the network is left to that model's
    /// file: on a phone's slow link the digits, the worker and the offline copy fetched beside
    /// it made the first digit wait nearly twice as long (18.8 s against 10.2 s on Lighthouse's
    /// mobile network, 1.6 Mbit/s).
    pub fn first_model_settled(self, lab: Lab) -> Memo<bool> {
        Memo::new(move |was: Option<&bool>| {
            was.copied().unwrap_or(false)
                || lab.active.with(Option::is_some)
                || self.message.with(Option::is_some)
        })
    }

    pub fn new() -> Self {
        Self {
            entries: RwSignal::new(Vec::new()),
            message: RwSignal::new(None),
            bytes: StoredValue::new_local(HashMap::new()),
            warmed: StoredValue::new_local(HashMap::new()),
            models: StoredValue::new_local(HashMap::new()),
            deleted: StoredValue::new_local(HashSet::new()),
            generation: StoredValue::new(0),
        }
    }

    /// Marks a new choice of model and returns its ticket.
    fn claim(self) -> u64 {
        let ticket = self.generation.get_value() + 1;
        self.generation.set_value(ticket);
        ticket
    }

    fn is_current(self, ticket: u64) -> bool {
        self.generation.get_value() == ticket
    }

    /// Adds the models kept in IndexedDB to the list (models added meanwhile stay).
    pub async fn restore(self) {
        match storage::list().await {
            Ok(kept) => {
                for m in kept {
                    if self
                        .entries
                        .with_untracked(|list| list.iter().any(|e| e.id == m.id))
                    {
                        continue;
                    }
                    self.bytes.update_value(|b| {
                        b.insert(m.id.clone(), m.bytes);
                    });
                    self.entries.update(|list| {
                        let zh = m.name_zh.unwrap_or_else(|| m.name.clone());
                        list.push(Entry {
                            id: m.id,
                            name: Said::new(m.name, zh),
                            saved_ms: m.saved_ms,
                        });
                        list.sort_by(|a, b| a.saved_ms.total_cmp(&b.saved_ms));
                    });
                }
            }
            Err(e) => self.message.set(Some(e.within(
                |why| format!("Saved models cannot be shown: {why}."),
                |why| format!("无法显示保存的模型：{why}。"),
            ))),
        }
    }

    /// Checkpoint bytes of a model, for a download.
    pub fn checkpoint_of(self, id: &str) -> Option<Vec<u8>> {
        if let Some(bytes) = self.bytes.with_value(|b| b.get(id).cloned()) {
            return Some(bytes);
        }
        let model = self.models.with_value(|m| m.get(id).cloned())?;
        checkpoint::save(&model.model, Precision::F32, &model.info.notes).ok()
    }

    /// The kept models that read pictures of `shape` (by their files' headers, without loading
    /// their weights), newest first, at most `limit`: what the comparison chapter sets side by
    /// side on a dataset of one's own.
    pub fn kept_of_shape(self, shape: ImageShape, limit: usize) -> Vec<String> {
        let mut entries = self.entries.get_untracked();
        entries.sort_by(|a, b| b.saved_ms.total_cmp(&a.saved_ms));
        self.bytes.with_value(|bytes| {
            entries
                .iter()
                .filter(|e| e.id.starts_with("stored:"))
                .filter(|e| {
                    bytes
                        .get(&e.id)
                        .and_then(|b| checkpoint::read_info(b).ok())
                        .is_some_and(|info| info.config.shape == shape)
                })
                .take(limit)
                .map(|e| e.id.clone())
                .collect()
        })
    }

    /// The name the library lists `id` under (empty if it lists no such model).
    pub fn name_of(self, id: &str) -> Said {
        self.entries
            .with_untracked(|list| list.iter().find(|e| e.id == id).map(|e| e.name.clone()))
            .unwrap_or_else(|| Said::plain(""))
    }

    fn remember(self, model: Arc<ActiveModel>) {
        self.models.update_value(|m| {
            m.insert(model.id.clone(), model);
        });
    }

    /// The model `id`, from memory or loaded (a pretrained one fetched, a kept one read from its
    /// bytes), without making it the active one.
    pub async fn load(self, id: &str) -> Result<Arc<ActiveModel>, Said> {
        self.load_drawing_early(id, None::<fn(Vec<u8>)>).await
    }

    /// [`Library::load`]; if the model's file is fetched, `decoder_came` is handed the first
    /// bytes as soon as they hold its whole decoder ([`checkpoint::decoder_first`]).
    async fn load_drawing_early(
        self,
        id: &str,
        mut decoder_came: Option<impl FnOnce(Vec<u8>)>,
    ) -> Result<Arc<ActiveModel>, Said> {
        if let Some(model) = self.models.with_value(|m| m.get(id).cloned()) {
            return Ok(model);
        }
        let what = match id.strip_prefix("pretrained:") {
            Some(pid) => Said::new(
                format!("the pretrained model {pid}"),
                format!("预训练模型 {pid}"),
            ),
            None => {
                let name = self.name_of(id);
                name.within(
                    |why| format!("the saved model “{why}”"),
                    |why| format!("保存的模型“{why}”"),
                )
            }
        };
        // A kept model's bytes are always here; a pretrained one's once read, or kept by the
        // browser once fetched (`warm`; read again from the network if that fails).
        let mut here = self.bytes.with_value(|b| b.get(id).cloned());
        if let Some(blob) = self.warmed.try_update_value(|w| w.remove(id)).flatten() {
            if here.is_none() {
                here = blob_bytes(&blob, id).await.ok();
            }
        }
        let loaded = match here {
            Some(bytes) => Ok((bytes, what)),
            None => match id.strip_prefix("pretrained:") {
                Some(pid) => match pretrained::find(pid) {
                    Some(entry) => fetch_bytes_as_they_come(&entry.path(), |bytes| {
                        // Only while the rest is still to come: on a fast link the whole file
                        // is here as soon, and its decoder read on its own would be lost work.
                        let to_come = decoder_came
                            .as_ref()
                            .and_then(|_| checkpoint::decoder_has_come(bytes));
                        if to_come.is_some_and(|rest| rest > 0) {
                            if let Some(came) = decoder_came.take() {
                                came(bytes.to_vec());
                            }
                        }
                    })
                    .await
                    .map(|b| (b, what)),
                    None => Err(Said::new(
                        format!("there is no pretrained model {pid}"),
                        format!("没有名为 {pid} 的预训练模型"),
                    )),
                },
                None => Err(Said::new(
                    "that model is no longer in this browser",
                    "这个模型已不在这个浏览器中",
                )),
            },
        };
        let (bytes, what) = loaded?;
        // Reading the weights, packing the decoder and showing the model are a task each:
        // together they held a phone's main thread for ~170 ms.
        let (model, info) = checkpoint::load(&bytes).map_err(|e| {
            // Bytes fetched in the background are read only now: unreadable ones are dropped,
            // so that the next choice fetches the file again (a kept model's bytes stay).
            if id.starts_with("pretrained:") {
                self.bytes.update_value(|b| {
                    b.remove(id);
                });
            }
            let why = e.said();
            Said::new(
                format!("{} could not be loaded: {}", what.en, why.en),
                format!("无法载入{}：{}", what.zh, why.zh),
            )
        })?;
        self.bytes.update_value(|b| {
            b.insert(id.to_string(), bytes);
        });
        yield_to_browser().await;
        let model = Arc::new(ActiveModel::new(id.to_string(), model, info));
        self.remember(model.clone());
        yield_to_browser().await;
        Ok(model)
    }

    /// Makes the model `id` the active one, loading it first if needed. On failure the active
    /// model stays and the message says why.
    pub async fn select(self, lab: Lab, id: String) {
        let ticket = self.claim();
        // The page's first model draws its first pictures from its decoder, which comes first
        // in the file, while the encoder still downloads: on a phone's slow link, seconds.
        let first = lab.active.with_untracked(Option::is_none);
        let early_id = id.clone();
        // Once the whole file is read (or refused), its decoder is late: never shown after.
        let settled = std::rc::Rc::new(std::cell::Cell::new(false));
        let late = settled.clone();
        let decoder_came = move |prefix: Vec<u8>| {
            leptos::task::spawn_local(async move {
                // Read and packed in tasks of their own, as the whole model is (`load`).
                yield_to_browser().await;
                // The whole file may have come meanwhile (and been read in the task it came in).
                if late.get() || self.bytes.with_value(|b| b.contains_key(&early_id)) {
                    return;
                }
                let Some((model, info)) = checkpoint::decoder_first(&prefix) else {
                    return; // the whole file, once here, says what is wrong with it
                };
                yield_to_browser().await;
                let early = Arc::new(ActiveModel::new(early_id, model, info));
                if self.is_current(ticket) && !late.get() {
                    lab.draw_from_decoder_first(early);
                }
            });
        };
        let loaded = self
            .load_drawing_early(&id, first.then_some(decoder_came))
            .await;
        settled.set(true);
        match loaded {
            Ok(model) if self.is_current(ticket) => {
                lab.activate(model);
                self.message.set(None);
            }
            Err(message) if self.is_current(ticket) => {
                // A file refused after its decoder had come: no picture of a model not loaded.
                lab.forget_decoder_first();
                self.message.set(Some(message));
            }
            _ => {} // a newer choice was made meanwhile
        }
    }

    /// Fetches the pretrained digits models' files in the background, so a switch needs no network
    /// (and works offline). They are read into models only when chosen: reading one is a
    /// fraction of a second of the page's thread, which three at start-up would hold up; and
    /// until then the browser keeps them as blobs, out of the page's memory (read as array
    /// buffers, each file held the page's thread ~10 ms as it arrived).
    pub async fn warm(self) {
        // The model of the generated shapes waits until a person chooses it.
        for entry in PRETRAINED.iter().filter(|p| p.data == TrainedOn::Digits) {
            let id = pretrained_id(entry.id);
            let have = |id: &String| {
                self.bytes.with_value(|b| b.contains_key(id))
                    || self.warmed.with_value(|w| w.contains_key(id))
            };
            if have(&id) {
                continue;
            }
            if let Ok(blob) = fetch_blob(&entry.path()).await {
                // A choice made meanwhile may have fetched and read it already.
                if !have(&id) {
                    self.warmed.update_value(|w| {
                        w.insert(id, blob);
                    });
                }
            }
        }
    }
}

impl Default for Library {
    fn default() -> Self {
        Self::new()
    }
}
