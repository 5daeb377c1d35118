//! The trainer: Adam over one model and one training set, a step at a time, with a guard that
//! undoes a step that made the loss non-finite.
//!
//! One step draws the next shuffled mini-batch, draws reparameterisation noise from the trainer's
//! own seeded generator, computes recon + β·KL, backpropagates and updates the parameters. The
//! trainer never reads a clock (there is none in plain wasm); callers time it.

use candle_core::backprop::GradStore;
use candle_core::{Device, Tensor, Var};
use candle_nn::{AdamW, Optimizer, ParamsAdamW};
use serde::{Deserialize, Serialize};

use crate::ml::batches::{BatchPosition, EpochOrder};
use crate::ml::data::Digits;
use crate::ml::loss::LossValues;
use crate::ml::model::Model;
use crate::ml::rng::Rng;

/// Hyper-parameters of training (the model's own sizes live in its `ModelConfig`).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct TrainConfig {
    /// Adam's step size.
    pub learning_rate: f64,
    /// Digits per step.
    pub batch_size: usize,
    /// Weight of the KL term: 1 is the ELBO, more pushes codes towards the prior.
    pub beta: f64,
    /// Fixes the data order and the reparameterisation noise.
    pub seed: u64,
}

impl Default for TrainConfig {
    /// The reference setting: Adam 1e-3, batch 128, β = 1.
    fn default() -> Self {
        Self {
            learning_rate: 1e-3,
            batch_size: 128,
            beta: 1.0,
            seed: 0,
        }
    }
}

/// Hyper-parameters that cannot be used, with the range that can.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum TrainConfigError {
    #[error("a learning rate of {0} cannot be used: choose a number above 0 and at most 10 (1e-3 is a good start)")]
    LearningRate(f64),
    #[error("a batch size of {0} cannot be used: choose 1 to 1024 (128 is a good start)")]
    BatchSize(usize),
    #[error("a β of {0} cannot be used: choose 0 to 1000 (1 gives the ELBO)")]
    Beta(f64),
}

impl TrainConfig {
    pub fn validate(&self) -> Result<(), TrainConfigError> {
        if !(self.learning_rate > 0.0 && self.learning_rate <= 10.0) {
            return Err(TrainConfigError::LearningRate(self.learning_rate));
        }
        if !(1..=1024).contains(&self.batch_size) {
            return Err(TrainConfigError::BatchSize(self.batch_size));
        }
        if !(0.0..=1000.0).contains(&self.beta) {
            return Err(TrainConfigError::Beta(self.beta));
        }
        Ok(())
    }
}

/// Why a step did not complete.
#[derive(Debug, thiserror::Error)]
pub enum TrainError {
    #[error("training diverged at step {step}: the loss became {loss_text}. The weights from before that step were restored and the optimiser was reset; lower the learning rate (1e-3 is safe) or β, then resume.", loss_text = describe(.loss))]
    Diverged { step: usize, loss: LossValues },
    #[error("{0}")]
    Config(#[from] TrainConfigError),
    #[error("the computation failed: {0}")]
    Candle(#[from] candle_core::Error),
}

fn describe(loss: &LossValues) -> String {
    let v = [loss.total, loss.recon, loss.kl];
    if v.iter().any(|x| x.is_nan()) {
        "NaN (not a number)".to_string()
    } else {
        "infinite".to_string()
    }
}

/// What one step did.
#[derive(Debug, Clone, PartialEq)]
pub struct StepReport {
    /// Steps completed so far, this one included.
    pub step: usize,
    pub position: BatchPosition,
    pub batches_per_epoch: usize,
    /// Digits in this step's batch.
    pub samples: usize,
    /// The batch's loss, measured before the update.
    pub loss: LossValues,
}

/// Averages over one epoch of steps.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct EpochSummary {
    pub epoch: usize,
    pub steps: usize,
    pub samples: usize,
    /// Sample-weighted mean of the steps' losses.
    pub loss: LossValues,
}

/// Copies of the parameters as they were before the last successful update.
struct LastGood {
    pairs: Vec<(Var, Var)>,
}

impl LastGood {
    fn new(model: &Model) -> candle_core::Result<Self> {
        let data = model
            .vars()
            .data()
            .lock()
            .expect("the VarMap lock is never poisoned");
        let pairs = data
            .values()
            .map(|var| Ok((var.clone(), Var::from_tensor(&var.as_tensor().copy()?)?)))
            .collect::<candle_core::Result<_>>()?;
        Ok(Self { pairs })
    }

    fn remember(&self) -> candle_core::Result<()> {
        self.pairs
            .iter()
            .try_for_each(|(live, copy)| copy.set(live.as_tensor()))
    }

    fn restore(&self) -> candle_core::Result<()> {
        self.pairs
            .iter()
            .try_for_each(|(live, copy)| live.set(copy.as_tensor()))
    }
}

/// A mini-batch partly worked through (see [`Trainer::work`]).
struct PendingStep {
    indices: Vec<usize>,
    position: BatchPosition,
    /// Digits of the batch done so far.
    done: usize,
    /// Gradients accumulated so far.
    grads: Option<GradStore>,
    /// Sums over the digits done of the loss, reconstruction and KL.
    sums: [f64; 3],
}

pub struct Trainer {
    model: Model,
    /// The model's parameters, in one fixed order, for accumulating gradients.
    vars: Vec<Var>,
    optimizer: AdamW,
    config: TrainConfig,
    data: Digits,
    order: EpochOrder,
    noise: Rng,
    last_good: LastGood,
    steps: usize,
    pending: Option<PendingStep>,
}

/// The generator that initialises a model for training seed `seed`. Model initialisation, batch
/// order and noise are three separate streams forked from one seed, so one number fixes a run.
pub fn init_rng(seed: u64) -> Rng {
    Rng::new(seed).fork()
}

fn adam(model: &Model, learning_rate: f64) -> candle_core::Result<AdamW> {
    let params = ParamsAdamW {
        lr: learning_rate,
        weight_decay: 0.0,
        ..Default::default()
    };
    AdamW::new(model.vars().all_vars(), params)
}

impl Trainer {
    /// A trainer for `model` on `data` (the training split). The seed in `config` fixes the
    /// batch order and the noise; the model's own initialisation was fixed when it was made.
    pub fn new(model: Model, data: Digits, config: TrainConfig) -> Result<Self, TrainError> {
        config.validate()?;
        let mut rng = Rng::new(config.seed);
        let _init = rng.fork(); // the stream `init_rng` hands out
        let order = EpochOrder::new(data.len(), config.batch_size, rng.fork());
        let noise = rng.fork();
        Ok(Self {
            optimizer: adam(&model, config.learning_rate)?,
            last_good: LastGood::new(&model)?,
            vars: model.vars().all_vars(),
            pending: None,
            model,
            config,
            data,
            order,
            noise,
            steps: 0,
        })
    }

    pub fn model(&self) -> &Model {
        &self.model
    }

    /// Gives the model back, ending training.
    pub fn into_model(self) -> Model {
        self.model
    }

    pub fn config(&self) -> TrainConfig {
        self.config
    }

    /// Steps completed so far.
    pub fn steps(&self) -> usize {
        self.steps
    }

    /// Epochs completed so far.
    pub fn epochs(&self) -> usize {
        self.order.epoch()
    }

    pub fn batches_per_epoch(&self) -> usize {
        self.order.batches_per_epoch()
    }

    /// Changes learning rate, β and batch size from the next step on (the seed is fixed at start).
    pub fn set_hyper_parameters(&mut self, config: TrainConfig) -> Result<(), TrainConfigError> {
        config.validate()?;
        self.optimizer.set_learning_rate(config.learning_rate);
        self.order.set_batch_size(config.batch_size);
        self.config = TrainConfig {
            seed: self.config.seed,
            ..config
        };
        Ok(())
    }

    /// One optimisation step on the next mini-batch.
    ///
    /// If the loss is not finite, nothing is updated: the parameters are put back to what they
    /// were before the previous update (the last ones that gave a finite loss), Adam's moments
    /// are reset, and [`TrainError::Diverged`] says so.
    pub fn step(&mut self) -> Result<StepReport, TrainError> {
        loop {
            if let Some(report) = self.work(usize::MAX)? {
                return Ok(report);
            }
        }
    }

    /// Works through at most `max_samples` digits of the current mini-batch, accumulating their
    /// gradients; when the batch is complete, applies the update and reports the step.
    ///
    /// A step done in several calls equals one done at once (same digits, same noise, the
    /// gradient of the same per-digit mean), up to floating-point rounding. The worker uses this
    /// to keep each slice of work short however slow a whole step is.
    pub fn work(&mut self, max_samples: usize) -> Result<Option<StepReport>, TrainError> {
        if self.pending.is_none() {
            let (indices, position) = self.order.next_batch();
            self.pending = Some(PendingStep {
                indices,
                position,
                done: 0,
                grads: None,
                sums: [0.0; 3],
            });
        }
        let pending = self.pending.as_mut().expect("set above");
        let batch = pending.indices.len();
        let end = (pending.done + max_samples.max(1)).min(batch);
        let chunk = &pending.indices[pending.done..end];
        let x = self.data.batch(chunk)?;
        let noise = if self.model.config().kind.is_variational() {
            let shape = (chunk.len(), self.model.config().latent);
            let values = self.noise.normal_vec(shape.0 * shape.1);
            Some(Tensor::from_vec(values, shape, &Device::Cpu)?)
        } else {
            None
        };
        let parts = self
            .model
            .terms(&x, noise.as_ref())?
            .loss(self.config.beta)?;
        let loss = parts.values()?;
        if !loss.is_finite() {
            self.pending = None;
            self.last_good.restore()?;
            self.optimizer = adam(&self.model, self.config.learning_rate)?;
            return Err(TrainError::Diverged {
                step: self.steps + 1,
                loss,
            });
        }
        // This chunk's share of the batch mean: its own mean weighted by its size.
        let share = chunk.len() as f64 / batch as f64;
        let grads = if share == 1.0 {
            parts.total.backward()?
        } else {
            (&parts.total * share)?.backward()?
        };
        pending.grads = Some(match pending.grads.take() {
            None => grads,
            Some(mut sum) => {
                for var in self.vars.iter() {
                    if let Some(g) = grads.get(var) {
                        let total = match sum.get(var) {
                            Some(s) => (s + g)?,
                            None => g.clone(),
                        };
                        sum.insert(var, total);
                    }
                }
                sum
            }
        });
        for (sum, part) in pending
            .sums
            .iter_mut()
            .zip([loss.total, loss.recon, loss.kl])
        {
            *sum += part as f64 * chunk.len() as f64;
        }
        pending.done = end;
        if end < batch {
            return Ok(None);
        }
        let done = self.pending.take().expect("pending step");
        self.last_good.remember()?;
        self.optimizer
            .step(&done.grads.expect("at least one chunk"))?;
        self.steps += 1;
        let mean = |i: usize| (done.sums[i] / batch as f64) as f32;
        Ok(Some(StepReport {
            step: self.steps,
            position: done.position,
            batches_per_epoch: self.order.batches_per_epoch(),
            samples: batch,
            loss: LossValues {
                total: mean(0),
                recon: mean(1),
                kl: mean(2),
            },
        }))
    }

    /// Steps until the current epoch ends.
    pub fn train_epoch(&mut self) -> Result<EpochSummary, TrainError> {
        let (mut steps, mut samples) = (0, 0);
        let mut sums = [0f64; 3];
        loop {
            let report = self.step()?;
            steps += 1;
            samples += report.samples;
            let w = report.samples as f64;
            sums[0] += report.loss.total as f64 * w;
            sums[1] += report.loss.recon as f64 * w;
            sums[2] += report.loss.kl as f64 * w;
            if report.position.last {
                let mean = |s: f64| (s / samples as f64) as f32;
                return Ok(EpochSummary {
                    epoch: report.position.epoch,
                    steps,
                    samples,
                    loss: LossValues {
                        total: mean(sums[0]),
                        recon: mean(sums[1]),
                        kl: mean(sums[2]),
                    },
                });
            }
        }
    }
}
