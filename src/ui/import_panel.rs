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
    // Why the last "Train on it here" did not happen (or the import was not kept), if so.
    let problem = RwSignal::new(None::<String>);
    // Why the last import is not kept in the browser (storage full): said until the next
    // import, whatever else is done with it.
    let not_kept = RwSignal::new(None::<String>);
    let shape_index = RwSignal::new(0usize);
    let fit_choice = RwSignal::new(Fit::DEFAULT);
    let invert = RwSignal::new(INVERT_BY_DEFAULT);
    let name = RwSignal::new(String::new());
    let progress = RwSignal::new(None::<(usize, usize)>);
    let job = StoredValue::new_local(None::<ImportJob>);
    let outcome = RwSignal::new(None::<Result<Imported, String>>);
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
            Err((id, e)) => (id, Some(format!(
                "It could not be kept in this browser ({e}); it is here until the page is closed: download it to keep it."
            ))),
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
        let dataset_name = if typed.is_empty() {
            paths[0]
                .split_once('/')
                .map_or("my pictures".to_string(), |(top, _)| top.to_string())
        } else {
            typed
        };
        // The built-in data's name is taken: the page tells datasets apart by name.
        let dataset_name = if dataset_name == BUILT_IN_DATA {
            format!("{dataset_name} (yours)")
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
                    Err(e) => Err(format!(
                        "The import worker made a dataset this page cannot read: {e}"
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
                outcome.set(Some(Err(format!("The file could not be saved: {e}"))));
            }
        }
    };
    let summary = move || {
        outcome.with(|o| match o {
            Some(Ok(imported)) => {
                let set = &imported.dataset;
                let labels = set.labels().map_or(String::new(), |l| {
                    format!(
                        "; {} labels from its folders: {}",
                        l.names.len(),
                        l.names.join(", ")
                    )
                });
                Some(format!(
                    "“{}”: {} images of {}{labels}. {}.",
                    set.name(),
                    set.len(),
                    set.shape(),
                    imported.tally.describe()
                ))
            }
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
            <h2 id="import-title">"Your own pictures"</h2>
            <p class="caption">"Make a dataset of your pictures and see them as a model would: choose them, or drop pictures or folders here."</p>
            <Why>
                <p>
                    "Pictures (any size) are read by your browser, fitted to a square and, for ink on paper, inverted "
                    "as MNIST's are; a folder's folders become labels. “Train on it here” makes them this page's data: the "
                    "next run trains a model of their shape (grey or colour, 28 to 64 pixels a side), and every chapter shows "
                    "them through it. Every fifth picture is kept back to test, from 50 pictures on. The file also trains "
                    "natively ("<code>"train --data"</code>"). Nothing leaves this page."
                </p>
            </Why>
            <div class="import-options">
                <label>"shape "
                    <select on:change=move |ev| shape_index.set(event_target_value(&ev).parse().unwrap_or(0))>
                        {SHAPES.iter().enumerate().map(|(i, (channels, side))| view! {
                            <option value=i.to_string() selected=move || shape_index.get() == i>
                                {format!("{side}×{side} {}", channels.name())}
                            </option>
                        }).collect_view()}
                    </select>
                </label>
                <label>"fit "
                    <select on:change=move |ev| {
                        let chosen = event_target_value(&ev);
                        if let Some(f) = Fit::ALL.into_iter().find(|f| f.name() == chosen) {
                            fit_choice.set(f);
                        }
                    }>
                        {Fit::ALL.map(|f| view! {
                            <option value=f.name() selected=move || fit_choice.get() == f>{f.name()}</option>
                        }).collect_view()}
                    </select>
                </label>
                <label><input type="checkbox" class="invert" prop:checked=move || invert.get()
                    on:change=move |ev| invert.set(event_target_checked(&ev)) />
                    " ink on paper (invert dark on light)"</label>
                <label>"name "
                    <input type="text" class="dataset-name" placeholder="from the folder" prop:value=move || name.get()
                        on:input=move |ev| name.set(event_target_value(&ev)) />
                </label>
            </div>
            <div class="buttons">
                <label class="button file-button">"Choose pictures or a zip…"
                    <input type="file" class="import-files" multiple accept="image/*,.zip" on:change=on_files disabled=busy />
                </label>
                <label class="button file-button">"Choose a folder…"
                    <input type="file" class="import-folder" node_ref=folder_input on:change=on_files disabled=busy />
                </label>
                <button class="save-dataset" on:click=save disabled=move || !outcome.with(|o| matches!(o, Some(Ok(_))))>
                    "Download the dataset"
                </button>
                <button class="train-here" on:click=move |_| {
                    if let Some(Ok(imported)) = outcome.get_untracked() {
                        problem.set(use_dataset(datasets, lab, training, Some(Chosen {
                            id: imported.id.clone(),
                            dataset: imported.dataset.clone(),
                            file: imported.file.clone(),
                            ink: imported.ink,
                        })).problem());
                    }
                } disabled=move || !outcome.with(|o| matches!(o, Some(Ok(_))))>
                    "Train on it here"
                </button>
                {move || lab.own_data.with(Option::is_some).then(|| view! {
                    <button class="back-to-digits" on:click=move |_| problem.set(use_dataset(datasets, lab, training, None).problem())>
                        "Back to the MNIST digits"
                    </button>
                })}
            </div>
            <p class="data-in-use" aria-live="polite">
                {move || lab.own_data.with(|d| d.as_ref().map(|d| {
                    let test = match d.no_test_set {
                        Some(_) => format!("all train: fewer than {MIN_FOR_TEST_SPLIT} keep none back for testing"),
                        None => lab.test_set_words(),
                    };
                    format!("Training and every chapter use “{}” ({} pictures; {test}).", d.name, d.images)
                }))}
            </p>
            {move || progress.get().map(|(done, total)| view! {
                <div class="import-progress">
                    <progress max=total value=done></progress>
                    <span>{format!("{done} of {total} files")}</span>
                    <button on:click=move |_| {
                        job.set_value(None);
                        progress.set(None);
                        outcome.set(Some(Err("Import cancelled; nothing was kept.".to_string())));
                    }>"Cancel"</button>
                </div>
            })}
            <p class="import-summary" aria-live="polite">{summary}</p>
            <canvas class="import-preview" node_ref=preview width="0" height="0"
                hidden=move || !outcome.with(|o| matches!(o, Some(Ok(_))))
                role="img" aria-label="the first imported images, as they will be trained"></canvas>
            <p class="error" role="alert">
                {move || outcome.with(|o| match o { Some(Err(e)) => Some(e.clone()), _ => None })}
                {move || problem.get()}
                {move || not_kept.get()}
            </p>
            <DatasetList />
        </section>
    }
}
