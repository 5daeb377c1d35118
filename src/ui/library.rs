//! The model library: the pretrained models, every model trained in this browser, and files
//! loaded from disk. Kept models live in IndexedDB ([`super::storage`]), so a reload loses
//! nothing; each can be downloaded as `.safetensors`, and a file made by this app or the native
//! trainer can be loaded by the file picker or by dropping it on the page. A file that is not a
//! usable model gets a message saying why, and nothing changes.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use leptos::prelude::*;
use wasm_bindgen::JsCast;

use super::fetch::fetch_bytes;
use super::state::{use_lab, ActiveModel, Lab};
use super::storage::{self, StoredModel};
use super::training::Training;
use crate::ml::checkpoint::{self, Precision};
use crate::ml::pretrained::{self, DEFAULT_PRETRAINED, PRETRAINED};

/// A model kept in this browser (the pretrained ones are listed from `PRETRAINED`).
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    /// `stored:<key>`.
    pub id: String,
    pub name: String,
    pub saved_ms: f64,
}

fn pretrained_id(id: &str) -> String {
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
    pub message: RwSignal<Option<String>>,
    /// Checkpoint bytes by model id, for downloads and for loading on demand.
    bytes: StoredValue<HashMap<String, Vec<u8>>, LocalStorage>,
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
    pub fn new() -> Self {
        Self {
            entries: RwSignal::new(Vec::new()),
            message: RwSignal::new(None),
            bytes: StoredValue::new_local(HashMap::new()),
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
                        list.push(Entry {
                            id: m.id,
                            name: m.name,
                            saved_ms: m.saved_ms,
                        });
                        list.sort_by(|a, b| a.saved_ms.total_cmp(&b.saved_ms));
                    });
                }
            }
            Err(e) => self
                .message
                .set(Some(format!("Saved models cannot be shown: {e}."))),
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

    fn remember(self, model: Arc<ActiveModel>) {
        self.models.update_value(|m| {
            m.insert(model.id.clone(), model);
        });
    }

    /// Makes the model `id` the active one, loading it first if needed. On failure the active
    /// model stays and the message says why.
    pub async fn select(self, lab: Lab, id: String) {
        let ticket = self.claim();
        if let Some(model) = self.models.with_value(|m| m.get(&id).cloned()) {
            lab.activate(model);
            return;
        }
        let loaded = if let Some(pid) = id.strip_prefix("pretrained:") {
            match pretrained::find(pid) {
                Some(entry) => fetch_bytes(&entry.path())
                    .await
                    .map(|b| (b, format!("the pretrained model {pid}"))),
                None => Err(format!("there is no pretrained model {pid}")),
            }
        } else {
            let name = self
                .entries
                .with_untracked(|e| e.iter().find(|e| e.id == id).map(|e| e.name.clone()));
            match self.bytes.with_value(|b| b.get(&id).cloned()) {
                Some(bytes) => Ok((
                    bytes,
                    format!("the saved model “{}”", name.unwrap_or_default()),
                )),
                None => Err("that model is no longer in this browser".to_string()),
            }
        };
        let result = loaded.and_then(|(bytes, what)| {
            let (model, info) =
                checkpoint::load(&bytes).map_err(|e| format!("{what} could not be loaded: {e}"))?;
            self.bytes.update_value(|b| {
                b.insert(id.clone(), bytes);
            });
            Ok(Arc::new(ActiveModel::new(id.clone(), model, info)))
        });
        match result {
            Ok(model) => {
                self.remember(model.clone());
                if self.is_current(ticket) {
                    lab.activate(model);
                    self.message.set(None);
                }
            }
            Err(message) if self.is_current(ticket) => self.message.set(Some(message)),
            Err(_) => {}
        }
    }

    /// Loads pretrained models into memory in the background, so a switch is instant.
    pub async fn warm(self) {
        for entry in PRETRAINED.iter() {
            let id = pretrained_id(entry.id);
            if self.models.with_value(|m| m.contains_key(&id)) {
                continue;
            }
            if let Ok(bytes) = fetch_bytes(&entry.path()).await {
                if let Ok((model, info)) = checkpoint::load(&bytes) {
                    self.bytes.update_value(|b| {
                        b.insert(id.clone(), bytes);
                    });
                    self.remember(Arc::new(ActiveModel::new(id, model, info)));
                }
            }
        }
    }

    async fn keep(self, entry: Entry, bytes: Vec<u8>) -> Result<(), String> {
        let record = StoredModel {
            id: entry.id.clone(),
            name: entry.name.clone(),
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
        let ticket = self.claim();
        let (model, info) = match checkpoint::load(&bytes) {
            Ok(loaded) => loaded,
            Err(e) => {
                self.message.set(Some(format!(
                    "“{file_name}” was not loaded: {e}. Nothing was changed."
                )));
                return;
            }
        };
        let saved_ms = js_now();
        let entry = Entry {
            id: format!("stored:file-{saved_ms}"),
            name: format!("{file_name} ({})", info.config),
            saved_ms,
        };
        let model = Arc::new(ActiveModel::new(entry.id.clone(), model, info));
        self.remember(model.clone());
        if self.is_current(ticket) {
            lab.activate(model);
        }
        match self.keep(entry, bytes).await {
            Ok(()) => self.message.set(Some(format!(
                "Loaded “{file_name}” and kept it in this browser."
            ))),
            Err(e) => self.message.set(Some(format!(
                "Loaded “{file_name}”, but it could not be kept for the next visit: {e}."
            ))),
        }
    }

    /// Records a training run's newest weights under `id` (creating its entry), and makes them
    /// the explored model when `follow` is set.
    pub fn update_run(
        self,
        lab: Lab,
        id: &str,
        name: String,
        bytes: Vec<u8>,
        follow: bool,
    ) -> Result<(), String> {
        if self.deleted.with_value(|d| d.contains(id)) {
            return Ok(());
        }
        let (model, info) = checkpoint::load(&bytes)
            .map_err(|e| format!("the worker sent weights that cannot be used: {e}"))?;
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

    /// Writes a run's newest weights to IndexedDB.
    pub async fn persist(self, id: String) {
        if self.deleted.with_value(|d| d.contains(&id)) {
            return;
        }
        let entry = self
            .entries
            .with_untracked(|list| list.iter().find(|e| e.id == id).cloned());
        let bytes = self.bytes.with_value(|b| b.get(&id).cloned());
        if let (Some(mut entry), Some(bytes)) = (entry, bytes) {
            entry.saved_ms = js_now();
            if let Err(e) = self.keep(entry, bytes).await {
                self.message.set(Some(format!(
                    "The trained model could not be kept for the next visit: {e}."
                )));
            }
        }
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
            self.message.set(Some(format!(
                "The model could not be deleted from this browser: {e}."
            )));
        }
    }
}

impl Default for Library {
    fn default() -> Self {
        Self::new()
    }
}

/// A short line about the active model: kind, sizes and its test score.
fn describe(model: &ActiveModel) -> String {
    let score = model.info.notes.get("test_neg_elbo").map(|s| {
        if model.model.config().kind.is_variational() {
            format!("; test −ELBO {s} nats")
        } else {
            format!("; test reconstruction {s} nats")
        }
    });
    let epochs = model
        .info
        .notes
        .get("epochs")
        .map(|e| format!(", {e} epochs"));
    let blurb = model
        .id
        .strip_prefix("pretrained:")
        .and_then(pretrained::find)
        .map(|p| format!(" — {}", p.blurb));
    format!(
        "{}{}{}{}",
        model.title,
        epochs.unwrap_or_default(),
        score.unwrap_or_default(),
        blurb.unwrap_or_default()
    )
}

/// Offers `bytes` as a file download.
fn download(bytes: &[u8], file_name: &str) -> Result<(), String> {
    let array = js_sys::Uint8Array::from(bytes);
    let parts = js_sys::Array::of1(&array);
    let options = web_sys::BlobPropertyBag::new();
    options.set_type("application/octet-stream");
    let blob = web_sys::Blob::new_with_u8_array_sequence_and_options(&parts, &options)
        .map_err(|_| "could not prepare the file")?;
    let url = web_sys::Url::create_object_url_with_blob(&blob)
        .map_err(|_| "could not prepare the file")?;
    let document = web_sys::window()
        .and_then(|w| w.document())
        .ok_or("no document")?;
    let link: web_sys::HtmlAnchorElement = document
        .create_element("a")
        .map_err(|_| "no link")?
        .unchecked_into();
    link.set_href(&url);
    link.set_download(file_name);
    link.click();
    // Some browsers start the download after this returns: revoke the URL later, not now.
    let revoke = wasm_bindgen::closure::Closure::once_into_js(move || {
        let _ = web_sys::Url::revoke_object_url(&url);
    });
    if let Some(window) = web_sys::window() {
        let _ = window
            .set_timeout_with_callback_and_timeout_and_arguments_0(revoke.unchecked_ref(), 30_000);
    }
    Ok(())
}

/// A file name for a model: its kind and sizes, and the epochs it was trained.
fn file_name(model: &ActiveModel) -> String {
    let c = model.model.config();
    let epochs = model
        .info
        .notes
        .get("epochs")
        .map(|e| format!("-e{e}"))
        .unwrap_or_default();
    format!(
        "latent-lab-{}-z{}-h{}{epochs}.safetensors",
        c.kind.id(),
        c.latent,
        c.hidden
    )
}

async fn read_file(file: web_sys::File) -> Result<(String, Vec<u8>), String> {
    let buffer = wasm_bindgen_futures::JsFuture::from(file.array_buffer())
        .await
        .map_err(|_| format!("“{}” could not be read", file.name()))?;
    Ok((file.name(), js_sys::Uint8Array::new(&buffer).to_vec()))
}

#[component]
pub fn ModelPicker() -> impl IntoView {
    let lab = use_lab();
    let library = use_library();

    // Open with the default model, then the kept models, then warm the pretrained cache.
    leptos::task::spawn_local(async move {
        library.select(lab, pretrained_id(DEFAULT_PRETRAINED)).await;
        library.restore().await;
        library.warm().await;
    });

    let active_id = move || {
        lab.active
            .with(|m| m.as_ref().map(|m| m.id.clone()).unwrap_or_default())
    };
    let training = use_context::<Training>();
    let on_change = move |ev: leptos::ev::Event| {
        let id = event_target_value(&ev);
        // Picking another model means exploring it: stop following the training run.
        if let Some(training) = training {
            if !training.is_run_entry(&id) {
                training.follow.set(false);
            }
        }
        leptos::task::spawn_local(library.select(lab, id));
    };
    let on_download = move |_| {
        let Some(model) = lab.active.get_untracked() else {
            return;
        };
        match library.checkpoint_of(&model.id) {
            Some(bytes) => {
                if let Err(e) = download(&bytes, &file_name(&model)) {
                    library
                        .message
                        .set(Some(format!("The download failed: {e}.")));
                }
            }
            None => library
                .message
                .set(Some("This model has no weights to download yet.".into())),
        }
    };
    let open_files = move |files: Option<web_sys::FileList>| {
        let Some(file) = files.and_then(|f| f.get(0)) else {
            return;
        };
        leptos::task::spawn_local(async move {
            match read_file(file).await {
                Ok((name, bytes)) => library.add_file(lab, name, bytes).await,
                Err(message) => library.message.set(Some(message)),
            }
        });
    };
    let on_pick = move |ev: leptos::ev::Event| {
        let input: web_sys::HtmlInputElement = event_target(&ev);
        open_files(input.files());
        input.set_value("");
    };
    let on_delete = move |_| {
        let id = active_id();
        if id.starts_with("stored:") {
            leptos::task::spawn_local(async move {
                library.remove(id).await;
                library.select(lab, pretrained_id(DEFAULT_PRETRAINED)).await;
            });
        }
    };
    // Dropping a file anywhere on the page loads it.
    let on_drop = window_event_listener(leptos::ev::drop, move |ev| {
        ev.prevent_default();
        open_files(ev.data_transfer().and_then(|d| d.files()));
    });
    let on_dragover = window_event_listener(leptos::ev::dragover, |ev| ev.prevent_default());
    on_cleanup(move || {
        on_drop.remove();
        on_dragover.remove();
    });

    let status = move || match (
        lab.active.with(Option::is_some),
        library.message.with(Option::is_some),
    ) {
        (true, _) => "ready",
        (false, true) => "failed",
        (false, false) => "loading",
    };
    view! {
        <div class="model-picker">
            <div class="picker-row">
                <label>
                    "Model "
                    <select id="model-select" on:change=on_change>
                        <optgroup label="Pretrained">
                            {PRETRAINED
                                .iter()
                                .map(|p| {
                                    let id = pretrained_id(p.id);
                                    let value = id.clone();
                                    view! { <option value=value selected=move || active_id() == id>{format!("{} (pretrained)", p.config)}</option> }
                                })
                                .collect_view()}
                        </optgroup>
                        <optgroup label="Trained or loaded in this browser">
                            <For each=move || library.entries.get() key=|e| (e.id.clone(), e.name.clone()) let:entry>
                                {
                                    let id = entry.id.clone();
                                    view! { <option value=entry.id selected=move || active_id() == id>{entry.name}</option> }
                                }
                            </For>
                        </optgroup>
                    </select>
                </label>
                <button on:click=on_download title="Save the current model as a .safetensors file">"Download"</button>
                <label class="button file-button" title="Load a .safetensors file saved by Latent Lab (or drop it on the page)">
                    "Load file…"
                    <input type="file" id="model-file" accept=".safetensors" on:change=on_pick />
                </label>
                <button on:click=on_delete disabled=move || !active_id().starts_with("stored:")>"Delete"</button>
            </div>
            <p class="model-info" data-model=active_id data-status=status>
                {move || lab.active.get().map(|m| describe(&m)).unwrap_or_else(|| "Loading the pretrained model…".into())}
            </p>
            <p class="library-message" role="status">{move || library.message.get()}</p>
        </div>
    }
}
