//! The header's Data menu: the built-in digits and every kept dataset, the one in use chosen.

use leptos::prelude::*;

use super::datasets::{shape_id_words, use_dataset, use_datasets, why_entry_not_usable};
use super::generated::{drawing_words, SPRITES_ID};
use super::i18n::{said_in, tr, use_lang, Said};
use super::state::use_lab;
use super::training::Training;

/// The header's data picker: the built-in digits and every kept dataset the models can train
/// on (the others are listed, greyed, with the reason).
#[component]
pub fn DataPicker() -> impl IntoView {
    let lab = use_lab();
    let datasets = use_datasets();
    let training = use_context::<Training>();
    let lang = use_lang();
    let in_use = move || {
        lab.own_data
            .with(|d| d.as_ref().map(|d| d.id.clone()).unwrap_or_default())
    };
    // The last choice under way (the shapes being drawn) or why it was not taken, under the menu.
    let problem = RwSignal::new(None::<Said>);
    let on_change = move |ev: leptos::ev::Event| {
        let id = event_target_value(&ev);
        if id == SPRITES_ID {
            problem.set(Some(Said::of(drawing_words)));
        }
        leptos::task::spawn_local(async move {
            let outcome = if id.is_empty() {
                use_dataset(datasets, lab, training, None).problem()
            } else {
                match datasets.open(&id).await {
                    Ok(chosen) => use_dataset(datasets, lab, training, Some(chosen)).problem(),
                    Err(e) => Some(e.within(
                        |why| format!("That dataset cannot be used: {why}."),
                        |why| format!("这个数据集无法使用：{why}。"),
                    )),
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
                {tr("Data ", "数据 ")}
                <select id="data-select" on:change=on_change prop:value=in_use>
                    <option value="" selected=move || in_use().is_empty()>{tr("MNIST digits (built in)", "MNIST 数字（内置）")}</option>
                    // Short, as the menu is as wide as its longest item: the size and count are
                    // in the import chapter's line and the factors chapter.
                    <option value=SPRITES_ID selected=move || in_use() == SPRITES_ID
                        title=tr("10,080 pictures · 64×64 grey · drawn in the page", "10,080 张图片 · 64×64 灰度 · 在页面中画出")>
                        {tr("Generated shapes (known factors)", "生成的形状（已知因素）")}
                    </option>
                    <For each=move || datasets.entries.get() key=|e| (e.id.clone(), e.saved_ms.to_bits()) let:entry>
                        {
                            let usable = why_entry_not_usable(&entry).is_none();
                            let why = {
                                let entry = entry.clone();
                                move || why_entry_not_usable(&entry).map(|w| w.get(lang()).to_string()).unwrap_or_default()
                            };
                            let words = {
                                let entry = entry.clone();
                                move || {
                                    let l = lang();
                                    let shape = shape_id_words(&entry.shape, l);
                                    l.text(
                                        format!("{} · {} pictures · {shape}", entry.name, entry.images),
                                        format!("{} · {} 张图片 · {shape}", entry.name, entry.images),
                                    )
                                }
                            };
                            let id = entry.id.clone();
                            view! {
                                <option value=entry.id.clone() disabled=!usable title=why
                                    selected=move || in_use() == id>
                                    {words}
                                </option>
                            }
                        }
                    </For>
                </select>
            </label>
            <p class="library-message" role="status">{move || problem.with(|p| said_in(lang(), p))}</p>
        </div>
    }
}
