//! The model picker: the pretrained models, loaded on first use and kept, so switching back is
//! instant. (Models trained or uploaded in the page join this list in the training issue.)

use std::collections::HashMap;
use std::sync::Arc;

use leptos::prelude::*;

use super::fetch::fetch_bytes;
use super::state::{use_lab, ActiveModel, Lab};
use crate::ml::checkpoint;
use crate::ml::pretrained::{self, Pretrained, DEFAULT_PRETRAINED, PRETRAINED};

/// Fetches and loads one pretrained model.
pub async fn load_pretrained(entry: &Pretrained) -> Result<ActiveModel, String> {
    let bytes = fetch_bytes(&entry.path()).await?;
    let (model, info) = checkpoint::load(&bytes)
        .map_err(|e| format!("the pretrained model {} could not be loaded: {e}", entry.id))?;
    Ok(ActiveModel::new(
        format!("pretrained:{}", entry.id),
        model,
        info,
    ))
}

/// Loaded models by pretrained id.
type Cache = StoredValue<HashMap<&'static str, Arc<ActiveModel>>, LocalStorage>;

async fn switch_to(lab: Lab, cache: Cache, id: &'static str, error: WriteSignal<Option<String>>) {
    if let Some(model) = cache.with_value(|c| c.get(id).cloned()) {
        lab.activate(model);
        return;
    }
    let entry = pretrained::find(id).expect("ids come from the list");
    match load_pretrained(entry).await {
        Ok(model) => {
            let model = Arc::new(model);
            cache.update_value(|c| {
                c.insert(id, model.clone());
            });
            lab.activate(model);
            error.set(None);
        }
        Err(message) => error.set(Some(message)),
    }
}

/// A short line about the active model: kind, sizes and its test score.
fn describe(model: &ActiveModel) -> String {
    let score = model.info.notes.get("test_neg_elbo").map(|s| {
        if model.model.config().kind.is_variational() {
            format!("; test −ELBO {s} nats")
        } else {
            format!("; test reconstruction {s} nats")
        }
    });
    let epochs = model
        .info
        .notes
        .get("epochs")
        .map(|e| format!(", {e} epochs"));
    format!(
        "{}{}{}",
        model.title,
        epochs.unwrap_or_default(),
        score.unwrap_or_default()
    )
}

#[component]
pub fn ModelPicker() -> impl IntoView {
    let lab = use_lab();
    let cache: Cache = StoredValue::new_local(HashMap::new());
    let (error, set_error) = signal(None::<String>);
    let (selected, set_selected) = signal(DEFAULT_PRETRAINED);

    // Open with the default model, then warm the cache with the others so a switch is instant.
    leptos::task::spawn_local(async move {
        switch_to(lab, cache, DEFAULT_PRETRAINED, set_error).await;
        for entry in PRETRAINED.iter().filter(|p| p.id != DEFAULT_PRETRAINED) {
            if let Ok(model) = load_pretrained(entry).await {
                cache.update_value(|c| {
                    c.insert(entry.id, Arc::new(model));
                });
            }
        }
    });

    let on_change = move |ev: leptos::ev::Event| {
        let value = event_target_value(&ev);
        if let Some(entry) = pretrained::find(&value) {
            set_selected.set(entry.id);
            leptos::task::spawn_local(switch_to(lab, cache, entry.id, set_error));
        }
    };
    let blurb = move || {
        pretrained::find(selected.get())
            .map(|p| p.blurb)
            .unwrap_or_default()
    };

    view! {
        <div class="model-picker">
            <label>
                "Model "
                <select id="model-select" on:change=on_change>
                    {PRETRAINED
                        .iter()
                        .map(|p| view! { <option value=p.id selected=move || selected.get() == p.id>{format!("{} (pretrained)", p.config)}</option> })
                        .collect_view()}
                </select>
            </label>
            <p class="model-info" data-model=move || lab.active.with(|m| m.as_ref().map(|m| m.id.clone()).unwrap_or_default()) data-status=move || match (lab.active.with(Option::is_some), error.with(Option::is_some)) {
                (_, true) => "failed",
                (true, false) => "ready",
                (false, false) => "loading",
            }>
                {move || match (error.get(), lab.active.get()) {
                    (Some(message), _) => message,
                    (None, Some(model)) => format!("{} — {}", describe(&model), blurb()),
                    (None, None) => "Loading the pretrained model…".to_string(),
                }}
            </p>
        </div>
    }
}
