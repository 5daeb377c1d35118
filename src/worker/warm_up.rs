//! Training's first second without the slow start: while the worker waits for Start, it trains
//! a throwaway copy of the default model for a moment (and a small model of its kind, whose
//! quick steps call the same functions more often), with its helper, and scores a few test
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

/// Wall time the warm-up trains for, in all. The engine compiles a function with its optimising
/// tier once it has run a while (a budget per function, spent as its code runs), so the
/// functions called once a step (the model's loss, the update, the step itself, the helper's
/// messages) get there only after some hundreds of steps. After a warm-up of 400 ms of the
/// default model they were compiled in a run's first seconds, taking a core from it (~0.2 s of
/// CPU, `--trace-wasm-compilation-times`, 2026-12-06); after 1.5 s of it, 45–49 of them still
/// were, ~0.25 s of compiling (`www/bench/tiering.mjs`, Start 2 s after Train enabled). Hence
/// [`PHASES`]: 21–28 and ~80 ms since.
const WARM_UP_MS: f64 = 1500.0;
/// The warm-up's parts, in order, each with the time into the warm-up when it ends: the default
/// model first (its kernels at their real shapes, the memory a run of it needs, and what a
/// digit of its steps costs, so that a run started meanwhile has it), then a small model of the
/// same kind at a small batch, whose steps call the same functions as the default model's many
/// times as often a second, so that those called once a step or once a piece get compiled.
/// (What a digit costs need not be fresh: a reference step takes far less than a piece's 40 ms
/// however it is timed, so its run does whole steps from the first.)
const PHASES: [(Phase, f64); 2] = [(Phase::Default, 300.0), (Phase::Small, WARM_UP_MS)];
/// Training images of the throwaway run: an epoch of four steps, so scoring comes up too.
const WARM_UP_IMAGES: usize = 512;
/// Test digits scored after each of its epochs: one chunk for each thread.
const WARM_UP_SCORED: usize = 2 * EVAL_CHUNK;

/// What a part of the warm-up trains.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Phase {
    /// The default model at the default batch.
    Default,
    /// The default model's kind and latent size with 32 hidden units, at a batch of 32: each
    /// thread's share still takes the sparse kernels (16 rows, at least `SPARSE_MIN_ROWS`).
    Small,
}

impl Phase {
    fn model(self) -> ModelConfig {
        let default = ModelConfig::default();
        match self {
            Phase::Default => default,
            Phase::Small => ModelConfig {
                hidden: 32,
                ..default
            },
        }
    }

    fn train(self) -> TrainConfig {
        match self {
            Phase::Default => TrainConfig::default(),
            Phase::Small => TrainConfig {
                batch_size: 32,
                ..TrainConfig::default()
            },
        }
    }
}

/// A throwaway run of the default model (and, for a while, of a small one) on a few of the
/// training images.
pub(super) struct WarmUp {
    trainer: Trainer,
    /// The part under way, an index into [`PHASES`].
    phase: usize,
    train: ImageSet,
    test: ImageSet,
    spent_ms: f64,
    /// What a digit of the default model's steps has recently cost (0 before the first).
    ms_per_digit: f64,
}

impl WarmUp {
    /// A warm-up on the first images of `data`, helped by `helper` when there is one; `None`
    /// when the data does not suit the default model (it is shaped for other images).
    pub(super) fn new(data: &Split, helper: Option<&HelperLink>) -> Option<Self> {
        let (phase, _) = PHASES[0];
        if data.train.shape() != phase.model().shape {
            return None;
        }
        let train = first(&data.train, WARM_UP_IMAGES);
        Some(Self {
            trainer: phase_trainer(phase, &train, helper)?,
            phase: 0,
            train,
            test: first(&data.test, WARM_UP_SCORED),
            spent_ms: 0.0,
            ms_per_digit: 0.0,
        })
    }

    /// Trains for up to `budget_ms` on `clock`, going on to the next part when one is over
    /// (with a helper from `helper`); returns whether the warm-up is over.
    pub(super) fn slice(
        &mut self,
        clock: &dyn Fn() -> f64,
        budget_ms: f64,
        helper: Option<&HelperLink>,
    ) -> bool {
        let start = clock();
        let budget = budget_ms.min(WARM_UP_MS - self.spent_ms);
        let mut over = false;
        while !over && clock() - start < budget {
            let (phase, ends_ms) = PHASES[self.phase];
            if self.spent_ms + (clock() - start) >= ends_ms {
                self.phase += 1;
                let Some(&(next, _)) = PHASES.get(self.phase) else {
                    over = true;
                    break;
                };
                // The last part's trainer (and its helper) goes before the next one links a
                // helper, as a run's does: the helper serves one trainer at a time.
                match phase_trainer(next, &self.train, None) {
                    Some(trainer) => {
                        self.trainer = trainer;
                        link_helper(&mut self.trainer, helper);
                    }
                    None => over = true,
                }
                continue;
            }
            let step_start = clock();
            over = match self.trainer.step() {
                Ok(report) => {
                    if phase == Phase::Default {
                        let ms = (clock() - step_start) / report.samples.max(1) as f64;
                        self.ms_per_digit = blend(self.ms_per_digit, ms);
                    }
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
        (self.ms_per_digit > 0.0).then_some(DigitCost {
            model: Phase::Default.model(),
            batch: Phase::Default.train().batch_size,
            ms: self.ms_per_digit,
        })
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

/// A trainer of `phase`'s model on `train`, helped by a helper from `helper` when there is one.
fn phase_trainer(phase: Phase, train: &ImageSet, helper: Option<&HelperLink>) -> Option<Trainer> {
    let settings = phase.train();
    let model = Model::new(phase.model(), &mut init_rng(settings.seed)).ok()?;
    let mut trainer = Trainer::new(model, train.clone(), settings).ok()?;
    link_helper(&mut trainer, helper);
    Some(trainer)
}

/// Gives `trainer` a helper from `helper`, when there is one.
fn link_helper(trainer: &mut Trainer, helper: Option<&HelperLink>) {
    let batch = trainer.config().batch_size;
    if let Some(helper) = helper.and_then(|link| link(trainer.model(), batch)) {
        trainer.set_helper(helper);
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

#[cfg(test)]
mod tests {
    use std::cell::Cell;

    use super::*;
    use crate::ml::rng::Rng;

    /// `count` digit-sized images of noise, a fifth of the pixels inked, split as the digits are.
    fn noise_digits(count: usize) -> Split {
        let mut rng = Rng::new(5);
        let shape = ModelConfig::default().shape;
        let values = (0..count * shape.values())
            .map(|_| match rng.uniform(0.0, 1.0) < 0.2 {
                true => rng.uniform(0.5, 1.0),
                false => 0.0,
            })
            .collect();
        ImageSet::of_shape(shape, values, vec![0; count]).split()
    }

    /// A clock that moves a millisecond each time it is read.
    fn ticking() -> impl Fn() -> f64 {
        let now = Cell::new(0.0);
        move || {
            now.set(now.get() + 1.0);
            now.get()
        }
    }

    #[test]
    fn the_warm_up_trains_each_part_in_turn_and_keeps_the_default_models_digit_cost() {
        let clock = ticking();
        let mut warm = WarmUp::new(&noise_digits(160), None).expect("digit-sized data");
        let mut models = vec![warm.trainer.model().config()];
        let mut slices = 0;
        while !warm.slice(&clock, 20.0, None) {
            let model = warm.trainer.model().config();
            if models.last() != Some(&model) {
                models.push(model);
            }
            slices += 1;
            assert!(slices < 1000, "the warm-up ends by itself");
        }
        let small = Phase::Small.model();
        assert_eq!(
            models,
            [ModelConfig::default(), small],
            "the default model, then the small one"
        );
        assert_eq!(warm.phase, PHASES.len() - 1, "it ended in its last part");
        let cost = warm
            .digit_cost()
            .expect("the default model's steps were timed");
        assert_eq!((cost.model, cost.batch), (ModelConfig::default(), 128));
    }

    #[test]
    fn a_warm_up_ended_in_its_small_part_still_tells_what_a_default_digit_costs() {
        let clock = ticking();
        let mut warm = WarmUp::new(&noise_digits(160), None).expect("digit-sized data");
        while warm.trainer.model().config() == ModelConfig::default() {
            assert!(
                !warm.slice(&clock, 5.0, None),
                "the warm-up is not over yet"
            );
        }
        let cost = warm
            .digit_cost()
            .expect("the first part timed the default model");
        assert_eq!(cost.model, ModelConfig::default());
        assert_eq!(cost.batch, TrainConfig::default().batch_size);
    }
}
