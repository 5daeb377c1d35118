//! What the lab's state says in words, in the page's language: the data's test and training
//! sets for captions and legends, and why a chapter waits (no test images, a model that cannot
//! read the data). Kept apart from the state itself (`state.rs`).

use leptos::prelude::*;

use super::i18n::Lang;
use super::state::Lab;
use crate::ml::dataset::{ImageShape, MIN_FOR_TEST_SPLIT};
use crate::ui_logic::words::{shape_words, thousands};

impl Lab {
    /// Why the chapters that need test images have none, if they have none for a reason (not
    /// merely still loading): the dataset in use is too small for a test split, or the digits
    /// asset could not be loaded. Tracks what it reads.
    pub fn why_no_test_images(&self) -> Option<String> {
        let lang = self.lang();
        match self.own_data.with(|d| {
            d.as_ref()
                .map(|d| d.no_test_set.then(|| (d.name.clone(), d.images)))
        }) {
            Some(small) => small.map(|(name, images)| {
                lang.text(
                    format!(
                        "“{name}” has {images} images; with fewer than {MIN_FOR_TEST_SPLIT} \
                         every image trains and none is kept back for testing"
                    ),
                    format!(
                        "“{name}”只有 {images} 张图片；少于 {MIN_FOR_TEST_SPLIT} 张时全部用于训练，\
                         不留测试集"
                    ),
                )
            }),
            None => self.test_error.get().map(|e| {
                let e = e.get(lang);
                lang.text(
                    format!("the test digits are unavailable ({e})"),
                    format!("测试数字无法使用（{e}）"),
                )
            }),
        }
    }

    /// The training pictures of the data in use, counted and named for hints: "8,000 training
    /// digits" or "48 training pictures". Tracks.
    pub fn training_set_words(&self) -> (usize, String) {
        let count = self.training_images();
        let noun = self.noun();
        (
            count,
            self.lang().text(
                format!("{} training {}", thousands(count), noun.many()),
                format!("{} 张训练{}", thousands(count), noun.zh()),
            ),
        )
    }

    /// Why the active model cannot read the data in use, when it cannot: their image shapes
    /// differ (a digits model while a colour dataset is in use, say). Tracks.
    pub fn why_model_cannot_read_data(&self) -> Option<String> {
        let data = self.data_shape();
        let model = self.active.with(|m| m.as_ref().map(|m| m.shape()))?;
        let lang = self.lang();
        (model != data).then(|| match lang {
            Lang::En => format!(
                "The model in use reads {model} pictures, and the data in use is {data}: the \
                 chapters that show the data through the model wait for a model of its shape. \
                 Press Start to train one, or choose one in the Model menu."
            ),
            Lang::Zh => {
                let shape = |s: ImageShape| shape_words(s, Lang::Zh);
                format!(
                    "当前模型读取 {} 图片，而当前数据是 {}：通过模型展示数据的各章要等一个与之形状相同的模型。\
                     按“开始”训练一个，或在“模型”菜单中选一个。",
                    shape(model),
                    shape(data)
                )
            }
        })
    }

    /// The test set in words, for captions: "2,000 test digits", or "12 test images of
    /// “shapes”" for a dataset of one's own.
    pub fn test_set_words(&self) -> String {
        let count = self.test.with(|t| t.as_ref().map_or(0, |t| t.len()));
        let count = thousands(count);
        let lang = self.lang();
        match self.own_data.with(|d| d.as_ref().map(|d| d.name.clone())) {
            Some(name) => lang.text(
                format!("{count} test images of “{name}”"),
                format!("“{name}”的 {count} 张测试图片"),
            ),
            None => lang.text(
                format!("{count} test digits"),
                format!("{count} 个测试数字"),
            ),
        }
    }

    /// Test image `i` in words: "test digit 7, a 3", or for a dataset of one's own "test
    /// picture 7, “discs”" (its class, when it has labels). `None` past the end.
    pub fn test_item_words(&self, i: usize) -> Option<String> {
        let label = self
            .test
            .with(|t| t.as_ref().filter(|t| i < t.len()).map(|t| t.label(i)))?;
        let lang = self.lang();
        Some(self.own_data.with(|d| match d {
            None => lang.text(
                format!("test digit {i}, a {label}"),
                format!("测试数字 {i}，写的是 {label}"),
            ),
            Some(own) => match own.label_names.as_ref().and_then(|n| n.get(label as usize)) {
                Some(name) => lang.text(
                    format!("test picture {i}, “{name}”"),
                    format!("测试图片 {i}，“{name}”"),
                ),
                None => lang.text(format!("test picture {i}"), format!("测试图片 {i}")),
            },
        }))
    }

    /// The classes of the test set and their names, for legends: the ten digits, a dataset's
    /// label names, or none for a dataset without labels.
    pub fn class_names(&self) -> Vec<String> {
        self.own_data.with(|d| match d {
            None => (0..10).map(|c| c.to_string()).collect(),
            Some(own) => own.label_names.clone().unwrap_or_default(),
        })
    }
}
