//! Starting the helper worker (the worker binary as `role=helper`) when the page may share
//! memory between threads, and the way to it: in the threaded build, a thread of this very
//! memory that runs each run's `ThreadHelper` loop (`thread_host.rs`); in the plain build, a
//! second instance with copies of the model (`helper_link.rs`, `helper_host.rs`). Sharing
//! memory needs the page to be cross-origin isolated (served with COOP/COEP headers, as
//! `tools/serve` and the test server do) and a second core; without either, training runs on
//! one thread and [`Event::Threads`] says why.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use js_sys::Reflect;
use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsValue};
use web_sys::{ErrorEvent, MessageEvent, Worker};

#[cfg(not(target_feature = "atomics"))]
use super::helper_link::{SharedHelper, PORTIONS};
use super::host::post_threads;
#[cfg(not(target_feature = "atomics"))]
use super::shared_step::Sizes;
#[cfg(target_feature = "atomics")]
use super::thread_host;
use super::words::OneThread;
#[cfg(not(target_feature = "atomics"))]
use crate::ml::eval::EVAL_CHUNK;
use crate::ml::helper::StepHelper;
#[cfg(target_feature = "atomics")]
use crate::ml::helper::{Spawner, ThreadHelper};
use crate::ml::model::Model;
use crate::protocol::HELPER_ROLE;

/// The helper worker, started once and reused by every run.
pub(super) struct HelperWorker {
    mailbox: Rc<Mailbox>,
}

/// The way to the helper. A worker drops the messages that arrive before its code has loaded
/// and listens, so nothing is sent until it has said so; until then the newest run's setup
/// waits here (an older one is of no use).
pub(super) struct Mailbox {
    worker: Worker,
    listening: Cell<bool>,
    /// The helper failed to load, or crashed.
    stopped: Cell<bool>,
    waiting: RefCell<Option<JsValue>>,
}

impl Mailbox {
    pub(super) fn send(&self, message: JsValue) {
        if !self.listening.get() {
            self.waiting.replace(Some(message));
        } else if self.worker.post_message(&message).is_err() {
            web_sys::console::error_1(&"could not send the helper its buffer".into());
        }
    }

    /// The helper listens now: the waiting setup goes.
    fn listening(&self) {
        self.listening.set(true);
        if let Some(message) = self.waiting.take() {
            self.send(message);
        }
    }
}

fn global_property(name: &str) -> JsValue {
    Reflect::get(&js_sys::global(), &name.into()).unwrap_or(JsValue::UNDEFINED)
}

/// Cores the browser reports.
fn cores() -> u32 {
    Reflect::get(&global_property("navigator"), &"hardwareConcurrency".into())
        .ok()
        .and_then(|n| n.as_f64())
        .map_or(1, |n| n as u32)
}

impl HelperWorker {
    /// Starts the helper, or says why training keeps to one thread.
    pub fn spawn() -> std::result::Result<Self, OneThread> {
        if global_property("crossOriginIsolated").as_bool() != Some(true) {
            return Err(OneThread::NotIsolated);
        }
        // WebKitGTK (2.50) reports a cross-origin isolated page yet offers its workers no
        // `SharedArrayBuffer`: the helper's buffer could not be made.
        if !global_property("SharedArrayBuffer").is_function() {
            return Err(OneThread::NoSharedMemory);
        }
        if cores() < 2 {
            return Err(OneThread::SingleCore);
        }
        let own = Reflect::get(&global_property("location"), &"href".into())
            .ok()
            .and_then(|href| href.as_string())
            .ok_or(OneThread::NoAddress)?;
        let glue = if own.contains('?') { '&' } else { '?' };
        let url = format!("{own}{glue}role={HELPER_ROLE}");
        let worker = Worker::new(&url).map_err(|e| OneThread::CannotStart(format!("{e:?}")))?;
        // This worker's own compiled module, which the helper's loader instantiates: the
        // helper neither downloads nor compiles the wasm again (`www/worker_loader.js`). The
        // threaded build's helper instantiates it on this very memory.
        #[cfg(target_feature = "atomics")]
        let first = {
            let both = js_sys::Object::new();
            let _ = Reflect::set(&both, &"module".into(), &wasm_bindgen::module());
            let _ = Reflect::set(&both, &"memory".into(), &wasm_bindgen::memory());
            JsValue::from(both)
        };
        #[cfg(not(target_feature = "atomics"))]
        let first = wasm_bindgen::module();
        if let Err(e) = worker.post_message(&first) {
            worker.terminate();
            return Err(OneThread::CannotStart(format!("{e:?}")));
        }
        let mailbox = Rc::new(Mailbox {
            worker,
            listening: Cell::new(false),
            stopped: Cell::new(false),
            waiting: RefCell::new(None),
        });
        // A helper that fails to load (or crashes) leaves training on one thread; say so once.
        let on_error = {
            let mailbox = mailbox.clone();
            Closure::<dyn FnMut(ErrorEvent)>::new(move |e: ErrorEvent| {
                mailbox.stopped.set(true);
                post_threads(1, Some(OneThread::Stopped(e.message())));
            })
        };
        mailbox
            .worker
            .set_onerror(Some(on_error.as_ref().unchecked_ref()));
        on_error.forget();
        // The helper's only message: that it listens.
        let on_message = {
            let mailbox = mailbox.clone();
            Closure::<dyn FnMut(MessageEvent)>::new(move |e: MessageEvent| {
                // Only that: a worker started in another role (its address's query lost on the
                // way) says other things, and is no helper.
                if e.data().as_bool() == Some(true) {
                    mailbox.listening();
                }
            })
        };
        mailbox
            .worker
            .set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        on_message.forget();
        Ok(Self { mailbox })
    }

    /// A helper thread for a run of `model`, its loop run by the helper worker on this memory;
    /// `None` until the helper has said it listens, and after it crashed. The trainer blocks
    /// while it waits for a helper's share, and a worker that has not started yet may need
    /// this one's thread to start and to get its messages (Chromium loads a nested worker's
    /// script through its parent): a run linked before the helper listens could wait for ever.
    /// That is what an early version did, about one page load in fifteen.
    #[cfg(target_feature = "atomics")]
    pub fn link(&self, model: &Model, _batch: usize) -> Option<Box<dyn StepHelper>> {
        if !self.mailbox.listening.get() || self.mailbox.stopped.get() {
            return None;
        }
        let mailbox = self.mailbox.clone();
        let spawner: Spawner = Box::new(move |work| {
            mailbox.send(thread_host::hand_over(work));
            None
        });
        match ThreadHelper::sharing(model, spawner) {
            // The trainer goes on alone, and the panel says why.
            Ok(helper) => Some(Box::new(helper.when_lost(Box::new(|why| {
                web_sys::console::warn_1(&why.into());
                post_threads(1, Some(OneThread::Silent));
            })))),
            Err(e) => {
                web_sys::console::error_1(&format!("no helper thread for this run: {e}").into());
                None
            }
        }
    }

    /// A helper for a run of `model` at batches of up to `batch` digits.
    #[cfg(not(target_feature = "atomics"))]
    pub fn link(&self, model: &Model, batch: usize) -> Option<Box<dyn StepHelper>> {
        let config = model.config();
        let sizes = Sizes {
            params: model.parameter_count() as u32,
            values: config.shape.values() as u32,
            latent: config.latent as u32,
            // A piece's part, or a chunk of an evaluation, whichever is larger.
            capacity: ((batch as f64 * PORTIONS.1).ceil() as usize).max(EVAL_CHUNK) as u32,
        };
        Some(Box::new(SharedHelper::new(
            self.mailbox.clone(),
            model,
            sizes,
        )))
    }
}
