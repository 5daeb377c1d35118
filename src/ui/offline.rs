//! The offline copy: registers the service worker (`www/sw.js`, written into each build by
//! `www/build-offline.mjs`) that keeps this build's files in the browser, so that the page opens
//! without the network; says in About whether it did, and at the top of the page when a newer
//! build is waiting (it runs from the next visit, or at once by "Use it now").

use std::time::Duration;

use js_sys::{Array, Function, Promise, Reflect};
use leptos::prelude::*;
use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::{spawn_local, JsFuture};

use super::i18n::{tr, use_lang, Said};

/// The first visit's own downloads (the page, the default model, the worker and its digits)
/// and the training worker's warm-up go first; the copy (about 19 MB, most of it the digits) is
/// made this long after they are in (`Training::extras_may_start`), so that on a slow
/// connection it does not share the network with them (its files are fetched afresh: `sw.js`).
const REGISTER_AFTER: Duration = Duration::from_secs(5);

/// What the page knows of its offline copy; provided by [`provide_offline`].
#[derive(Clone, Copy)]
struct Offline {
    /// `None` until the copy is made or has failed (with the reason).
    kept: RwSignal<Option<Result<(), Said>>>,
    /// Whether a newer build is installed and waiting for this page to let it take over.
    update_waiting: RwSignal<bool>,
    registration: StoredValue<Option<JsValue>, LocalStorage>,
}

/// A browser's error in its own words (the same in every language).
fn describe(e: JsValue) -> Said {
    Said::plain(
        e.as_string()
            .or_else(|| {
                Reflect::get(&e, &"message".into())
                    .ok()
                    .and_then(|m| m.as_string())
            })
            .unwrap_or_else(|| format!("{e:?}")),
    )
}

fn property(target: &JsValue, name: &str) -> Result<JsValue, Said> {
    Reflect::get(target, &name.into()).map_err(describe)
}

fn method(target: &JsValue, name: &str, args: &[JsValue]) -> Result<JsValue, Said> {
    let f: Function = property(target, name)?.dyn_into().map_err(|_| {
        Said::new(
            format!("the browser has no {name}"),
            format!("浏览器没有 {name}"),
        )
    })?;
    f.apply(target, &args.iter().collect::<Array>())
        .map_err(describe)
}

async fn settle(promise: JsValue) -> Result<JsValue, Said> {
    let promise: Promise = promise.dyn_into().map_err(|_| {
        Said::new(
            "the browser answered with something other than a promise",
            "浏览器返回的不是 Promise",
        )
    })?;
    JsFuture::from(promise).await.map_err(describe)
}

fn service_workers() -> Result<JsValue, Said> {
    let container = property(&property(&js_sys::global(), "navigator")?, "serviceWorker")?;
    if container.is_undefined() {
        return Err(Said::new(
            "this browser keeps no offline copy of a page that is not served over https or \
                 from this computer",
            "对于不是通过 https 或从本机提供的页面，这个浏览器不会保存离线副本",
        ));
    }
    Ok(container)
}

/// Calls `f` on every `event` of `target`, for the page's life.
fn on(target: &JsValue, event: &str, f: impl FnMut() + 'static) {
    let listener = Closure::<dyn FnMut()>::new(f);
    if method(
        target,
        "addEventListener",
        &[event.into(), listener.as_ref().clone()],
    )
    .is_ok()
    {
        listener.forget();
    }
}

/// Registers the service worker, waits until it holds the build, and watches for a newer one.
async fn keep_this_build(offline: Offline) -> Result<(), Said> {
    let container = service_workers()?;
    let registration = settle(method(&container, "register", &["./sw.js".into()])?).await?;
    offline.registration.set_value(Some(registration.clone()));
    // A newer build counts once it is installed and this page is served by an older one.
    let check = {
        let (registration, container) = (registration.clone(), container.clone());
        move || {
            let waiting = property(&registration, "waiting").is_ok_and(|w| w.is_object());
            let controlled = property(&container, "controller").is_ok_and(|c| c.is_object());
            offline.update_waiting.set(waiting && controlled);
        }
    };
    check();
    on(&registration, "updatefound", {
        let (registration, check) = (registration.clone(), check.clone());
        move || {
            if let Ok(installing) = property(&registration, "installing") {
                on(&installing, "statechange", check.clone());
            }
        }
    });
    // `ready` settles once a worker is active: every file of the build is in its cache.
    settle(property(&container, "ready")?).await?;
    Ok(())
}

/// Provides what the page knows of its offline copy, and starts the copy [`REGISTER_AFTER`]
/// `may_start` holds (the first visit's own downloads are done).
pub(crate) fn provide_offline(may_start: Memo<bool>) {
    let offline = Offline {
        kept: RwSignal::new(None),
        update_waiting: RwSignal::new(false),
        registration: StoredValue::new_local(None),
    };
    provide_context(offline);
    let asked = StoredValue::new(false);
    Effect::new(move |_| {
        if !may_start.get() || asked.get_value() {
            return;
        }
        asked.set_value(true);
        set_timeout(
            move || {
                spawn_local(async move { offline.kept.set(Some(keep_this_build(offline).await)) })
            },
            REGISTER_AFTER,
        );
    });
}

/// Lets the waiting build take over, and reloads into it once it has.
fn use_new_build(offline: Offline) -> Result<(), Said> {
    let registration = offline
        .registration
        .get_value()
        .ok_or_else(|| Said::new("no service worker is registered", "没有注册 service worker"))?;
    let waiting = property(&registration, "waiting")?;
    if !waiting.is_object() {
        return Err(Said::new("no newer build is waiting", "没有等待中的新版本"));
    }
    on(&service_workers()?, "controllerchange", || {
        if let Some(window) = web_sys::window() {
            let _ = window.location().reload();
        }
    });
    method(&waiting, "postMessage", &["take-over".into()]).map(|_| ())
}

/// A line for About: whether this build is kept for offline use (nothing while it is made).
#[component]
pub fn OfflineCopy() -> impl IntoView {
    let kept = use_context::<Offline>().map(|o| o.kept);
    let status = move || kept.and_then(|k| k.get());
    let lang = use_lang();
    view! {
        <li class="offline" data-kept=move || status().map(|s| s.is_ok().to_string())>
            {move || status().map(|s| match s {
                Ok(()) => lang().text(
                    "Offline: this version is kept in your browser, so the page opens without the network.",
                    "离线：这个版本已保存在你的浏览器中，没有网络也能打开本页。",
                ).to_string(),
                Err(why) => {
                    let l = lang();
                    let why = why.get(l);
                    l.text(
                        format!("Offline: no copy is kept ({why})."),
                        format!("离线：没有保存副本（{why}）。"),
                    )
                }
            })}
        </li>
    }
}

/// At the top of the page, when a newer build is waiting: it runs from the next visit, or now.
#[component]
pub fn UpdateNotice() -> impl IntoView {
    let offline = use_context::<Offline>();
    let waiting = move || offline.is_some_and(|o| o.update_waiting.get());
    let problem = RwSignal::new(None::<Said>);
    let lang = use_lang();
    let use_it = move |_| {
        if let Some(offline) = offline {
            problem.set(use_new_build(offline).err());
        }
    };
    view! {
        <p class="note update-notice" role="status" hidden=move || !waiting()>
            {tr("A new version of Latent Lab is ready: it runs from your next visit. ",
                "Latent Lab 的新版本已就绪：下次访问时启用。")}
            <button class="use-new-build" on:click=use_it>{tr("Use it now", "立即使用")}</button>
            {tr(" (the page reloads; a run in progress comes back from its last snapshot)",
                "（页面会重新加载；进行中的训练会从最近一次快照恢复）")}
            {move || problem.get().map(|p| {
                let l = lang();
                let p = p.get(l);
                l.text(format!(" — could not: {p}."), format!("——未能完成：{p}。"))
            })}
        </p>
    }
}
