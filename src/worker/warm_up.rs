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
//! leaves is what a digit of the default model's steps cost ([`DigitCost`], timed in its first
//! part): a run of the default model then does its first steps whole instead of in small
//! pieces sized as they are timed (which changes only the rounding of those steps' sums of
//! gradients).

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
/// CPU, `--trace-wasm-compilation-times`, 2026-12-06); after 1.5 s of it, 46–49 of them still
/// were, 0.2–0.28 s of compiling (`www/bench/tiering.mjs`, Start 2 s after Train enabled).
/// Hence [`PHASES`]: 20–32 and 61–159 ms since. The warm-up ends at this time, in whichever
/// part.
const WARM_UP_MS: f64 = 1500.0;
/// The warm-up's parts, in order, each with the time into the warm-up when it starts: the
/// default model first (its kernels at their real shapes, the memory a run of it needs, and what a
/// digit of its steps costs, so that a run started meanwhile has it), then a small model of the
/// same kind at a small batch, whose steps call the same functions as the default model's many
/// times as often a second, so that those called once a step or once a piece get compiled.
/// (What a digit costs need not be fresh: a reference step takes far less than a piece's 40 ms
/// however it is timed, so its run does whole steps from the first.)
const PHASES: [(Phase, f64); 2] = [(Phase::Default, 0.0), (Phase::Small, 300.0)];
/// Training images of the throwaway run: an epoch of four steps, so scoring comes up too.
const WARM_UP_IMAGES: usize = 512;
/// Test digits scored after each of its epochs: one chunk for each thread.
const WARM_UP_SCORED: usize = 2 * EVAL_CHUNK;

/// What a part of the warm-up trains.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Phase {
    /// The default model at the default batch.
    Default,
    /// The default model's kind and latent size with 32 hidden units, at a batch of 64: each
    /// thread's share (32 rows with the threaded build's halves, 29–32 at the copying helper's
    /// usual balance) takes the same routes as the default model's: sparse products forward
    /// (`SPARSE_MIN_ROWS` is 8), and sparse weight gradients, which under ~19 rows the two
    /// ReLU-fed layers would take densely (`weight_grad::dense_is_cheaper`; a test below pins
    /// the halves). Batches of 32 took the dense route for those two.
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

    fn settings(self) -> TrainConfig {
        match self {
            Phase::Default => TrainConfig::default(),
            Phase::Small => TrainConfig {
                batch_size: 64,
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
    /// The images each part's trainer steps through (the first [`WARM_UP_IMAGES`]).
    train: ImageSet,
    test: ImageSet,
    spent_ms: f64,
    /// What a digit of the default model's steps has recently cost, once one was timed.
    digit_cost: Option<DigitCost>,
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
        let mut trainer = phase_trainer(phase, &train)?;
        link_helper(&mut trainer, helper);
        Some(Self {
            trainer,
            phase: 0,
            train,
            test: first(&data.test, WARM_UP_SCORED),
            spent_ms: 0.0,
            digit_cost: None,
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
            let next = PHASES.get(self.phase + 1);
            if let Some(&(next, _)) = next.filter(|(_, at)| self.spent_ms + clock() - start >= *at)
            {
                self.phase += 1;
                // The last part's trainer (and its helper) goes before the next one links a
                // helper, as a run's does: the helper serves one trainer at a time. A model that
                // cannot be built (it could not fit in memory) ends the warm-up: so would a run.
                match phase_trainer(next, &self.train) {
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
                    if PHASES[self.phase].0 == Phase::Default {
                        let ms = (clock() - step_start) / report.samples.max(1) as f64;
                        let before = self.digit_cost.map_or(0.0, |c| c.ms);
                        self.digit_cost = DigitCost::measured(&self.trainer, blend(before, ms));
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
        self.digit_cost
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

/// A trainer of `phase`'s model on `train`, without a helper yet ([`link_helper`]).
fn phase_trainer(phase: Phase, train: &ImageSet) -> Option<Trainer> {
    let settings = phase.settings();
    let model = Model::new(phase.model(), &mut init_rng(settings.seed)).ok()?;
    Trainer::new(model, train.clone(), settings).ok()
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
        let mut cost_when_small = None;
        let mut slices = 0;
        while !warm.slice(&clock, 20.0, None) {
            let model = warm.trainer.model().config();
            if models.last() != Some(&model) {
                models.push(model);
                // Start pressed now would find the first part's cost...
                cost_when_small = warm.digit_cost();
                assert!(cost_when_small.is_some(), "the first part timed its steps");
            }
            slices += 1;
            assert!(slices < 1000, "the warm-up ends by itself");
        }
        assert_eq!(
            models,
            [ModelConfig::default(), Phase::Small.model()],
            "the default model, then the small one"
        );
        // ...and so does Start pressed at the end: the small model's steps are not its cost.
        let cost = warm
            .digit_cost()
            .expect("the default model's steps were timed");
        assert_eq!(Some(cost), cost_when_small);
        let default_run = (ModelConfig::default(), TrainConfig::default().batch_size);
        assert_eq!((cost.model, cost.batch), default_run);
    }

    #[test]
    fn the_small_parts_shares_take_the_default_models_sparse_weight_gradients() {
        use crate::ml::model::dense_is_cheaper;
        // Rows of a thread's share, for the small part and for the default model.
        let halves = [
            (Phase::Small, Phase::Small.settings().batch_size / 2),
            (Phase::Default, Phase::Default.settings().batch_size / 2),
        ];
        for (phase, rows) in halves {
            let config = phase.model();
            let (pixels, hidden) = (config.shape.values(), config.hidden);
            // (inputs, outputs, share of the inputs not zero): the encoder's first layer on
            // digits (a fifth inked), its heads and the decoder's output layer on ReLUs (half on).
            let layers = [
                (pixels, hidden, 0.2),
                (hidden, 2 * config.latent, 0.5),
                (hidden, pixels, 0.5),
            ];
            for (inputs, outputs, on) in layers {
                let non_zeros = (on * (rows * inputs) as f64) as usize;
                assert!(
                    !dense_is_cheaper(rows, outputs, inputs, non_zeros),
                    "{phase:?}: {rows} rows of {inputs} → {outputs} would go dense"
                );
            }
        }
    }
}
