//! "Add to my drawings": the drawing on the pad kept under a label a person types, so that a few
//! symbols drawn a few dozen times each become a dataset of their own (kept on the shelf under
//! [`DRAWINGS_ID`], used from the Data menu like an import). The set grows with each drawing,
//! can be browsed, and loses single drawings.

use leptos::html::Canvas;
use leptos::prelude::*;

use super::datasets::use_datasets;
use super::image_grid::paint_images;
use super::state::use_lab;
use super::storage;
use super::training::Training;
use crate::ml::dataset::drawings::Drawings;
use crate::ml::dataset::{file, ImageShape, MIN_FOR_TEST_SPLIT};

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
    let message = RwSignal::new(None::<String>);
    // The kept drawings, read once. Only "none kept" starts an empty set: after any other
    // failure "Add" stays off, so a set that could not be read is never written over.
    leptos::task::spawn_local(async move {
        let kept = storage::dataset_file(DRAWINGS_ID)
            .await
            .and_then(|bytes| match bytes {
                None => Ok(Drawings::default()),
                Some(bytes) => file::load(&bytes)
                    .and_then(|set| Drawings::from_dataset(&set))
                    .map_err(|e| e.to_string()),
            });
        match kept {
            Ok(kept) => {
                drawings.set(kept);
                loaded.set(true);
            }
            Err(e) => message.set(Some(format!(
                "Your kept drawings cannot be read ({e}); adding is off so they are not overwritten."
            ))),
        }
    });
    // Writes the drawings to the shelf (or takes them off it when none are left).
    let save = move || {
        let now = drawings.get_untracked();
        leptos::task::spawn_local(async move {
            let outcome = if now.is_empty() {
                datasets
                    .delete(lab, training, DRAWINGS_ID.to_string())
                    .await;
                Ok(())
            } else {
                match now.to_dataset() {
                    Ok(set) => datasets
                        .keep_as(DRAWINGS_ID.to_string(), &set, &file::save(&set), true)
                        .await
                        .map(|_| ())
                        .map_err(|(_, e)| {
                            format!("Your drawings could not be kept in this browser: {e}.")
                        }),
                    Err(e) => Err(e.to_string()),
                }
            };
            message.set(outcome.err());
        });
    };
    let add = move |_| {
        let Some(pixels) = lab
            .drawing
            .with_untracked(|d| d.as_ref().map(|d| d.pixels.clone()))
        else {
            message.set(Some("Draw something on the pad first.".to_string()));
            return;
        };
        let mut now = drawings.get_untracked();
        match now.add(&pixels, &label.get_untracked()) {
            Ok(()) => {
                drawings.set(now);
                save();
                clear_pad.update(|n| *n += 1);
            }
            Err(e) => message.set(Some(format!("Not added: {e}."))),
        }
    };
    let remove = move |index: usize| {
        drawings.update(|d| d.remove(index));
        save();
    };
    let count_text =
        move || {
            drawings.with(|d| {
            if d.is_empty() {
                return "Draw a symbol, name it and add it; a few dozen of each of a few symbols \
                        make a dataset to train on."
                    .to_string();
            }
            let counts: Vec<String> = d
                .counts()
                .iter()
                .map(|(label, n)| format!("{label} {n}"))
                .collect();
            let usable = if d.len() >= MIN_FOR_TEST_SPLIT {
                "choose “my drawings” in the Data menu to train on them (a fifth test the model)"
                    .to_string()
            } else {
                format!(
                    "choose “my drawings” in the Data menu to train on them; from \
                     {MIN_FOR_TEST_SPLIT} on, a fifth are kept back to test the model"
                )
            };
            format!("My drawings: {} ({}); {usable}.", d.len(), counts.join(" · "))
        })
        };
    view! {
        <div class="my-drawings">
            <div class="add-row">
                <label>"Add to my drawings as "
                    <input type="text" class="drawing-label" placeholder="a label, e.g. star" maxlength="40"
                        prop:value=move || label.get() on:input=move |ev| label.set(event_target_value(&ev)) />
                </label>
                <button class="add-drawing" on:click=add
                    disabled=move || !loaded.get() || label.with(|l| l.trim().is_empty()) || lab.drawing.with(Option::is_none)>
                    "Add"
                </button>
            </div>
            <p class="drawings-count hint">{count_text}</p>
            <details class="browse-drawings" hidden=move || drawings.with(Drawings::is_empty)>
                <summary>"Browse and remove"</summary>
                <ul class="drawing-grid">
                    {move || drawings.with(|d| (0..d.len()).map(|i| {
                        let name = d.label(i).to_string();
                        view! {
                            <li title=name.clone()>
                                <DrawingThumb image=d.image(i).to_vec() />
                                <button class="remove-drawing" on:click=move |_| remove(i)
                                    aria-label=format!("remove drawing {}, “{name}”", i + 1)>"×"</button>
                            </li>
                        }
                    }).collect_view())}
                </ul>
            </details>
            <p class="error" role="alert">{move || message.get()}</p>
        </div>
    }
}
