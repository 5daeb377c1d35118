//! Training in the worker, seen from the page: the settings, the buttons, progress, live charts,
//! and the snapshots that let the explorer morph while the model learns.

pub mod charts;
pub mod client;
mod panel;

pub use panel::TrainingPanel;

use leptos::prelude::*;

use self::client::Client;
use super::library::Library;
use super::state::Lab;
use crate::ml::model::ModelConfig;
use crate::ml::train::TrainConfig;
use crate::protocol::{Command, EpochReport, Event, Progress, RunState, StepLoss};

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
    client: StoredValue<Option<Client>, LocalStorage>,
    /// Epochs of the run last written to IndexedDB.
    persisted_epochs: StoredValue<usize>,
    /// The last run id handed out; ids only grow, so a late event of an old run never passes
    /// for the new one.
    last_run: StoredValue<u64>,
}

/// Step losses kept for the charts; beyond this, older ones are thinned to every other step.
const MAX_LOSSES: usize = 20_000;

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
            client: StoredValue::new_local(None),
            persisted_epochs: StoredValue::new(0),
            last_run: StoredValue::new(0),
        };
        let on_event = move |event| training.on_event(lab, library, event);
        let on_crash = move |message: String| {
            training.worker_ready.set(false);
            training.message.set(Some(format!(
                "{message}. The explorer keeps working; reload the page to train again."
            )));
        };
        match Client::spawn(on_event, on_crash) {
            Ok(client) => training.client.set_value(Some(client)),
            Err(message) => training.message.set(Some(message)),
        }
        training
    }

    /// Whether `id` is the library entry of the current run.
    pub fn is_run_entry(&self, id: &str) -> bool {
        self.plan
            .with_untracked(|p| p.as_ref().is_some_and(|p| p.entry_id == id))
    }

    fn current_run(&self) -> Option<u64> {
        self.plan.with_untracked(|p| p.as_ref().map(|p| p.run))
    }

    fn on_event(self, lab: Lab, library: Library, event: Event) {
        match event {
            Event::Ready { .. } => self.worker_ready.set(true),
            Event::DataReady { .. } => self.data.set(DataStatus::Ready),
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
                epochs_done,
                weights,
                ..
            } if Some(run) == self.current_run() => {
                let Some(plan) = self.plan.get_untracked() else {
                    return;
                };
                let name = format!(
                    "{} · trained here, {epochs_done}/{} epochs",
                    plan.model, plan.epochs
                );
                if let Err(message) = library.update_run(
                    lab,
                    &plan.entry_id,
                    name,
                    weights,
                    self.follow.get_untracked(),
                ) {
                    self.message.set(Some(message));
                    return;
                }
                let state = self
                    .progress
                    .with_untracked(|p| p.as_ref().map(|p| p.state));
                let settled = matches!(
                    state,
                    Some(RunState::Paused | RunState::Finished | RunState::Diverged)
                );
                if epochs_done > self.persisted_epochs.get_value() || settled {
                    self.persisted_epochs.set_value(epochs_done);
                    leptos::task::spawn_local(library.persist(plan.entry_id));
                }
            }
            Event::Error { run, message } if run.is_none() || run == self.current_run() => {
                self.message.set(Some(message));
            }
            _ => {} // events of an earlier run
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
        let started = js_sys::Date::now();
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
        self.persisted_epochs.set_value(0);
        self.send(Command::Start {
            run,
            model,
            train,
            epochs,
            initial: None,
        });
    }

    pub fn pause(&self) {
        self.send(Command::Pause);
    }

    pub fn resume(&self) {
        self.message.set(None);
        self.send(Command::Resume);
    }

    pub fn step(&self) {
        self.send(Command::Step);
    }

    pub fn reset(&self) {
        self.send(Command::Reset);
        self.plan.set(None);
        self.progress.set(None);
        self.losses.set(Vec::new());
        self.reports.set(Vec::new());
        self.message.set(None);
    }

    /// New learning rate, β and batch size for the run in progress.
    pub fn set_hyper_parameters(&self, train: TrainConfig) {
        if let Err(e) = train.validate() {
            self.message.set(Some(e.to_string()));
            return;
        }
        if self.plan.with_untracked(Option::is_some) {
            self.send(Command::SetHyperParameters { train });
        }
    }

    pub fn state(&self) -> Option<RunState> {
        self.progress.with(|p| p.as_ref().map(|p| p.state))
    }
}
