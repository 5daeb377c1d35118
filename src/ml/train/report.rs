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

/// What a diverged loss became, for its message in either language.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Blowup {
    NotANumber,
    Infinite,
    /// Finite, but far past what a sane model scores (nats per image).
    Huge(f32),
}

impl Blowup {
    pub fn of(loss: &LossValues) -> Self {
        let v = [loss.total, loss.recon, loss.kl];
        if v.iter().any(|x| x.is_nan()) {
            Blowup::NotANumber
        } else if v.iter().any(|x| x.is_infinite()) {
            Blowup::Infinite
        } else {
            Blowup::Huge(loss.total)
        }
    }
}

fn describe(loss: &LossValues) -> String {
    match Blowup::of(loss) {
        Blowup::NotANumber => "NaN (not a number)".to_string(),
        Blowup::Infinite => "infinite".to_string(),
        Blowup::Huge(total) => {
            format!("{total:.2e} nats per digit (a sane model scores under 600)")
        }
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
