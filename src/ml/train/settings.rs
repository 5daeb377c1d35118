//! The settings a run trains with as they change under it: β during a KL warm-up, and new
//! hyper-parameters, which wait for the batch under way to finish.

use super::{TrainConfig, TrainConfigError, Trainer};

impl Trainer {
    /// The β the next step uses: `beta`, or during a KL warm-up the share of it reached so far
    /// (rising linearly by step, from 1/n of it at the first step to all of it after
    /// `warmup_epochs`).
    pub fn current_beta(&self) -> f64 {
        let warmup_steps = self.config.warmup_epochs * self.batches_per_epoch();
        if warmup_steps == 0 {
            return self.config.beta;
        }
        self.config.beta * ((self.steps + 1) as f64 / warmup_steps as f64).min(1.0)
    }

    /// Batches in an epoch at the current batch size.
    pub fn batches_per_epoch(&self) -> usize {
        self.order.batches_per_epoch()
    }

    /// Changes learning rate, β and batch size (the seed is fixed at start). A batch partly
    /// worked through finishes with the settings it started with; otherwise they apply now (in
    /// particular to the batch retried after a divergence).
    pub fn set_hyper_parameters(&mut self, config: TrainConfig) -> Result<(), TrainConfigError> {
        config.validate()?;
        if self.pending.as_ref().is_some_and(|p| p.done > 0) {
            self.next_config = Some(config);
        } else {
            self.apply(config);
        }
        Ok(())
    }

    pub(super) fn apply(&mut self, config: TrainConfig) {
        self.optimizer.set_learning_rate(config.learning_rate);
        self.order.set_batch_size(config.batch_size);
        self.config = TrainConfig {
            seed: self.config.seed,
            ..config
        };
    }
}
