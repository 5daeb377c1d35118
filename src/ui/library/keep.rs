//! What the library keeps and forgets: a model file a person loads, a training run's newest
//! weights (listed under the run's name, and handed to IndexedDB with its run record), and a
//! deletion. The library's state and its loading are in `mod.rs`.

use std::sync::Arc;

use leptos::prelude::*;

use super::{js_now, Entry, Library};
use crate::ml::checkpoint;
use crate::ui::state::{ActiveModel, Lab};
use crate::ui::storage::{self, StoredModel};
use crate::ui_logic::error_words::Worded;
use crate::ui_logic::said::Said;

impl Library {
    async fn keep(self, entry: Entry, bytes: Vec<u8>) -> Result<(), Said> {
        let record = StoredModel {
            id: entry.id.clone(),
            name: entry.name.en.clone(),
            name_zh: Some(entry.name.zh.clone()),
            saved_ms: entry.saved_ms,
            bytes: bytes.clone(),
        };
        self.bytes.update_value(|b| {
            b.insert(entry.id.clone(), bytes);
        });
        self.entries
            .update(|list| match list.iter_mut().find(|e| e.id == entry.id) {
                Some(e) => *e = entry,
                None => list.push(entry),
            });
        storage::put(&record).await
    }

    /// A file the user picked or dropped: checked, kept and activated; or refused with a reason
    /// and nothing changed.
    pub async fn add_file(self, lab: Lab, file_name: String, bytes: Vec<u8>) {
        // The same file twice is one model: show the one kept rather than keep a copy.
        let kept = self.entries.with_untracked(|list| {
            self.bytes.with_value(|b| {
                list.iter()
                    .find(|e| b.get(&e.id).is_some_and(|k| *k == bytes))
                    .map(|e| (e.id.clone(), e.name.clone()))
            })
        });
        if let Some((id, name)) = kept {
            self.select(lab, id).await;
            self.message.set(Some(name.within(
                |why| {
                    format!(
                        "“{file_name}” is already in this browser, as “{why}”: that one is shown."
                    )
                },
                |why| format!("“{file_name}”已在这个浏览器中，名为“{why}”：现在显示的就是它。"),
            )));
            return;
        }
        let ticket = self.claim();
        let (model, info) = match checkpoint::load(&bytes) {
            Ok(loaded) => loaded,
            Err(e) => {
                self.message.set(Some(e.said().within(
                    |why| format!("“{file_name}” was not loaded: {why}. Nothing was changed."),
                    |why| format!("“{file_name}”没有载入：{why}。什么都没有改变。"),
                )));
                return;
            }
        };
        let saved_ms = js_now();
        let entry = Entry {
            id: format!("stored:file-{saved_ms}"),
            name: Said::plain(format!("{file_name} ({})", info.config)),
            saved_ms,
        };
        let model = Arc::new(ActiveModel::new(entry.id.clone(), model, info));
        self.remember(model.clone());
        if self.is_current(ticket) {
            lab.activate(model);
        }
        match self.keep(entry, bytes).await {
            Ok(()) => self.message.set(Some(Said::new(
                format!("Loaded “{file_name}” and kept it in this browser."),
                format!("已载入“{file_name}”，并保存在这个浏览器中。"),
            ))),
            Err(e) => self.message.set(Some(e.within(
                |why| {
                    format!(
                        "Loaded “{file_name}”, but it could not be kept for the next visit: {why}."
                    )
                },
                |why| format!("已载入“{file_name}”，但无法保存到下次访问：{why}。"),
            ))),
        }
    }

    /// Records a training run's newest weights under `id` (creating its entry), and makes them
    /// the explored model when `follow` is set.
    pub fn update_run(
        self,
        lab: Lab,
        id: &str,
        name: Said,
        bytes: Vec<u8>,
        follow: bool,
    ) -> Result<(), Said> {
        if self.deleted.with_value(|d| d.contains(id)) {
            return Ok(());
        }
        let (model, info) = checkpoint::load(&bytes).map_err(|e| {
            e.said().within(
                |why| format!("the worker sent weights that cannot be used: {why}"),
                |why| format!("训练线程发来的权重无法使用：{why}"),
            )
        })?;
        let model = Arc::new(ActiveModel::new(id.to_string(), model, info));
        self.remember(model.clone());
        self.bytes.update_value(|b| {
            b.insert(id.to_string(), bytes);
        });
        let exists = self
            .entries
            .with_untracked(|list| list.iter().any(|e| e.id == id));
        if exists {
            self.entries.update(|list| {
                if let Some(e) = list.iter_mut().find(|e| e.id == id) {
                    e.name = name;
                }
            });
        } else {
            self.entries.update(|list| {
                list.push(Entry {
                    id: id.to_string(),
                    name,
                    saved_ms: js_now(),
                })
            });
        }
        if follow {
            self.claim();
            lab.update_weights(model);
        }
        Ok(())
    }

    /// A run's newest weights as they are to be kept in IndexedDB (with its run record, by
    /// the caller, in one transaction), stamped now; `None` once the model is deleted.
    pub fn to_keep(self, id: &str) -> Option<StoredModel> {
        if self.deleted.with_value(|d| d.contains(id)) {
            return None;
        }
        let saved_ms = js_now();
        let name = self.entries.try_update(|list| {
            let entry = list.iter_mut().find(|e| e.id == id)?;
            entry.saved_ms = saved_ms;
            Some(entry.name.clone())
        })??;
        let bytes = self.bytes.with_value(|b| b.get(id).cloned())?;
        Some(StoredModel {
            id: id.to_string(),
            name: name.en,
            name_zh: Some(name.zh),
            saved_ms,
            bytes,
        })
    }

    /// Forgets a kept model (the active one stays in use until another is picked).
    pub async fn remove(self, id: String) {
        self.deleted.update_value(|d| {
            d.insert(id.clone());
        });
        self.entries.update(|list| list.retain(|e| e.id != id));
        self.bytes.update_value(|b| {
            b.remove(&id);
        });
        self.models.update_value(|m| {
            m.remove(&id);
        });
        if let Err(e) = storage::delete(&id).await {
            self.message.set(Some(e.within(
                |why| format!("The model could not be deleted from this browser: {why}."),
                |why| format!("无法从这个浏览器中删除这个模型：{why}。"),
            )));
        }
    }
}
