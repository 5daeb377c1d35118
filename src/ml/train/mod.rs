//! The trainer: Adam over one model and one training set, a step at a time, with a guard that
//! undoes a step that made the loss non-finite or explode.
//!
//! One step draws the next shuffled mini-batch, draws reparameterisation noise from the trainer's
//! own seeded generator, computes recon + β·KL, backpropagates and updates the parameters. The
//! trainer never reads a clock (there is none in plain wasm); callers time it.

mod config;
mod evaluate;
mod report;
mod settings;
mod share;
mod update;

pub use config::{check_epochs, TrainConfig, TrainConfigError, DEFAULT_EPOCHS, EPOCH_RANGE};
pub use report::{Blowup, EpochSummary, StepReport, TrainError, Worked};

use std::collections::HashMap;

use candle_core::{Device, Tensor, TensorId, Var};

use crate::ml::batches::{BatchPosition, EpochOrder};
use crate::ml::data::ImageSet;
use crate::ml::grad_sink;
use crate::ml::held::{self, Version};
use crate::ml::helper::{share_gradient, ShareJob, StepHelper};
use crate::ml::loss::LossMeans;
use crate::ml::model::Model;
use crate::ml::optim::Adam;
use crate::ml::rng::Rng;
use share::Handed;

/// A mini-batch partly worked through (see [`Trainer::work`]).
struct PendingStep {
    indices: Vec<usize>,
    position: BatchPosition,
    /// Digits of the batch done so far.
    done: usize,
    /// The parameters' gradients accumulated so far, by tensor id.
    grads: HashMap<TensorId, Tensor>,
    /// The loss of the digits done so far.
    loss: LossMeans,
}

pub struct Trainer {
    model: Model,
    /// The model's parameters, by name: the order gradients are accumulated and shared in.
    vars: Vec<Var>,
    optimizer: Adam,
    config: TrainConfig,
    data: ImageSet,
    order: EpochOrder,
    noise: Rng,
    steps: usize,
    pending: Option<PendingStep>,
    /// Settings to apply when the next batch starts.
    next_config: Option<TrainConfig>,
    /// Epochs whose last step has completed.
    epochs_done: usize,
    steps_in_epoch: usize,
    /// Takes half of each piece of work, when there is one (another core).
    helper: Option<Box<dyn StepHelper>>,
    /// Changes whenever the parameters do (an update, an undo), for [`ShareJob::params_version`].
    params_version: Version,
    /// Whether the helper holds Adam's moments of the parameters it updates (it did their last
    /// update), so this side's copies of them are stale.
    helper_moments: bool,
}

/// The generator that initialises a model for training seed `seed`. Model initialisation, batch
/// order and noise are three separate streams forked from one seed, so one number fixes a run.
pub fn init_rng(seed: u64) -> Rng {
    Rng::new(seed).fork()
}

fn adam(model: &Model, learning_rate: f64) -> candle_core::Result<Adam> {
    // In the order gradients are shared in, so a helper's part of an update is a range of them.
    Adam::new(model.parameters_by_name(), learning_rate)
}

impl Trainer {
    /// A trainer for `model` on `data` (the training split). The seed in `config` fixes the
    /// batch order and the noise; the model's own initialisation was fixed when it was made.
    pub fn new(model: Model, data: ImageSet, config: TrainConfig) -> Result<Self, TrainError> {
        config.validate()?;
        if data.is_empty() {
            return Err(TrainError::NoData);
        }
        let (model_shape, data_shape) = (model.config().shape, data.shape());
        if model_shape != data_shape {
            return Err(TrainError::WrongShape {
                model: model_shape,
                data: data_shape,
            });
        }
        let mut rng = Rng::new(config.seed);
        let _init = rng.fork(); // the stream `init_rng` hands out
        let order = EpochOrder::new(data.len(), config.batch_size, rng.fork());
        let noise = rng.fork();
        Ok(Self {
            optimizer: adam(&model, config.learning_rate)?,
            vars: model.parameters_by_name(),
            helper: None,
            params_version: Version::fresh(),
            helper_moments: false,
            pending: None,
            next_config: None,
            epochs_done: 0,
            steps_in_epoch: 0,
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

    /// From now on `helper` computes half of every piece of work (see [`crate::ml::helper`]).
    pub fn set_helper(&mut self, helper: Box<dyn StepHelper>) {
        self.helper = Some(helper);
        self.helper_moments = false;
    }

    /// Continues a run from a snapshot taken after `steps` steps, `epochs_done` of them
    /// complete epochs (the trainer being new, with the snapshot's weights): the counters pick up
    /// from there and batches start at the beginning of the next epoch, in the order the
    /// uninterrupted run would have used. A partly done epoch is trained from its start again
    /// (its progress is not in the snapshot), and Adam's moments start from zero.
    pub fn resume_at(&mut self, epochs_done: usize, steps: usize) -> Result<(), TrainError> {
        if self.steps > 0 || self.pending.is_some() {
            return Err(TrainError::AlreadyStarted);
        }
        self.order.skip_to_epoch(epochs_done);
        self.epochs_done = epochs_done;
        self.steps = steps;
        self.steps_in_epoch = 0;
        Ok(())
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
        self.epochs_done
    }

    /// Steps completed in the epoch under way.
    pub fn steps_in_epoch(&self) -> usize {
        self.steps_in_epoch
    }

    /// One optimisation step on the next mini-batch.
    ///
    /// If the loss has diverged (not finite, or exploded: [`LossValues::has_diverged`]), nothing
    /// is updated: the parameters are put back to what they were before the previous update (the
    /// last ones that gave a sane loss), Adam's moments are reset, and [`TrainError::Diverged`]
    /// says so.
    pub fn step(&mut self) -> Result<StepReport, TrainError> {
        loop {
            if let Some(report) = self.work(usize::MAX)?.step {
                return Ok(report);
            }
        }
    }

    /// Works through at most `max_samples` digits of the current mini-batch, accumulating their
    /// gradients; when the batch is complete, applies the update and reports the step. What is
    /// left of a step is cut into pieces of at most `max_samples`, as equal as they can be (with
    /// a helper, a last piece of one digit, which cannot be shared, is done with the one before).
    ///
    /// A step done in several calls equals one done at once (same digits, same noise, the
    /// gradient of the same per-digit mean), up to floating-point rounding. The worker uses this
    /// to keep each slice of work short however slow a whole step is. Hyper-parameters changed
    /// meanwhile apply from the next batch, so one step never mixes two settings.
    ///
    /// On a diverged loss the parameters go back to their values before the last update, and
    /// the batch is kept to be tried again (after, say, a lower learning rate).
    pub fn work(&mut self, max_samples: usize) -> Result<Worked, TrainError> {
        if self.pending.is_none() {
            if let Some(next) = self.next_config.take() {
                self.apply(next);
            }
            let (indices, position) = self.order.next_batch();
            self.pending = Some(PendingStep {
                indices,
                position,
                done: 0,
                grads: HashMap::new(),
                loss: LossMeans::default(),
            });
        }
        let beta = self.current_beta();
        let pending = self.pending.as_mut().expect("set above");
        let batch = pending.indices.len();
        // What is left of the step is cut into equal pieces of at most `max_samples`: a short
        // last piece (a Conv-VAE's step of 128 as 114 + 14) pays a whole piece's fixed cost (a
        // hand-over to the helper and back, the weight gradients written and summed) for a few
        // digits, and leaves either thread waiting on the other's tiny share.
        let left = batch - pending.done;
        let pieces = left.div_ceil(max_samples.max(1));
        let mut end = pending.done + left.div_ceil(pieces.max(1));
        if self.helper.is_some() && batch - end == 1 {
            // A last piece of one digit cannot be shared: done with the rest, the helper takes
            // its part of it, and the update is split as when whole (a piece of one used to
            // restart the helper's half of Adam's moments: `UpdateJob::with_share`).
            end = batch;
        }
        let chunk = &pending.indices[pending.done..end];
        let digits = chunk.len();
        let noise = if self.model.config().kind.is_variational() {
            let shape = (digits, self.model.config().latent);
            let values = self.noise.normal_vec(shape.0 * shape.1);
            Some(Tensor::from_vec(values, shape, &Device::Cpu)?)
        } else {
            None
        };
        // With a helper the piece is cut in two: the helper takes the second part (and that
        // part of the noise, drawn in the same order as alone), this thread the first.
        let mut handed = None;
        // The first parameter of those the helper updates when it takes this piece, the last.
        let mut split = None;
        if let Some(helper) = self.helper.as_mut().filter(|_| digits >= 2) {
            let updates_from = helper.update_from().filter(|_| end == batch);
            let theirs = (digits as f64 * helper.portion()).round() as usize;
            let mine = digits - theirs.clamp(1, digits - 1);
            let x = self.data.batch(&chunk[mine..])?;
            let noise = noise
                .as_ref()
                .map(|n| n.narrow(0, mine, digits - mine))
                .transpose()?;
            let share = (digits - mine) as f64 / batch as f64;
            let began = helper.begin(ShareJob {
                params: &self.vars,
                params_version: self.params_version,
                x: &x,
                noise: noise.as_ref(),
                beta,
                share,
                updates: updates_from.is_some(),
            });
            match began {
                Ok(true) => {
                    handed = Some((mine, Handed { x, noise, share }));
                    split = updates_from;
                }
                Ok(false) => {}
                // A helper that cannot take work is let go: the run goes on on one thread.
                Err(_) => {
                    let (helper, moments) = (&mut self.helper, self.helper_moments);
                    update::let_go(helper, &mut self.optimizer, moments, self.vars.len())?;
                }
            }
        }
        let own = handed.as_ref().map_or(digits, |h| h.0);
        let x = self.data.batch(&chunk[..own])?;
        let noise = noise.map(|n| n.narrow(0, 0, own)).transpose()?;
        let mine = {
            let _held = held::hold(self.params_version);
            share_gradient(
                &self.model,
                &self.vars,
                &x,
                noise.as_ref(),
                beta,
                own as f64 / batch as f64,
            )
        };
        // The helper's share (`None` when this side did the whole piece).
        let (mut theirs, mut late) = (None, false);
        if let Some((_, handed)) = handed {
            let own_grads = mine.as_ref().ok().and_then(|m| m.grads.as_deref());
            let (share, added_late) = self.collect_share(handed, own_grads, &mut split, beta)?;
            (theirs, late) = (Some(share), added_late);
        }
        let pending = self.pending.as_mut().expect("set above");
        let mine = mine?;
        let diverged = [Some(&mine), theirs.as_ref()]
            .into_iter()
            .flatten()
            .find(|share| share.grads.is_none())
            .map(|share| share.loss);
        if let Some(loss) = diverged {
            pending.done = 0;
            pending.grads.clear();
            pending.loss = LossMeans::default();
            self.undo_last_update()?;
            return Err(TrainError::Diverged {
                step: self.steps + 1,
                loss,
            });
        }
        pending.loss.add(mine.loss, own);
        // With a split update the helper gave back the gradients of the parameters before
        // `split` only; this side's of the others go to it whole (with earlier pieces').
        let (mut own_rest, mut late_grads) = (None, Vec::new());
        let grads = match theirs {
            Some(theirs) => {
                pending.loss.add(theirs.loss, digits - own);
                if let (Some(from), Some(grads), true) = (split, &mine.grads, late) {
                    let ids = self.vars[..from].iter().map(|v| v.id());
                    late_grads = ids.zip(grads[..from].iter().cloned()).collect();
                }
                if let (Some(from), Some(grads)) = (split, &mine.grads) {
                    let rest = grads[from..].iter().zip(&self.vars[from..]);
                    let summed = rest.map(|(g, var)| match pending.grads.remove(&var.id()) {
                        Some(earlier) => grad_sink::add(&earlier, g),
                        None => Ok(g.clone()),
                    });
                    own_rest = Some((from, summed.collect::<candle_core::Result<Vec<_>>>()?));
                }
                theirs.grads
            }
            None => mine.grads,
        };
        // Keep the parameters' gradients only; the GradStores (and every intermediate gradient
        // in them) are gone by now rather than held across slices.
        for (var, g) in self.vars.iter().zip(grads.expect("checked above")) {
            let sum = match pending.grads.remove(&var.id()) {
                Some(s) => grad_sink::add(&s, &g)?,
                None => g,
            };
            pending.grads.insert(var.id(), sum);
        }
        pending.done = end;
        if end < batch {
            return Ok(Worked { digits, step: None });
        }
        let done = self.pending.take().expect("pending step");
        let updated = self.apply_update(done.grads, own_rest, late_grads)?;
        self.params_version = Version::fresh();
        if !updated {
            // The helper failed during its part: the batch is done again from its start.
            self.pending = Some(PendingStep {
                done: 0,
                grads: HashMap::new(),
                loss: LossMeans::default(),
                ..done
            });
            return Ok(Worked { digits, step: None });
        }
        self.steps += 1;
        self.steps_in_epoch += 1;
        if done.position.last {
            self.epochs_done += 1;
            self.steps_in_epoch = 0;
        }
        Ok(Worked {
            digits,
            step: Some(StepReport {
                step: self.steps,
                position: done.position,
                batches_per_epoch: self.order.batches_per_epoch(),
                samples: batch,
                loss: done.loss.mean(),
            }),
        })
    }

    /// Steps until the current epoch ends.
    pub fn train_epoch(&mut self) -> Result<EpochSummary, TrainError> {
        let mut steps = 0;
        let mut loss = LossMeans::default();
        loop {
            let report = self.step()?;
            steps += 1;
            loss.add(report.loss, report.samples);
            if report.position.last {
                return Ok(EpochSummary {
                    epoch: report.position.epoch,
                    steps,
                    samples: loss.samples(),
                    loss: loss.mean(),
                });
            }
        }
    }
}
