//! [`ThreadHelper`]: a [`StepHelper`] on another thread of this program, with its own copy of
//! the model or ([`ThreadHelper::sharing`]) with the trainer's very parameters.
//!
//! Natively it runs on a `std` thread, for the tests that pin that a run with a helper follows
//! the loss curve of one trained alone. The worker's helper is a second Web Worker with copies
//! (`worker/helper_link.rs`); a build of the worker with wasm threads, whose helper is this one
//! sharing the trainer's parameters, is on branch `threads2` (README, "Its next state").

use std::cell::RefCell;
use std::sync::mpsc::{channel, Receiver, Sender};
use std::thread::Thread;

use candle_core::{Result, Tensor, Var};

use super::wait::next;
use super::{share_gradient, update_split, ScoreJob, ShareJob, ShareResult, StepHelper};
use super::{Moments, Scale, UpdateJob};
use crate::ml::eval::{score_chunk, ChunkScores};
use crate::ml::held::{self, Version};
use crate::ml::model::{Model, ModelConfig};
use crate::ml::optim::Adam;

enum Job {
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
    Undone,
}

thread_local! {
    /// On a helper thread, where its results go and who waits for them, so that a crash can
    /// say so (a wasm thread's panic aborts without unwinding: the channel would never close,
    /// and the trainer would wait for ever).
    static RESULTS: RefCell<Option<(Sender<Result<Done>>, Thread)>> = const { RefCell::new(None) };
}

/// A helper on another thread, which takes over the update of the parameters from
/// [`update_split`] on.
pub struct ThreadHelper {
    jobs: Option<Sender<Job>>,
    results: Receiver<Result<Done>>,
    /// The helper's thread, to wake for a job, once it has said which it is.
    helper: Option<Thread>,
    started: Receiver<Thread>,
    sent_version: Option<Version>,
    /// Waits for the thread's end (natively; a Web Worker's closure just returns).
    join: Option<Box<dyn FnOnce()>>,
    update_from: usize,
    /// Whether the helper's model shares the trainer's parameters.
    shared: bool,
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
    /// Whether `params` are the trainer's own: an update is then done in place, and its
    /// values before are kept here (in `adam`) for an undo.
    shared: bool,
}

impl Side {
    fn work(&mut self, job: Job) -> Result<Done> {
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

/// Runs a closure on another thread; returns how to wait for its end, if one can.
pub type Spawner = Box<dyn FnOnce(Box<dyn FnOnce() + Send>) -> Option<Box<dyn FnOnce()>>>;

/// Starts a native thread.
#[cfg(not(target_arch = "wasm32"))]
pub fn native_spawner() -> Spawner {
    Box::new(|work| {
        let thread = std::thread::spawn(work);
        Some(Box::new(move || {
            let _ = thread.join();
        }))
    })
}

impl ThreadHelper {
    /// A helper with its own copy of the model, on a new native thread.
    #[cfg(not(target_arch = "wasm32"))]
    pub fn new(config: ModelConfig) -> Result<Self> {
        Self::with_spawner(config, native_spawner())
    }

    /// On a helper thread that is crashing: tells its trainer, whose next wait for a result
    /// then fails (and lets the helper go) instead of lasting for ever. Does nothing on another
    /// thread.
    pub fn report_crash(message: &str) {
        RESULTS.with(|results| {
            if let Some((results, trainer)) = results.borrow().as_ref() {
                let message = format!("the helper thread crashed: {message}");
                let _ = results.send(Err(candle_core::Error::Msg(message)));
                trainer.unpark();
            }
        });
    }

    /// A helper whose loop `spawn` runs on another thread (one sharing this memory).
    pub fn with_spawner(config: ModelConfig, spawn: Spawner) -> Result<Self> {
        Self::spawned(config, None, spawn)
    }

    /// A helper whose model is built over `model`'s very parameters (the same storage: nothing
    /// is copied either way), on a thread `spawn` starts in this memory.
    pub fn sharing(model: &Model, spawn: Spawner) -> Result<Self> {
        Self::spawned(model.config(), Some(model.sharing()?), spawn)
    }

    fn spawned(config: ModelConfig, shared: Option<Model>, spawn: Spawner) -> Result<Self> {
        let is_shared = shared.is_some();
        let sizes: Vec<usize> = match &shared {
            Some(model) => model.parameters_by_name(),
            None => Model::zeroed(config)?.parameters_by_name(),
        }
        .iter()
        .map(|v| v.elem_count())
        .collect();
        let update_from = update_split(&sizes);
        let (jobs, job_rx) = channel::<Job>();
        let (result_tx, results) = channel();
        let (started_tx, started) = channel();
        let trainer = std::thread::current();
        let join = spawn(Box::new(move || {
            let _ = started_tx.send(std::thread::current());
            RESULTS.with(|results| {
                *results.borrow_mut() = Some((result_tx.clone(), trainer.clone()));
            });
            let answer = |result| {
                let sent = result_tx.send(result).is_ok();
                trainer.unpark();
                sent
            };
            let model = match shared {
                Some(model) => Ok(model),
                None => Model::zeroed(config),
            };
            let side = model.and_then(|model| {
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
                    shared: is_shared,
                })
            });
            let mut side = match side {
                Ok(side) => side,
                Err(e) => {
                    answer(Err(e));
                    return;
                }
            };
            while let Some(job) = next(&job_rx) {
                if !answer(side.work(job)) {
                    break;
                }
            }
            RESULTS.with(|results| results.borrow_mut().take());
        }));
        Ok(Self {
            jobs: Some(jobs),
            results,
            helper: None,
            started,
            sent_version: None,
            join,
            update_from,
            shared: is_shared,
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
        let params = if self.shared || self.sent_version == Some(version) {
            None
        } else {
            let copies = params.iter().map(|v| v.as_tensor().copy());
            Some(copies.collect::<Result<Vec<_>>>()?)
        };
        self.sent_version = Some(version);
        let job = Job::Share {
            params,
            shared_version: self.shared.then_some(version),
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
        self.wake_helper();
        Ok(())
    }

    fn wake_helper(&mut self) {
        if self.helper.is_none() {
            self.helper = self.started.try_recv().ok();
        }
        if let Some(helper) = &self.helper {
            helper.unpark();
        }
    }

    fn receive(&mut self) -> Result<Done> {
        next(&self.results)
            .ok_or_else(|| candle_core::Error::Msg("the helper thread has stopped".into()))?
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

    fn undo_update(&mut self) -> Result<()> {
        if !self.shared {
            return Ok(()); // its values came back, and the trainer kept those before
        }
        self.send(Job::Undo)?;
        match self.receive()? {
            Done::Undone => Ok(()),
            _ => candle_core::bail!("the helper did not undo its update"),
        }
    }
}

impl Drop for ThreadHelper {
    fn drop(&mut self) {
        self.jobs = None; // ends the thread's loop
        self.wake_helper();
        if let Some(join) = self.join.take() {
            join();
        }
    }
}
