//! The helper worker of the threaded build (wasm threads, see `tools/build-threads`): an
//! instance of the trainer's own module on the trainer's own memory
//! (`www/worker_loader.js`), which runs what the trainer hands it, each run's
//! [`ThreadHelper`](crate::ml::helper::ThreadHelper) loop in turn, until that run lets it go.
//!
//! The trainer boxes the loop and sends the box's address: in one memory, a pointer is all a
//! closure needs to cross to another thread.

use std::cell::Cell;

use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsValue};
use web_sys::MessageEvent;

use super::host::scope;
use crate::ml::helper::ThreadHelper;

thread_local! {
    /// Whether this thread is the helper's.
    static HELPER_THREAD: Cell<bool> = const { Cell::new(false) };
}

/// A helper's loop, as the trainer boxes it.
pub(super) type Work = Box<dyn FnOnce() + Send>;

/// The address to send for `work`, whose ownership goes with it (to [`start`]'s handler).
pub(super) fn hand_over(work: Work) -> JsValue {
    JsValue::from_f64(Box::into_raw(Box::new(work)) as usize as f64)
}

/// Entry point of the threaded build's helper (`latent_lab_helper_start`).
pub(super) fn start() {
    HELPER_THREAD.set(true);
    // The hook is the whole program's, the trainer's thread's too: this one tells the trainer
    // of a panic on this thread, and leaves the trainer's own to the trainer's hook (which
    // tells the page).
    let trainer_hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        if !HELPER_THREAD.get() {
            return trainer_hook(info);
        }
        web_sys::console::error_1(&format!("the helper thread crashed: {info}").into());
        // The panic aborts: the trainer would otherwise wait for a result for ever.
        ThreadHelper::report_crash(&info.to_string());
    }));
    let on_work = Closure::<dyn FnMut(MessageEvent)>::new(|e: MessageEvent| {
        let Some(at) = e.data().as_f64() else {
            web_sys::console::error_1(&"the helper thread got a message it cannot run".into());
            return;
        };
        // SAFETY: `hand_over` boxed this work and gave up its ownership with the address,
        // which the trainer sends once.
        let work = unsafe { Box::from_raw(at as usize as *mut Work) };
        work();
    });
    scope().set_onmessage(Some(on_work.as_ref().unchecked_ref()));
    on_work.forget();
    // The trainer hands over nothing before this: it waits to block on a helper until the
    // helper is known to run (`HelperWorker::link`).
    if scope().post_message(&JsValue::TRUE).is_err() {
        web_sys::console::error_1(&"the helper thread could not say it listens".into());
    }
}
