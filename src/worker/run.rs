//! One training run in the worker: its trainer, where it stands, and the work of a slice
//! (pieces of steps, chunks of evaluation) with the events that report it. [`super::runner`]
//! starts runs and hands them commands.

use std::collections::VecDeque;

mod epoch_end;

use super::pieces::{blend, piece_size, DigitCost};
use super::runner::HelperLink;
use crate::ml::checkpoint::{self, Precision};
use crate::ml::data::Split;
use crate::ml::eval::Evaluator;
use crate::ml::loss::{LossMeans, LossValues};
use crate::ml::run_notes::{RunNotes, TrainedBy};
use crate::ml::train::{TrainConfig, TrainError, Trainer};
use crate::protocol::{Event, Progress, RunState, StepLoss};
use crate::ui_logic::error_words::Worded;
use crate::ui_logic::said::Said;

/// Weight snapshots go to the page at most this often while running, each with a progress
/// event ([`PROGRESS_INTERVAL_MS`]: every second one)...
const SNAPSHOT_INTERVAL_MS: f64 = 2.0 * PROGRESS_INTERVAL_MS;
/// ...and, for a large model, no more often than keeps their cost (writing the checkpoint and
/// posting its bytes, both in proportion to the parameters) under this share of the worker's
/// time: a 64×64 colour MLP-VAE's 40 MB snapshot took ~37 ms, a tenth of its time at one per
/// 400 ms, while the digits models' take 1–3 ms.
const SNAPSHOT_SHARE: f64 = 0.02;
/// Progress events go out about this often while running (each redraws the charts).
const PROGRESS_INTERVAL_MS: f64 = 250.0;
/// Throughput is measured over this recent window.
const RATE_WINDOW_MS: f64 = 3000.0;

/// A run: the trainer and its model, the plan, where it stands, and what the page has yet to
/// hear about it.
pub(super) struct Run {
    id: u64,
    trainer: Trainer,
    /// The dataset's name, for the snapshots' notes; `None` for the built-in digits.
    dataset: Option<String>,
    epochs: usize,
    state: RunState,
    /// A Step command is being carried out (in pieces, like training).
    step_requested: bool,
    pending: Vec<StepLoss>,
    /// Mean training loss of the epoch in progress.
    epoch_means: LossMeans,
    /// Set between an epoch's last step and its evaluation's end.
    evaluating: Option<(Evaluator, LossValues)>,
    /// (time, samples so far) samples for the throughput estimate.
    rate_marks: VecDeque<(f64, usize)>,
    samples: usize,
    last_snapshot_ms: f64,
    snapshot_due: bool,
    /// What the last snapshot cost the worker (written, then posted: [`Run::snapshot_posted`]).
    snapshot_cost_ms: f64,
    last_progress_ms: f64,
    progress_due: bool,
    /// Recent cost of one digit's forward and backward pass, to size the pieces of a step.
    ms_per_digit: f64,
}

impl Run {
    /// A run of `trainer` for `epochs`, started (or continued) at `now_ms`; `dataset` names its
    /// data in the snapshots' notes (`None`: the built-in digits); `cost` is what a digit of
    /// this model was last measured to cost, if it was.
    pub(super) fn new(
        id: u64,
        trainer: Trainer,
        dataset: Option<String>,
        epochs: usize,
        now_ms: f64,
        cost: Option<DigitCost>,
    ) -> Self {
        let (model, batch) = (trainer.model().config(), trainer.config().batch_size);
        let ms_per_digit = cost.and_then(|c| c.for_run(model, batch)).unwrap_or(0.0);
        let mut run = Run {
            id,
            trainer,
            dataset,
            epochs,
            state: RunState::Running,
            step_requested: false,
            pending: Vec::new(),
            epoch_means: LossMeans::default(),
            evaluating: None,
            rate_marks: VecDeque::from([(now_ms, 0)]),
            samples: 0,
            last_snapshot_ms: now_ms,
            snapshot_due: false,
            snapshot_cost_ms: 0.0,
            last_progress_ms: now_ms,
            progress_due: false,
            ms_per_digit,
        };
        if run.trainer.epochs() >= epochs {
            run.state = RunState::Finished; // continued from the snapshot of a finished run
        }
        run
    }

    /// Gives this run the helper `link` makes now, if it makes one; returns whether it did.
    pub(super) fn take_helper(&mut self, link: &HelperLink) -> bool {
        let batch = self.trainer.config().batch_size;
        match link(self.trainer.model(), batch) {
            Some(helper) => {
                self.trainer.set_helper(helper);
                true
            }
            None => false,
        }
    }

    /// What a digit of this run's steps has recently cost, once measured.
    pub(super) fn digit_cost(&self) -> Option<DigitCost> {
        DigitCost::measured(&self.trainer, self.ms_per_digit)
    }

    pub(super) fn state(&self) -> RunState {
        self.state
    }

    fn samples_per_sec(&self) -> f64 {
        match (self.rate_marks.front(), self.rate_marks.back()) {
            (Some(&(t0, s0)), Some(&(t1, s1))) if t1 > t0 => {
                (s1 - s0) as f64 / ((t1 - t0) / 1000.0)
            }
            _ => 0.0,
        }
    }

    pub(super) fn is_busy(&self) -> bool {
        self.state == RunState::Running || self.step_requested || self.evaluating.is_some()
    }

    pub(super) fn progress(&mut self) -> Event {
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

    fn snapshot(&self) -> Result<Event, Said> {
        let notes = RunNotes {
            train: self.trainer.config(),
            epochs: self.trainer.epochs(),
            steps: Some(self.trainer.steps()),
            test_neg_elbo: None,
            dataset: self.dataset.clone(),
            trained_by: TrainedBy::WebWorker,
        }
        .to_metadata();
        let weights =
            checkpoint::save(self.trainer.model(), Precision::F32, &notes).map_err(|e| e.said())?;
        Ok(Event::Snapshot {
            run: self.id,
            step: self.trainer.steps(),
            epochs_done: self.trainer.epochs(),
            step_in_epoch: self.trainer.steps_in_epoch(),
            weights,
        })
    }

    /// How long to wait between two snapshots while running: [`SNAPSHOT_INTERVAL_MS`], or
    /// longer for a model whose snapshots cost more than [`SNAPSHOT_SHARE`] of the time.
    fn snapshot_interval_ms(&self) -> f64 {
        SNAPSHOT_INTERVAL_MS.max(self.snapshot_cost_ms / SNAPSHOT_SHARE)
    }

    /// The host took `ms` to post the snapshot this run's last slice returned: part of its cost.
    pub(super) fn snapshot_posted(&mut self, ms: f64) {
        self.snapshot_cost_ms += ms;
    }

    pub(super) fn snapshot_or_error(&self) -> Event {
        self.snapshot().unwrap_or_else(|message| Event::Error {
            run: Some(self.id),
            message,
        })
    }

    fn error(&self, message: Said) -> Event {
        Event::Error {
            run: Some(self.id),
            message,
        }
    }

    pub(super) fn pause(&mut self) -> Vec<Event> {
        if self.state == RunState::Running {
            self.state = RunState::Paused;
        }
        self.step_requested = false;
        vec![self.progress(), self.snapshot_or_error()]
    }

    /// Why a finished run cannot take another step.
    fn finished_error(&self) -> Event {
        self.error(Said::new(
            "this run has finished: start a new one",
            "这次训练已经结束：请开始新的训练",
        ))
    }

    pub(super) fn resume(&mut self, now_ms: f64) -> Vec<Event> {
        if self.state == RunState::Finished {
            return vec![self.finished_error()];
        }
        self.state = RunState::Running;
        self.rate_marks.clear();
        self.rate_marks.push_back((now_ms, self.samples));
        vec![self.progress()]
    }

    pub(super) fn step(&mut self) -> Vec<Event> {
        if self.state == RunState::Finished {
            return vec![self.finished_error()];
        }
        if self.state == RunState::Running {
            self.state = RunState::Paused;
        }
        // Carried out by the next slices, in pieces, so even a slow step leaves the worker free
        // to answer; a pending evaluation finishes first.
        self.step_requested = true;
        vec![self.progress()]
    }

    pub(super) fn set_hyper_parameters(&mut self, train: TrainConfig) -> Vec<Event> {
        match self.trainer.set_hyper_parameters(train) {
            Ok(()) => vec![self.progress()],
            Err(e) => vec![self.error(e.said())],
        }
    }

    /// Trains (or evaluates) until `budget_ms` has passed on `clock`, then returns the events
    /// to post: progress, epoch reports, snapshots, errors.
    pub(super) fn slice(
        &mut self,
        data: &Split,
        clock: &dyn Fn() -> f64,
        budget_ms: f64,
    ) -> Vec<Event> {
        let mut events = Vec::new();
        let run = self;
        let start = clock();
        while clock() - start < budget_ms {
            if run.evaluating.is_some() {
                epoch_end::evaluate_chunk(run, data, &mut events);
                continue;
            }
            if run.state != RunState::Running && !run.step_requested {
                break;
            }
            let (batch, parameters) = (
                run.trainer.config().batch_size,
                run.trainer.model().parameter_count(),
            );
            let piece = piece_size(run.ms_per_digit, batch, parameters);
            let t0 = clock();
            let digits = train_piece(run, &mut events, piece);
            if digits > 0 {
                run.ms_per_digit = blend(run.ms_per_digit, (clock() - t0) / digits as f64);
            }
        }
        let now = clock();
        run.rate_marks.push_back((now, run.samples));
        while run.rate_marks.len() > 2 && now - run.rate_marks[0].0 > RATE_WINDOW_MS {
            run.rate_marks.pop_front();
        }
        let progress_now = run.progress_due
            || !run.pending.is_empty() && now - run.last_progress_ms >= PROGRESS_INTERVAL_MS;
        if progress_now {
            run.progress_due = false;
            run.last_progress_ms = now;
            events.push(run.progress());
        }
        if run.snapshot_due
            // A snapshot waits for the next progress event, so that the page takes both in one
            // frame: each message at its own moment cost the page a frame (~9 ms of its thread
            // and ~8 ms of the compositor's in headless Chromium), which on two cores comes out
            // of the training threads. Not while the test digits are scored: a snapshot counts
            // the epoch as done, and one taken before its report is sent could be continued
            // from without that report.
            || progress_now
                && run.state == RunState::Running
                && run.evaluating.is_none()
                && now - run.last_snapshot_ms >= run.snapshot_interval_ms()
        {
            run.snapshot_due = false;
            run.last_snapshot_ms = now;
            events.push(run.snapshot_or_error());
            run.snapshot_cost_ms = clock() - now;
        }
        events
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
                    let train = std::mem::take(&mut run.epoch_means).mean();
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
                TrainError::Config(_)
                | TrainError::NoData
                | TrainError::WrongShape { .. }
                | TrainError::AlreadyStarted
                | TrainError::Candle(_) => RunState::Paused,
            };
            run.step_requested = false;
            run.snapshot_due = true;
            run.progress_due = true;
            events.push(run.error(error.said()));
            0
        }
    }
}
