//! The hyper-parameters of a run (the model's own sizes live in its `ModelConfig`), their
//! defaults (the reference run's) and the ranges a person may choose from, with the advice an
//! out-of-range value gets.

use std::ops::RangeInclusive;

use serde::{Deserialize, Serialize};

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
    /// KL warm-up: β rises linearly from 0 to `beta` over this many epochs (0: no warm-up).
    /// Starting with the reconstruction alone keeps dimensions from collapsing to the prior
    /// before they have learnt anything.
    #[serde(default)]
    pub warmup_epochs: usize,
}

impl TrainConfig {
    /// The reference setting: Adam 1e-3, batch 128, β = 1, no warm-up, seed 0.
    pub const REFERENCE: TrainConfig = TrainConfig {
        learning_rate: 1e-3,
        batch_size: 128,
        beta: 1.0,
        seed: 0,
        warmup_epochs: 0,
    };
}

impl Default for TrainConfig {
    /// [`TrainConfig::REFERENCE`].
    fn default() -> Self {
        Self::REFERENCE
    }
}

/// How many epochs a run may be planned for.
pub const EPOCH_RANGE: RangeInclusive<usize> = 1..=1000;
/// Epochs of the reference run (and the page's default).
pub const DEFAULT_EPOCHS: usize = 10;

/// Checks a run's planned number of epochs against [`EPOCH_RANGE`].
pub fn check_epochs(epochs: usize) -> Result<(), TrainConfigError> {
    if EPOCH_RANGE.contains(&epochs) {
        Ok(())
    } else {
        Err(TrainConfigError::Epochs(epochs))
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
    #[error("a KL warm-up of {0} epochs cannot be used: choose 0 (none) to 1000")]
    Warmup(usize),
    #[error("{0} epochs cannot be trained: choose {min} to {max}", min = EPOCH_RANGE.start(), max = EPOCH_RANGE.end())]
    Epochs(usize),
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
        if self.warmup_epochs > 1000 {
            return Err(TrainConfigError::Warmup(self.warmup_epochs));
        }
        Ok(())
    }
}
