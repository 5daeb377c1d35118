//! The worker as a state machine: commands in, events out, work done in slices of bounded length
//! (by the one [`Run`] it holds) so the worker can answer the page between them.
//!
//! No web API in here (the clock is passed in), so the whole protocol behaviour is tested
//! natively; `host.rs` is the thin wasm glue around it.

use super::run::Run;
use crate::ml::checkpoint;
use crate::ml::data::Split;
use crate::ml::model::{Model, ModelConfig};
use crate::ml::train::{check_epochs, init_rng, TrainConfig, Trainer};
use crate::protocol::{Command, Event, ResumeAt, RunState};

/// The worker's whole state: the digits (once loaded) and at most one run.
#[derive(Default)]
pub struct Runner {
    data: Option<Split>,
    data_error: Option<String>,
    run: Option<Run>,
}

impl Runner {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn set_data(&mut self, data: Split) {
        self.data = Some(data);
        self.data_error = None;
    }

    pub fn set_data_error(&mut self, message: String) {
        self.data_error = Some(message);
    }

    /// Whether there is work for another slice.
    pub fn wants_slice(&self) -> bool {
        self.run.as_ref().is_some_and(Run::is_busy)
    }

    /// Carries out one command at time `now_ms`; returns the events that answer it.
    pub fn handle(&mut self, command: Command, now_ms: f64) -> Vec<Event> {
        match command {
            Command::Start {
                run,
                model,
                train,
                epochs,
                initial,
                resume,
                paused,
            } => {
                let mut events = self.start(run, model, train, epochs, initial, resume, now_ms);
                if paused {
                    if let Some(run) = self.run.as_mut().filter(|r| r.state() == RunState::Running)
                    {
                        events = run.pause();
                    }
                }
                events
            }
            Command::Reset => {
                self.run = None;
                Vec::new()
            }
            Command::Ping { n } => vec![Event::Pong {
                n,
                memory_bytes: crate::protocol::wasm_memory_bytes(),
            }],
            Command::Pause => self.with_run(Run::pause),
            Command::Resume => self.with_run(|run| run.resume(now_ms)),
            Command::Step => self.with_run(Run::step),
            Command::SetHyperParameters { train } => {
                self.with_run(|run| run.set_hyper_parameters(train))
            }
            Command::SaveWeights => self.with_run(|run| vec![run.snapshot_or_error()]),
        }
    }

    /// `act` on the run, or the advice to start one when there is none.
    fn with_run(&mut self, act: impl FnOnce(&mut Run) -> Vec<Event>) -> Vec<Event> {
        match self.run.as_mut() {
            Some(run) => act(run),
            None => vec![Event::Error {
                run: None,
                message: "there is no training run: press Start first".to_string(),
            }],
        }
    }

    #[allow(clippy::too_many_arguments)] // the fields of `Command::Start`
    fn start(
        &mut self,
        id: u64,
        config: ModelConfig,
        train: TrainConfig,
        epochs: usize,
        initial: Option<Vec<u8>>,
        resume: Option<ResumeAt>,
        now_ms: f64,
    ) -> Vec<Event> {
        // A new run replaces the old one even if it cannot start: nothing keeps training unseen.
        self.run = None;
        let fail = |message: String| {
            vec![Event::Error {
                run: Some(id),
                message,
            }]
        };
        let Some(data) = &self.data else {
            let why = self
                .data_error
                .clone()
                .unwrap_or_else(|| "they are still loading".to_string());
            return fail(format!(
                "training needs the digits, and they are not available ({why}); the pretrained models still work"
            ));
        };
        if let Err(e) = check_epochs(epochs) {
            return fail(e.to_string());
        }
        if let Err(e) = config.validate() {
            return fail(e.to_string());
        }
        let has_initial = initial.is_some();
        let model = match initial {
            Some(bytes) => match checkpoint::load(&bytes) {
                Ok((model, info)) if info.config == config => model,
                Ok((_, info)) => {
                    return fail(format!(
                        "the starting weights are a {}, not a {config}",
                        info.config
                    ))
                }
                Err(e) => return fail(format!("the starting weights cannot be used: {e}")),
            },
            None => match Model::new(config, &mut init_rng(train.seed)) {
                Ok(m) => m,
                Err(e) => return fail(format!("could not build the model: {e}")),
            },
        };
        let mut trainer = match Trainer::new(model, data.train.clone(), train) {
            Ok(t) => t,
            Err(e) => return fail(e.to_string()),
        };
        if let Some(at) = resume {
            if !has_initial {
                return fail("a run can only be continued from its weights".to_string());
            }
            if at.epochs_done > epochs {
                return fail(format!(
                    "the snapshot is {} epochs in, more than the {epochs} planned",
                    at.epochs_done
                ));
            }
            if let Err(e) = trainer.resume_at(at.epochs_done, at.steps) {
                return fail(e.to_string());
            }
        }
        let mut run = Run::new(id, trainer, epochs, now_ms);
        let events = vec![run.progress(), run.snapshot_or_error()];
        self.run = Some(run);
        events
    }

    /// Trains (or evaluates) until `budget_ms` has passed on `clock`, then returns the events
    /// to post: progress, epoch reports, snapshots, errors.
    pub fn slice(&mut self, clock: &dyn Fn() -> f64, budget_ms: f64) -> Vec<Event> {
        match (&self.data, self.run.as_mut()) {
            (Some(data), Some(run)) => run.slice(data, clock, budget_ms),
            _ => Vec::new(),
        }
    }
}
