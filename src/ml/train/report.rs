//! What training reports: a step, an epoch, one call of [`super::Trainer::work`], and why a
//! step did not complete (with advice a person can act on).

use crate::ml::batches::BatchPosition;
use crate::ml::dataset::ImageShape;
use crate::ml::loss::LossValues;

use super::TrainConfigError;

/// Why a step did not complete.
#[derive(Debug, thiserror::Error)]
pub enum TrainError {
    #[error("training diverged at step {step}: the loss became {loss_text}. The weights from before that step were restored and the optimiser was reset; lower the learning rate (1e-3 is safe) or β, then resume.", loss_text = describe(.loss))]
    Diverged { step: usize, loss: LossValues },
    #[error("{0}")]
    Config(#[from] TrainConfigError),
    #[error(
        "there are no training digits: the digits file holds too few to split off a training set"
    )]
    NoData,
    #[error("the model reads {model} images but the data is {data}: choose a model for {data} images (or other data)")]
    WrongShape { model: ImageShape, data: ImageShape },
    #[error("a run can only be continued from a snapshot before its first step")]
    AlreadyStarted,
    #[error("the computation failed: {0}")]
    Candle(#[from] candle_core::Error),
}

fn describe(loss: &LossValues) -> String {
    let v = [loss.total, loss.recon, loss.kl];
    if v.iter().any(|x| x.is_nan()) {
        "NaN (not a number)".to_string()
    } else if v.iter().any(|x| x.is_infinite()) {
        "infinite".to_string()
    } else {
        format!(
            "{:.2e} nats per digit (a sane model scores under 600)",
            loss.total
        )
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

/// What one call of [`Trainer::work`] did.
#[derive(Debug, Clone, PartialEq)]
pub struct Worked {
    /// Digits of the batch processed by this call.
    pub digits: usize,
    /// The step, when this call completed one.
    pub step: Option<StepReport>,
}
