//! The helper thread's side of a [`ThreadHelper`](super::ThreadHelper): the jobs the trainer
//! sends, what comes back, and the model and optimiser state that do them.

use candle_core::{Result, Tensor, Var};

use super::{share_gradient, Moments, Scale, ShareResult};
use crate::ml::eval::{score_chunk, ChunkScores};
use crate::ml::grad_sink;
use crate::ml::held::{self, Version};
use crate::ml::model::Model;
use crate::ml::optim::Adam;

pub(super) enum Job {
    /// Puts the parameters of the last update back (a helper sharing them).
    Undo,
    /// A share's gradient (`gradient` holds β and its weight) or a chunk's scores.
    Share {
        /// New parameter values (copies: the trainer updates its own in place), when changed.
        params: Option<Vec<Tensor>>,
        /// The parameters' version, when they are shared rather than sent.
        shared_version: Option<Version>,
        x: Tensor,
        noise: Option<Tensor>,
        gradient: Option<(f64, f64)>,
        /// Whether the gradients of the helper's parameters are kept for an update.
        keeps: bool,
    },
    /// The update of the helper's parameters: `own` plus the gradients it kept, or `own`
    /// alone for a step it had no share of.
    Update {
        scale: Scale,
        own: Vec<Tensor>,
        moments: Option<Vec<Moments>>,
        with_share: bool,
    },
}

pub(super) enum Done {
    Share(ShareResult),
    Scores(ChunkScores),
    Updated(Vec<Vec<f32>>),
    Undone,
}

/// The helper thread's side: its model, and the optimiser state of its parameters.
pub(super) struct Side {
    pub(super) model: Model,
    pub(super) params: Vec<Var>,
    /// This copy's values, named afresh whenever they change.
    pub(super) version: Version,
    pub(super) update_from: usize,
    /// The gradients of the parameters from `update_from` on, kept for an update.
    pub(super) kept: Option<Vec<Tensor>>,
    pub(super) adam: Adam,
    /// Whether `params` are the trainer's own: an update is then done in place, and its
    /// values before are kept here (in `adam`) for an undo.
    pub(super) shared: bool,
}

impl Side {
    pub(super) fn work(&mut self, job: Job) -> Result<Done> {
        match job {
            Job::Share {
                params,
                shared_version,
                x,
                noise,
                gradient,
                keeps,
            } => {
                if let Some(values) = &params {
                    self.version = Version::fresh();
                    for (var, value) in self.params.iter().zip(values) {
                        var.set(value)?;
                    }
                }
                if let Some(v) = shared_version {
                    self.version = v;
                }
                let _held = held::hold(self.version);
                let Some((beta, share)) = gradient else {
                    return score_chunk(&self.model, &x, noise.as_ref()).map(Done::Scores);
                };
                let mut result =
                    share_gradient(&self.model, &self.params, &x, noise.as_ref(), beta, share)?;
                self.kept = None;
                if let Some(grads) = result.grads.as_mut().filter(|_| keeps) {
                    self.kept = Some(grads.split_off(self.update_from));
                }
                Ok(Done::Share(result))
            }
            Job::Update {
                scale,
                own,
                moments,
                with_share,
            } => {
                let kept = self.kept.take();
                if with_share && kept.is_none() {
                    candle_core::bail!("an update without the share's gradients")
                }
                if let Some(moments) = moments {
                    self.adam.set_moments(self.update_from, &moments)?;
                }
                let sums = match kept.filter(|_| with_share) {
                    Some(kept) => kept
                        .iter()
                        .zip(&own)
                        .map(|(g, o)| grad_sink::add(g, o))
                        .collect::<Result<Vec<_>>>()?,
                    None => own,
                };
                let from = self.update_from;
                let all = from..self.params.len();
                self.adam
                    .update(scale, all, |i, _| sums.get(i - from).cloned())?;
                self.version = Version::fresh();
                if self.shared {
                    return Ok(Done::Updated(Vec::new()));
                }
                let values = self.params[from..].iter();
                let values = values.map(|v| v.as_tensor().flatten_all()?.to_vec1());
                Ok(Done::Updated(values.collect::<Result<_>>()?))
            }
            Job::Undo => {
                self.adam.restore(self.update_from..self.params.len())?;
                self.version = Version::fresh();
                Ok(Done::Undone)
            }
        }
    }
}
