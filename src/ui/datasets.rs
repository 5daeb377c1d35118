//! Your datasets: the ones kept in this browser (IndexedDB, [`super::storage`]), listed without
//! reading their images, and which one the page uses — the built-in digits or one of them,
//! remembered across reloads.
//!
//! Using a dataset makes its test split every chapter's test set (`Lab::use_data`) and has the
//! worker train the next runs on it (`Training::use_chosen_data`), with models of its image
//! shape (`Lab::data_shape`). A set too small for a test split trains on every image;
//! the chapters that need test images say why they have none (`Lab::why_no_test_images`).

use std::sync::Arc;

use leptos::prelude::*;

use crate::ui_logic::error_words::Worded;
use crate::ui_logic::words::shape_words;

use super::generated;
use super::i18n::Lang;
use super::picker::read_file;
use super::state::{Lab, OwnData};
use super::storage::{self, StoredDataset};
use super::training::Training;
use crate::ml::dataset::{file, sprites, Dataset, ImageShape};
use crate::ml::run_notes;
use crate::ui_logic::said::Said;

/// Images a kept dataset's thumbnail shows.
pub const THUMBNAIL_IMAGES: usize = 8;

/// The key under which the page remembers the dataset in use (its id; absent: the digits).
const IN_USE_KEY: &str = "latent-lab.dataset-in-use";

/// A dataset ready to be used: its id on the shelf, its images and its file.
#[derive(Clone)]
pub struct Chosen {
    pub id: String,
    pub dataset: Arc<Dataset>,
    pub file: Arc<Vec<u8>>,
    /// Whether its grey images are ink, shown dark on light (see `StoredDataset::ink`).
    pub ink: bool,
    /// Its test pictures' factor values, when they are known (see `OwnData::factors`).
    pub factors: Option<Arc<Vec<usize>>>,
}

/// [`shape_words`] for a kept dataset's shape id (the id itself when this version does not
/// know it).
pub(crate) fn shape_id_words(id: &str, lang: Lang) -> String {
    ImageShape::from_id(id).map_or(id.to_string(), |s| shape_words(s, lang))
}

/// Why a kept dataset cannot be used, read from its entry without its file: a shape this
/// version does not know (kept by a newer one).
pub fn why_entry_not_usable(entry: &StoredDataset) -> Option<Said> {
    ImageShape::from_id(&entry.shape).is_none().then(|| {
        Said::new(
            format!(
                "its pictures are “{}”, a shape this version of the page cannot train on",
                entry.shape
            ),
            format!("它的图片是“{}”，这一版页面无法用这种形状训练", entry.shape),
        )
    })
}

fn local_storage() -> Option<web_sys::Storage> {
    web_sys::window()?.local_storage().ok()?
}

/// The shelf of kept datasets, shared by the data picker and the import chapter.
#[derive(Clone, Copy)]
pub struct Datasets {
    /// Every kept dataset, oldest first.
    pub entries: RwSignal<Vec<StoredDataset>>,
    /// The last problem with the shelf (storage full, a file gone), to show.
    pub message: RwSignal<Option<Said>>,
}

pub fn use_datasets() -> Datasets {
    expect_context::<Datasets>()
}

impl Datasets {
    pub fn new() -> Self {
        Self {
            entries: RwSignal::new(Vec::new()),
            message: RwSignal::new(None),
        }
    }

    /// Reads the list again.
    pub async fn refresh(self) {
        match storage::list_datasets().await {
            Ok(list) => self.entries.set(list),
            Err(e) => self.message.set(Some(e.within(
                |why| format!("Your kept datasets cannot be listed: {why}."),
                |why| format!("无法列出你保存的数据集：{why}。"),
            ))),
        }
    }

    /// Keeps `set` (whose file is `file`) in the browser under a new id, which it returns; the
    /// dataset is usable for this visit even when keeping it fails (the error says why).
    pub async fn keep(
        self,
        set: &Dataset,
        file: &[u8],
        ink: bool,
    ) -> Result<String, (String, Said)> {
        let id = format!("dataset-{:.0}-{}", js_sys::Date::now(), set.len());
        self.keep_as(id, set, file, ink).await
    }

    /// [`Datasets::keep`] under `id`, replacing what was kept under it.
    pub async fn keep_as(
        self,
        id: String,
        set: &Dataset,
        file: &[u8],
        ink: bool,
    ) -> Result<String, (String, Said)> {
        let saved_ms = js_sys::Date::now();
        let shown = set.len().min(THUMBNAIL_IMAGES);
        let entry = StoredDataset {
            id: id.clone(),
            name: set.name().to_string(),
            shape: set.shape().id(),
            images: set.len(),
            label_names: set.labels().map(|l| l.names.clone()),
            file_bytes: file.len(),
            ink,
            thumbnail: set.images()[..shown * set.shape().values()].to_vec(),
            saved_ms,
        };
        let kept = storage::put_dataset(&entry, file).await;
        self.refresh().await;
        kept.map(|()| id.clone()).map_err(|e| (id, e))
    }

    /// Keeps a dataset file a person opened (or dropped), saying what went wrong if it is not
    /// one; nothing already kept is touched.
    pub async fn add_file(self, chosen: web_sys::File) {
        let outcome = match read_file(chosen).await {
            Ok((file_name, bytes)) => match file::load(&bytes) {
                Ok(set) => self
                    .keep(&set, &bytes, true)
                    .await
                    .map(|_| ())
                    .map_err(|(_, e)| {
                        e.within(
                            |why| format!("“{file_name}” was read but could not be kept: {why}."),
                            |why| format!("“{file_name}”已读取，但无法保存：{why}。"),
                        )
                    }),
                Err(e) => Err(e.said().within(
                    |why| format!("“{file_name}” is not a dataset Latent Lab can read: {why}."),
                    |why| format!("“{file_name}”不是 Latent Lab 能读取的数据集：{why}。"),
                )),
            },
            Err(message) => Err(message),
        };
        self.message.set(outcome.err());
    }

    /// Reads the kept dataset `id` (or draws the generated sprites, [`generated::SPRITES_ID`]).
    pub async fn open(self, id: &str) -> Result<Chosen, Said> {
        if id == generated::SPRITES_ID {
            return generated::draw_sprites().await;
        }
        let bytes = storage::dataset_file(id).await?.ok_or_else(|| {
            Said::new(
                "it is no longer kept in this browser",
                "它已不在这个浏览器中",
            )
        })?;
        let set = file::load(&bytes).map_err(|e| {
            e.said().within(
                |why| format!("the kept file is damaged: {why}"),
                |why| format!("保存的文件已损坏：{why}"),
            )
        })?;
        let ink = self
            .entries
            .with_untracked(|l| l.iter().find(|e| e.id == id).is_none_or(|e| e.ink));
        Ok(Chosen {
            id: id.to_string(),
            dataset: Arc::new(set),
            file: Arc::new(bytes),
            ink,
            factors: None,
        })
    }

    /// After a person chose a model: if it reads pictures of another shape than the data in
    /// use, uses data it can read — the digits for a digits model, or a kept dataset of its
    /// shape (the one it was trained on, by name, else the newest). Returns why nothing could
    /// be done, if nothing was; the model stays either way (its sliders, manifold and samples
    /// need no data).
    pub async fn follow_model(self, lab: Lab, training: Option<Training>) -> Option<Said> {
        let (shape, trained_on) = lab.active.with_untracked(|m| {
            m.as_ref()
                .map(|m| (m.shape(), m.info.notes.get(run_notes::DATASET).cloned()))
        })?;
        if shape == lab.data_shape_untracked() {
            return None;
        }
        if shape == ImageShape::DIGITS {
            return use_dataset(self, lab, training, None).problem();
        }
        // A model of the generated shapes reads them again (they are drawn, not kept).
        let sprites =
            shape == sprites::IMAGE_SHAPE && trained_on.as_deref() == Some(sprites::SUBSET_NAME);
        let kept_by_name = self.entries.with_untracked(|list| {
            list.iter()
                .any(|e| Some(&e.name) == trained_on.as_ref() && e.shape == shape.id())
        });
        let id = if sprites && !kept_by_name {
            Some(generated::SPRITES_ID.to_string())
        } else {
            self.entries.with_untracked(|list| {
                let fits = |e: &&StoredDataset| e.shape == shape.id();
                let mut fitting = list.iter().filter(fits);
                list.iter()
                    .filter(fits)
                    .find(|e| Some(&e.name) == trained_on.as_ref())
                    .or_else(|| fitting.next_back())
                    .map(|e| e.id.clone())
            })
        };
        let Some(id) = id else {
            let zh_shape = shape_words(shape, Lang::Zh);
            return Some(Said::new(
                format!(
                    "This model reads {shape} pictures, and no dataset kept here has that shape: \
                     the chapters that need data wait until you import pictures as {shape}."
                ),
                format!(
                    "这个模型读取 {zh_shape} 图片，而这里保存的数据集都不是这种形状：\
                     需要数据的各章要等你把图片导入为 {zh_shape} 后才能显示。"
                ),
            ));
        };
        match self.open(&id).await {
            Ok(chosen) => use_dataset(self, lab, training, Some(chosen)).problem(),
            Err(e) => Some(e.within(
                |why| format!("The dataset this model reads could not be opened: {why}."),
                |why| format!("无法打开这个模型所读取的数据集：{why}。"),
            )),
        }
    }

    /// Deletes the kept dataset `id`; the page goes back to the digits first if it used it.
    pub async fn delete(self, lab: Lab, training: Option<Training>, id: String) {
        if lab
            .own_data
            .with_untracked(|d| d.as_ref().is_some_and(|d| d.id == id))
        {
            match use_dataset(self, lab, training, None) {
                Changed::Done => {}
                // The run on it goes on, so it stays.
                Changed::Declined => return,
                Changed::Refused(problem) => {
                    self.message.set(Some(problem));
                    return;
                }
            }
        }
        if let Err(e) = storage::delete_dataset(&id).await {
            self.message.set(Some(e.within(
                |why| format!("The dataset could not be deleted: {why}."),
                |why| format!("无法删除这个数据集：{why}。"),
            )));
        }
        self.refresh().await;
    }

    /// Uses the dataset in use before the page was reloaded, if any (unless one was chosen
    /// meanwhile).
    pub async fn restore(self, lab: Lab, training: Option<Training>) {
        self.refresh().await;
        let Some(id) = local_storage().and_then(|s| s.get_item(IN_USE_KEY).ok().flatten()) else {
            return;
        };
        match self.open(&id).await {
            Ok(_) if lab.own_data.with_untracked(Option::is_some) => {}
            Ok(chosen) => {
                if let Changed::Refused(problem) = use_dataset(self, lab, training, Some(chosen)) {
                    forget_in_use();
                    self.message.set(Some(problem));
                }
            }
            Err(e) => {
                forget_in_use();
                self.message.set(Some(e.within(|why| format!("The dataset in use before the page was reloaded could not be read ({why}); \
                         back on the MNIST digits."), |why| format!("页面重新加载前使用的数据集无法读取（{why}）；已改回 MNIST 数字。"))));
            }
        }
    }
}

impl Default for Datasets {
    fn default() -> Self {
        Self::new()
    }
}

/// Forgets which dataset was in use: the next visit opens on the digits.
pub(crate) fn forget_in_use() {
    if let Some(s) = local_storage() {
        let _ = s.remove_item(IN_USE_KEY);
    }
}

/// What became of a change of data.
#[derive(Debug, Clone, PartialEq)]
pub enum Changed {
    Done,
    /// The person chose to keep the run under way, and its data.
    Declined,
    /// The data cannot be used; why.
    Refused(Said),
}

impl Changed {
    /// The problem to show, if any.
    pub fn problem(self) -> Option<Said> {
        match self {
            Changed::Refused(problem) => Some(problem),
            Changed::Done | Changed::Declined => None,
        }
    }
}

/// Makes `chosen` the page's data (`None`: the digits again), ending an unfinished run after
/// asking, and remembers it for the next visit when it is kept on the shelf.
pub fn use_dataset(
    datasets: Datasets,
    lab: Lab,
    training: Option<Training>,
    chosen: Option<Chosen>,
) -> Changed {
    let own = match &chosen {
        Some(chosen) => {
            let data = OwnData {
                id: chosen.id.clone(),
                name: chosen.dataset.name().to_string(),
                file: chosen.file.clone(),
                images: chosen.dataset.len(),
                train_images: chosen.dataset.split().train.len(),
                // The page's classes are bytes (as the digits'): more than 256 are not named.
                label_names: chosen
                    .dataset
                    .labels()
                    .filter(|l| l.names.len() <= 256)
                    .map(|l| l.names.clone()),
                no_test_set: chosen.dataset.why_no_test_set().is_some(),
                ink: chosen.ink,
                shape: chosen.dataset.shape(),
                factors: chosen.factors.clone(),
            };
            Some((data, Arc::new(chosen.dataset.test_images())))
        }
        None => None,
    };
    if let Some(training) = training {
        if training.has_unfinished_run() {
            let question = lab.lang_untracked().text(
                "This ends the training run under way (its model stays in the \
                 library). Change the data?",
                "这会结束正在进行的训练（它的模型仍留在模型库中）。要更换数据吗？",
            );
            let go_on = web_sys::window()
                .and_then(|w| w.confirm_with_message(question).ok())
                .unwrap_or(false);
            if !go_on {
                return Changed::Declined;
            }
        }
        lab.use_data(own);
        training.use_chosen_data();
    } else {
        lab.use_data(own);
    }
    // A set the browser would not keep cannot come back after a reload.
    let kept = |id: &str| {
        datasets
            .entries
            .with_untracked(|l| l.iter().any(|e| e.id == id))
    };
    match &chosen {
        Some(chosen) if kept(&chosen.id) || chosen.id == generated::SPRITES_ID => {
            if let Some(s) = local_storage() {
                let _ = s.set_item(IN_USE_KEY, &chosen.id);
            }
        }
        _ => forget_in_use(),
    }
    Changed::Done
}
