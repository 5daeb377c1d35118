//! The page's language: which one is in use (a signal every text follows, so a switch changes
//! the page at once, without a reload), where the choice is kept (`localStorage`), and the
//! switch in the header. A text is written once with both versions side by side, `tr("Train",
//! "训练")`, or as a function of the language when it has numbers or names in it (`trf`); a
//! message that stands until replaced is a [`Said`], made in both languages at once and shown
//! with [`said_in`]. The language itself and how a visit picks it are in `ui_logic::lang`.
//!
//! Terms follow Chinese teaching material on VAEs: 变分自编码器 (VAE), 编码器/解码器, 潜空间,
//! 证据下界 (ELBO), KL 散度, 重参数化技巧, 先验/后验.

use leptos::prelude::*;

pub use crate::ui_logic::lang::Lang;
pub use crate::ui_logic::said::Said;

/// Where the choice is kept between visits.
const KEPT_KEY: &str = "latent-lab-language";

/// The language in use, provided by the page's root.
#[derive(Clone, Copy)]
pub struct Language(RwSignal<Lang>);

impl Language {
    /// Picks the visit's language (the kept choice, else the browser's), and keeps `<html
    /// lang>`, the document's title and the kept choice in step with it. Call once, from the
    /// root, and provide the result as context.
    pub fn provide() -> Self {
        let window = web_sys::window();
        let storage = window
            .as_ref()
            .and_then(|w| w.local_storage().ok().flatten());
        let kept = storage
            .as_ref()
            .and_then(|s| s.get_item(KEPT_KEY).ok().flatten());
        let preferred: Vec<String> = window
            .as_ref()
            .map(|w| {
                w.navigator()
                    .languages()
                    .iter()
                    .filter_map(|t| t.as_string())
                    .collect()
            })
            .unwrap_or_default();
        let language = Self(RwSignal::new(Lang::pick(kept.as_deref(), &preferred)));
        Effect::new(move |_| {
            let lang = language.0.get();
            if let Some(document) = web_sys::window().and_then(|w| w.document()) {
                if let Some(root) = document.document_element() {
                    let _ = root.set_attribute("lang", lang.tag());
                }
                document.set_title(lang.text(
                    "Latent Lab: variational autoencoders you can touch",
                    "Latent Lab：亲手摆弄的变分自编码器",
                ));
            }
        });
        provide_context(language);
        language
    }

    /// Switches the page to `lang` and keeps the choice for the next visit.
    pub fn choose(self, lang: Lang) {
        self.0.set(lang);
        if let Some(storage) = web_sys::window().and_then(|w| w.local_storage().ok().flatten()) {
            let _ = storage.set_item(KEPT_KEY, lang.tag());
        }
    }

    pub fn get(self) -> Lang {
        self.0.get()
    }
}

/// The language in use, as a function to call where the text is made (it tracks): taken from
/// the context once, where the component is built. English where no root provides one (a
/// component tested on its own).
pub fn use_lang() -> impl Fn() -> Lang + Copy + Send + Sync + 'static {
    let language = use_context::<Language>();
    move || language.map_or(Lang::En, Language::get)
}

/// A text in both languages, following the one in use.
pub fn tr(en: &'static str, zh: &'static str) -> Signal<&'static str> {
    let lang = use_lang();
    Signal::derive(move || lang().text(en, zh))
}

/// A text made for the language in use (numbers or names in it), following it.
pub fn trf(text: impl Fn(Lang) -> String + Send + Sync + 'static) -> Signal<String> {
    let lang = use_lang();
    Signal::derive(move || text(lang()))
}

/// The header's language switch: each language named in itself, so a person who reads only
/// one of them finds it.
#[component]
pub fn LanguageSwitch() -> impl IntoView {
    let Some(language) = use_context::<Language>() else {
        return ().into_any();
    };
    let on_change = move |ev: leptos::ev::Event| {
        let tag = event_target_value(&ev);
        if let Some(lang) = Lang::from_tag(&tag) {
            language.choose(lang);
        }
    };
    view! {
        <label class="language-switch">
            <span class="visually-hidden">"Language / 语言"</span>
            <select class="language-select" on:change=on_change>
                {Lang::ALL
                    .iter()
                    .map(|&l| view! {
                        <option value=l.tag() lang=l.tag() selected=move || language.get() == l>
                            {l.own_name()}
                        </option>
                    })
                    .collect_view()}
            </select>
        </label>
    }
    .into_any()
}

/// A standing message, if there is one, in `lang`: what a view shows of an `Option<Said>`.
pub fn said_in(lang: Lang, message: &Option<Said>) -> Option<String> {
    message.as_ref().map(|m| m.get(lang).to_string())
}
