//! Keeping a worker alive for the page: starting it, pinging it, replacing one that errors or
//! goes silent, and handing a run the new worker does not know its last snapshot (after a crash
//! or a reload) so it goes on from there.

use leptos::prelude::*;
use wasm_bindgen::closure::Closure;
use wasm_bindgen::JsCast;

use super::client::Client;
use super::{now_ms, DataStatus, Training};
use crate::protocol::{Command, RunState};

/// The page's side of the liveness check.
#[derive(Default, Clone, Copy)]
pub(super) struct Heartbeat {
    n: u64,
    /// When the unanswered ping went out.
    waiting_since: Option<f64>,
    last_heard_ms: f64,
}

impl Heartbeat {
    /// Any event shows the worker alive; the answer to the last ping ends the wait for it.
    pub(super) fn heard(&mut self, now: f64, pong: Option<u64>) {
        self.last_heard_ms = now;
        if pong == Some(self.n) {
            self.waiting_since = None;
        }
    }
}

/// A ping goes out this often…
const PING_EVERY_MS: i32 = 2_000;
/// …and a worker that has not answered for this long is taken for dead.
const SILENCE_MS: f64 = 6_000.0;
/// More restarts than this within a minute and the page stops trying.
const MAX_RESTARTS_PER_MINUTE: usize = 3;

impl Training {
    /// Starts a worker and wires its events and its death to this `Training`.
    pub(super) fn spawn_worker(self) {
        let generation = self.generation.get_value() + 1;
        self.generation.set_value(generation);
        self.heartbeat.set_value(Heartbeat {
            last_heard_ms: now_ms(),
            ..Heartbeat::default()
        });
        let on_event = move |event| self.on_event(event);
        let on_crash = move |why: String| self.replace_worker(generation, why);
        match Client::spawn(on_event, on_crash) {
            Ok(client) => self.client.set_value(Some(client)),
            Err(message) => self.message.set(Some(message)),
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
            let now = now_ms();
            let beat = self.heartbeat.get_value();
            match beat.waiting_since {
                Some(sent) if beat.last_heard_ms < sent => {
                    if now - sent > SILENCE_MS {
                        let generation = self.generation.get_value();
                        self.replace_worker(
                            generation,
                            "the training worker stopped answering".to_string(),
                        );
                    }
                }
                _ => {
                    let n = beat.n + 1;
                    self.heartbeat.set_value(Heartbeat {
                        n,
                        waiting_since: Some(now),
                        ..beat
                    });
                    self.send(Command::Ping { n });
                }
            }
        });
        if let Some(window) = web_sys::window() {
            let _ = window.set_interval_with_callback_and_timeout_and_arguments_0(
                tick.as_ref().unchecked_ref(),
                PING_EVERY_MS,
            );
        }
        self.heartbeat_timer.set_value(Some(tick));
    }

    /// Replaces a dead worker (once per death: reports from an older worker are ignored). The
    /// replacement happens after the current callback returns, as that callback may belong to
    /// the worker being dropped.
    pub(super) fn replace_worker(self, generation: u64, why: String) {
        if generation != self.generation.get_value() {
            return;
        }
        // Bumped now, so a second report of the same death does nothing.
        self.generation.set_value(generation + 1);
        leptos::task::spawn_local(async move {
            self.client.set_value(None); // terminates the old worker
            self.worker_ready.set(false);
            self.data.set(DataStatus::Loading);
            let now = now_ms();
            let recent = self
                .restarts
                .with_value(|r| r.iter().filter(|&&t| now - t < 60_000.0).count());
            self.restarts.update_value(|r| {
                r.retain(|&t| now - t < 60_000.0);
                r.push(now);
            });
            let run = self.detach();
            // Kept now, so a reload finds the run where this message says it is.
            self.persist();
            if recent >= MAX_RESTARTS_PER_MINUTE {
                self.data.set(DataStatus::Unavailable(
                    "the training worker keeps stopping".to_string(),
                ));
                self.message.set(Some(format!(
                    "{why}. It has failed {} times in a minute, so it was not started again: \
                     reload the page to train{run}. The explorer keeps working.",
                    recent + 1
                )));
                return;
            }
            self.message.set(Some(format!(
                "{why}. A new worker was started{run}; the explorer kept working meanwhile."
            )));
            self.spawn_worker();
        });
    }

    /// Marks a run the worker no longer holds as waiting for its snapshot to be handed back;
    /// says where it will continue from (for a message).
    pub(super) fn detach(self) -> String {
        let state = self.state_untracked();
        if self.plan.with_untracked(Option::is_none) || state == Some(RunState::Finished) {
            return String::new();
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
            Some(at) => format!(
                ", and the run goes on from its last snapshot (step {}, {} epochs done) when you press Resume",
                at.steps, at.epochs_done
            ),
            None => String::new(),
        }
    }

    /// Hands a detached run's last snapshot to the worker, which keeps it paused or runs it.
    pub(super) fn attach(self, paused: bool) -> bool {
        let Some(plan) = self.plan.get_untracked() else {
            return false;
        };
        let ready = self.worker_ready.get_untracked();
        match self.data.get_untracked() {
            DataStatus::Ready if ready => {}
            DataStatus::Unavailable(why) => {
                self.message.set(Some(format!(
                    "The run cannot go on: training is unavailable ({why}). Reload the page to try again."
                )));
                return false;
            }
            _ => {
                self.message.set(Some(
                    "The training worker is still loading the digits: try again in a moment."
                        .to_string(),
                ));
                return false;
            }
        }
        let Some(at) = self.snapshot_at.get_value() else {
            self.detached.set(false);
            self.message.set(Some(
                "The run cannot be continued: the worker stopped before it sent any weights. Start it again."
                    .to_string(),
            ));
            return false;
        };
        let Some(weights) = self.library.checkpoint_of(&plan.entry_id) else {
            self.detached.set(false);
            self.message.set(Some(
                "The run cannot be continued: its weights are no longer in the library. Start a new one."
                    .to_string(),
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
