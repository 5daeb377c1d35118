//! The files of an import, sent to an import worker (`worker::import_host`) that decodes and
//! gathers them off this thread: where each file sits, and the page's end of that worker.

use std::cell::Cell;
use std::rc::Rc;

use js_sys::{Array, Reflect};
use wasm_bindgen::JsValue;
use web_sys::{ErrorEvent, MessageEvent, Worker};

use super::clock::{sleep, yield_to_browser};
use super::training::client::WorkerLink;
use crate::protocol::{ImportCommand, ImportEvent, ImportRequest, PROTOCOL_VERSION};
use crate::ui_logic::said::Said;

/// Files handed to the import worker in one message: handing over one costs the page's thread
/// ~0.25 ms (Chromium), so a batch is a task of ~25 ms, and the page answers in between.
const FILES_PER_MESSAGE: usize = 100;

/// How long an import worker may take to say it is ready before the import gives up: it loads
/// the same code as the training worker, from the browser's cache, in well under a second; one
/// that never answers (its code failed to load) must not leave the progress bar up for good.
const READY_WITHIN_MS: i32 = 15_000;

fn encode(command: &ImportCommand) -> Result<JsValue, Said> {
    serde::Serialize::serialize(command, &serde_wasm_bindgen::Serializer::new()).map_err(|e| {
        Said::new(
            format!("the import could not be described to its worker ({e})"),
            format!("无法向导入线程描述这次导入（{e}）"),
        )
    })
}

/// When the files cannot be handed over.
fn not_handed_over() -> Said {
    Said::new(
        "the files could not be handed to the import worker",
        "无法把文件交给导入线程",
    )
}

/// Hands `files` to `worker` a batch at a time, letting the page answer between batches, until
/// the job is ended (`ended`, by Cancel). A batch that cannot be handed over ends the import.
async fn hand_over(
    worker: Worker,
    files: Rc<Vec<web_sys::File>>,
    ended: Rc<Cell<bool>>,
    on_event: Rc<dyn Fn(ImportEvent)>,
) {
    for (batch, chunk) in files.chunks(FILES_PER_MESSAGE).enumerate() {
        let sent = encode(&ImportCommand::ImportFiles {
            from: batch * FILES_PER_MESSAGE,
        })
        .and_then(|message| {
            let list: Array = chunk.iter().collect();
            Reflect::set(&message, &"files".into(), &list)
                .and_then(|_| worker.post_message(&message))
                .map_err(|_| not_handed_over())
        });
        if let Err(message) = sent {
            on_event(ImportEvent::ImportFailed { message });
            return;
        }
        yield_to_browser().await;
        if ended.get() {
            return;
        }
    }
}

/// Where a file sits: its path from the chosen folder (the folder's own name first), or its
/// name when it was chosen alone. Its label comes from it (`ml::dataset::import::label_of`).
pub(crate) fn place(file: &web_sys::File) -> String {
    Reflect::get(file, &"webkitRelativePath".into())
        .ok()
        .and_then(|v| v.as_string())
        .filter(|p| !p.is_empty())
        .unwrap_or_else(|| file.name())
}

/// An import under way in its own worker. Dropping it ends the worker ([`WorkerLink`]): that
/// is how an import is cancelled, at once, whatever file it is on.
pub(crate) struct ImportJob {
    _link: WorkerLink,
    /// Set when the job is dropped: the files not yet handed over stay.
    ended: Rc<Cell<bool>>,
}

impl Drop for ImportJob {
    fn drop(&mut self) {
        self.ended.set(true);
    }
}

impl ImportJob {
    /// Starts an import worker and sends it `request` with `files` (in the order of
    /// `request.paths`). `on_event` gets its progress and outcome; a worker that dies is
    /// reported as [`ImportEvent::ImportFailed`].
    pub(crate) fn start(
        files: &[web_sys::File],
        request: &ImportRequest,
        on_event: impl Fn(ImportEvent) + 'static,
        worker_url: &str,
    ) -> Result<Self, Said> {
        let message = encode(&ImportCommand::Import(request.clone()))?;
        let files: Rc<Vec<web_sys::File>> = Rc::new(files.to_vec());
        let worker = Worker::new(worker_url).map_err(|_| {
            Said::new(
                "the browser refused to start the import worker",
                "浏览器拒绝启动导入线程",
            )
        })?;
        let on_event: Rc<dyn Fn(ImportEvent)> = Rc::new(on_event);
        let ended = Rc::new(Cell::new(false));
        let ready = Rc::new(Cell::new(false));
        let on_message = {
            let on_event = on_event.clone();
            let worker = worker.clone();
            let ended = ended.clone();
            let ready = ready.clone();
            move |e: MessageEvent| {
                let event = serde_wasm_bindgen::from_value(e.data()).unwrap_or_else(|err| {
                    ImportEvent::ImportFailed {
                        message: Said::new(
                            format!(
                                "the import worker sent something unreadable ({err}); reload the page"
                            ),
                            format!("导入线程发来了无法读取的内容（{err}）；请重新加载页面"),
                        ),
                    }
                });
                // The request goes once the worker listens: one sent earlier would be lost.
                let failed = |message: Said| ImportEvent::ImportFailed { message };
                match event {
                    ImportEvent::ImportReady { version } if version != PROTOCOL_VERSION => on_event(failed(
                        Said::new(
                            "the import worker is from another version of Latent Lab (an old copy in the \
                             browser's cache); reload the page",
                            "导入线程来自另一个版本的 Latent Lab（浏览器缓存里的旧副本）；请重新加载页面",
                        ),
                    )),
                    ImportEvent::ImportReady { .. } => {
                        ready.set(true);
                        if worker.post_message(&message).is_err() {
                            on_event(failed(not_handed_over()));
                            return;
                        }
                        leptos::task::spawn_local(hand_over(
                            worker.clone(),
                            files.clone(),
                            ended.clone(),
                            on_event.clone(),
                        ));
                    }
                    other => on_event(other),
                }
            }
        };
        {
            let (on_event, ended) = (on_event.clone(), ended.clone());
            leptos::task::spawn_local(async move {
                sleep(READY_WITHIN_MS).await;
                if !ready.get() && !ended.get() {
                    on_event(ImportEvent::ImportFailed {
                        message: Said::new(
                            "The import worker did not start (its code could not be loaded); \
                                 nothing was read. Reload the page and try again.",
                            "导入线程没有启动（它的代码无法载入），什么都没有读取。\
                                 请重新加载页面后再试。",
                        ),
                    });
                }
            });
        }
        let on_error = move |e: ErrorEvent| {
            on_event(ImportEvent::ImportFailed {
                message: Said::new(
                    format!(
                        "the import stopped: {}. Nothing was kept; fewer or smaller pictures may get through.",
                        e.message()
                    ),
                    format!(
                        "导入中断了：{}。什么都没有保存；少一些或小一些的图片也许能成功。",
                        e.message()
                    ),
                ),
            });
        };
        Ok(Self {
            _link: WorkerLink::new(worker, on_message, on_error),
            ended,
        })
    }
}
