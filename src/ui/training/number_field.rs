//! A labelled number field for a training setting. What is typed is checked as it is typed; a
//! problem shows under the field and goes as soon as the text is corrected; only a number that
//! passes reaches the setting. The panel keeps Start disabled while any field has a problem.

use std::collections::BTreeSet;

use leptos::prelude::*;

use crate::ui::i18n::use_lang;
use crate::ui_logic::typed_number::problem_with;

/// The fields whose text cannot be used now, by name.
pub type Invalid = RwSignal<BTreeSet<&'static str>>;

#[component]
pub fn NumberField<T>(
    /// The setting's English name, which the field's class and id come from ("learning rate":
    /// `field learning-rate`); it is shown as `label`.
    name: &'static str,
    /// The setting's name in the language in use.
    #[prop(into)]
    label: Signal<&'static str>,
    value: RwSignal<T>,
    /// What the setting means (a tooltip).
    #[prop(into)]
    hint: Signal<String>,
    /// Why a number cannot be used here (`None`: it can).
    check: Callback<T, Option<String>>,
    invalid: Invalid,
) -> impl IntoView
where
    T: std::str::FromStr + std::fmt::Display + Clone + PartialEq + Send + Sync + 'static,
{
    let class = name.to_lowercase().replace(' ', "-").replace('β', "beta");
    let id = format!("setting-{class}");
    let (label_for, error_id) = (id.clone(), format!("{id}-problem"));
    let text = RwSignal::new(value.get_untracked().to_string());
    // A value set from elsewhere (a run brought back, another kind's width) shows in the field.
    Effect::new(move |_| {
        let v = value.get();
        let shown = text.with_untracked(|t| t.trim().parse::<T>().ok());
        if shown.as_ref() != Some(&v) {
            text.set(v.to_string());
        }
    });
    let lang = use_lang();
    let problem = Memo::new(move |_| text.with(|t| problem_with(t, lang(), |v| check.run(v))));
    Effect::new(move |_| {
        let bad = problem.with(Option::is_some);
        invalid.update(|set| {
            if bad {
                set.insert(name);
            } else {
                set.remove(name);
            }
        });
    });
    let on_change = move |ev: leptos::ev::Event| {
        let typed = event_target_value(&ev);
        text.set(typed.clone());
        if let Ok(v) = typed.trim().parse::<T>() {
            if check.run(v.clone()).is_none() {
                value.set(v);
            }
        }
    };
    view! {
        <label class=format!("field {class}") title=hint for=label_for>
            <span>{label}</span>
            <input
                type="text"
                id=id
                inputmode="decimal"
                prop:value=move || text.get()
                aria-invalid=move || problem.with(Option::is_some).to_string()
                aria-describedby=error_id.clone()
                on:input=move |ev| text.set(event_target_value(&ev))
                on:change=on_change
            />
            <span class="field-problem" id=error_id role="alert">{move || problem.get()}</span>
        </label>
    }
}
