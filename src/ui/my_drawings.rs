//! "Add to my drawings": the drawing on the pad kept under a label a person types, so that a few
//! symbols drawn a few dozen times each become a dataset of their own (kept on the shelf under
//! [`DRAWINGS_ID`], used from the Data menu like an import). The set grows with each drawing,
//! can be browsed, and loses single drawings.

use leptos::html::Canvas;
use leptos::prelude::*;

use super::datasets::{use_datasets, Datasets};
use super::i18n::{said_in, tr, Said};
use super::image_grid::paint_images;
use super::state::{use_lab, Lab};
use super::storage;
use super::training::Training;
use crate::ml::dataset::drawings::Drawings;
use crate::ml::dataset::{file, ImageShape, MIN_FOR_TEST_SPLIT};
use crate::ui_logic::error_words::Worded;

/// The drawings' id on the shelf of kept datasets.
pub const DRAWINGS_ID: &str = "my-drawings";

#[component]
fn DrawingThumb(image: Vec<u8>) -> impl IntoView {
    let canvas = NodeRef::<Canvas>::new();
    Effect::new(move |_| {
        if let Some(canvas) = canvas.get() {
            paint_images(&canvas, ImageShape::DIGITS, &image, 1, true);
        }
    });
    view! { <canvas class="drawing-thumb" node_ref=canvas width="0" height="0" aria-hidden="true"></canvas> }
}

/// Writes `now` to the shelf of kept datasets, or takes the drawings off it when none are left.
async fn keep(
    datasets: Datasets,
    lab: Lab,
    training: Option<Training>,
    now: Drawings,
) -> Result<(), Said> {
    if now.is_empty() {
        datasets
            .delete(lab, training, DRAWINGS_ID.to_string())
            .await;
        return Ok(());
    }
    let set = now.to_dataset().map_err(|e| e.said())?;
    datasets
        .keep_as(DRAWINGS_ID.to_string(), &set, &file::save(&set), true)
        .await
        .map(|_| ())
        .map_err(|(_, e)| {
            e.within(
                |why| format!("Your drawings could not be kept in this browser: {why}."),
                |why| format!("无法在此浏览器中保存你的画：{why}。"),
            )
        })
}

#[component]
pub fn MyDrawings(
    /// Moved on after a drawing is kept, so the pad clears for the next one.
    clear_pad: RwSignal<u32>,
) -> impl IntoView {
    let lab = use_lab();
    let datasets = use_datasets();
    let training = use_context::<Training>();
    let drawings = RwSignal::new(Drawings::default());
    let loaded = RwSignal::new(false);
    let label = RwSignal::new(String::new());
    let message = RwSignal::new(None::<Said>);
    // The kept drawings, read once. Only "none kept" starts an empty set: after any other
    // failure "Add" stays off, so a set that could not be read is never written over.
    super::clock::spawn_after_this_task(async move {
        let kept = storage::dataset_file(DRAWINGS_ID)
            .await
            .and_then(|bytes| match bytes {
                None => Ok(Drawings::default()),
                Some(bytes) => file::load(&bytes)
                    .and_then(|set| Drawings::from_dataset(&set))
                    .map_err(|e| e.said()),
            });
        match kept {
            Ok(kept) => {
                drawings.set(kept);
                loaded.set(true);
            }
            Err(e) => message.set(Some(e.within(|why| format!("Your kept drawings cannot be read ({why}); adding is off so they are not overwritten."), |why| format!("无法读取你保存的画（{why}）；添加已关闭，以免覆盖它们。")))),
        }
    });
    // Writes the drawings to the shelf (or takes them off it when none are left). One writer at
    // a time, and it writes the newest set: an edit made while a write is under way is written
    // after it, so the kept set never ends older than the one on screen.
    let writing = RwSignal::new(false);
    let edited = StoredValue::new(false);
    let save = move || {
        edited.set_value(true);
        if writing.get_untracked() {
            return;
        }
        writing.set(true);
        leptos::task::spawn_local(async move {
            while edited.try_update_value(std::mem::take).unwrap_or(false) {
                let Some(now) = drawings.try_get_untracked() else {
                    break;
                };
                let outcome = keep(datasets, lab, training, now).await;
                message.set(outcome.err());
            }
            writing.set(false);
        });
    };
    // A page closed or reloaded while a write is under way would lose the last edit: the
    // browser asks first.
    let on_leave = window_event_listener(leptos::ev::beforeunload, move |ev| {
        if writing.try_get_untracked().unwrap_or(false) {
            ev.prevent_default();
        }
    });
    on_cleanup(move || on_leave.remove());
    let add = move |_| {
        let Some(pixels) = lab
            .drawing
            .with_untracked(|d| d.as_ref().map(|d| d.pixels.clone()))
        else {
            message.set(Some(Said::new(
                "Draw something on the pad first.",
                "请先在画板上画点什么。",
            )));
            return;
        };
        let mut now = drawings.get_untracked();
        match now.add(&pixels, &label.get_untracked()) {
            Ok(()) => {
                drawings.set(now);
                save();
                clear_pad.update(|n| *n += 1);
            }
            Err(e) => message.set(Some(e.said().within(
                |why| format!("Not added: {why}."),
                |why| format!("未添加：{why}。"),
            ))),
        }
    };
    let remove = move |index: usize| {
        drawings.update(|d| d.remove(index));
        save();
    };
    let count_text = move || {
        let l = lab.lang();
        drawings.with(|d| {
            if d.is_empty() {
                return l
                    .text(
                        "Draw a symbol, name it and add it; a few dozen of each of a few symbols \
                         make a dataset to train on.",
                        "画一个符号，给它起个名字，然后添加；几种符号各画几十个，就是一个可以用来训练的数据集。",
                    )
                    .to_string();
            }
            let counts: Vec<String> = d
                .counts()
                .iter()
                .map(|(label, n)| format!("{label} {n}"))
                .collect();
            let usable = if d.len() >= MIN_FOR_TEST_SPLIT {
                l.text(
                    "choose “my drawings” in the Data menu to train on them (a fifth test the model)",
                    "在“数据”菜单中选择“my drawings”即可用它们训练（其中五分之一用来测试模型）",
                )
                .to_string()
            } else {
                l.text(
                    format!(
                        "choose “my drawings” in the Data menu to train on them; from \
                         {MIN_FOR_TEST_SPLIT} on, a fifth are kept back to test the model"
                    ),
                    format!(
                        "在“数据”菜单中选择“my drawings”即可用它们训练；\
                         满 {MIN_FOR_TEST_SPLIT} 张后，会留出五分之一来测试模型"
                    ),
                )
            };
            l.text(
                format!("My drawings: {} ({}); {usable}.", d.len(), counts.join(" · ")),
                format!("我的画：{} 张（{}）；{usable}。", d.len(), counts.join(" · ")),
            )
        })
    };
    view! {
        <div class="my-drawings" data-kept=move || (!writing.get()).to_string()>
            <div class="add-row">
                <label>{tr("Add to my drawings as ", "添加到我的画，标签为 ")}
                    <input type="text" class="drawing-label" placeholder=tr("a label, e.g. star", "标签，例如“星星”") maxlength="40"
                        prop:value=move || label.get() on:input=move |ev| label.set(event_target_value(&ev)) />
                </label>
                <button class="add-drawing" on:click=add
                    disabled=move || !loaded.get() || label.with(|l| l.trim().is_empty()) || lab.drawing.with(Option::is_none)>
                    {tr("Add", "添加")}
                </button>
            </div>
            <p class="drawings-count hint">{count_text}</p>
            <details class="browse-drawings" hidden=move || drawings.with(Drawings::is_empty)>
                <summary>{tr("Browse and remove", "浏览与删除")}</summary>
                <ul class="drawing-grid">
                    {move || {
                    let l = lab.lang();
                    drawings.with(|d| (0..d.len()).map(|i| {
                        let name = d.label(i).to_string();
                        view! {
                            <li title=name.clone()>
                                <DrawingThumb image=d.image(i).to_vec() />
                                <button class="remove-drawing" on:click=move |_| remove(i)
                                    aria-label=l.text(
                                        format!("remove drawing {}, “{name}”", i + 1),
                                        format!("删除第 {} 张画“{name}”", i + 1),
                                    )>"×"</button>
                            </li>
                        }
                    }).collect_view())
                    }}
                </ul>
            </details>
            <p class="error" role="alert">{move || message.with(|m| said_in(lab.lang(), m))}</p>
        </div>
    }
}
