//! A second thread's share of a training step (data parallelism on two cores).
//!
//! The trainer hands the second part of each piece of a batch (about half) to a [`StepHelper`],
//! computes the first part itself, and adds the two gradients before its one Adam update. Only the trainer
//! owns the parameters and the optimiser: a helper gets the parameter values with a job (when
//! they changed) and gives back gradients. So the two copies never drift apart, and all that
//! makes a run (the divergence guard, snapshots, resumption, new hyper-parameters) stays in the
//! trainer. The result equals a step done alone up to floating-point rounding: same digits, same
//! noise, the gradient of the same per-digit mean.
//!
//! The worker's helper is a second Web Worker sharing a `SharedArrayBuffer`
//! (`worker/helper_link.rs`); [`ThreadHelper`] is a native thread, which the tests use to pin
//! that a helped run follows the loss curve of a run trained alone.

use candle_core::{Result, Tensor, Var};

use crate::ml::eval::ChunkScores;
use crate::ml::held::Version;
use crate::ml::loss::LossValues;
use crate::ml::model::Model;

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
}

/// `share` with `own`'s gradients (same order) added to its own, when there are both.
pub fn add_onto(mut share: ShareResult, own: Option<&[Tensor]>) -> Result<ShareResult> {
    if let (Some(own), Some(grads)) = (own, share.grads.as_mut()) {
        for (g, o) in grads.iter_mut().zip(own) {
            *g = (&*g + o)?;
        }
    }
    Ok(share)
}

/// The work of a share, on whichever side does it: the loss of `model` on `x`, and unless it
/// diverged, the gradient of `share` × that loss for each of `params` (the model's own).
pub fn share_gradient(
    model: &Model,
    params: &[Var],
    x: &Tensor,
    noise: Option<&Tensor>,
    beta: f64,
    share: f64,
) -> Result<ShareResult> {
    let parts = model.terms(x, noise)?.loss(beta)?;
    let loss = parts.values()?;
    if loss.has_diverged() {
        return Ok(ShareResult { loss, grads: None });
    }
    let grads = if share == 1.0 {
        parts.total.backward()?
    } else {
        (&parts.total * share)?.backward()?
    };
    // A parameter the loss does not reach (none today) contributes a zero gradient.
    let grads = params
        .iter()
        .map(|var| match grads.get(var) {
            Some(g) => Ok(g.clone()),
            None => var.zeros_like(),
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(ShareResult {
        loss,
        grads: Some(grads),
    })
}

#[cfg(not(target_arch = "wasm32"))]
pub use native::ThreadHelper;

#[cfg(not(target_arch = "wasm32"))]
mod native {
    use std::sync::mpsc::{channel, Receiver, Sender};
    use std::thread::JoinHandle;

    use candle_core::{Result, Tensor, Var};

    use super::{share_gradient, ScoreJob, ShareJob, ShareResult, StepHelper};
    use crate::ml::eval::{score_chunk, ChunkScores};
    use crate::ml::held::{self, Version};
    use crate::ml::model::{Model, ModelConfig};

    struct Job {
        /// New parameter values (copies: the trainer updates its own in place), when changed.
        params: Option<Vec<Tensor>>,
        x: Tensor,
        noise: Option<Tensor>,
        /// β and the share's weight for a gradient; `None` to score the chunk.
        gradient: Option<(f64, f64)>,
    }

    enum Done {
        Share(ShareResult),
        Scores(ChunkScores),
    }

    /// A helper on a native thread with its own copy of the model.
    pub struct ThreadHelper {
        jobs: Option<Sender<Job>>,
        results: Receiver<Result<Done>>,
        sent_version: Option<Version>,
        thread: Option<JoinHandle<()>>,
    }

    impl ThreadHelper {
        pub fn new(config: ModelConfig) -> Result<Self> {
            let (jobs, job_rx) = channel::<Job>();
            let (result_tx, results) = channel();
            let thread = std::thread::spawn(move || {
                let model = match Model::zeroed(config) {
                    Ok(m) => m,
                    Err(e) => {
                        let _ = result_tx.send(Err(e));
                        return;
                    }
                };
                let params = model.parameters_by_name();
                // This copy's values, named afresh whenever new ones are copied in.
                let mut version = Version::fresh();
                for job in job_rx {
                    let result = (|| {
                        if let Some(values) = &job.params {
                            version = Version::fresh();
                            for (var, value) in params.iter().zip(values) {
                                var.set(value)?;
                            }
                        }
                        let _held = held::hold(version);
                        match job.gradient {
                            Some((beta, share)) => share_gradient(
                                &model,
                                &params,
                                &job.x,
                                job.noise.as_ref(),
                                beta,
                                share,
                            )
                            .map(Done::Share),
                            None => {
                                score_chunk(&model, &job.x, job.noise.as_ref()).map(Done::Scores)
                            }
                        }
                    })();
                    if result_tx.send(result).is_err() {
                        return;
                    }
                }
            });
            Ok(Self {
                jobs: Some(jobs),
                results,
                sent_version: None,
                thread: Some(thread),
            })
        }
    }

    impl ThreadHelper {
        fn send(
            &mut self,
            params: &[Var],
            version: Version,
            x: &Tensor,
            noise: Option<&Tensor>,
            gradient: Option<(f64, f64)>,
        ) -> Result<bool> {
            let params = if self.sent_version == Some(version) {
                None
            } else {
                let copies = params.iter().map(|v| v.as_tensor().copy());
                Some(copies.collect::<Result<Vec<_>>>()?)
            };
            self.sent_version = Some(version);
            let job = Job {
                params,
                x: x.clone(),
                noise: noise.cloned(),
                gradient,
            };
            let sent = self
                .jobs
                .as_ref()
                .is_some_and(|jobs| jobs.send(job).is_ok());
            if !sent {
                candle_core::bail!("the helper thread has stopped");
            }
            Ok(true)
        }

        fn receive(&mut self) -> Result<Done> {
            self.results
                .recv()
                .map_err(|_| candle_core::Error::Msg("the helper thread has stopped".into()))?
        }
    }

    impl StepHelper for ThreadHelper {
        fn begin(&mut self, job: ShareJob<'_>) -> Result<bool> {
            let gradient = Some((job.beta, job.share));
            self.send(job.params, job.params_version, job.x, job.noise, gradient)
        }

        fn finish(&mut self) -> Result<ShareResult> {
            match self.receive()? {
                Done::Share(share) => Ok(share),
                Done::Scores(_) => candle_core::bail!("the helper scored instead"),
            }
        }

        fn begin_score(&mut self, job: ScoreJob<'_>) -> Result<bool> {
            self.send(job.params, job.params_version, job.x, job.noise, None)
        }

        fn finish_score(&mut self) -> Result<ChunkScores> {
            match self.receive()? {
                Done::Scores(scores) => Ok(scores),
                Done::Share(_) => candle_core::bail!("the helper computed a gradient instead"),
            }
        }
    }

    impl Drop for ThreadHelper {
        fn drop(&mut self) {
            self.jobs = None; // ends the thread's loop
            if let Some(thread) = self.thread.take() {
                let _ = thread.join();
            }
        }
    }
}
