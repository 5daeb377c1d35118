//! The view in the link: the page's URL hash holds the model and the latent vector (written and
//! read by [`crate::ui_logic::share_link`]), so copying the address shares the digit on screen
//! and opening it brings that digit back. A model trained in this browser is named by
//! its library id, so such a link reopens only where that model is kept.
//!
//! The hash follows the sliders at most four times a second (`history.replaceState`, which
//! neither adds history entries nor reloads), and a link pasted into an open tab is followed
//! (`hashchange`).

use std::cell::RefCell;
use std::rc::Rc;

use leptos::prelude::*;
use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsValue};

use super::i18n::{said_in, tr, use_lang, Said};
use super::library::Library;
use super::state::{use_lab, Lab};
use crate::ui_logic::share_link::{format_hash, parse_hash, SharedView};

/// How often, at most, the hash is rewritten while the sliders move.
const WRITE_EVERY_MS: i32 = 250;

fn current_hash() -> String {
    web_sys::window()
        .and_then(|w| w.location().hash().ok())
        .unwrap_or_default()
}

/// The view named by the page's address when it opened, if any.
pub fn initial() -> Option<SharedView> {
    parse_hash(&current_hash())
}

/// Sets the sliders to the link's vector if the link's model is the active one and the sizes
/// agree (a vector of another size is ignored, leaving the sliders at the origin).
pub fn apply_latent(lab: Lab, view: &SharedView) {
    let fits = lab.active.with_untracked(|m| {
        m.as_ref()
            .is_some_and(|m| m.id == view.model && m.latent() == view.z.len())
    });
    if fits {
        lab.z.set(view.z.clone());
    }
}

/// Opens the view of a link: its model (with a message in the library if it is not there),
/// then its latent vector.
pub async fn open(lab: Lab, library: Library, view: SharedView) {
    library.select(lab, view.model.clone()).await;
    apply_latent(lab, &view);
}

/// Keeps the hash in step with the active model and sliders, and follows links pasted into
/// this tab. Call once, from the root component.
pub fn sync(lab: Lab, library: Library) {
    let Some(window) = web_sys::window() else {
        return;
    };
    // The last hash written here, so our own writes are not taken for a pasted link.
    let written = Rc::new(RefCell::new(current_hash()));
    let pending = Rc::new(RefCell::new(false));

    let write = {
        let written = written.clone();
        let pending = pending.clone();
        Closure::<dyn FnMut()>::new(move || {
            *pending.borrow_mut() = false;
            let Some(model) = lab
                .active
                .with_untracked(|m| m.as_ref().map(|m| m.id.clone()))
            else {
                return;
            };
            let hash = format_hash(&SharedView {
                model,
                z: lab.z.get_untracked(),
            });
            // A hash that is neither ours nor the new one is a link pasted a moment ago whose
            // `hashchange` is still on its way: replacing it would make that event read our
            // hash back and drop the link (the view follows the link once it is opened).
            let last = written.borrow().clone();
            if last == hash || current_hash() != last {
                return;
            }
            if let Some(history) = web_sys::window().and_then(|w| w.history().ok()) {
                if history
                    .replace_state_with_url(&JsValue::NULL, "", Some(&hash))
                    .is_ok()
                {
                    *written.borrow_mut() = hash;
                }
            }
        })
    };
    let write_fn: js_sys::Function = write.as_ref().unchecked_ref::<js_sys::Function>().clone();
    Effect::new(move |_| {
        lab.active.track();
        lab.z.track();
        if !pending.replace(true) {
            if let Some(w) = web_sys::window() {
                let _ = w.set_timeout_with_callback_and_timeout_and_arguments_0(
                    &write_fn,
                    WRITE_EVERY_MS,
                );
            }
        }
    });

    let on_hash_change = Closure::<dyn FnMut()>::new(move || {
        let hash = current_hash();
        if *written.borrow() == hash {
            return;
        }
        *written.borrow_mut() = hash.clone();
        if let Some(view) = parse_hash(&hash) {
            leptos::task::spawn_local(open(lab, library, view));
        }
    });
    window.set_onhashchange(Some(on_hash_change.as_ref().unchecked_ref()));
    // Both live as long as the page.
    on_hash_change.forget();
    write.forget();
}

/// The link to the view on screen now (the address bar follows a moment later).
fn current_link(lab: Lab) -> Option<String> {
    let location = web_sys::window()?.location();
    let base = format!("{}{}", location.origin().ok()?, location.pathname().ok()?);
    let model = lab
        .active
        .with_untracked(|m| m.as_ref().map(|m| m.id.clone()))?;
    Some(format!(
        "{base}{}",
        format_hash(&SharedView {
            model,
            z: lab.z.get_untracked(),
        })
    ))
}

/// Puts `text` on the clipboard (through `navigator.clipboard`, looked up at run time so no
/// browser without it breaks the page).
async fn copy_text(text: &str) -> Result<(), JsValue> {
    let navigator = js_sys::Reflect::get(&js_sys::global(), &"navigator".into())?;
    let clipboard = js_sys::Reflect::get(&navigator, &"clipboard".into())?;
    let write: js_sys::Function =
        js_sys::Reflect::get(&clipboard, &"writeText".into())?.dyn_into()?;
    let promise: js_sys::Promise = write.call1(&clipboard, &text.into())?.dyn_into()?;
    wasm_bindgen_futures::JsFuture::from(promise).await?;
    Ok(())
}

/// "Copy link", with what a link can and cannot carry: a pretrained model opens anywhere, a model
/// trained or loaded here only in this browser (it travels as a file, by Download), and a
/// dataset of one's own never (it travels as a dataset file).
#[component]
pub fn CopyLink() -> impl IntoView {
    let lab = use_lab();
    let lang = use_lang();
    let status = RwSignal::new(None::<Said>);
    let copy = move |_| {
        let Some(link) = current_link(lab) else {
            return;
        };
        leptos::task::spawn_local(async move {
            status.set(Some(match copy_text(&link).await {
                Ok(()) => Said::new("Link copied.", "链接已复制。"),
                Err(_) => Said::new(
                    format!("This browser would not copy it; the link is {link}"),
                    format!("这个浏览器不允许复制；链接是 {link}"),
                ),
            }));
        });
    };
    // A new point or model makes the last "copied" stale.
    Effect::new(move |_| {
        lab.z.track();
        lab.active.track();
        status.set(None);
    });
    let note = move || {
        let l = lang();
        let model = lab.active.with(|m| {
            m.as_ref().map(|m| {
                if m.id.starts_with("pretrained:") {
                    l.text(
                        "The link opens this model at this point, in any browser.",
                        "这个链接在任何浏览器中都会打开这个模型，并停在这个点上。",
                    )
                } else {
                    l.text(
                        "This model lives in this browser: its link reopens it here only. To share the \
                         model itself, Download it and send the file.",
                        "这个模型只存在于这个浏览器中：它的链接只能在这里重新打开它。\
                         要分享模型本身，请下载它并发送文件。",
                    )
                }
            })
        })?;
        // A link is a few hundred characters: pictures cannot travel in it.
        let data = lab.own_data.with(|d| {
            d.as_ref().map_or(String::new(), |d| {
                l.text(
                    format!(
                        " The pictures of “{}” cannot travel in a link: to share them, download the \
                         dataset (in “Your own pictures”) and send the file.",
                        d.name
                    ),
                    format!(
                        "“{}”的图片无法放进链接：要分享它们，请（在“你自己的图片”中）下载数据集并发送文件。",
                        d.name
                    ),
                )
            })
        });
        Some(format!("{model}{data}"))
    };
    view! {
        <div class="share-row">
            <button class="copy-link" on:click=copy>{tr("Copy link", "复制链接")}</button>
            <span class="link-note">{note}</span>
            <span class="link-status" role="status">{move || status.with(|s| said_in(lang(), s))}</span>
        </div>
    }
}
