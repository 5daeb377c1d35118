//! The header's Data menu: the built-in digits and every kept dataset, the one in use chosen.

use leptos::prelude::*;

use super::datasets::{use_dataset, use_datasets, why_entry_not_usable};
use super::state::use_lab;
use super::training::Training;
use crate::ml::dataset::ImageShape;

/// The header's data picker: the built-in digits and every kept dataset the models can train
/// on (the others are listed, greyed, with the reason).
#[component]
pub fn DataPicker() -> impl IntoView {
    let lab = use_lab();
    let datasets = use_datasets();
    let training = use_context::<Training>();
    let in_use = move || {
        lab.own_data
            .with(|d| d.as_ref().map(|d| d.id.clone()).unwrap_or_default())
    };
    // Why the last choice was not taken, shown under the menu.
    let problem = RwSignal::new(None::<String>);
    let on_change = move |ev: leptos::ev::Event| {
        let id = event_target_value(&ev);
        leptos::task::spawn_local(async move {
            let outcome = if id.is_empty() {
                use_dataset(datasets, lab, training, None).problem()
            } else {
                match datasets.open(&id).await {
                    Ok(chosen) => use_dataset(datasets, lab, training, Some(chosen)).problem(),
                    Err(e) => Some(format!("That dataset cannot be used: {e}.")),
                }
            };
            problem.set(outcome);
            // A choice not taken (refused, or not confirmed) leaves the menu on the data in use.
            lab.own_data.update(|_| {});
        });
    };
    view! {
        <div class="data-picker picker-row">
            <label>
                "Data "
                <select id="data-select" on:change=on_change prop:value=in_use>
                    <option value="" selected=move || in_use().is_empty()>"MNIST digits (built in)"</option>
                    <For each=move || datasets.entries.get() key=|e| (e.id.clone(), e.saved_ms.to_bits()) let:entry>
                        {
                            let why = why_entry_not_usable(&entry);
                            let words = format!(
                                "{} · {} pictures · {}",
                                entry.name,
                                entry.images,
                                ImageShape::from_id(&entry.shape).map_or(entry.shape.clone(), |s| s.to_string()),
                            );
                            let id = entry.id.clone();
                            view! {
                                <option value=entry.id.clone() disabled=why.is_some() title=why.unwrap_or_default()
                                    selected=move || in_use() == id>
                                    {words}
                                </option>
                            }
                        }
                    </For>
                </select>
            </label>
            <p class="library-message" role="status">{move || problem.get()}</p>
        </div>
    }
}
