//! Training's first second without the slow start: while the worker waits for Start, it trains
//! a throwaway copy of the default model for a moment, with its helper, and scores a few test
//! digits, then drops it.
//!
//! Why: a fresh page's first run spent its first epoch at about half the speed of the rest
//! (the engine compiles the training code with its optimising tier only once that code has run
//! a while, in both threads, and the memory a run needs is grown on the way); a second run in
//! the same page finished the reference run ~0.5 s sooner. Doing that work before Start, once
//! the built-in digits are in and the page has shown its first digit, moves it out of the time
//! a person waits. Nothing of it is reported, it uses its own random generators, and any
//! command from the page but a ping or its language ends it, so a run started meanwhile trains
//! on the same batches and noise from the same weights as the run started without it. All it
//! leaves is what a digit of its steps cost ([`DigitCost`]): a run of the default model then
//! does its first steps whole instead of in small pieces sized as they are timed (which
//! changes only the rounding of those steps' sums of gradients).

use super::pieces::{blend, DigitCost};
use super::runner::HelperLink;
use crate::ml::data::{ImageSet, Split};
use crate::ml::eval::{Evaluator, EVAL_CHUNK};
use crate::ml::model::{Model, ModelConfig};
use crate::ml::train::{init_rng, TrainConfig, Trainer};

/// Wall time the warm-up trains for, in all (a few hundred steps of the default model). The
/// engine compiles a function with its optimising tier once it has run a while, and the
/// functions called once a step (the model's loss, the update, candle's backward) got there
/// only in a run's first seconds after a warm-up of 400 ms, their compiling taking a core from
/// the run (~0.2 s of CPU, `--trace-wasm-compilation-times`, 2026-12-06). Whoever looks at the
/// page for a second and a half before Start now finds them compiled.
const WARM_UP_MS: f64 = 1500.0;
/// Training images of the throwaway run: an epoch of four steps, so scoring comes up too.
const WARM_UP_IMAGES: usize = 512;
/// Test digits scored after each of its epochs: one chunk for each thread.
const WARM_UP_SCORED: usize = 2 * EVAL_CHUNK;

/// A throwaway run of the default model on a few of the training images.
pub(super) struct WarmUp {
    trainer: Trainer,
    test: ImageSet,
    spent_ms: f64,
    /// What a digit of its steps has recently cost (0 before the first).
    ms_per_digit: f64,
}

impl WarmUp {
    /// A warm-up on the first images of `data`, helped by `helper` when there is one; `None`
    /// when the data does not suit the default model (it is shaped for other images).
    pub(super) fn new(data: &Split, helper: Option<&HelperLink>) -> Option<Self> {
        let config = ModelConfig::default();
        let train = TrainConfig::default();
        if data.train.shape() != config.shape {
            return None;
        }
        let model = Model::new(config, &mut init_rng(train.seed)).ok()?;
        let mut trainer = Trainer::new(model, first(&data.train, WARM_UP_IMAGES), train).ok()?;
        if let Some(helper) = helper.and_then(|link| link(trainer.model(), train.batch_size)) {
            trainer.set_helper(helper);
        }
        Some(Self {
            trainer,
            test: first(&data.test, WARM_UP_SCORED),
            spent_ms: 0.0,
            ms_per_digit: 0.0,
        })
    }

    /// Trains for up to `budget_ms` on `clock`; returns whether the warm-up is over.
    pub(super) fn slice(&mut self, clock: &dyn Fn() -> f64, budget_ms: f64) -> bool {
        let start = clock();
        let budget = budget_ms.min(WARM_UP_MS - self.spent_ms);
        let mut over = false;
        while !over && clock() - start < budget {
            let step_start = clock();
            over = match self.trainer.step() {
                Ok(report) => {
                    let ms = (clock() - step_start) / report.samples.max(1) as f64;
                    self.ms_per_digit = blend(self.ms_per_digit, ms);
                    report.position.last && self.score().is_err()
                }
                Err(_) => true,
            };
        }
        self.spent_ms += clock() - start;
        over || self.spent_ms >= WARM_UP_MS
    }

    /// What a digit of the default model's steps cost here, once a step was timed: a run of
    /// that model then starts with pieces of the right size (see [`DigitCost`]).
    pub(super) fn digit_cost(&self) -> Option<DigitCost> {
        DigitCost::measured(&self.trainer, self.ms_per_digit)
    }

    /// Scores the few test digits kept, as an epoch's end does.
    fn score(&mut self) -> candle_core::Result<()> {
        let mut evaluator = Evaluator::new(self.trainer.model());
        while !self
            .trainer
            .evaluate_next(&mut evaluator, &self.test, EVAL_CHUNK)?
        {}
        Ok(())
    }
}

/// The first `n` images of `set` (all of them if it has fewer).
fn first(set: &ImageSet, n: usize) -> ImageSet {
    let n = n.min(set.len());
    ImageSet::of_shape(
        set.shape(),
        set.images(0..n).to_vec(),
        set.labels()[..n].to_vec(),
    )
}
