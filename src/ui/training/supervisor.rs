//! Keeping a worker alive for the page: starting it, pinging it, replacing one that errors or
//! goes silent, and handing a run the new worker does not know its last snapshot (after a crash
//! or a reload) so it goes on from there.

use leptos::prelude::*;
use wasm_bindgen::closure::Closure;
use wasm_bindgen::JsCast;

use super::client::{self, Client};
use super::{now_ms, DataStatus, Training, Wish};
use crate::protocol::{Command, RunState, PROTOCOL_VERSION};
use crate::ui_logic::lang::Lang;
use crate::ui_logic::notice::Notice;
use crate::ui_logic::said::Said;
use crate::ui_logic::supervision::{
    check_version, Beat, Heartbeat, Restart, VersionCheck, PING_EVERY_MS,
};
use crate::ui_logic::words::epochs_words;

impl Training {
    /// Starts a worker (from the usual address, or from one no cache has seen when `fresh`) and
    /// wires its events and its death to this `Training`.
    pub(super) fn spawn_worker(self) {
        self.spawn_worker_from(false);
    }

    fn spawn_worker_from(self, fresh: bool) {
        let generation = self.generation.get_value() + 1;
        self.generation.set_value(generation);
        self.heartbeat.set_value(Heartbeat::new(now_ms()));
        self.refetched.set_value(fresh);
        if fresh {
            self.fresh_token.set_value(Some(now_ms().to_string()));
        }
        let url = self.worker_url(None);
        let on_event = move |event| self.on_event(event);
        let on_crash = move |why: Said| self.replace_worker(generation, why);
        match Client::spawn(&url, on_event, on_crash) {
            Ok(client) => self.client.set_value(Some(client)),
            Err(message) => self.message.set(Some(message.into())),
        }
    }

    /// The address a worker of `role` is loaded from: once the page has had to load the training
    /// worker past a stale cache, every later worker (a replacement, an import) is loaded the
    /// same way.
    pub fn worker_url(self, role: Option<&str>) -> String {
        self.fresh_token
            .with_value(|token| client::worker_url(role, token.as_deref()))
    }

    /// A worker said it is listening: use it if it speaks this page's protocol; otherwise load
    /// it once more past every cache, and if that one does not either, say so and stop.
    pub(super) fn on_ready(self, version: u32) {
        match check_version(version, self.fresh_token.with_value(Option::is_some)) {
            VersionCheck::Agrees => {
                if self.refetched.get_value() {
                    self.message.set(Some(Notice::info(Said::new(
                        "A fresh copy of the training worker was loaded; training works.",
                        "已重新加载了一份新的训练线程，训练可以正常进行。",
                    ))));
                }
                self.worker_ready.set(true);
            }
            VersionCheck::Refetch => {
                self.message.set(Some(
                    Said::new(
                        format!(
                            "The training worker this browser had was another version of Latent \
                             Lab (protocol {version}, this page speaks {PROTOCOL_VERSION}), \
                             probably an old copy kept in a cache; a fresh copy is being loaded."
                        ),
                        format!(
                            "这个浏览器里的训练线程属于另一个版本的 Latent Lab（协议 {version}，本页使用\
                             协议 {PROTOCOL_VERSION}），多半是缓存里的旧副本；正在加载新的副本。"
                        ),
                    )
                    .into(),
                ));
                self.generation.update_value(|g| *g += 1);
                // Dropped after this callback, which belongs to the worker being replaced.
                leptos::task::spawn_local(async move {
                    self.client.set_value(None);
                    self.spawn_worker_from(true);
                });
            }
            VersionCheck::Incompatible => {
                self.generation.update_value(|g| *g += 1);
                let why = Said::new(
                    format!(
                        "the server's training worker speaks protocol {version} and this page \
                         {PROTOCOL_VERSION}: the site is being updated"
                    ),
                    format!(
                        "服务器上的训练线程使用协议 {version}，而本页使用协议 {PROTOCOL_VERSION}：\
                         网站正在更新"
                    ),
                );
                self.message.set(Some(
                    why.within(
                        |why| {
                            format!(
                                "Training is unavailable: {why}. Reload the page in a minute; the \
                             explorer keeps working."
                            )
                        },
                        |why| {
                            format!("无法训练：{why}。请过一分钟再刷新页面；探索区仍可正常使用。")
                        },
                    )
                    .into(),
                ));
                self.data.set(DataStatus::Unavailable(why));
                leptos::task::spawn_local(async move { self.client.set_value(None) });
            }
        }
    }

    /// Pings the worker every few seconds; one that stays silent (closed, or stuck) is replaced.
    /// Only once it has said Ready: until its 3.7 MB of wasm has arrived it cannot answer, and
    /// a slow connection is not a dead worker (a failed load is reported as an error anyway).
    pub(super) fn start_heartbeat(self) {
        let tick = Closure::<dyn FnMut()>::new(move || {
            if self.client.with_value(Option::is_none) || !self.worker_ready.get_untracked() {
                return;
            }
            let beat = self
                .heartbeat
                .try_update_value(|b| b.tick(now_ms()))
                .unwrap_or(Beat::Wait);
            match beat {
                Beat::Ping(n) => self.send(Command::Ping { n }),
                Beat::Wait => {}
                Beat::Silent => self.replace_worker(
                    self.generation.get_value(),
                    Said::new("the training worker stopped answering", "训练线程不再响应"),
                ),
            }
        });
        if let Some(window) = web_sys::window() {
            let _ = window.set_interval_with_callback_and_timeout_and_arguments_0(
                tick.as_ref().unchecked_ref(),
                PING_EVERY_MS as i32,
            );
        }
        self.heartbeat_timer.set_value(Some(tick));
    }

    /// Replaces a dead worker (once per death: reports from an older worker are ignored). The
    /// replacement happens after the current callback returns, as that callback may belong to
    /// the worker being dropped.
    pub(super) fn replace_worker(self, generation: u64, why: Said) {
        if generation != self.generation.get_value() {
            return;
        }
        // Bumped now, so a second report of the same death does nothing.
        self.generation.set_value(generation + 1);
        leptos::task::spawn_local(async move {
            self.client.set_value(None); // terminates the old worker
            self.worker_ready.set(false);
            self.data.set(DataStatus::Loading);
            let verdict = self
                .restarts
                .try_update_value(|r| r.failed(now_ms()))
                .unwrap_or(Restart::Again);
            let run = self.detach();
            // Kept now, so a reload finds the run where this message says it is.
            self.persist();
            if let Restart::GiveUp { failures } = verdict {
                self.data.set(DataStatus::Unavailable(Said::new(
                    "the training worker keeps stopping",
                    "训练线程反复停止",
                )));
                self.message.set(Some(
                    Said::new(
                        format!(
                            "{}. It has failed {failures} times in a minute, so it was not \
                             started again: reload the page to train{}. The explorer keeps \
                             working.",
                            why.en, run.en
                        ),
                        format!(
                            "{}。它在一分钟内已失败 {failures} 次，所以没有再启动：请刷新页面后再训练\
                             {}。探索区仍可正常使用。",
                            why.zh, run.zh
                        ),
                    )
                    .into(),
                ));
                return;
            }
            self.message.set(Some(
                Said::new(
                    format!(
                        "{}. A new worker was started{}; the explorer kept working meanwhile.",
                        why.en, run.en
                    ),
                    format!(
                        "{}。已启动新的训练线程{}；其间探索区一直可以使用。",
                        why.zh, run.zh
                    ),
                )
                .into(),
            ));
            self.spawn_worker();
        });
    }

    /// Marks a run the worker no longer holds as waiting for its snapshot to be handed back;
    /// says where it will continue from (for a message).
    pub(super) fn detach(self) -> Said {
        let state = self.state_untracked();
        if self.plan.with_untracked(Option::is_none) || state == Some(RunState::Finished) {
            return Said::plain("");
        }
        self.detached.set(true);
        self.progress.update(|p| {
            if let Some(p) = p {
                if p.state == RunState::Running {
                    p.state = RunState::Paused;
                }
                p.samples_per_sec = 0.0;
                p.eta_seconds = None;
            }
        });
        match self.snapshot_at.get_value() {
            Some(at) => Said::new(
                format!(
                    ", and the run goes on from its last snapshot (step {}, {} done) when you press Resume",
                    at.steps,
                    epochs_words(at.epochs_done, Lang::En)
                ),
                format!(
                    "，按“继续”后，这次训练会从最近的快照（第 {} 步，已完成 {} 轮）接着进行",
                    at.steps, at.epochs_done
                ),
            ),
            None => Said::plain(""),
        }
    }

    /// When the worker does not have the data yet (it is starting, or loading the pictures the
    /// run was on), remembers `wish` to be done once it has, says so, and returns true; returns
    /// false when the run can be handed back now (or never: [`Self::attach`] says why).
    pub(super) fn wait_for_data(self, wish: Wish) -> bool {
        let loading = self.still_loading();
        if loading {
            self.wish.set_value(Some(wish));
            self.message.set(Some(
                Said::new(
                    "The training worker is still loading the data: the run goes on as soon as it has.",
                    "训练线程还在加载数据：加载完毕后，这次训练会立刻继续。",
                )
                .into(),
            ));
        }
        loading
    }

    /// Whether the worker cannot take a run yet: it is starting, or loading the run's data.
    fn still_loading(self) -> bool {
        match self.data.get_untracked() {
            DataStatus::Ready => !self.worker_ready.get_untracked(),
            DataStatus::Unavailable(_) => false,
            DataStatus::Loading => true,
        }
    }

    /// Hands a detached run back to the worker now that it has the data: paused, unless Resume
    /// or Step was pressed meanwhile ([`Self::wait_for_data`]).
    pub(super) fn reattach(self) {
        match self.wish.get_value() {
            None => {
                self.attach(true);
            }
            Some(Wish::Resume) => {
                self.message.set(None);
                self.attach(false);
            }
            Some(Wish::Step) => {
                self.message.set(None);
                if self.attach(true) {
                    self.send(Command::Step);
                }
            }
        }
        self.wish.set_value(None);
    }

    /// Hands a detached run's last snapshot to the worker, which keeps it paused or runs it.
    pub(super) fn attach(self, paused: bool) -> bool {
        let Some(plan) = self.plan.get_untracked() else {
            return false;
        };
        if let DataStatus::Unavailable(why) = self.data.get_untracked() {
            let said = why.within(
                |why| {
                    format!(
                        "The run cannot go on: training is unavailable ({why}). Reload the \
                         page to try again."
                    )
                },
                |why| format!("这次训练无法继续：现在无法训练（{why}）。请刷新页面再试。"),
            );
            self.message.set(Some(said.into()));
            return false;
        }
        if self.still_loading() {
            // Not lost: once the worker has the data, `on_data_ready` hands the run back
            // (`reattach`), doing a press that `wait_for_data` remembered.
            return false;
        }
        let Some(at) = self.snapshot_at.get_value() else {
            self.detached.set(false);
            self.message.set(Some(
                Said::new(
                    "The run cannot be continued: the worker stopped before it sent any weights. Start it again.",
                    "这次训练无法继续：训练线程在发出任何权重之前就停止了。请重新开始。",
                )
                .into(),
            ));
            return false;
        };
        let Some(weights) = self.library.checkpoint_of(&plan.entry_id) else {
            self.detached.set(false);
            self.message.set(Some(
                Said::new(
                    "The run cannot be continued: its weights are no longer in the library. Start a new one.",
                    "这次训练无法继续：它的权重已不在模型库中。请开始新的训练。",
                )
                .into(),
            ));
            return false;
        };
        let run = self.last_run.get_value() + 1;
        self.last_run.set_value(run);
        self.plan.update(|p| {
            if let Some(p) = p {
                p.run = run;
            }
        });
        // Steps after the snapshot are trained again: drop their points.
        self.losses.update(|l| l.retain(|s| s.step <= at.steps));
        self.reports
            .update(|r| r.retain(|e| e.epoch <= at.epochs_done));
        self.detached.set(false);
        self.send(Command::Start {
            run,
            model: plan.model,
            train: plan.train,
            epochs: plan.epochs,
            initial: Some(weights),
            resume: Some(at),
            paused,
        });
        true
    }
}
