//! The training worker's side of `postMessage`: decode commands, run slices, post events.

use std::cell::RefCell;
use std::rc::Rc;

use js_sys::{Array, Reflect, Uint8Array};
use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{DedicatedWorkerGlobalScope, MessageChannel, MessageEvent, Response};

use super::helper_worker::HelperWorker;
use super::runner::Runner;
use super::words::{DigitsProblem, OneThread};
use crate::ml::data::ImageSet;
#[cfg(not(target_feature = "atomics"))]
use crate::protocol::HELPER_ROLE;
use crate::protocol::{Command, Event, IMPORT_ROLE, PROTOCOL_VERSION};
use crate::ui_logic::said::Said;

/// Longest stretch of training between two looks at the page's messages. Commands are answered
/// within about this long plus one step.
const SLICE_MS: f64 = 40.0;

pub(super) fn scope() -> DedicatedWorkerGlobalScope {
    js_sys::global().unchecked_into()
}

pub(super) fn now_ms() -> f64 {
    scope().performance().map_or(0.0, |p| p.now())
}

/// Posts `message`; the bytes under `transfer_field` (a `Uint8Array` once serialised) are
/// transferred, not copied.
pub(super) fn post_message<T: serde::Serialize + std::fmt::Debug>(
    message: &T,
    transfer_field: &str,
) {
    let transfer = Array::new();
    if let Some(value) = encode(message, transfer_field, &transfer) {
        send(&value, &transfer);
    }
}

/// `message` as a JS value, the buffer of the bytes under `transfer_field` added to `transfer`;
/// `None` (said on the console) if it cannot be encoded.
fn encode<T: serde::Serialize + std::fmt::Debug>(
    message: &T,
    transfer_field: &str,
    transfer: &Array,
) -> Option<JsValue> {
    let serializer = serde_wasm_bindgen::Serializer::new();
    let value = match message.serialize(&serializer) {
        Ok(v) => v,
        Err(e) => {
            web_sys::console::error_1(&format!("could not encode {message:?}: {e}").into());
            return None;
        }
    };
    if let Ok(bytes) = Reflect::get(&value, &transfer_field.into()) {
        if let Some(array) = bytes.dyn_ref::<Uint8Array>() {
            transfer.push(&array.buffer());
        }
    }
    Some(value)
}

fn send(value: &JsValue, transfer: &Array) {
    if let Err(e) = scope().post_message_with_transfer(value, transfer) {
        web_sys::console::error_2(&"could not post a message".into(), &e);
    }
}

/// Posts an event; the bytes it carries (weights, a file) are transferred, not copied.
fn post(event: &Event) {
    post_message(event, event.transferred_field().unwrap_or(""));
}

/// Posts the events of a slice (or of a command's answer) as one message (an array, when there
/// are several), so that the page takes them in one task and draws what they change in one
/// frame: posted one by one, a slice's progress and snapshot (or an epoch's report, its test
/// codes, progress and snapshot) were often drawn in two to four frames, each ~9 ms of the
/// page's thread and ~8 ms of the compositor's in headless Chromium, which on two cores come
/// out of the training threads. Returns how long the snapshot among them took to encode, plus
/// the posting of the whole message (part of its cost, [`Runner::snapshot_posted`]).
fn post_together(events: &[Event]) -> Option<f64> {
    let (together, transfer) = (Array::new(), Array::new());
    let mut snapshot_ms = None;
    for event in events {
        let snapshot = matches!(event, Event::Snapshot { .. });
        let start = if snapshot { now_ms() } else { 0.0 };
        if let Some(value) = encode(event, event.transferred_field().unwrap_or(""), &transfer) {
            together.push(&value);
        }
        if snapshot {
            snapshot_ms = Some(now_ms() - start);
        }
    }
    let start = now_ms();
    match together.length() {
        0 => {}
        1 => send(&together.get(0), &transfer),
        _ => send(&together, &transfer),
    }
    snapshot_ms.map(|ms| ms + now_ms() - start)
}

/// Tells the page how many threads train (and why only one).
pub(super) fn post_threads(threads: u32, why_one: Option<OneThread>) {
    post(&Event::Threads {
        threads,
        why_one: why_one.map(|why| Said::of(|l| why.words(l))),
    });
}

struct Host {
    runner: RefCell<Runner>,
    /// Posting on `port2` wakes `port1` as soon as pending messages have been handled.
    channel: MessageChannel,
    scheduled: RefCell<bool>,
}

impl Host {
    fn schedule(&self) {
        if self.runner.borrow().wants_slice() && !self.scheduled.replace(true) {
            let _ = self.channel.port2().post_message(&JsValue::NULL);
        }
    }

    fn slice(&self) {
        *self.scheduled.borrow_mut() = false;
        let events = self.runner.borrow_mut().slice(&now_ms, SLICE_MS);
        if let Some(ms) = post_together(&events) {
            self.runner.borrow_mut().snapshot_posted(ms);
        }
        self.schedule();
    }

    fn command(&self, data: JsValue) {
        let command = serde_wasm_bindgen::from_value::<Command>(data);
        let events = match command {
            Ok(command) => self.runner.borrow_mut().handle(command, now_ms()),
            Err(e) => vec![Event::Error {
                run: None,
                message: Said::new(
                    format!(
                        "the worker got a message it does not understand ({e}); reload the page"
                    ),
                    format!("训练线程收到了一条它看不懂的消息（{e}）；请刷新页面"),
                ),
            }],
        };
        post_together(&events);
        self.schedule();
    }
}

/// The digits asset, parsed, and its test split as a file of its own (for the page).
async fn fetch_digits() -> Result<(ImageSet, Vec<u8>), DigitsProblem> {
    let url = "assets/digits.bin";
    let unread = || DigitsProblem::Unread { url: url.into() };
    let response = JsFuture::from(scope().fetch_with_str(url))
        .await
        .map_err(|_| DigitsProblem::Unreachable { url: url.into() })?;
    let response: Response = response.unchecked_into();
    if !response.ok() {
        return Err(DigitsProblem::Refused {
            url: url.into(),
            status: response.status(),
        });
    }
    let buffer = JsFuture::from(response.array_buffer().map_err(|_| unread())?)
        .await
        .map_err(|_| unread())?;
    let bytes = Uint8Array::new(&buffer).to_vec();
    let digits = ImageSet::parse(&bytes).map_err(DigitsProblem::Invalid)?;
    let test_file = ImageSet::test_split_file(&bytes).map_err(DigitsProblem::Invalid)?;
    Ok((digits, test_file))
}

/// Whether this worker was started in `role` (`worker_loader.js?role=import`, [`IMPORT_ROLE`],
/// or [`HELPER_ROLE`]).
fn started_as(role: &str) -> bool {
    Reflect::get(&js_sys::global(), &"location".into())
        .and_then(|location| Reflect::get(&location, &"search".into()))
        .ok()
        .and_then(|s| s.as_string())
        .is_some_and(|search| search.contains(&format!("role={role}")))
}

/// Entry point of the threaded build's helper worker, which its loader calls: an instance on
/// the trainer's memory runs no `main` (wasm-bindgen runs it on the first thread only).
#[cfg(target_feature = "atomics")]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn latent_lab_helper_start() {
    super::thread_host::start();
}

/// Entry point of the worker binary: a training worker, or an import or helper worker when
/// started so.
pub fn start() {
    if started_as(IMPORT_ROLE) {
        super::import_host::start();
        return;
    }
    // The threaded build's helper starts at `latent_lab_helper_start` instead.
    #[cfg(not(target_feature = "atomics"))]
    if started_as(HELPER_ROLE) {
        super::helper_host::start();
        return;
    }
    std::panic::set_hook(Box::new(|info| {
        post(&Event::Error {
            run: None,
            message: Said::new(
                format!("the training worker crashed: {info}"),
                format!("训练线程崩溃了：{info}"),
            ),
        });
    }));
    let host = Rc::new(Host {
        runner: RefCell::new(Runner::new()),
        channel: MessageChannel::new().expect("workers have MessageChannel"),
        scheduled: RefCell::new(false),
    });

    let on_slice = {
        let host = host.clone();
        Closure::<dyn FnMut(MessageEvent)>::new(move |_| host.slice())
    };
    host.channel
        .port1()
        .set_onmessage(Some(on_slice.as_ref().unchecked_ref()));
    on_slice.forget();

    let on_command = {
        let host = host.clone();
        Closure::<dyn FnMut(MessageEvent)>::new(move |e: MessageEvent| host.command(e.data()))
    };
    scope().set_onmessage(Some(on_command.as_ref().unchecked_ref()));
    on_command.forget();

    post(&Event::Ready {
        version: PROTOCOL_VERSION,
    });
    match HelperWorker::spawn() {
        Ok(helper) => {
            host.runner
                .borrow_mut()
                .set_helper_link(Box::new(move |model, batch| helper.link(model, batch)));
            post_threads(2, None);
        }
        Err(why) => post_threads(1, Some(why)),
    }
    wasm_bindgen_futures::spawn_local(async move {
        match fetch_digits().await {
            Ok((digits, test_file)) => {
                let ready = host.runner.borrow_mut().set_data(digits.split());
                post(&Event::TestDigits { file: test_file });
                post(&ready);
                host.runner.borrow_mut().warm_up();
                host.schedule();
            }
            Err(problem) => {
                let unavailable = host.runner.borrow_mut().set_data_error(problem);
                post(&unavailable);
            }
        }
    });
}
