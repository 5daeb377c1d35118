//! Training in the worker, seen from the page: the settings, the buttons, progress, live charts,
//! and the snapshots that let the explorer morph while the model learns.
//!
//! The page keeps what it needs to carry a run on without the worker: the newest snapshot (in
//! the library), where it was taken, and the curves. A worker that errors or stops answering a
//! ping is replaced by a new one, and a reload restores the last run from IndexedDB; either way
//! the run continues from that snapshot when the user presses Resume.

pub mod charts;
pub mod client;
mod panel;

pub use panel::TrainingPanel;

use leptos::prelude::*;
use wasm_bindgen::closure::Closure;
use wasm_bindgen::JsCast;

use self::client::Client;
use super::library::Library;
use super::state::Lab;
use super::storage::{self, StoredRun};
use crate::ml::model::ModelConfig;
use crate::ml::train::TrainConfig;
use crate::protocol::{
    thin_losses, wasm_memory_bytes, Command, EpochReport, Event, Progress, ResumeAt, RunState,
    StepLoss,
};

/// The worker's data.
#[derive(Debug, Clone, PartialEq)]
pub enum DataStatus {
    Loading,
    Ready,
    Unavailable(String),
}

/// The run the page asked for.
#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    pub run: u64,
    pub model: ModelConfig,
    pub train: TrainConfig,
    pub epochs: usize,
    /// The library entry its weights go to.
    pub entry_id: String,
}

/// Training state shared by the training panel's parts.
#[derive(Clone, Copy)]
pub struct Training {
    pub worker_ready: RwSignal<bool>,
    pub data: RwSignal<DataStatus>,
    pub plan: RwSignal<Option<Plan>>,
    /// The newest progress (its losses moved to `losses`).
    pub progress: RwSignal<Option<Progress>>,
    /// Every step's loss in this run.
    pub losses: RwSignal<Vec<StepLoss>>,
    pub reports: RwSignal<Vec<EpochReport>>,
    /// What went wrong last, in words; cleared by the next start.
    pub message: RwSignal<Option<String>>,
    /// Whether the explorer shows the training model's newest weights.
    pub follow: RwSignal<bool>,
    /// WebAssembly memory of the page and of the worker, in bytes, as of the last ping.
    pub memory: RwSignal<Option<(u64, u64)>>,
    /// The page knows the run but the worker does not (after a crash or a reload): it goes on
    /// from its last snapshot once the worker has the digits, or at the next Resume or Step.
    detached: RwSignal<bool>,
    lab: Lab,
    library: Library,
    client: StoredValue<Option<Client>, LocalStorage>,
    /// Counts workers started; a crash report from an earlier one is ignored.
    generation: StoredValue<u64>,
    heartbeat: StoredValue<Heartbeat>,
    heartbeat_timer: StoredValue<Option<Closure<dyn FnMut()>>, LocalStorage>,
    /// When workers were replaced recently, to give up on one that keeps failing.
    restarts: StoredValue<Vec<f64>>,
    /// Where the newest snapshot was taken.
    snapshot_at: StoredValue<Option<ResumeAt>>,
    /// Epochs of the run last written to IndexedDB, and when.
    persisted: StoredValue<(usize, f64)>,
    /// The last run id handed out; ids only grow, so a late event of an old run never passes
    /// for the new one.
    last_run: StoredValue<u64>,
}

/// The page's side of the liveness check.
#[derive(Default, Clone, Copy)]
struct Heartbeat {
    n: u64,
    /// When the unanswered ping went out.
    waiting_since: Option<f64>,
    last_heard_ms: f64,
}

/// Step losses kept for the charts; beyond this, older ones are thinned to every other step.
const MAX_LOSSES: usize = 20_000;
/// Step losses written to IndexedDB with a run (thinned evenly): plenty for a smoothed chart.
const STORED_LOSSES: usize = 2_000;
/// A ping goes out this often…
const PING_EVERY_MS: i32 = 2_000;
/// …and a worker that has not answered for this long is taken for dead.
const SILENCE_MS: f64 = 6_000.0;
/// A run's snapshot and curves are written to IndexedDB at least this often while it trains.
const PERSIST_EVERY_MS: f64 = 5_000.0;
/// More restarts than this within a minute and the page stops trying.
const MAX_RESTARTS_PER_MINUTE: usize = 3;

fn now_ms() -> f64 {
    js_sys::Date::now()
}

impl Training {
    /// Starts the worker and wires its events to the page.
    pub fn new(lab: Lab, library: Library) -> Self {
        let training = Self {
            worker_ready: RwSignal::new(false),
            data: RwSignal::new(DataStatus::Loading),
            plan: RwSignal::new(None),
            progress: RwSignal::new(None),
            losses: RwSignal::new(Vec::new()),
            reports: RwSignal::new(Vec::new()),
            message: RwSignal::new(None),
            follow: RwSignal::new(true),
            memory: RwSignal::new(None),
            detached: RwSignal::new(false),
            lab,
            library,
            client: StoredValue::new_local(None),
            generation: StoredValue::new(0),
            heartbeat: StoredValue::new(Heartbeat::default()),
            heartbeat_timer: StoredValue::new_local(None),
            restarts: StoredValue::new(Vec::new()),
            snapshot_at: StoredValue::new(None),
            persisted: StoredValue::new((0, 0.0)),
            last_run: StoredValue::new(0),
        };
        training.spawn_worker();
        training.start_heartbeat();
        training
    }

    fn spawn_worker(self) {
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
    fn start_heartbeat(self) {
        let tick = Closure::<dyn FnMut()>::new(move || {
            if self.client.with_value(Option::is_none) {
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
    fn replace_worker(self, generation: u64, why: String) {
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
    fn detach(self) -> String {
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
    fn attach(self, paused: bool) -> bool {
        let Some(plan) = self.plan.get_untracked() else {
            return false;
        };
        if !self.worker_ready.get_untracked() || self.data.get_untracked() != DataStatus::Ready {
            self.message.set(Some(
                "The training worker is still loading the digits: try again in a moment."
                    .to_string(),
            ));
            return false;
        }
        let (Some(at), Some(weights)) = (
            self.snapshot_at.get_value(),
            self.library.checkpoint_of(&plan.entry_id),
        ) else {
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

    /// Brings back the last run saved in this browser (after a reload): its curves, and its
    /// snapshot ready to continue. Call once the library has been restored.
    pub async fn restore_run(self) {
        let stored = match storage::latest_run().await {
            Ok(Some(stored)) => stored,
            Ok(None) => return,
            Err(e) => {
                self.message
                    .set(Some(format!("The last training run cannot be shown: {e}.")));
                return;
            }
        };
        let known = self
            .library
            .entries
            .with_untracked(|list| list.iter().any(|e| e.id == stored.id));
        if !known || self.plan.with_untracked(Option::is_some) {
            return; // its model was deleted, or a new run has started meanwhile
        }
        let run = self.last_run.get_value() + 1;
        self.last_run.set_value(run);
        let mut progress = stored.progress;
        progress.run = run;
        if progress.state == RunState::Running {
            progress.state = RunState::Paused;
        }
        progress.samples_per_sec = 0.0;
        progress.eta_seconds = None;
        let finished = progress.state == RunState::Finished;
        self.plan.set(Some(Plan {
            run,
            model: stored.model,
            train: stored.train,
            epochs: stored.epochs,
            entry_id: stored.id,
        }));
        self.losses.set(stored.losses);
        self.reports.set(stored.reports);
        self.progress.set(Some(progress));
        self.snapshot_at.set_value(Some(stored.at));
        self.persisted.set_value((stored.at.epochs_done, now_ms()));
        if finished {
            return;
        }
        self.detached.set(true);
        self.message.set(Some(format!(
            "The run from your last visit is back: {}, {} of {} epochs, step {}. Press Resume to go on training it.",
            stored.model, stored.at.epochs_done, stored.epochs, stored.at.steps
        )));
        if self.worker_ready.get_untracked() && self.data.get_untracked() == DataStatus::Ready {
            self.attach(true);
        }
    }

    /// Writes the run's record (settings, progress, curves) to IndexedDB, beside its weights.
    async fn persist_run(self) {
        let (Some(plan), Some(progress), Some(at)) = (
            self.plan.get_untracked(),
            self.progress.get_untracked(),
            self.snapshot_at.get_value(),
        ) else {
            return;
        };
        let record = StoredRun {
            id: plan.entry_id,
            model: plan.model,
            train: plan.train,
            epochs: plan.epochs,
            at,
            progress,
            losses: self
                .losses
                .with_untracked(|l| thin_losses(l, STORED_LOSSES)),
            reports: self.reports.get_untracked(),
            saved_ms: now_ms(),
        };
        if let Err(e) = storage::put_run(&record).await {
            self.message.set(Some(format!(
                "The training curves could not be kept for the next visit: {e}."
            )));
        }
    }

    /// Whether `id` is the library entry of the current run.
    pub fn is_run_entry(&self, id: &str) -> bool {
        self.plan
            .with_untracked(|p| p.as_ref().is_some_and(|p| p.entry_id == id))
    }

    fn current_run(&self) -> Option<u64> {
        self.plan.with_untracked(|p| p.as_ref().map(|p| p.run))
    }

    fn state_untracked(&self) -> Option<RunState> {
        self.progress
            .with_untracked(|p| p.as_ref().map(|p| p.state))
    }

    fn on_event(self, event: Event) {
        let heard = now_ms();
        self.heartbeat.update_value(|b| {
            b.last_heard_ms = heard;
            if matches!(event, Event::Pong { n, .. } if n == b.n) {
                b.waiting_since = None;
            }
        });
        match event {
            Event::Pong { memory_bytes, .. } => {
                self.memory.set(Some((wasm_memory_bytes(), memory_bytes)));
            }
            Event::Ready { .. } => self.worker_ready.set(true),
            Event::DataReady { .. } => {
                self.data.set(DataStatus::Ready);
                if self.detached.get_untracked() {
                    self.attach(true);
                }
            }
            Event::DataUnavailable { message } => self.data.set(DataStatus::Unavailable(message)),
            Event::Progress(mut progress) if Some(progress.run) == self.current_run() => {
                let losses = std::mem::take(&mut progress.losses);
                if !losses.is_empty() {
                    self.losses.update(|all| {
                        all.extend(losses);
                        if all.len() > MAX_LOSSES {
                            let mut keep = false;
                            all.retain(|_| {
                                keep = !keep;
                                keep
                            });
                        }
                    });
                }
                self.progress.set(Some(progress));
            }
            Event::Epoch { run, report } if Some(run) == self.current_run() => {
                self.reports.update(|r| r.push(report));
            }
            Event::Snapshot {
                run,
                step,
                epochs_done,
                weights,
            } if Some(run) == self.current_run() => self.on_snapshot(step, epochs_done, weights),
            Event::Error { run, message } if run.is_none() || run == self.current_run() => {
                self.message.set(Some(message));
            }
            _ => {} // events of an earlier run
        }
    }

    fn on_snapshot(self, step: usize, epochs_done: usize, weights: Vec<u8>) {
        let Some(plan) = self.plan.get_untracked() else {
            return;
        };
        let name = format!(
            "{} · trained here, {epochs_done}/{} epochs",
            plan.model, plan.epochs
        );
        if let Err(message) = self.library.update_run(
            self.lab,
            &plan.entry_id,
            name,
            weights,
            self.follow.get_untracked(),
        ) {
            self.message.set(Some(message));
            return;
        }
        self.snapshot_at.set_value(Some(ResumeAt {
            epochs_done,
            steps: step,
        }));
        let settled = matches!(
            self.state_untracked(),
            Some(RunState::Paused | RunState::Finished | RunState::Diverged)
        );
        let (persisted_epochs, persisted_ms) = self.persisted.get_value();
        let now = now_ms();
        if epochs_done > persisted_epochs || settled || now - persisted_ms >= PERSIST_EVERY_MS {
            self.persisted.set_value((epochs_done, now));
            let library = self.library;
            leptos::task::spawn_local(async move {
                library.persist(plan.entry_id).await;
                self.persist_run().await;
            });
        }
    }

    fn send(&self, command: Command) {
        let result = self.client.with_value(|c| match c {
            Some(client) => client.send(&command),
            None => Err("the training worker is not running; reload the page".to_string()),
        });
        if let Err(message) = result {
            self.message.set(Some(message));
        }
    }

    /// Starts a new run.
    pub fn start(&self, model: ModelConfig, train: TrainConfig, epochs: usize) {
        if let Err(e) = model.validate() {
            self.message.set(Some(e.to_string()));
            return;
        }
        if let Err(e) = train.validate() {
            self.message.set(Some(e.to_string()));
            return;
        }
        if !(1..=1000).contains(&epochs) {
            self.message.set(Some(format!(
                "{epochs} epochs cannot be trained: choose 1 to 1000"
            )));
            return;
        }
        let run = self.last_run.get_value() + 1;
        self.last_run.set_value(run);
        let started = now_ms();
        self.plan.set(Some(Plan {
            run,
            model,
            train,
            epochs,
            entry_id: format!("stored:run-{started}"),
        }));
        self.losses.set(Vec::new());
        self.reports.set(Vec::new());
        self.progress.set(None);
        self.message.set(None);
        self.detached.set(false);
        self.snapshot_at.set_value(None);
        self.persisted.set_value((0, started));
        self.follow.set(true);
        self.send(Command::Start {
            run,
            model,
            train,
            epochs,
            initial: None,
            resume: None,
            paused: false,
        });
    }

    pub fn pause(&self) {
        self.send(Command::Pause);
    }

    pub fn resume(&self) {
        self.message.set(None);
        if self.detached.get_untracked() {
            self.attach(false);
        } else {
            self.send(Command::Resume);
        }
    }

    pub fn step(&self) {
        if !self.detached.get_untracked() || self.attach(true) {
            self.send(Command::Step);
        }
    }

    pub fn reset(&self) {
        self.send(Command::Reset);
        self.plan.set(None);
        self.progress.set(None);
        self.losses.set(Vec::new());
        self.reports.set(Vec::new());
        self.message.set(None);
        self.detached.set(false);
        self.snapshot_at.set_value(None);
    }

    /// New learning rate, β and batch size for the run in progress (and for its continuation
    /// after a crash or reload).
    pub fn set_hyper_parameters(&self, train: TrainConfig) {
        if let Err(e) = train.validate() {
            self.message.set(Some(e.to_string()));
            return;
        }
        if self.plan.with_untracked(Option::is_none) {
            return;
        }
        self.plan.update(|p| {
            if let Some(p) = p {
                p.train = TrainConfig {
                    seed: p.train.seed,
                    ..train
                };
            }
        });
        if !self.detached.get_untracked() {
            self.send(Command::SetHyperParameters { train });
        }
    }

    pub fn state(&self) -> Option<RunState> {
        self.progress.with(|p| p.as_ref().map(|p| p.state))
    }
}
