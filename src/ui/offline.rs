//! The offline copy: registers the service worker (`www/sw.js`, written into each build by
//! `www/build-offline.mjs`) that keeps this build's files in the browser, so that the page opens
//! without the network, and says in About whether it did.

use std::time::Duration;

use js_sys::{Array, Function, Promise, Reflect};
use leptos::prelude::*;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::{spawn_local, JsFuture};

/// The first visit's own downloads (the page, the default model, the digits) and the training
/// worker's warm-up go first; the copy (about 19 MB, most of it the digits) is made after them.
const REGISTER_AFTER: Duration = Duration::from_secs(5);

fn describe(e: JsValue) -> String {
    e.as_string()
        .or_else(|| {
            Reflect::get(&e, &"message".into())
                .ok()
                .and_then(|m| m.as_string())
        })
        .unwrap_or_else(|| format!("{e:?}"))
}

fn property(target: &JsValue, name: &str) -> Result<JsValue, String> {
    Reflect::get(target, &name.into()).map_err(describe)
}

async fn settle(promise: JsValue) -> Result<JsValue, String> {
    let promise: Promise = promise
        .dyn_into()
        .map_err(|_| "the browser answered with something other than a promise".to_string())?;
    JsFuture::from(promise).await.map_err(describe)
}

/// Registers the service worker and waits until it holds the build.
async fn keep_this_build() -> Result<(), String> {
    let navigator = property(&js_sys::global(), "navigator")?;
    let container = property(&navigator, "serviceWorker")?;
    if container.is_undefined() {
        return Err(
            "this browser keeps no offline copy of a page that is not served over https or \
             from this computer"
                .to_string(),
        );
    }
    let register: Function = property(&container, "register")?
        .dyn_into()
        .map_err(|_| "this browser cannot register a service worker".to_string())?;
    let registering = register
        .apply(&container, &Array::of1(&"./sw.js".into()))
        .map_err(describe)?;
    settle(registering).await?;
    // `ready` settles once the worker is active: every file of the build is in its cache.
    settle(property(&container, "ready")?).await?;
    Ok(())
}

/// A line for About: whether this build is kept for offline use (nothing while it is made).
#[component]
pub fn OfflineCopy() -> impl IntoView {
    let status = RwSignal::new(None::<Result<(), String>>);
    set_timeout(
        move || spawn_local(async move { status.set(Some(keep_this_build().await)) }),
        REGISTER_AFTER,
    );
    view! {
        <li class="offline" data-kept=move || status.get().map(|s| s.is_ok().to_string())>
            {move || status.get().map(|s| match s {
                Ok(()) => "Offline: this version is kept in your browser, so the page opens without the network.".to_string(),
                Err(why) => format!("Offline: no copy is kept ({why})."),
            })}
        </li>
    }
}
