//! A second thread's share of a training step (data parallelism on two cores).
//!
//! The trainer hands the second part of each piece of a batch (about half) to a [`StepHelper`],
//! computes the first part itself, and adds the two gradients. A helper that can
//! ([`StepHelper::update_from`]) then updates about half of the parameters while the trainer
//! updates the rest, both at the update's one Adam scale, and keeps the moments of its half;
//! otherwise the trainer makes the whole update. Only the trainer decides: the divergence
//! guard, snapshots, resumption and new hyper-parameters stay in it. The result equals a step
//! done alone up to floating-point rounding: same digits, same noise, the gradient of the same
//! per-digit mean, the same update.
//!
//! [`ThreadHelper`] is a helper on another thread of this program: in the worker's threaded
//! build, over the trainer's very parameters (`worker/thread_host.rs`), and natively in the
//! tests that pin that a helped run follows the loss curve of a run trained alone. The worker's
//! plain build has a second Web Worker with its own copy of the model, sharing a
//! `SharedArrayBuffer` (`worker/helper_link.rs`).

use candle_core::{Result, Tensor, Var};

use crate::ml::eval::ChunkScores;
use crate::ml::grad_sink;
use crate::ml::held::Version;
use crate::ml::loss::LossValues;
use crate::ml::model::Model;
use crate::ml::optim::{Moments, Scale};

/// One share of a step: the gradient of `share` × the mean loss over the images `x` (noise
/// `noise`, KL weight `beta`) at the parameter values `params`.
pub struct ShareJob<'a> {
    /// The parameters, in [`Model::parameters_by_name`] order.
    pub params: &'a [Var],
    /// Changes whenever the parameters' values do: a helper that has them already need not copy
    /// them again (a step done in pieces sends them once).
    pub params_version: Version,
    pub x: &'a Tensor,
    pub noise: Option<&'a Tensor>,
    pub beta: f64,
    /// This share's weight in the batch mean: its digits over the batch's.
    pub share: f64,
    /// Whether the share ends its step and the helper then updates the parameters from
    /// [`StepHelper::update_from`] on: [`StepHelper::finish`] (or `finish_onto`) gives back only the gradients
    /// of those before, and the helper keeps its own of those for [`StepHelper::begin_update`]
    /// (when no update follows, a loss having diverged, the next share replaces them).
    pub updates: bool,
}

/// The helper's part of a step's update: Adam at `scale` on the parameters from
/// [`StepHelper::update_from`] on, with its gradients of them plus `own`.
pub struct UpdateJob<'a> {
    /// The update's scale, from the trainer's Adam.
    pub scale: Scale,
    /// The trainer's gradients of those parameters over the whole step (all its pieces).
    pub own: &'a [Tensor],
    /// Adam's moments of those parameters, when the helper does not hold them (it did not do
    /// their last update).
    pub moments: Option<Vec<Moments>>,
    /// Whether the helper took a share of the step ([`ShareJob::updates`]) and adds the
    /// gradients it kept to `own`; when not (a batch of one digit cannot be shared), `own` is
    /// the whole gradient, and the helper takes its part of the update all the same, so the
    /// moments it holds go on.
    pub with_share: bool,
}

/// Where the helper's part of an update starts, for parameters of `sizes` values (in
/// [`Model::parameters_by_name`] order): the first parameter from which on the rest holds about
/// half of the values, each side keeping at least one parameter.
pub fn update_split(sizes: &[usize]) -> usize {
    let total: usize = sizes.iter().sum();
    let off_half = |i: &usize| (2 * sizes[..*i].iter().sum::<usize>()).abs_diff(total);
    (1..sizes.len()).min_by_key(off_half).unwrap_or(1)
}

/// A chunk of an evaluation to score ([`crate::ml::eval::score_chunk`]) at the parameter
/// values `params`.
pub struct ScoreJob<'a> {
    pub params: &'a [Var],
    pub params_version: Version,
    pub x: &'a Tensor,
    pub noise: Option<&'a Tensor>,
}

/// What a share gave.
pub struct ShareResult {
    /// The mean loss over the share's images.
    pub loss: LossValues,
    /// Each parameter's gradient, in the job's order; `None` when the loss diverged (then there
    /// was nothing worth backpropagating).
    pub grads: Option<Vec<Tensor>>,
}

/// Something that computes a share of a step while the trainer computes another.
pub trait StepHelper {
    /// Starts on `job`. `Ok(false)` when the helper cannot take it now (still starting, or the
    /// job is larger than it was set up for): the trainer then does the work alone.
    fn begin(&mut self, job: ShareJob<'_>) -> Result<bool>;
    /// Waits for the share begun, and returns it. An error lets the helper go: the trainer
    /// computes that share itself and goes on alone.
    fn finish(&mut self) -> Result<ShareResult>;

    /// Waits for the share begun and returns it with this side's gradients `own` (same order)
    /// already added to its own, when there are both: a helper that copies its gradients in
    /// anyway adds them on the way, which spares the trainer a pass and an allocation per
    /// parameter.
    fn finish_onto(&mut self, own: Option<&[Tensor]>) -> Result<ShareResult> {
        add_onto(self.finish()?, own)
    }

    /// Starts scoring a chunk of an evaluation; `Ok(false)` when the helper cannot now (the
    /// trainer then scores it itself). A helper that only computes gradients never can.
    fn begin_score(&mut self, _job: ScoreJob<'_>) -> Result<bool> {
        Ok(false)
    }

    /// Waits for the chunk begun, and returns its scores.
    fn finish_score(&mut self) -> Result<ChunkScores> {
        candle_core::bail!("this helper scores nothing")
    }

    /// The part of each piece to hand over: half, unless the helper has measured that the two
    /// sides finish together at another split (the trainer also copies, adds and updates).
    fn portion(&self) -> f64 {
        0.5
    }

    /// The first parameter ([`Model::parameters_by_name`] order) of those whose update this
    /// helper can take over at the end of a step, so that each thread updates about half;
    /// `None` when it cannot.
    fn update_from(&self) -> Option<usize> {
        None
    }

    /// Starts the update of the parameters from [`StepHelper::update_from`] on: after
    /// [`StepHelper::finish`] (or `finish_onto`) of a share begun with [`ShareJob::updates`], or, for a step
    /// it had no share of, from the trainer's whole gradient ([`UpdateJob::with_share`]).
    fn begin_update(&mut self, _job: UpdateJob<'_>) -> Result<()> {
        candle_core::bail!("this helper updates no parameters")
    }

    /// Waits for the update begun, and returns the new values of its parameters. An error
    /// lets the helper go.
    fn finish_update(&mut self) -> Result<Vec<Vec<f32>>> {
        candle_core::bail!("this helper updates no parameters")
    }

    /// Whether its part of an update is made in place on the trainer's very parameters: the
    /// values from before it are then kept by the helper alone (for
    /// [`StepHelper::undo_update`]), and the trainer's own backups of that part are stale.
    fn updates_in_place(&self) -> bool {
        false
    }

    /// Puts the parameters of its last update back to their values before it, when it updated
    /// them in place (a helper sharing the trainer's parameters, which keeps those values). A
    /// helper that gave its new values back ([`StepHelper::finish_update`]) has nothing to
    /// undo: the trainer kept the old ones as it took them. An error lets the helper go.
    fn undo_update(&mut self) -> Result<()> {
        Ok(())
    }
}

/// `share` with `own`'s gradients (same order) added to its own, when there are both.
pub fn add_onto(mut share: ShareResult, own: Option<&[Tensor]>) -> Result<ShareResult> {
    if let (Some(own), Some(grads)) = (own, share.grads.as_mut()) {
        for (g, o) in grads.iter_mut().zip(own) {
            *g = grad_sink::add(g, o)?;
        }
    }
    Ok(share)
}

/// The work of a share, on whichever side does it: the loss of `model` on `x`, and unless it
/// diverged, the gradient of `share` × that loss for each of `params` (the model's own). Where
/// the model has its backward written out ([`Model::step_by_hand`]) it is that, otherwise
/// candle's backward of the model's terms.
pub fn share_gradient(
    model: &Model,
    params: &[Var],
    x: &Tensor,
    noise: Option<&Tensor>,
    beta: f64,
    share: f64,
) -> Result<ShareResult> {
    if let Some(step) = model.step_by_hand(x, noise, beta, share)? {
        let (loss, grads) = step.in_order(params)?;
        return Ok(ShareResult { loss, grads });
    }
    let (loss, objective) = model.terms(x, noise)?.objective(beta, share)?;
    if loss.has_diverged() {
        return Ok(ShareResult { loss, grads: None });
    }
    let grads = grad_sink::gradients(&objective, params)?;
    Ok(ShareResult {
        loss,
        grads: Some(grads),
    })
}

#[cfg(any(not(target_arch = "wasm32"), target_feature = "atomics"))]
pub use thread::{Spawner, ThreadHelper};

#[cfg(not(target_arch = "wasm32"))]
pub use thread::native_spawner;

// Natively for the tests; in wasm, only in the worker's threaded build (`tools/build-threads`).
#[cfg(any(not(target_arch = "wasm32"), target_feature = "atomics"))]
mod side;
#[cfg(any(not(target_arch = "wasm32"), target_feature = "atomics"))]
mod thread;
#[cfg(any(not(target_arch = "wasm32"), target_feature = "atomics"))]
mod wait;
