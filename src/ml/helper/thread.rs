//! [`ThreadHelper`]: a [`StepHelper`] on a native thread, for the tests that pin that a run
//! with a helper follows the loss curve of one trained alone (the worker's helper is a second
//! Web Worker, `worker/helper_link.rs`).

use std::sync::mpsc::{channel, Receiver, Sender};
use std::thread::JoinHandle;

use candle_core::{Result, Tensor, Var};

use super::{share_gradient, update_split, ScoreJob, ShareJob, ShareResult, StepHelper};
use super::{Moments, Scale, UpdateJob};
use crate::ml::eval::{score_chunk, ChunkScores};
use crate::ml::held::{self, Version};
use crate::ml::model::{Model, ModelConfig};
use crate::ml::optim::Adam;

enum Job {
    /// A share's gradient (`gradient` holds β and its weight) or a chunk's scores.
    Share {
        /// New parameter values (copies: the trainer updates its own in place), when changed.
        params: Option<Vec<Tensor>>,
        x: Tensor,
        noise: Option<Tensor>,
        gradient: Option<(f64, f64)>,
        /// Whether the gradients of the helper's parameters are kept for an update.
        keeps: bool,
    },
    /// The update of the helper's parameters.
    Update {
        scale: Scale,
        own: Vec<Tensor>,
        moments: Option<Vec<Moments>>,
    },
}

enum Done {
    Share(ShareResult),
    Scores(ChunkScores),
    Updated(Vec<Vec<f32>>),
}

/// A helper on a native thread with its own copy of the model, which takes over the update
/// of the parameters from [`update_split`] on.
pub struct ThreadHelper {
    jobs: Option<Sender<Job>>,
    results: Receiver<Result<Done>>,
    sent_version: Option<Version>,
    thread: Option<JoinHandle<()>>,
    update_from: usize,
}

/// The helper thread's side: its model, and the optimiser state of its parameters.
struct Side {
    model: Model,
    params: Vec<Var>,
    /// This copy's values, named afresh whenever they change.
    version: Version,
    update_from: usize,
    /// The gradients of the parameters from `update_from` on, kept for an update.
    kept: Option<Vec<Tensor>>,
    adam: Adam,
}

impl Side {
    fn work(&mut self, job: Job) -> Result<Done> {
        match job {
            Job::Share {
                params,
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
            } => {
                let Some(kept) = self.kept.take() else {
                    candle_core::bail!("an update without the share's gradients")
                };
                if let Some(moments) = moments {
                    self.adam.set_moments(self.update_from, &moments)?;
                }
                let sums = kept
                    .iter()
                    .zip(&own)
                    .map(|(g, o)| g + o)
                    .collect::<Result<Vec<_>>>()?;
                let from = self.update_from;
                let all = from..self.params.len();
                self.adam
                    .update(scale, all, |i, _| sums.get(i - from).cloned())?;
                self.version = Version::fresh();
                let values = self.params[from..].iter();
                let values = values.map(|v| v.as_tensor().flatten_all()?.to_vec1());
                Ok(Done::Updated(values.collect::<Result<_>>()?))
            }
        }
    }
}

impl ThreadHelper {
    pub fn new(config: ModelConfig) -> Result<Self> {
        let sizes: Vec<usize> = Model::zeroed(config)?
            .parameters_by_name()
            .iter()
            .map(|v| v.elem_count())
            .collect();
        let update_from = update_split(&sizes);
        let (jobs, job_rx) = channel::<Job>();
        let (result_tx, results) = channel();
        let thread = std::thread::spawn(move || {
            let side = Model::zeroed(config).and_then(|model| {
                let params = model.parameters_by_name();
                // The learning rate comes with each update, in its scale.
                let adam = Adam::new(params.clone(), 0.0)?;
                Ok(Side {
                    model,
                    params,
                    version: Version::fresh(),
                    update_from,
                    kept: None,
                    adam,
                })
            });
            let mut side = match side {
                Ok(side) => side,
                Err(e) => {
                    let _ = result_tx.send(Err(e));
                    return;
                }
            };
            for job in job_rx {
                if result_tx.send(side.work(job)).is_err() {
                    return;
                }
            }
        });
        Ok(Self {
            jobs: Some(jobs),
            results,
            sent_version: None,
            thread: Some(thread),
            update_from,
        })
    }
}

impl ThreadHelper {
    fn send_share(
        &mut self,
        params: &[Var],
        version: Version,
        x: &Tensor,
        noise: Option<&Tensor>,
        gradient: Option<(f64, f64)>,
        keeps: bool,
    ) -> Result<bool> {
        let params = if self.sent_version == Some(version) {
            None
        } else {
            let copies = params.iter().map(|v| v.as_tensor().copy());
            Some(copies.collect::<Result<Vec<_>>>()?)
        };
        self.sent_version = Some(version);
        let job = Job::Share {
            params,
            x: x.clone(),
            noise: noise.cloned(),
            gradient,
            keeps,
        };
        self.send(job)?;
        Ok(true)
    }

    fn send(&mut self, job: Job) -> Result<()> {
        let sent = self
            .jobs
            .as_ref()
            .is_some_and(|jobs| jobs.send(job).is_ok());
        if !sent {
            candle_core::bail!("the helper thread has stopped");
        }
        Ok(())
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
        let (params, version, keeps) = (job.params, job.params_version, job.updates);
        self.send_share(params, version, job.x, job.noise, gradient, keeps)
    }

    fn finish(&mut self) -> Result<ShareResult> {
        match self.receive()? {
            Done::Share(share) => Ok(share),
            _ => candle_core::bail!("the helper computed no gradient"),
        }
    }

    fn begin_score(&mut self, job: ScoreJob<'_>) -> Result<bool> {
        let (params, version) = (job.params, job.params_version);
        self.send_share(params, version, job.x, job.noise, None, false)
    }

    fn finish_score(&mut self) -> Result<ChunkScores> {
        match self.receive()? {
            Done::Scores(scores) => Ok(scores),
            _ => candle_core::bail!("the helper did not score"),
        }
    }

    fn update_from(&self) -> Option<usize> {
        Some(self.update_from)
    }

    fn begin_update(&mut self, job: UpdateJob<'_>) -> Result<()> {
        self.send(Job::Update {
            scale: job.scale,
            own: job.own.to_vec(),
            moments: job.moments,
        })
    }

    fn finish_update(&mut self) -> Result<Vec<Vec<f32>>> {
        match self.receive()? {
            Done::Updated(values) => Ok(values),
            _ => candle_core::bail!("the helper did not update"),
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
