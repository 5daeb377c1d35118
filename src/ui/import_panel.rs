//! Your own pictures: files or a folder (its folders become labels) made into a dataset by an
//! import worker — each picture decoded by the browser, fitted to the chosen shape, duplicates
//! and non-pictures passed over and counted — with a preview of the images as they will be trained and the
//! dataset file to download (the native trainer trains on it: `train --data FILE`).
//!
//! "Train on it here" makes it the page's data (28×28 grey, with a test set: at least 50
//! pictures): the worker trains the next runs on it, and every chapter's test set is its test
//! split, until "Back to the MNIST digits".

use std::sync::Arc;

use leptos::html::{Canvas, Input};
use leptos::prelude::*;

use super::dataset_list::{file_name, DatasetList};
use super::datasets::{use_dataset, use_datasets, Chosen};
use super::dropped;
use super::i18n::{tr, use_lang};
use super::image_grid::paint_images;
use super::import_files::{place, ImportJob};
use super::picker::download;
use super::picture_file;
use super::state::use_lab;
use super::training::client::worker_url;
use super::training::Training;
use super::why::Why;
use crate::ml::dataset::fit::{Fit, INVERT_BY_DEFAULT};
use crate::ml::dataset::import::Tally;
use crate::ml::dataset::{file, Channels, Dataset, ImageShape, MIN_FOR_TEST_SPLIT};
use crate::protocol::{ImportEvent, ImportRequest, IMPORT_ROLE};
use crate::ui_logic::error_words::Worded;
use crate::ui_logic::import_words::import_summary;
use crate::ui_logic::said::Said;
use crate::ui_logic::words::{shape_words, thousands};
use crate::worker::runner::BUILT_IN_DATA;

/// The shapes an import offers, as the issue of datasets lists them.
const SHAPES: [(Channels, usize); 5] = [
    (Channels::Grey, 28),
    (Channels::Grey, 32),
    (Channels::Colour, 32),
    (Channels::Grey, 64),
    (Channels::Colour, 64),
];
/// Images shown in the preview.
const PREVIEW: usize = 48;
const PREVIEW_COLUMNS: usize = 8;

/// A finished import.
#[derive(Clone)]
struct Imported {
    /// Its id on the shelf (kept there unless the browser's storage refused).
    id: String,
    dataset: Arc<Dataset>,
    /// The dataset file the worker made: downloaded and handed to the training worker as is.
    file: Arc<Vec<u8>>,
    tally: Tally,
    /// Whether the images are ink (bright strokes after inversion): shown dark on light.
    ink: bool,
}

#[component]
pub fn ImportPanel() -> impl IntoView {
    let lab = use_lab();
    let datasets = use_datasets();
    let training = use_context::<Training>();
    let lang = use_lang();
    // Why the last "Train on it here" did not happen (or the import was not kept), if so.
    let problem = RwSignal::new(None::<Said>);
    // Why the last import is not kept in the browser (storage full): said until the next
    // import, whatever else is done with it.
    let not_kept = RwSignal::new(None::<Said>);
    let shape_index = RwSignal::new(0usize);
    let fit_choice = RwSignal::new(Fit::DEFAULT);
    let invert = RwSignal::new(INVERT_BY_DEFAULT);
    let name = RwSignal::new(String::new());
    let progress = RwSignal::new(None::<(usize, usize)>);
    let job = StoredValue::new_local(None::<ImportJob>);
    let outcome = RwSignal::new(None::<Result<Imported, Said>>);
    let busy = move || progress.with(Option::is_some);
    let folder_input = NodeRef::<Input>::new();
    folder_input.on_load(|input| input.set_webkitdirectory(true));
    let preview = NodeRef::<Canvas>::new();
    Effect::new(move |_| {
        if let (Some(canvas), Some(Ok(imported))) = (preview.get(), outcome.get()) {
            let set = &imported.dataset;
            let shown = set.len().min(PREVIEW) * set.shape().values();
            paint_images(
                &canvas,
                set.shape(),
                &set.images()[..shown],
                PREVIEW_COLUMNS,
                imported.ink,
            );
        }
    });

    // A finished import is kept on the shelf at once; a refusal (storage full) leaves it
    // usable for this visit and says so.
    let keep = move |set: Dataset, file: Vec<u8>, tally: Tally, ink: bool| async move {
        let (id, kept_problem) = match datasets.keep(&set, &file, ink).await {
            Ok(id) => (id, None),
            Err((id, e)) => (id, Some(e.within(|why| format!("It could not be kept in this browser ({why}); it is here until the page is closed: download it to keep it."), |why| format!("它无法保存在这个浏览器中（{why}）；在关闭页面之前它都在这里：下载它才能留下来。")))),
        };
        not_kept.set(kept_problem);
        progress.set(None);
        outcome.set(Some(Ok(Imported {
            id,
            dataset: Arc::new(set),
            file: Arc::new(file),
            tally,
            ink,
        })));
    };

    // Imports `chosen` (each file with its path from what was chosen or dropped).
    let start = move |chosen: Vec<(String, web_sys::File)>| {
        if chosen.is_empty() || busy() {
            return;
        }
        let (channels, side) = SHAPES[shape_index.get_untracked()];
        let Ok(shape) = ImageShape::new(channels, side) else {
            return;
        };
        let (paths, files): (Vec<String>, Vec<web_sys::File>) = chosen.into_iter().unzip();
        // The name typed, else the chosen folder's, else a plain one.
        let typed = name.get_untracked().trim().to_string();
        let l = lab.lang_untracked();
        let dataset_name = if typed.is_empty() {
            paths[0].split_once('/').map_or_else(
                || l.text("my pictures", "我的图片").to_string(),
                |(top, _)| top.to_string(),
            )
        } else {
            typed
        };
        // The built-in data's name is taken: the page tells datasets apart by name.
        let dataset_name = if dataset_name == BUILT_IN_DATA {
            l.text(
                format!("{dataset_name} (yours)"),
                format!("{dataset_name}（你的）"),
            )
        } else {
            dataset_name
        };
        let ink = invert.get_untracked();
        let request = ImportRequest {
            name: dataset_name,
            channels: shape.channels,
            side: shape.side,
            fit: fit_choice.get_untracked(),
            invert_dark_on_light: ink,
            paths,
        };
        outcome.set(None);
        not_kept.set(None);
        progress.set(Some((0, files.len())));
        let on_event = move |event| {
            let finished = match event {
                ImportEvent::ImportProgress { done, total } => {
                    progress.set(Some((done, total)));
                    return;
                }
                // Answered by the job itself.
                ImportEvent::ImportReady { .. } => return,
                ImportEvent::Imported { dataset, tally } => match file::load(&dataset) {
                    Ok(set) => {
                        // The import is busy until it is kept: a new one waits.
                        leptos::task::spawn_local(keep(set, dataset, tally, ink));
                        leptos::task::spawn_local(async move { job.set_value(None) });
                        return;
                    }
                    Err(e) => Err(e.said().within(
                        |why| {
                            format!("The import worker made a dataset this page cannot read: {why}")
                        },
                        |why| format!("导入线程生成了本页无法读取的数据集：{why}"),
                    )),
                },
                ImportEvent::ImportFailed { message } => Err(message),
            };
            progress.set(None);
            outcome.set(Some(finished));
            // The worker is ended once this message's handler has returned.
            leptos::task::spawn_local(async move { job.set_value(None) });
        };
        let url = match training {
            Some(training) => training.worker_url(Some(IMPORT_ROLE)),
            None => worker_url(Some(IMPORT_ROLE), None),
        };
        match ImportJob::start(&files, &request, on_event, &url) {
            Ok(started) => job.set_value(Some(started)),
            Err(e) => {
                progress.set(None);
                outcome.set(Some(Err(e)));
            }
        }
    };
    let on_files = move |ev: leptos::ev::Event| {
        let files = picture_file::take_files(&ev);
        start(files.into_iter().map(|f| (place(&f), f)).collect());
    };
    // Pictures or folders dropped on the chapter are imported; a dataset file dropped alone is
    // kept. The drop stops here: the page's own drop handler (a model file) does not see it.
    let drag_over = RwSignal::new(false);
    let on_drop = move |ev: web_sys::DragEvent| {
        ev.prevent_default();
        ev.stop_propagation();
        drag_over.set(false);
        let dropped = dropped::take(&ev);
        leptos::task::spawn_local(async move {
            let files = dropped::files(dropped).await;
            match files.as_slice() {
                [(path, file)] if path.ends_with(".safetensors") => {
                    datasets.add_file(file.clone()).await;
                }
                _ => start(files),
            }
        });
    };
    let save = move |_| {
        if let Some(Ok(imported)) = outcome.get_untracked() {
            if let Err(e) = download(&imported.file, &file_name(imported.dataset.name())) {
                outcome.set(Some(Err(e.within(
                    |why| format!("The file could not be saved: {why}"),
                    |why| format!("无法保存这个文件：{why}"),
                ))));
            }
        }
    };
    let summary = move || {
        let lang = lang();
        outcome.with(|o| match o {
            Some(Ok(imported)) => Some(import_summary(&imported.dataset, &imported.tally, lang)),
            _ => None,
        })
    };

    view! {
        <section class="panel import-panel" aria-labelledby="import-title" class:drag-over=drag_over
            on:dragover=move |ev: web_sys::DragEvent| {
                ev.prevent_default();
                ev.stop_propagation();
                drag_over.set(true);
            }
            on:dragleave=move |_| drag_over.set(false)
            on:drop=on_drop>
            <h2 id="import-title">{tr("Your own pictures", "你自己的图片")}</h2>
            <p class="caption">{tr("Make a dataset of your pictures and see them as a model would: choose them, or drop pictures or folders here.",
                "用你的图片做一个数据集，看看模型眼中的它们：选择图片，或把图片、文件夹拖放到这里。")}</p>
            <Why>
                <p>
                    {tr("Pictures (any size) are read by your browser, fitted to a square and, for ink on paper, inverted \
                         as MNIST's are; a folder's folders become labels. “Train on it here” makes them this page's data: the \
                         next run trains a model of their shape (grey or colour, 28 to 64 pixels a side), and every chapter shows \
                         them through it. Every fifth picture is kept back to test, from 50 pictures on. The file also trains \
                         natively (",
                        "图片（任意大小）由你的浏览器读取，裁成正方形；纸上的墨迹会像 MNIST 那样反转明暗；\
                         文件夹里的子文件夹会成为标签。“在这里训练”让它们成为本页的数据：下一次训练会得到一个\
                         与它们形状相同的模型（灰度或彩色，边长 28 到 64 像素），各章都通过这个模型来展示它们。\
                         从 50 张图片起，每五张留出一张作测试。这个文件也能在本地训练（")}
                    <code>"train --data"</code>
                    {tr("). Nothing leaves this page.", "）。任何数据都不会离开本页。")}
                </p>
            </Why>
            <div class="import-options">
                <label>{tr("shape ", "形状 ")}
                    <select on:change=move |ev| shape_index.set(event_target_value(&ev).parse().unwrap_or(0))>
                        {SHAPES.iter().enumerate().map(|(i, (channels, side))| view! {
                            <option value=i.to_string() selected=move || shape_index.get() == i>
                                {move || shape_words(ImageShape { channels: *channels, side: *side }, lang())}
                            </option>
                        }).collect_view()}
                    </select>
                </label>
                <label>{tr("fit ", "适配 ")}
                    <select on:change=move |ev| {
                        let chosen = event_target_value(&ev);
                        if let Some(f) = Fit::ALL.into_iter().find(|f| f.name() == chosen) {
                            fit_choice.set(f);
                        }
                    }>
                        {Fit::ALL.map(|f| view! {
                            <option value=f.name() selected=move || fit_choice.get() == f>{move || lang().text(f.name(), match f {
                                Fit::CentreCrop => "居中裁剪",
                                Fit::Pad => "补边",
                                Fit::Stretch => "拉伸",
                            })}</option>
                        }).collect_view()}
                    </select>
                </label>
                <label><input type="checkbox" class="invert" prop:checked=move || invert.get()
                    on:change=move |ev| invert.set(event_target_checked(&ev)) />
                    {tr(" ink on paper (invert dark on light)", " 纸上墨迹（白底黑字反转明暗）")}</label>
                <label>{tr("name ", "名称 ")}
                    <input type="text" class="dataset-name" placeholder=tr("from the folder", "取自文件夹名") prop:value=move || name.get()
                        on:input=move |ev| name.set(event_target_value(&ev)) />
                </label>
            </div>
            <div class="buttons">
                <label class="button file-button">{tr("Choose pictures or a zip…", "选择图片或 zip 文件…")}
                    <input type="file" class="import-files" multiple accept="image/*,.zip" on:change=on_files disabled=busy />
                </label>
                <label class="button file-button">{tr("Choose a folder…", "选择文件夹…")}
                    <input type="file" class="import-folder" node_ref=folder_input on:change=on_files disabled=busy />
                </label>
                <button class="save-dataset" on:click=save disabled=move || !outcome.with(|o| matches!(o, Some(Ok(_))))>
                    {tr("Download the dataset", "下载数据集")}
                </button>
                <button class="train-here" on:click=move |_| {
                    if let Some(Ok(imported)) = outcome.get_untracked() {
                        problem.set(use_dataset(datasets, lab, training, Some(Chosen {
                            id: imported.id.clone(),
                            dataset: imported.dataset.clone(),
                            file: imported.file.clone(),
                            ink: imported.ink,
                            factors: None,
                        })).problem());
                    }
                } disabled=move || !outcome.with(|o| matches!(o, Some(Ok(_))))>
                    {tr("Train on it here", "在这里训练")}
                </button>
                {move || lab.own_data.with(Option::is_some).then(|| view! {
                    <button class="back-to-digits" on:click=move |_| problem.set(use_dataset(datasets, lab, training, None).problem())>
                        {tr("Back to the MNIST digits", "回到 MNIST 数字")}
                    </button>
                })}
            </div>
            <p class="data-in-use" aria-live="polite">
                {move || {
                    let l = lang();
                    lab.own_data.with(|d| d.as_ref().map(|d| {
                        let test = match d.no_test_set {
                            true => l.text(
                                format!("all train: fewer than {MIN_FOR_TEST_SPLIT} keep none back for testing"),
                                format!("全部用于训练：少于 {MIN_FOR_TEST_SPLIT} 张时不留测试集"),
                            ),
                            false => lab.test_set_words(),
                        };
                        l.text(
                            format!("Training and every chapter use “{}” ({} pictures; {test}).", d.name, thousands(d.images)),
                            format!("训练和各章都使用“{}”（{} 张图片；{test}）。", d.name, thousands(d.images)),
                        )
                    }))
                }}
            </p>
            {move || progress.get().map(|(done, total)| view! {
                <div class="import-progress">
                    <progress max=total value=done></progress>
                    <span>{move || lang().text(
                        format!("{done} of {total} files"),
                        format!("{done}/{total} 个文件"),
                    )}</span>
                    <button on:click=move |_| {
                        job.set_value(None);
                        progress.set(None);
                        outcome.set(Some(Err(Said::new(
                            "Import cancelled; nothing was kept.",
                            "导入已取消，什么都没有保存。",
                        ))));
                    }>{tr("Cancel", "取消")}</button>
                </div>
            })}
            <p class="import-summary" aria-live="polite">{summary}</p>
            <canvas class="import-preview" node_ref=preview width="0" height="0"
                hidden=move || !outcome.with(|o| matches!(o, Some(Ok(_))))
                role="img" aria-label=tr("the first imported images, as they will be trained",
                    "导入的前几张图片，即训练时的样子")></canvas>
            <p class="error" role="alert">
                {move || outcome.with(|o| match o { Some(Err(e)) => Some(e.get(lang()).to_string()), _ => None })}
                {move || problem.with(|p| p.as_ref().map(|p| p.get(lang()).to_string()))}
                {move || not_kept.with(|p| p.as_ref().map(|p| p.get(lang()).to_string()))}
            </p>
            <DatasetList />
        </section>
    }
}
