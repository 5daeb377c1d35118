//! The training run as a state machine the worker drives: commands in, events out, work done in
//! slices of bounded length so the worker can answer the page between them.
//!
//! No web API in here (the clock is passed in), so the whole protocol behaviour is tested
//! natively; `host.rs` is the thin wasm glue around it.

use std::collections::{BTreeMap, VecDeque};

use crate::ml::checkpoint::{self, Precision};
use crate::ml::data::Split;
use crate::ml::eval::{Evaluator, ACTIVE_UNIT_NATS};
use crate::ml::loss::LossValues;
use crate::ml::model::{Model, ModelConfig};
use crate::ml::train::{init_rng, TrainConfig, TrainError, Trainer};
use crate::protocol::{Command, EpochReport, Event, Progress, ResumeAt, RunState, StepLoss};

/// Test digits evaluated per chunk: a few milliseconds of work for the MLP.
const EVAL_CHUNK: usize = 200;
/// At most this many weight snapshots per second go to the page.
const SNAPSHOT_INTERVAL_MS: f64 = 400.0;
/// Progress events go out about this often while running (each redraws the charts).
const PROGRESS_INTERVAL_MS: f64 = 250.0;
/// Throughput is measured over this recent window.
const RATE_WINDOW_MS: f64 = 3000.0;
/// Work per call into the trainer: a step whose batch takes longer is done in pieces (with
/// gradients accumulated), so a slice never waits for a whole slow step.
const PIECE_MS: f64 = 40.0;

/// Mean training loss of the epoch in progress.
#[derive(Default)]
struct EpochMeans {
    sums: [f64; 3],
    samples: usize,
}

impl EpochMeans {
    fn add(&mut self, loss: LossValues, samples: usize) {
        let w = samples as f64;
        self.sums[0] += loss.total as f64 * w;
        self.sums[1] += loss.recon as f64 * w;
        self.sums[2] += loss.kl as f64 * w;
        self.samples += samples;
    }

    fn take(&mut self) -> LossValues {
        let n = self.samples.max(1) as f64;
        let mean = |s: f64| (s / n) as f32;
        let out = LossValues {
            total: mean(self.sums[0]),
            recon: mean(self.sums[1]),
            kl: mean(self.sums[2]),
        };
        *self = Self::default();
        out
    }
}

struct Run {
    id: u64,
    trainer: Trainer,
    epochs: usize,
    state: RunState,
    /// A Step command is being carried out (in pieces, like training).
    step_requested: bool,
    pending: Vec<StepLoss>,
    epoch_means: EpochMeans,
    /// Set between an epoch's last step and its evaluation's end.
    evaluating: Option<(Evaluator, LossValues)>,
    /// (time, samples so far) samples for the throughput estimate.
    rate_marks: VecDeque<(f64, usize)>,
    samples: usize,
    last_snapshot_ms: f64,
    snapshot_due: bool,
    last_progress_ms: f64,
    progress_due: bool,
    /// Recent cost of one digit's forward and backward pass, to size the pieces of a step.
    ms_per_digit: f64,
}

impl Run {
    fn samples_per_sec(&self) -> f64 {
        match (self.rate_marks.front(), self.rate_marks.back()) {
            (Some(&(t0, s0)), Some(&(t1, s1))) if t1 > t0 => {
                (s1 - s0) as f64 / ((t1 - t0) / 1000.0)
            }
            _ => 0.0,
        }
    }

    fn is_busy(&self) -> bool {
        self.state == RunState::Running || self.step_requested || self.evaluating.is_some()
    }

    fn progress(&mut self) -> Event {
        let trainer = &self.trainer;
        let steps_per_epoch = trainer.batches_per_epoch();
        let epochs_done = trainer.epochs().min(self.epochs);
        let remaining_steps = (self.epochs - epochs_done)
            .saturating_mul(steps_per_epoch)
            .saturating_sub(trainer.steps_in_epoch());
        let rate = self.samples_per_sec();
        let remaining_samples = remaining_steps * trainer.config().batch_size;
        let eta_seconds = (rate > 0.0 && self.state == RunState::Running)
            .then(|| remaining_samples as f64 / rate);
        Event::Progress(Progress {
            run: self.id,
            state: self.state,
            epochs_done,
            epochs: self.epochs,
            step: trainer.steps(),
            total_steps: trainer.steps() + remaining_steps,
            steps_per_epoch,
            step_in_epoch: trainer.steps_in_epoch(),
            samples_per_sec: rate,
            eta_seconds,
            beta: trainer.current_beta(),
            losses: std::mem::take(&mut self.pending),
        })
    }

    fn snapshot(&self) -> Result<Event, String> {
        let notes = BTreeMap::from([
            ("epochs".to_string(), self.trainer.epochs().to_string()),
            ("steps".to_string(), self.trainer.steps().to_string()),
            (
                "learning_rate".to_string(),
                self.trainer.config().learning_rate.to_string(),
            ),
            (
                "batch_size".to_string(),
                self.trainer.config().batch_size.to_string(),
            ),
            ("beta".to_string(), self.trainer.config().beta.to_string()),
            (
                "warmup_epochs".to_string(),
                self.trainer.config().warmup_epochs.to_string(),
            ),
            ("seed".to_string(), self.trainer.config().seed.to_string()),
            (
                "trained_by".to_string(),
                "latent-lab web worker".to_string(),
            ),
        ]);
        let weights = checkpoint::save(self.trainer.model(), Precision::F32, &notes)
            .map_err(|e| e.to_string())?;
        Ok(Event::Snapshot {
            run: self.id,
            step: self.trainer.steps(),
            epochs_done: self.trainer.epochs(),
            weights,
        })
    }

    fn snapshot_or_error(&self) -> Event {
        self.snapshot().unwrap_or_else(|message| Event::Error {
            run: Some(self.id),
            message,
        })
    }
}

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

    fn error(&self, message: impl Into<String>) -> Event {
        Event::Error {
            run: self.run.as_ref().map(|r| r.id),
            message: message.into(),
        }
    }

    /// Carries out one command at time `now_ms`; returns the events that answer it.
    pub fn handle(&mut self, command: Command, now_ms: f64) -> Vec<Event> {
        if let Command::Start {
            run,
            model,
            train,
            epochs,
            initial,
            resume,
            paused,
        } = command
        {
            let mut events = self.start(run, model, train, epochs, initial, resume, now_ms);
            if paused {
                if let Some(run) = self.run.as_mut().filter(|r| r.state == RunState::Running) {
                    run.state = RunState::Paused;
                    events = vec![run.progress(), run.snapshot_or_error()];
                }
            }
            return events;
        }
        match command {
            Command::Reset => {
                self.run = None;
                return Vec::new();
            }
            Command::Ping { n } => {
                return vec![Event::Pong {
                    n,
                    memory_bytes: crate::protocol::wasm_memory_bytes(),
                }]
            }
            _ => {}
        }
        let Some(run) = self.run.as_mut() else {
            return vec![self.error("there is no training run: press Start first")];
        };
        match command {
            Command::Pause => {
                if run.state == RunState::Running {
                    run.state = RunState::Paused;
                }
                run.step_requested = false;
                vec![run.progress(), run.snapshot_or_error()]
            }
            Command::Resume => {
                if run.state == RunState::Finished {
                    let id = run.id;
                    return vec![Event::Error {
                        run: Some(id),
                        message: "this run has finished: start a new one".to_string(),
                    }];
                }
                run.state = RunState::Running;
                run.rate_marks.clear();
                run.rate_marks.push_back((now_ms, run.samples));
                vec![run.progress()]
            }
            Command::Step => {
                if run.state == RunState::Finished {
                    let id = run.id;
                    return vec![Event::Error {
                        run: Some(id),
                        message: "this run has finished: start a new one".to_string(),
                    }];
                }
                if run.state == RunState::Running {
                    run.state = RunState::Paused;
                }
                // Carried out by the next slices, in pieces, so even a slow step leaves the
                // worker free to answer; a pending evaluation finishes first.
                run.step_requested = true;
                vec![run.progress()]
            }
            Command::SetHyperParameters { train } => {
                match run.trainer.set_hyper_parameters(train) {
                    Ok(()) => vec![run.progress()],
                    Err(e) => {
                        let id = run.id;
                        vec![Event::Error {
                            run: Some(id),
                            message: e.to_string(),
                        }]
                    }
                }
            }
            Command::SaveWeights => vec![run.snapshot_or_error()],
            Command::Start { .. } | Command::Reset | Command::Ping { .. } => {
                unreachable!("handled above")
            }
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
        if !(1..=1000).contains(&epochs) {
            return fail(format!(
                "{epochs} epochs cannot be trained: choose 1 to 1000"
            ));
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
        let mut run = Run {
            id,
            trainer,
            epochs,
            state: RunState::Running,
            step_requested: false,
            pending: Vec::new(),
            epoch_means: EpochMeans::default(),
            evaluating: None,
            rate_marks: VecDeque::from([(now_ms, 0)]),
            samples: 0,
            last_snapshot_ms: now_ms,
            snapshot_due: false,
            last_progress_ms: now_ms,
            progress_due: false,
            ms_per_digit: 0.0,
        };
        if run.trainer.epochs() >= epochs {
            run.state = RunState::Finished; // continued from the snapshot of a finished run
        }
        let events = vec![run.progress(), run.snapshot_or_error()];
        self.run = Some(run);
        events
    }

    /// Trains (or evaluates) until `budget_ms` has passed on `clock`, then returns the events
    /// to post: progress, epoch reports, snapshots, errors.
    pub fn slice(&mut self, clock: &dyn Fn() -> f64, budget_ms: f64) -> Vec<Event> {
        let mut events = Vec::new();
        let Some(data) = &self.data else {
            return events;
        };
        let Some(run) = self.run.as_mut() else {
            return events;
        };
        let start = clock();
        while clock() - start < budget_ms {
            if run.evaluating.is_some() {
                evaluate_chunk(run, data, &mut events);
                continue;
            }
            if run.state != RunState::Running && !run.step_requested {
                break;
            }
            let piece = piece_size(run.ms_per_digit, run.trainer.config().batch_size);
            let t0 = clock();
            let digits = train_piece(run, &mut events, piece);
            if digits > 0 {
                let per_digit = (clock() - t0) / digits as f64;
                run.ms_per_digit = if run.ms_per_digit > 0.0 {
                    0.8 * run.ms_per_digit + 0.2 * per_digit
                } else {
                    per_digit
                };
            }
        }
        let now = clock();
        run.rate_marks.push_back((now, run.samples));
        while run.rate_marks.len() > 2 && now - run.rate_marks[0].0 > RATE_WINDOW_MS {
            run.rate_marks.pop_front();
        }
        if run.progress_due
            || !run.pending.is_empty() && now - run.last_progress_ms >= PROGRESS_INTERVAL_MS
        {
            run.progress_due = false;
            run.last_progress_ms = now;
            events.push(run.progress());
        }
        if run.snapshot_due
            // Not while the test digits are scored: a snapshot counts the epoch as done, and one
            // taken before its report is sent could be continued from without that report.
            || run.state == RunState::Running
                && run.evaluating.is_none()
                && now - run.last_snapshot_ms >= SNAPSHOT_INTERVAL_MS
        {
            run.snapshot_due = false;
            run.last_snapshot_ms = now;
            events.push(run.snapshot_or_error());
        }
        events
    }
}

/// Evaluates the next chunk of test digits; at the end, reports the epoch and checks whether
/// the run is complete.
fn evaluate_chunk(run: &mut Run, data: &Split, events: &mut Vec<Event>) {
    let Some((evaluator, _)) = &mut run.evaluating else {
        return;
    };
    let done = evaluator.done();
    let len = EVAL_CHUNK.min(data.test.len() - done);
    if let Err(e) = evaluator.add(run.trainer.model(), &data.test, done, len) {
        events.push(Event::Error {
            run: Some(run.id),
            message: format!(
                "the test digits could not be evaluated after epoch {}: {e}",
                run.trainer.epochs()
            ),
        });
        run.evaluating = None;
        finish_epoch(run);
        return;
    }
    if evaluator.done() < data.test.len() {
        return;
    }
    let (evaluator, train) = run.evaluating.take().expect("evaluating");
    let eval = evaluator.finish();
    events.push(Event::Epoch {
        run: run.id,
        report: EpochReport {
            epoch: run.trainer.epochs(),
            train,
            test_neg_elbo: eval.neg_elbo,
            test_recon: eval.recon,
            test_kl: eval.kl,
            active_units: eval
                .kl_per_dim
                .iter()
                .filter(|&&k| k > ACTIVE_UNIT_NATS)
                .count(),
            kl_per_dim: eval.kl_per_dim,
        },
    });
    finish_epoch(run);
}

/// After an epoch's evaluation (or its failure): finish the run if that was the last epoch, and
/// send the news.
fn finish_epoch(run: &mut Run) {
    if run.trainer.epochs() >= run.epochs {
        run.state = RunState::Finished;
        run.step_requested = false;
    }
    run.snapshot_due = true;
    run.progress_due = true;
}

/// Digits per piece of a step: about [`PIECE_MS`] of work at the measured cost per digit, a
/// small first piece while there is no measurement yet, never more than the batch.
fn piece_size(ms_per_digit: f64, batch: usize) -> usize {
    if ms_per_digit > 0.0 {
        ((PIECE_MS / ms_per_digit) as usize).clamp(1, batch)
    } else {
        8.min(batch)
    }
}

/// Up to `piece` digits of training for `run`, and when that completes a step, its bookkeeping:
/// loss for the chart, epoch means, the start of an evaluation at an epoch's end, the end of a
/// requested single step. Stops the run at divergence. Returns the digits processed.
fn train_piece(run: &mut Run, events: &mut Vec<Event>, piece: usize) -> usize {
    match run.trainer.work(piece) {
        Ok(worked) => {
            if let Some(report) = worked.step {
                run.samples += report.samples;
                run.pending.push(StepLoss {
                    step: report.step,
                    loss: report.loss,
                });
                run.epoch_means.add(report.loss, report.samples);
                if report.position.last {
                    let train = run.epoch_means.take();
                    run.evaluating = Some((Evaluator::new(run.trainer.model()), train));
                }
                if run.step_requested {
                    run.step_requested = false;
                    if run.state == RunState::Diverged {
                        run.state = RunState::Paused;
                    }
                    run.snapshot_due = true;
                    run.progress_due = true;
                }
            }
            worked.digits
        }
        Err(error) => {
            // On divergence the trainer has already put the last good weights back.
            run.state = match error {
                TrainError::Diverged { .. } => RunState::Diverged,
                _ => RunState::Paused,
            };
            run.step_requested = false;
            run.snapshot_due = true;
            run.progress_due = true;
            events.push(Event::Error {
                run: Some(run.id),
                message: error.to_string(),
            });
            0
        }
    }
}

#[cfg(test)]
mod tests {
    use super::piece_size;

    #[test]
    fn pieces_are_sized_to_the_measured_cost_and_capped_by_the_batch() {
        assert_eq!(piece_size(0.0, 128), 8, "a small first piece to measure");
        assert_eq!(
            piece_size(0.25, 128),
            128,
            "a fast model does whole batches"
        );
        assert_eq!(piece_size(2.5, 128), 16, "a slow one does 40 ms pieces");
        assert_eq!(piece_size(500.0, 128), 1, "at least one digit");
        assert_eq!(piece_size(0.0, 4), 4);
    }
}
