//! [`ThreadHelper`]: a [`StepHelper`] on another thread of this program, with its own copy of
//! the model or ([`ThreadHelper::sharing`]) with the trainer's very parameters.
//!
//! Natively it runs on a `std` thread, for the tests that pin that a run with a helper follows
//! the loss curve of one trained alone. In the worker's threaded build (wasm threads: one shared
//! memory) it is the helper, sharing the parameters, its loop run by the helper worker
//! (`worker/thread_host.rs`). The worker's other build, without shared memory between
//! threads, sends copies through a buffer instead (`worker/helper_link.rs`).

use std::cell::{Cell, RefCell};
use std::sync::mpsc::{channel, Receiver, Sender};
use std::thread::Thread;

use candle_core::{Result, Tensor, Var};

use super::side::{Done, Job, Side};
use super::wait::{next, next_or_give_up, Claims, Waited};
use super::{update_split, ScoreJob, ShareJob, ShareResult, StepHelper, UpdateJob};
use crate::ml::eval::ChunkScores;
use crate::ml::held::Version;
use crate::ml::model::{Model, ModelConfig};
use crate::ml::optim::Adam;

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
    /// The jobs the helper has taken, and how many were sent: the trainer gives up a job that
    /// is not taken after a while (the helper is not running), and the helper with it.
    claims: Claims,
    sent: u64,
    /// Whether the job sent last only reads the parameters (a share or a chunk's scores): one
    /// taken and not finished after a while is given up too, as nothing it does can change
    /// what the trainer goes on with (candle's locks keep its reads whole).
    reads_only: bool,
    /// Told once, when the trainer gives the helper up so or finds it gone, with what the
    /// trainer knows of where the helper was.
    on_lost: Option<OnLost>,
}

/// What a trainer calls once when it lets its helper go for not answering, with why.
pub type OnLost = Box<dyn FnOnce(&str)>;

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

    /// This helper, which calls `on_lost` once if the trainer lets it go for not answering,
    /// with why and what it knows of where the helper was (for the console: it is rare, and
    /// its cause was not found; README, "One shared memory").
    pub fn when_lost(mut self, on_lost: OnLost) -> Self {
        self.on_lost = Some(on_lost);
        self
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
        let claims = Claims::default();
        let taking = claims.clone();
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
            let mut n = 0;
            while let Some(job) = next(&job_rx) {
                // A job the trainer gave up (this loop ran late) ends it, untouched.
                if !taking.take(n) {
                    break;
                }
                n += 1;
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
            claims,
            sent: 0,
            reads_only: true,
            on_lost: None,
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
        self.reads_only = matches!(job, Job::Share { .. });
        let sent = self
            .jobs
            .as_ref()
            .is_some_and(|jobs| jobs.send(job).is_ok());
        if !sent {
            candle_core::bail!("the helper thread has stopped");
        }
        self.sent += 1;
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

    /// The result of the job sent last; an error when the helper is gone, or has not answered
    /// after a few seconds a job it has not taken or that only reads (it is let go then).
    fn receive(&mut self) -> Result<Done> {
        let (claims, job) = (&self.claims, self.sent.saturating_sub(1));
        let (taken, asked) = (Cell::new(true), Cell::new(0));
        // Asked about every second from ~2.5 s on: a job not taken is given up at once; one
        // taken that only reads from the third time (~4.5 s: pieces are sized to ~40 ms, and
        // the page replaces a worker that has not answered for 6 s).
        let give_up = || {
            asked.set(asked.get() + 1);
            taken.set(!claims.give_up(job));
            !taken.get() || (self.reads_only && asked.get() >= 3)
        };
        let waited = next_or_give_up(&self.results, &give_up);
        let lost = match waited {
            Waited::Message(done) => return done,
            Waited::Gone => "the helper thread has stopped".to_string(),
            Waited::GaveUp => {
                // What the trainer knows of where the helper was.
                if self.helper.is_none() {
                    self.helper = self.started.try_recv().ok();
                }
                let started = if self.helper.is_some() {
                    "had"
                } else {
                    "had not"
                };
                let taken = if taken.get() { "had" } else { "had not" };
                format!(
                    "the helper thread did not answer for seconds: its loop {started} started, \
                     and it {taken} taken job {job}"
                )
            }
        };
        if let Some(on_lost) = self.on_lost.take() {
            on_lost(&lost);
        }
        candle_core::bail!("{lost}")
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
            with_share: job.with_share,
        })
    }

    fn finish_update(&mut self) -> Result<Vec<Vec<f32>>> {
        match self.receive()? {
            Done::Updated(values) => Ok(values),
            _ => candle_core::bail!("the helper did not update"),
        }
    }

    fn updates_in_place(&self) -> bool {
        self.shared
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
