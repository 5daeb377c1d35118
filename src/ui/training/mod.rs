//! Training in the worker, seen from the page: the settings, the buttons, progress, live charts,
//! and the snapshots that let the explorer morph while the model learns.
//!
//! The page keeps what it needs to carry a run on without the worker: the newest snapshot (in
//! the library), where it was taken, and the curves. A worker that errors or stops answering a
//! ping is replaced by a new one, and a reload restores the last run from IndexedDB; either way
//! the run continues from that snapshot when the user presses Resume.

pub mod charts;
pub mod client;
mod data;
mod events;
mod number_field;
mod panel;
mod resume;
mod run_charts;
pub mod settings;
mod strip;
mod supervisor;
mod test_codes;

pub use panel::{TrainingPanel, TRAINING_TITLE_ID};
pub use strip::TrainingStrip;
pub use test_codes::{fitting_run_codes, RunCodes};

use leptos::prelude::*;
use wasm_bindgen::closure::Closure;

use self::client::Client;
use self::settings::Settings;
use super::library::Library;
use super::state::Lab;
use crate::ml::model::ModelConfig;
use crate::ml::train::{check_epochs, TrainConfig};
use crate::protocol::{Command, EpochReport, Progress, ResumeAt, RunState, StepLoss};
use crate::ui_logic::error_words::Worded;
use crate::ui_logic::notice::Notice;
use crate::ui_logic::said::Said;
use crate::ui_logic::supervision::{Heartbeat, RestartPolicy};

/// The worker's data.
#[derive(Debug, Clone, PartialEq)]
pub enum DataStatus {
    Loading,
    Ready,
    /// Why (the worker's words, or the page's).
    Unavailable(Said),
}

/// What was pressed for a run the worker did not have yet ([`Training::wait_for_data`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Wish {
    Resume,
    Step,
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
    /// The kept dataset it trains on (its id on the shelf); `None` for the digits.
    pub dataset: Option<String>,
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
    /// Where the model of the run's last epoch puts the test images (see
    /// [`Self::codes_while_training`]).
    pub test_codes: RwSignal<Option<RunCodes>>,
    /// What went wrong last, in words; cleared by the next start.
    pub message: RwSignal<Option<Notice>>,
    /// Whether the explorer shows the training model's newest weights.
    pub follow: RwSignal<bool>,
    /// WebAssembly memory of the page and of the worker, in bytes, as of the last ping.
    pub memory: RwSignal<Option<(u64, u64)>>,
    /// How many threads train, and why only one when so (the worker's [`Event::Threads`]).
    pub threads: RwSignal<Option<(u32, Option<Said>)>>,
    /// The number of the worker's last answer to a ping (shown to tests as `data-pong`: once
    /// a ping sent after some moment is answered, everything the worker posted before has
    /// arrived).
    pub last_pong: RwSignal<u64>,
    /// Whether the check for a run kept from the last visit is done (whatever it found).
    pub restore_checked: RwSignal<bool>,
    /// The settings of the next run.
    pub settings: Settings,
    /// The page knows the run but the worker does not (after a crash or a reload): it goes on
    /// from its last snapshot once the worker has the digits, or at the next Resume or Step.
    detached: RwSignal<bool>,
    /// Resume or Step pressed on a detached run before the worker had the data: done once it
    /// has, rather than the press lost (the button does not wait on the worker).
    wish: StoredValue<Option<Wish>>,
    lab: Lab,
    library: Library,
    client: StoredValue<Option<Client>, LocalStorage>,
    /// Counts workers started; a crash report from an earlier one is ignored.
    generation: StoredValue<u64>,
    heartbeat: StoredValue<Heartbeat>,
    heartbeat_timer: StoredValue<Option<Closure<dyn FnMut()>>, LocalStorage>,
    /// When workers failed recently, to give up on one that keeps failing.
    restarts: StoredValue<RestartPolicy>,
    /// The current worker was loaded from a cache-busting address, after one that spoke
    /// another protocol.
    refetched: StoredValue<bool>,
    /// The cache-busting token every worker is loaded with once one was needed.
    fresh_token: StoredValue<Option<String>>,
    /// Where the newest snapshot was taken.
    snapshot_at: StoredValue<Option<ResumeAt>>,
    /// When the run was last written to IndexedDB.
    persisted_ms: StoredValue<f64>,
    /// The last run id handed out; ids only grow, so a late event of an old run never passes
    /// for the new one.
    last_run: StoredValue<u64>,
    /// The page asked the worker to change its data and has no answer yet.
    data_pending: StoredValue<bool>,
}

/// Step losses kept for the charts; beyond this, older ones are thinned to every other step.
const MAX_LOSSES: usize = 20_000;
/// While a run trains, its snapshot and curves are written to IndexedDB at most this often (the
/// first snapshot at once, and again whenever it pauses, finishes or diverges), so a reload
/// loses at most this much training. Not once an epoch: a 2.6 MB write is costly for the
/// browser too, and the digits' epochs take ~0.6 s, so the reference run wrote eleven times
/// and finished ~10% later (`start.mjs`, 2026-12-05: medians 6.10 s against 5.51 s).
const PERSIST_EVERY_MS: f64 = 5_000.0;

fn now_ms() -> f64 {
    js_sys::Date::now()
}

impl Training {
    /// Wires the worker's events to the page; the worker itself starts once
    /// `first_model_settled` holds (see [`Self::spawn_worker_after_first_digit`]).
    pub fn new(lab: Lab, library: Library, first_model_settled: Memo<bool>) -> Self {
        let training = Self {
            worker_ready: RwSignal::new(false),
            data: RwSignal::new(DataStatus::Loading),
            plan: RwSignal::new(None),
            progress: RwSignal::new(None),
            losses: RwSignal::new(Vec::new()),
            reports: RwSignal::new(Vec::new()),
            test_codes: RwSignal::new(None),
            message: RwSignal::new(None),
            follow: RwSignal::new(true),
            memory: RwSignal::new(None),
            threads: RwSignal::new(None),
            last_pong: RwSignal::new(0),
            restore_checked: RwSignal::new(false),
            settings: Settings::new(),
            detached: RwSignal::new(false),
            wish: StoredValue::new(None),
            lab,
            library,
            client: StoredValue::new_local(None),
            generation: StoredValue::new(0),
            heartbeat: StoredValue::new(Heartbeat::default()),
            heartbeat_timer: StoredValue::new_local(None),
            restarts: StoredValue::new(RestartPolicy::default()),
            refetched: StoredValue::new(false),
            fresh_token: StoredValue::new(None),
            snapshot_at: StoredValue::new(None),
            persisted_ms: StoredValue::new(0.0),
            last_run: StoredValue::new(0),
            data_pending: StoredValue::new(false),
        };
        training.spawn_worker_after_first_digit(first_model_settled);
        training.start_heartbeat();
        training.fit_pace_to_data();
        training
    }

    /// The worker's code (~0.5 MB brotli) and its digits are not needed to show a digit, so
    /// they are fetched once the page shows one (or has given up on its model: a missing
    /// asset), keeping the first load to the page's code and the default weights. If the
    /// model's download never ends, the worker starts after a long wait anyway: training from
    /// scratch must still work.
    fn spawn_worker_after_first_digit(self, settled: Memo<bool>) {
        const AT_THE_LATEST_MS: u64 = 20_000;
        let spawned = StoredValue::new(false);
        let spawn_once = move || {
            if !spawned.get_value() {
                spawned.set_value(true);
                self.spawn_worker();
            }
        };
        Effect::new(move |_| {
            if settled.get() {
                spawn_once();
            }
        });
        set_timeout(
            spawn_once,
            std::time::Duration::from_millis(AT_THE_LATEST_MS),
        );
    }

    /// Whether the downloads that are extras to a first visit (the other pretrained models, the
    /// offline copy) may start: once the worker has its data, or has said it cannot have it,
    /// so that on a slow connection they do not share the network with what training needs
    /// (on Lighthouse's mobile network they put Train's enabling 15 s later); or a minute after
    /// the first model at the latest, should the worker never answer. Stays true once true.
    pub fn extras_may_start(self, first_model: Memo<bool>) -> Memo<bool> {
        const AT_THE_LATEST: std::time::Duration = std::time::Duration::from_secs(60);
        let late = RwSignal::new(false);
        let timed = StoredValue::new(false);
        Effect::new(move |_| {
            if first_model.get() && !timed.get_value() {
                timed.set_value(true);
                set_timeout(move || late.set(true), AT_THE_LATEST);
            }
        });
        Memo::new(move |was: Option<&bool>| {
            was.copied().unwrap_or(false)
                || late.get()
                || !matches!(self.data.get(), DataStatus::Loading)
        })
    }

    /// Keeps the next run's batch and epochs suited to the data in use as it changes (forty
    /// drawings need a smaller batch than the digits), while the person has not set them.
    fn fit_pace_to_data(self) {
        let lab = self.lab;
        // The count alone: a language switch must not touch the settings (nor the worker).
        Effect::new(move |_| self.settings.fit_pace(lab.training_images()));
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

    /// Whether `run` is the run the page follows now; events of an earlier run (still in
    /// flight when a new one started) are dropped.
    fn is_current(&self, run: u64) -> bool {
        self.current_run() == Some(run)
    }

    fn send(&self, command: Command) {
        let result = self.client.with_value(|c| match c {
            Some(client) => client.send(&command),
            None => Err(Said::new(
                "the training worker is not running; reload the page",
                "训练线程没有在运行；请刷新页面",
            )),
        });
        if let Err(message) = result {
            self.message.set(Some(message.into()));
        }
    }

    /// Starts a new run.
    pub fn start(&self, model: ModelConfig, train: TrainConfig, epochs: usize) {
        let problem = model
            .validate()
            .err()
            .map(|e| e.said())
            .or_else(|| train.validate().err().map(|e| e.said()))
            .or_else(|| check_epochs(epochs).err().map(|e| e.said()));
        if let Some(problem) = problem {
            self.message.set(Some(problem.into()));
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
            dataset: self
                .lab
                .own_data
                .with_untracked(|d| d.as_ref().map(|d| d.id.clone())),
        }));
        self.losses.set(Vec::new());
        self.reports.set(Vec::new());
        self.test_codes.set(None);
        self.progress.set(None);
        self.message.set(None);
        self.detached.set(false);
        self.wish.set_value(None);
        self.snapshot_at.set_value(None);
        // The first snapshot (sent with the start) is kept at once: a reload right after Start
        // must not bring back the previous run.
        self.persisted_ms.set_value(f64::NEG_INFINITY);
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
        if !self.detached.get_untracked() {
            self.send(Command::Resume);
        } else if !self.wait_for_data(Wish::Resume) {
            self.attach(false);
        }
    }

    pub fn step(&self) {
        let attached = !self.detached.get_untracked()
            || (!self.wait_for_data(Wish::Step) && self.attach(true));
        if attached {
            self.send(Command::Step);
        }
    }

    pub fn reset(&self) {
        if let Some(plan) = self.plan.get_untracked() {
            self.forget_saved_run(plan.entry_id);
        }
        self.send(Command::Reset);
        self.plan.set(None);
        self.progress.set(None);
        self.losses.set(Vec::new());
        self.reports.set(Vec::new());
        self.test_codes.set(None);
        self.message.set(None);
        self.detached.set(false);
        self.wish.set_value(None);
        self.snapshot_at.set_value(None);
    }

    /// New learning rate, β and batch size for the run in progress (and for its continuation
    /// after a crash or reload).
    pub fn set_hyper_parameters(&self, train: TrainConfig) {
        if let Err(e) = train.validate() {
            self.message.set(Some(e.said().into()));
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
        // A detached run gets them when it is handed back; a finished one is not in the worker.
        let finished = self.state_untracked() == Some(RunState::Finished);
        if !self.detached.get_untracked() && !finished {
            self.send(Command::SetHyperParameters { train });
        }
    }

    pub fn state(&self) -> Option<RunState> {
        self.progress.with(|p| p.as_ref().map(|p| p.state))
    }
}
