//! The datasets kept in this browser, listed in the import chapter: each with a thumbnail, its
//! count, shape, size and labels, and Use, Download and Delete; and "Open a dataset file…",
//! which keeps a downloaded (or natively written) dataset file again.

use leptos::html::Canvas;
use leptos::prelude::*;

use super::datasets::{
    shape_id_words, use_dataset, use_datasets, why_entry_not_usable, THUMBNAIL_IMAGES,
};
use super::i18n::{said_in, tr, use_lang, Said};
use super::image_grid::paint_images;
use super::picker::download;
use super::state::use_lab;
use super::storage::{self, StoredDataset};
use super::training::Training;
use crate::ml::dataset::ImageShape;

/// A size in bytes for people: "840 KB", "12.3 MB".
fn size_words(bytes: usize) -> String {
    if bytes < 1_000_000 {
        format!("{} KB", bytes.div_ceil(1_000))
    } else {
        format!("{:.1} MB", bytes as f64 / 1e6)
    }
}

/// The name a dataset is downloaded under.
pub fn file_name(name: &str) -> String {
    format!("{}.dataset.safetensors", name.replace(['/', '\\'], "-"))
}

#[component]
fn Thumbnail(entry: StoredDataset) -> impl IntoView {
    let canvas = NodeRef::<Canvas>::new();
    let shape = ImageShape::from_id(&entry.shape);
    Effect::new(move |_| {
        if let (Some(canvas), Some(shape)) = (canvas.get(), shape) {
            paint_images(
                &canvas,
                shape,
                &entry.thumbnail,
                THUMBNAIL_IMAGES,
                entry.ink,
            );
        }
    });
    view! { <canvas class="dataset-thumbnail" node_ref=canvas width="0" height="0" aria-hidden="true"></canvas> }
}

#[component]
fn DatasetRow(entry: StoredDataset) -> impl IntoView {
    let lab = use_lab();
    let datasets = use_datasets();
    let training = use_context::<Training>();
    let lang = use_lang();
    let id = StoredValue::new(entry.id.clone());
    let name = StoredValue::new(entry.name.clone());
    let usable = why_entry_not_usable(&entry).is_none();
    let why = {
        let entry = entry.clone();
        move || {
            let l = lang();
            why_entry_not_usable(&entry).map(|w| {
                let w = w.get(l);
                l.text(
                    format!("Not for training here: {w}."),
                    format!("无法在这里训练：{w}。"),
                )
            })
        }
    };
    let in_use = move || {
        lab.own_data
            .with(|d| d.as_ref().is_some_and(|d| d.id == id.get_value()))
    };
    let facts = {
        let entry = entry.clone();
        move || {
            let l = lang();
            let shape = shape_id_words(&entry.shape, l);
            let size = size_words(entry.file_bytes);
            let labels = entry.label_names.as_ref().map_or(String::new(), |n| {
                l.text(
                    format!(" · labels: {}", n.join(", ")),
                    format!(" · 标签：{}", n.join("、")),
                )
            });
            l.text(
                format!("{} pictures · {shape} · {size}{labels}", entry.images),
                format!("{} 张图片 · {shape} · {size}{labels}", entry.images),
            )
        }
    };
    let on_use = move |_| {
        leptos::task::spawn_local(async move {
            let problem = match datasets.open(&id.get_value()).await {
                Ok(chosen) => use_dataset(datasets, lab, training, Some(chosen)).problem(),
                Err(e) => Some(e.within(
                    |why| format!("That dataset cannot be used: {why}."),
                    |why| format!("这个数据集无法使用：{why}。"),
                )),
            };
            datasets.message.set(problem);
        });
    };
    let on_download = move |_| {
        leptos::task::spawn_local(async move {
            let outcome = storage::dataset_file(&id.get_value())
                .await
                .and_then(|bytes| {
                    bytes.ok_or_else(|| {
                        Said::new(
                            "it is no longer kept in this browser",
                            "它已不在这个浏览器中",
                        )
                    })
                })
                .and_then(|bytes| download(&bytes, &file_name(&name.get_value())));
            if let Err(e) = outcome {
                datasets.message.set(Some(e.within(
                    |why| format!("The download failed: {why}."),
                    |why| format!("下载失败：{why}。"),
                )));
            }
        });
    };
    let on_delete = move |_| {
        let question = lab.lang_untracked().text(
            format!(
                "Delete the dataset “{}” from this browser? This cannot be undone.",
                name.get_value()
            ),
            format!(
                "要从这个浏览器中删除数据集“{}”吗？此操作无法撤销。",
                name.get_value()
            ),
        );
        let sure = web_sys::window()
            .and_then(|w| w.confirm_with_message(&question).ok())
            .unwrap_or(false);
        if sure {
            leptos::task::spawn_local(datasets.delete(lab, training, id.get_value()));
        }
    };
    view! {
        <li class="dataset" class:in-use=in_use>
            <Thumbnail entry=entry.clone() />
            <div class="dataset-words">
                <span class="dataset-name">{entry.name.clone()}</span>
                <span class="dataset-facts">{facts}</span>
                {(!usable).then(|| view! { <span class="hint">{why}</span> })}
            </div>
            <div class="buttons">
                <button class="use-dataset" on:click=on_use disabled=move || !usable || in_use()>
                    {move || if in_use() { lang().text("In use", "使用中") } else { lang().text("Use", "使用") }}
                </button>
                <button class="download-dataset" on:click=on_download>{tr("Download", "下载")}</button>
                <button class="delete-dataset" on:click=on_delete>{tr("Delete", "删除")}</button>
            </div>
        </li>
    }
}

/// The kept datasets and "Open a dataset file…".
#[component]
pub fn DatasetList() -> impl IntoView {
    let datasets = use_datasets();
    let lang = use_lang();
    let on_open = move |ev: leptos::ev::Event| {
        let input: web_sys::HtmlInputElement = event_target(&ev);
        let Some(chosen) = input.files().and_then(|f| f.get(0)) else {
            return;
        };
        input.set_value("");
        leptos::task::spawn_local(datasets.add_file(chosen));
    };
    view! {
        <div class="dataset-shelf">
            <h3>{tr("Your datasets, kept in this browser", "你的数据集（保存在这个浏览器中）")}</h3>
            <ul class="datasets">
                <For each=move || datasets.entries.get() key=|e| (e.id.clone(), e.saved_ms.to_bits()) let:entry>
                    <DatasetRow entry />
                </For>
            </ul>
            <p class="hint" hidden=move || !datasets.entries.with(Vec::is_empty)>
                {tr("None yet: an import is kept here, and so is a dataset file you open.",
                    "还没有：导入的图片会保存在这里，你打开的数据集文件也会。")}
            </p>
            <label class="button file-button">{tr("Open a dataset file…", "打开数据集文件…")}
                <input type="file" class="open-dataset" accept=".safetensors" on:change=on_open />
            </label>
            <p class="error" role="alert">{move || datasets.message.with(|m| said_in(lang(), m))}</p>
        </div>
    }
}
