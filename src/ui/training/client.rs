//! The page's end of the worker: start it, send [`Command`]s, receive [`Event`]s.

use js_sys::{Array, Reflect, Uint8Array};
use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsValue};
use web_sys::{ErrorEvent, MessageEvent, Worker};

use crate::protocol::{Command, Event};
use crate::ui_logic::said::Said;

/// The worker's loader (`www/worker_loader.js`, copied next to the page), which starts the
/// worker binary trunk builds.
pub const WORKER_URL: &str = "./worker_loader.js";

/// The loader's address for a worker of `role` (the training worker has none; the import
/// worker's is "import"), with the `fresh` token, when there is one, that the loader passes on to
/// the worker's code and wasm, so that none of the three can come from a cache that holds an
/// old version.
pub fn worker_url(role: Option<&str>, fresh: Option<&str>) -> String {
    let mut query = Vec::new();
    if let Some(role) = role {
        query.push(format!("role={role}"));
    }
    if let Some(token) = fresh {
        let token: String = token.chars().filter(char::is_ascii_alphanumeric).collect();
        query.push(format!("fresh={token}"));
    }
    if query.is_empty() {
        WORKER_URL.to_string()
    } else {
        format!("{WORKER_URL}?{}", query.join("&"))
    }
}

/// A worker and the page's handlers of its messages and errors, which live as long as it does.
/// Dropping it ends the worker: the training worker's client and an import job are each one.
pub(crate) struct WorkerLink {
    worker: Worker,
    _on_message: Closure<dyn FnMut(MessageEvent)>,
    _on_error: Closure<dyn FnMut(ErrorEvent)>,
}

impl WorkerLink {
    /// Listens to `worker` with `on_message` and `on_error` (whose default, a console error, is
    /// prevented: the page says what happened in its own words).
    pub(crate) fn new(
        worker: Worker,
        on_message: impl FnMut(MessageEvent) + 'static,
        mut on_error: impl FnMut(ErrorEvent) + 'static,
    ) -> Self {
        let on_message = Closure::<dyn FnMut(MessageEvent)>::new(on_message);
        let on_error = Closure::<dyn FnMut(ErrorEvent)>::new(move |e: ErrorEvent| {
            e.prevent_default();
            on_error(e);
        });
        worker.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        worker.set_onerror(Some(on_error.as_ref().unchecked_ref()));
        Self {
            worker,
            _on_message: on_message,
            _on_error: on_error,
        }
    }

    pub(crate) fn worker(&self) -> &Worker {
        &self.worker
    }
}

impl Drop for WorkerLink {
    fn drop(&mut self) {
        self.worker.set_onmessage(None);
        self.worker.set_onerror(None);
        self.worker.terminate();
    }
}

pub struct Client {
    link: WorkerLink,
}

impl Client {
    /// Starts the worker from `url`. `on_event` gets every event; `on_crash` a message when the worker dies
    /// or sends something unreadable.
    pub fn spawn(
        url: &str,
        on_event: impl Fn(Event) + 'static,
        on_crash: impl Fn(Said) + 'static,
    ) -> Result<Self, Said> {
        let worker = Worker::new(url).map_err(|_| {
            Said::new(
                "the browser refused to start the training worker",
                "浏览器拒绝启动训练线程",
            )
        })?;
        let on_crash = std::rc::Rc::new(on_crash);
        let crash = on_crash.clone();
        // A message is one event, or a slice's events together (an array), which are handled
        // in one task so that the page draws what they change in one frame.
        let on_message = move |e: MessageEvent| {
            let data = e.data();
            let values = match data.dyn_ref::<Array>() {
                Some(events) => events.to_vec(),
                None => vec![data],
            };
            for value in values {
                match serde_wasm_bindgen::from_value::<Event>(value) {
                    Ok(event) => on_event(event),
                    Err(err) => {
                        crash(Said::new(
                            format!("the training worker sent something unreadable ({err})"),
                            format!("训练线程发来了无法读取的内容（{err}）"),
                        ));
                        return;
                    }
                }
            }
        };
        let on_error = move |e: ErrorEvent| {
            on_crash(Said::new(
                format!("the training worker stopped: {}", e.message()),
                format!("训练线程已停止：{}", e.message()),
            ))
        };
        Ok(Self {
            link: WorkerLink::new(worker, on_message, on_error),
        })
    }

    /// Sends a command; starting weights are transferred, not copied.
    pub fn send(&self, command: &Command) -> Result<(), Said> {
        let serializer = serde_wasm_bindgen::Serializer::new();
        let value = serde::Serialize::serialize(command, &serializer)
            .map_err(|e| Said::plain(e.to_string()))?;
        let transfer = Array::new();
        if let Ok(initial) = Reflect::get(&value, &JsValue::from_str("initial")) {
            if let Some(bytes) = initial.dyn_ref::<Uint8Array>() {
                transfer.push(&bytes.buffer());
            }
        }
        self.link
            .worker()
            .post_message_with_transfer(&value, &transfer)
            .map_err(|_| Said::new("could not reach the training worker", "无法联系到训练线程"))
    }

    pub fn terminate(&self) {
        self.link.worker().terminate();
    }
}
