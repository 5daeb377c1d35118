//! Your own pictures: files or a folder (its folders become labels) made into a dataset — each
//! picture decoded by the browser, fitted to the chosen shape, duplicates and non-pictures
//! passed over and counted — with a preview of the images as they will be trained and the
//! dataset file to download (the native trainer trains on it: `train --data FILE`).
//!
//! "Train on it here" makes it the page's data (28×28 grey, with a test set: at least 50
//! pictures): the worker trains the next runs on it, and every chapter's test set is its test
//! split, until "Back to the MNIST digits".

use std::sync::Arc;

use leptos::html::{Canvas, Input};
use leptos::prelude::*;
use wasm_bindgen::{Clamped, JsCast};

use super::import_files::{gather, place};
use super::picker::download;
use super::picture_file;
use super::state::{use_lab, Lab, OwnData};
use super::training::Training;
use super::why::Why;
use crate::ml::dataset::fit::{Fit, FitOptions};
use crate::ml::dataset::import::Tally;
use crate::ml::dataset::{file, Channels, Dataset, ImageShape, MIN_FOR_TEST_SPLIT};
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
    dataset: Arc<Dataset>,
    tally: Tally,
    /// Whether the images are ink (bright strokes after inversion): shown dark on light.
    ink: bool,
}

/// Paints the first images of `set` in a grid on `canvas`: grey as ink on paper when `ink`,
/// else as it is; colour as it is.
fn paint_preview(canvas: &web_sys::HtmlCanvasElement, set: &Dataset, ink: bool) {
    let shape = set.shape();
    let side = shape.side;
    let count = set.len().min(PREVIEW);
    let rows = count.div_ceil(PREVIEW_COLUMNS).max(1);
    let (width, height) = (PREVIEW_COLUMNS * side, rows * side);
    canvas.set_width(width as u32);
    canvas.set_height(height as u32);
    let mut rgba = vec![255u8; width * height * 4];
    let plane = side * side;
    for i in 0..count {
        let image = set.image(i);
        let (x0, y0) = ((i % PREVIEW_COLUMNS) * side, (i / PREVIEW_COLUMNS) * side);
        for p in 0..plane {
            let at = ((y0 + p / side) * width + x0 + p % side) * 4;
            let colour = match shape.channels {
                Channels::Grey if ink => [255 - image[p]; 3],
                Channels::Grey => [image[p]; 3],
                Channels::Colour => [image[p], image[plane + p], image[2 * plane + p]],
            };
            rgba[at..at + 3].copy_from_slice(&colour);
        }
    }
    let Some(context) = canvas
        .get_context("2d")
        .ok()
        .flatten()
        .and_then(|c| c.dyn_into::<web_sys::CanvasRenderingContext2d>().ok())
    else {
        return;
    };
    if let Ok(data) = web_sys::ImageData::new_with_u8_clamped_array_and_sh(
        Clamped(&rgba),
        width as u32,
        height as u32,
    ) {
        let _ = context.put_image_data(&data, 0.0, 0.0);
    }
}

/// Why `set` cannot be trained on in the page yet, if it cannot.
fn why_not_here(set: &Dataset) -> Option<String> {
    if set.shape() != ImageShape::DIGITS {
        return Some(format!(
            "Training here takes 28×28 grey pictures so far; this set is {}: download it, or \
             import it again as 28×28 grey.",
            set.shape()
        ));
    }
    set.why_no_test_set().map(|why| {
        format!("{why}; training here needs a test set, so at least {MIN_FOR_TEST_SPLIT} pictures.")
    })
}

/// Makes `set` the page's data (`None`: the digits again), ending an unfinished run after
/// asking. Returns a problem to show, if any.
fn train_here(lab: Lab, training: Option<Training>, set: Option<&Dataset>) -> Option<String> {
    let own = match set {
        Some(set) => {
            let split = match set.digits_split() {
                Ok(split) => split,
                Err(e) => return Some(e.to_string()),
            };
            let data = OwnData {
                name: set.name().to_string(),
                file: Arc::new(file::save(set)),
                images: set.len(),
                // The page's classes are bytes (as the digits'): more than 256 are not named.
                label_names: set
                    .labels()
                    .filter(|l| l.names.len() <= 256)
                    .map(|l| l.names.clone()),
            };
            Some((data, Arc::new(split.test)))
        }
        None => None,
    };
    if let Some(training) = training {
        if training.has_unfinished_run() {
            let question = "This ends the training run under way (its model stays in the \
                            library). Change the data?";
            let go_on = web_sys::window()
                .and_then(|w| w.confirm_with_message(question).ok())
                .unwrap_or(false);
            if !go_on {
                return None;
            }
        }
        lab.use_data(own);
        training.use_chosen_data();
    } else {
        lab.use_data(own);
    }
    None
}

#[component]
pub fn ImportPanel() -> impl IntoView {
    let lab = use_lab();
    let training = use_context::<Training>();
    // Why the last "Train on it here" did not happen, if it did not.
    let problem = RwSignal::new(None::<String>);
    let shape_index = RwSignal::new(0usize);
    let fit_choice = RwSignal::new(Fit::Pad);
    let invert = RwSignal::new(true);
    let name = RwSignal::new(String::new());
    let progress = RwSignal::new(None::<(usize, usize)>);
    let cancelled = StoredValue::new(false);
    let outcome = RwSignal::new(None::<Result<Imported, String>>);
    let busy = move || progress.with(Option::is_some);
    let folder_input = NodeRef::<Input>::new();
    folder_input.on_load(|input| input.set_webkitdirectory(true));
    let preview = NodeRef::<Canvas>::new();
    Effect::new(move |_| {
        if let (Some(canvas), Some(Ok(imported))) = (preview.get(), outcome.get()) {
            paint_preview(&canvas, &imported.dataset, imported.ink);
        }
    });

    let on_files = move |ev: leptos::ev::Event| {
        let files = picture_file::take_files(&ev);
        if files.is_empty() || busy() {
            return;
        }
        let (channels, side) = SHAPES[shape_index.get_untracked()];
        let Ok(shape) = ImageShape::new(channels, side) else {
            return;
        };
        let options = FitOptions {
            shape,
            fit: fit_choice.get_untracked(),
            invert_dark_on_light: invert.get_untracked(),
        };
        // The name typed, else the chosen folder's, else a plain one.
        let typed = name.get_untracked().trim().to_string();
        let dataset_name = if typed.is_empty() {
            place(&files[0])
                .0
                .split('/')
                .next()
                .filter(|top| files[0].name() != *top)
                .map_or("my pictures".to_string(), str::to_string)
        } else {
            typed
        };
        // The built-in data's name is taken: the page tells datasets apart by name.
        let dataset_name = if dataset_name == BUILT_IN_DATA {
            format!("{dataset_name} (yours)")
        } else {
            dataset_name
        };
        cancelled.set_value(false);
        outcome.set(None);
        progress.set(Some((0, files.len())));
        leptos::task::spawn_local(async move {
            let result = gather(files, options, dataset_name, progress, cancelled).await;
            progress.set(None);
            outcome.set(Some(result.map(|(dataset, tally)| Imported {
                dataset: Arc::new(dataset),
                tally,
                ink: options.invert_dark_on_light,
            })));
        });
    };
    let save = move |_| {
        if let Some(Ok(imported)) = outcome.get_untracked() {
            let set = &imported.dataset;
            let file_name = format!(
                "{}.dataset.safetensors",
                set.name().replace(['/', '\\'], "-")
            );
            if let Err(e) = download(&file::save(set), &file_name) {
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
        <section class="panel import-panel" aria-labelledby="import-title">
            <h2 id="import-title">"Your own pictures"</h2>
            <p class="caption">"Make a dataset of your pictures and see them as a model would."</p>
            <Why>
                <p>
                    "Pictures (any size) are read by your browser, fitted to a square and, for ink on paper, inverted "
                    "as MNIST's are; a folder's folders become labels. “Train on it here” (28×28 grey, 50 pictures or "
                    "more) makes them this page's data; the file also trains natively ("<code>"train --data"</code>"). "
                    "Nothing leaves this page."
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
                <label class="button file-button">"Choose pictures…"
                    <input type="file" class="import-files" multiple accept="image/*" on:change=on_files disabled=busy />
                </label>
                <label class="button file-button">"Choose a folder…"
                    <input type="file" class="import-folder" node_ref=folder_input on:change=on_files disabled=busy />
                </label>
                <button class="save-dataset" on:click=save disabled=move || !outcome.with(|o| matches!(o, Some(Ok(_))))>
                    "Download the dataset"
                </button>
                <button class="train-here" on:click=move |_| {
                    if let Some(Ok(imported)) = outcome.get_untracked() {
                        problem.set(train_here(lab, training, Some(&imported.dataset)));
                    }
                } disabled=move || !outcome.with(|o| matches!(o, Some(Ok(i)) if why_not_here(&i.dataset).is_none()))>
                    "Train on it here"
                </button>
                {move || lab.own_data.with(Option::is_some).then(|| view! {
                    <button class="back-to-digits" on:click=move |_| problem.set(train_here(lab, training, None))>
                        "Back to the MNIST digits"
                    </button>
                })}
            </div>
            <p class="data-in-use" aria-live="polite">
                {move || lab.own_data.with(|d| d.as_ref().map(|d| format!(
                    "Training and every chapter use “{}” ({} pictures; {}).",
                    d.name, d.images, lab.test_set_words()
                )))}
            </p>
            {move || progress.get().map(|(done, total)| view! {
                <div class="import-progress">
                    <progress max=total value=done></progress>
                    <span>{format!("{done} of {total} files")}</span>
                    <button on:click=move |_| cancelled.set_value(true)>"Cancel"</button>
                </div>
            })}
            <p class="import-summary" aria-live="polite">{summary}</p>
            <p class="hint why-not-here">
                {move || outcome.with(|o| match o { Some(Ok(i)) => why_not_here(&i.dataset), _ => None })}
            </p>
            <canvas class="import-preview" node_ref=preview width="0" height="0"
                hidden=move || !outcome.with(|o| matches!(o, Some(Ok(_))))
                role="img" aria-label="the first imported images, as they will be trained"></canvas>
            <p class="error" role="alert">
                {move || outcome.with(|o| match o { Some(Err(e)) => Some(e.clone()), _ => None })}
                {move || problem.get()}
            </p>
        </section>
    }
}
