//! The browser's IndexedDB as the model library's shelf: every model trained or loaded in this
//! browser is kept there, with the training curves of the runs that made them, so a reload
//! loses nothing.
//!
//! One database, `latent-lab`, object stores keyed by `id`: `models` (checkpoints), `runs` (a
//! run's settings, progress and curves, under its model's id), and a person's datasets, in two
//! stores so that listing them reads no images: `datasets` (name, shape, counts, a few images
//! for a thumbnail) and `dataset_files` (the dataset file, under the same id). Every failure (private
//! mode, storage full, a blocked upgrade) becomes a message; the page keeps working with what it
//! has in memory.

use js_sys::{Function, Promise};
use serde::{Deserialize, Serialize};
use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{
    DomException, IdbDatabase, IdbOpenDbRequest, IdbRequest, IdbTransaction, IdbTransactionMode,
};

use crate::ml::model::ModelConfig;
use crate::ml::train::TrainConfig;
use crate::protocol::{EpochReport, Progress, ResumeAt, StepLoss};
use crate::ui_logic::said::Said;

const DATABASE: &str = "latent-lab";
/// Version 2 added `runs`, version 3 `datasets` and `dataset_files`.
const VERSION: u32 = 3;
const MODELS: &str = "models";
const RUNS: &str = "runs";
const DATASETS: &str = "datasets";
const DATASET_FILES: &str = "dataset_files";

/// A model kept in the browser.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StoredModel {
    pub id: String,
    /// What the library shows, e.g. "MLP-VAE z=20 hidden=400, 10 epochs", in English (or in
    /// the language it was kept in, by a version of the page that kept one name).
    pub name: String,
    /// The same in Chinese; none in a model kept by a version that kept one name.
    #[serde(default)]
    pub name_zh: Option<String>,
    /// When it was saved, in ms since the Unix epoch.
    pub saved_ms: f64,
    /// The checkpoint (safetensors bytes).
    #[serde(with = "crate::protocol::bytes")]
    pub bytes: Vec<u8>,
}

/// A training run as the page last saw it: enough to show its curves again and to continue it
/// from its model's weights (kept under the same `id` in `models`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StoredRun {
    /// The id of the model entry its weights go to.
    pub id: String,
    pub model: ModelConfig,
    pub train: TrainConfig,
    pub epochs: usize,
    /// Where the kept weights were taken.
    pub at: ResumeAt,
    /// The last progress seen (its losses are in `losses`).
    pub progress: Progress,
    pub losses: Vec<StepLoss>,
    pub reports: Vec<EpochReport>,
    pub saved_ms: f64,
    /// The kept dataset it trained on (its id on the shelf); `None` for the digits (and every
    /// run kept before runs on one's own data were).
    #[serde(default)]
    pub dataset: Option<String>,
}

/// A dataset kept in the browser, as its list shows it; the file is under the same id in
/// `dataset_files` ([`dataset_file`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StoredDataset {
    pub id: String,
    pub name: String,
    /// `ImageShape::id`, e.g. "grey-28".
    pub shape: String,
    pub images: usize,
    /// Its classes' names, when it has labels.
    pub label_names: Option<Vec<String>>,
    /// Bytes of the dataset file.
    pub file_bytes: usize,
    /// Whether its images are ink (bright strokes made from dark on light): shown dark on light.
    pub ink: bool,
    /// Its first few images (`shape` values each, channel-planar): the thumbnail.
    #[serde(with = "crate::protocol::bytes")]
    pub thumbnail: Vec<u8>,
    pub saved_ms: f64,
}

#[derive(Serialize, Deserialize)]
struct StoredDatasetFile {
    id: String,
    #[serde(with = "crate::protocol::bytes")]
    bytes: Vec<u8>,
}

/// Words for an IndexedDB failure, naming the likely cause.
fn describe(error: JsValue) -> Said {
    match error.dyn_ref::<DomException>() {
        Some(e) if e.name() == "QuotaExceededError" => Said::new(
            "the browser's storage for this page is full: delete a saved model, or free space in the browser's settings",
            "浏览器为本页留的存储空间已满：请删除一个保存的模型，或在浏览器设置中释放空间",
        ),
        Some(e) => Said::new(
            format!("the browser's storage refused ({}: {})", e.name(), e.message()),
            format!("浏览器的存储拒绝了操作（{}：{}）", e.name(), e.message()),
        ),
        None => Said::new(
            "the browser's storage is not available here (a private window?)",
            "这里用不了浏览器的存储（是无痕窗口吗？）",
        ),
    }
}

/// A promise settled by the first of two callbacks, and the callbacks themselves, which must
/// live until it settles and are dropped (not leaked) after.
fn settle_on(
    mut install: impl FnMut(&Function, &Function),
) -> (Promise, Vec<Closure<dyn FnMut()>>) {
    let mut handlers = Vec::new();
    let promise = Promise::new(&mut |resolve: Function, reject: Function| {
        let ok = Closure::<dyn FnMut()>::new(move || {
            let _ = resolve.call0(&JsValue::NULL);
        });
        let fail = Closure::<dyn FnMut()>::new(move || {
            let _ = reject.call0(&JsValue::NULL);
        });
        install(ok.as_ref().unchecked_ref(), fail.as_ref().unchecked_ref());
        handlers.push(ok);
        handlers.push(fail);
    });
    (promise, handlers)
}

/// Waits for an IndexedDB request to succeed or fail.
async fn finish(request: &IdbRequest) -> Result<JsValue, Said> {
    let (promise, handlers) = settle_on(|ok, fail| {
        request.set_onsuccess(Some(ok));
        request.set_onerror(Some(fail));
    });
    let outcome = JsFuture::from(promise).await;
    request.set_onsuccess(None);
    request.set_onerror(None);
    drop(handlers);
    match outcome {
        Ok(_) => request.result().map_err(describe),
        Err(_) => Err(describe(
            request
                .error()
                .ok()
                .flatten()
                .map_or(JsValue::NULL, JsValue::from),
        )),
    }
}

/// Waits for a write to be committed: a full disk shows up here, as an abort, after the
/// request itself has succeeded.
async fn commit(transaction: &IdbTransaction) -> Result<(), Said> {
    let (promise, handlers) = settle_on(|ok, fail| {
        transaction.set_oncomplete(Some(ok));
        transaction.set_onerror(Some(fail));
        transaction.set_onabort(Some(fail));
    });
    let outcome = JsFuture::from(promise).await;
    transaction.set_oncomplete(None);
    transaction.set_onerror(None);
    transaction.set_onabort(None);
    drop(handlers);
    outcome
        .map(|_| ())
        .map_err(|_| describe(transaction.error().map_or(JsValue::NULL, JsValue::from)))
}

async fn open() -> Result<IdbDatabase, Said> {
    let factory = web_sys::window()
        .and_then(|w| w.indexed_db().ok().flatten())
        .ok_or_else(|| describe(JsValue::NULL))?;
    let request: IdbOpenDbRequest = factory.open_with_u32(DATABASE, VERSION).map_err(describe)?;
    let upgrade = Closure::<dyn FnMut(web_sys::Event)>::new(move |e: web_sys::Event| {
        let Some(db) = e
            .target()
            .and_then(|t| t.dyn_into::<IdbOpenDbRequest>().ok())
            .and_then(|r| r.result().ok())
            .and_then(|r| r.dyn_into::<IdbDatabase>().ok())
        else {
            return;
        };
        for name in [MODELS, RUNS, DATASETS, DATASET_FILES] {
            if !db.object_store_names().contains(name) {
                let params = web_sys::IdbObjectStoreParameters::new();
                params.set_key_path(&JsValue::from_str("id"));
                let _ = db.create_object_store_with_optional_parameters(name, &params);
            }
        }
    });
    request.set_onupgradeneeded(Some(upgrade.as_ref().unchecked_ref()));
    // Another tab holding an older version open would block the upgrade: say so, don't hang.
    let blocked = Closure::<dyn FnMut()>::new(|| {
        web_sys::console::warn_1(&"Latent Lab's storage is blocked by another open tab".into());
    });
    request.set_onblocked(Some(blocked.as_ref().unchecked_ref()));
    let db = finish(&request).await;
    request.set_onupgradeneeded(None);
    request.set_onblocked(None);
    drop((upgrade, blocked));
    let db = db?;
    db.dyn_into().map_err(|_| {
        Said::new(
            "the browser's storage gave no database",
            "浏览器的存储没有给出数据库",
        )
    })
}

/// Runs `work` on the object store `name` in a transaction of `mode`, waits for the request and
/// (for a write) the commit, and closes the database.
async fn with_store(
    name: &str,
    mode: IdbTransactionMode,
    work: impl FnOnce(&web_sys::IdbObjectStore) -> Result<IdbRequest, JsValue>,
) -> Result<JsValue, Said> {
    let db = open().await?;
    let result = async {
        let transaction = db
            .transaction_with_str_and_mode(name, mode)
            .map_err(describe)?;
        let store = transaction.object_store(name).map_err(describe)?;
        let request = work(&store).map_err(describe)?;
        let value = finish(&request).await?;
        if mode == IdbTransactionMode::Readwrite {
            commit(&transaction).await?;
        }
        Ok(value)
    }
    .await;
    db.close();
    result
}

async fn put_in<T: Serialize>(name: &str, record: &T) -> Result<(), Said> {
    let value = serde_wasm_bindgen::to_value(record).map_err(|e| Said::plain(e.to_string()))?;
    with_store(name, IdbTransactionMode::Readwrite, |store| {
        store.put(&value)
    })
    .await
    .map(|_| ())
}

/// Every record of a store that can be read; others (from another version) are skipped.
async fn list_in<T: serde::de::DeserializeOwned>(name: &str) -> Result<Vec<T>, Said> {
    let all: js_sys::Array =
        with_store(name, IdbTransactionMode::Readonly, |store| store.get_all())
            .await?
            .unchecked_into();
    Ok(all
        .iter()
        .filter_map(|v| serde_wasm_bindgen::from_value(v).ok())
        .collect())
}

async fn delete_in(name: &str, id: &str) -> Result<(), Said> {
    let key = JsValue::from_str(id);
    with_store(name, IdbTransactionMode::Readwrite, |store| {
        store.delete(&key)
    })
    .await
    .map(|_| ())
}

/// Saves (or replaces) a model.
pub async fn put(model: &StoredModel) -> Result<(), Said> {
    put_in(MODELS, model).await
}

/// Every kept model, oldest first.
pub async fn list() -> Result<Vec<StoredModel>, Said> {
    let mut models: Vec<StoredModel> = list_in(MODELS).await?;
    models.sort_by(|a, b| a.saved_ms.total_cmp(&b.saved_ms));
    Ok(models)
}

/// Deletes a model and the record of the run that made it.
pub async fn delete(id: &str) -> Result<(), Said> {
    delete_in(MODELS, id).await?;
    delete_in(RUNS, id).await
}

/// Saves (or replaces) a run's model and its record together, so that after a reload the
/// record never describes other weights than those kept.
pub async fn put_model_and_run(model: &StoredModel, run: &StoredRun) -> Result<(), Said> {
    let model = serde_wasm_bindgen::to_value(model).map_err(|e| Said::plain(e.to_string()))?;
    let run = serde_wasm_bindgen::to_value(run).map_err(|e| Said::plain(e.to_string()))?;
    with_two_stores((MODELS, RUNS), |models, runs| {
        models.put(&model)?;
        runs.put(&run)?;
        Ok(())
    })
    .await
}

/// Deletes a run's record only (its model stays).
pub async fn delete_run(id: &str) -> Result<(), Said> {
    delete_in(RUNS, id).await
}

/// The most recently saved run, if any.
pub async fn latest_run() -> Result<Option<StoredRun>, Said> {
    let runs: Vec<StoredRun> = list_in(RUNS).await?;
    Ok(runs
        .into_iter()
        .max_by(|a, b| a.saved_ms.total_cmp(&b.saved_ms)))
}

/// Runs `work` on two stores in one read-write transaction, and waits for it to be committed:
/// what it writes or deletes in both is done together, or not at all (a full disk must not
/// leave a dataset file that no entry lists, or a run's record ahead of its weights).
async fn with_two_stores(
    (first, second): (&str, &str),
    work: impl FnOnce(&web_sys::IdbObjectStore, &web_sys::IdbObjectStore) -> Result<(), JsValue>,
) -> Result<(), Said> {
    let db = open().await?;
    let result = async {
        let names = js_sys::Array::of2(&first.into(), &second.into());
        let transaction = db
            .transaction_with_str_sequence_and_mode(&names, IdbTransactionMode::Readwrite)
            .map_err(describe)?;
        let entries = transaction.object_store(first).map_err(describe)?;
        let files = transaction.object_store(second).map_err(describe)?;
        if let Err(e) = work(&entries, &files) {
            let _ = transaction.abort();
            return Err(describe(e));
        }
        commit(&transaction).await
    }
    .await;
    db.close();
    result
}

/// Keeps a dataset: its entry and its file, together.
pub async fn put_dataset(entry: &StoredDataset, file: &[u8]) -> Result<(), Said> {
    let file = serde_wasm_bindgen::to_value(&StoredDatasetFile {
        id: entry.id.clone(),
        bytes: file.to_vec(),
    })
    .map_err(|e| Said::plain(e.to_string()))?;
    let entry = serde_wasm_bindgen::to_value(entry).map_err(|e| Said::plain(e.to_string()))?;
    with_two_stores((DATASETS, DATASET_FILES), |entries, files| {
        files.put(&file)?;
        entries.put(&entry)?;
        Ok(())
    })
    .await
}

/// Every kept dataset, oldest first (their files are not read).
pub async fn list_datasets() -> Result<Vec<StoredDataset>, Said> {
    let mut sets: Vec<StoredDataset> = list_in(DATASETS).await?;
    sets.sort_by(|a, b| a.saved_ms.total_cmp(&b.saved_ms));
    Ok(sets)
}

/// The file of the kept dataset `id`, or `None` when none is kept under it.
pub async fn dataset_file(id: &str) -> Result<Option<Vec<u8>>, Said> {
    let key = JsValue::from_str(id);
    let value = with_store(DATASET_FILES, IdbTransactionMode::Readonly, |store| {
        store.get(&key)
    })
    .await?;
    if value.is_undefined() || value.is_null() {
        return Ok(None);
    }
    serde_wasm_bindgen::from_value::<StoredDatasetFile>(value)
        .map(|f| Some(f.bytes))
        .map_err(|_| {
            Said::new(
                "the dataset's file in the browser's storage is unreadable",
                "浏览器存储中的数据集文件无法读取",
            )
        })
}

/// Deletes a kept dataset: its entry and its file, together.
pub async fn delete_dataset(id: &str) -> Result<(), Said> {
    let key = JsValue::from_str(id);
    with_two_stores((DATASETS, DATASET_FILES), |entries, files| {
        entries.delete(&key)?;
        files.delete(&key)?;
        Ok(())
    })
    .await
}
