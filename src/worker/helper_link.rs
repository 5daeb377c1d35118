//! The trainer's end of one run's [`SharedStep`] buffer: a [`SharedHelper`] is the trainer's
//! [`StepHelper`], writing jobs for the helper worker (`helper_worker.rs` starts it) and reading
//! back its gradients and scores.

use std::rc::Rc;

use candle_core::{Device, Result, Shape, Tensor, Var};
use js_sys::Reflect;
use wasm_bindgen::JsValue;

use super::helper_worker::Mailbox;
use super::host::post_threads;
use super::shared_step::{JobHeader, JobKind, SharedStep, Sizes, State};
use super::words::OneThread;
use crate::ml::cpu_slices::with_f32_data;
use crate::ml::eval::ChunkScores;
use crate::ml::held::Version;
use crate::ml::helper::{ScoreJob, ShareJob, ShareResult, StepHelper};
use crate::ml::loss::LossValues;
use crate::ml::model::Model;

/// How long the trainer waits for one share before it gives the helper up. A share is half a
/// piece of at most a few seconds; this only catches a helper that died.
const LONGEST_SHARE_MS: f64 = 120_000.0;

/// The trainer's end of one run's buffer.
pub(super) struct SharedHelper {
    mailbox: Rc<Mailbox>,
    config: JsValue,
    /// The parameters' shapes, in [`Model::parameters_by_name`] order.
    shapes: Vec<Shape>,
    step: SharedStep,
    /// The parameter version the buffer holds.
    sent_version: Option<Version>,
    /// Set when the helper failed or stopped answering: the run goes on alone.
    broken: bool,
    /// The part of each piece the helper takes ([`StepHelper::portion`]).
    portion: f64,
}

/// The helper's part of a piece moves between these, by [`PORTION_STEP`] a piece: towards more
/// when it had finished before the trainer came for its share (it waited), towards less when
/// the trainer had to wait. The trainer's own part carries the copies and the update, the
/// helper's its own copies: for the MLP-VAE the balance settles near half (0.45–0.5).
pub(super) const PORTIONS: (f64, f64) = (0.2, 0.8);
const PORTION_STEP: f64 = 0.005;

impl SharedHelper {
    pub(super) fn new(mailbox: Rc<Mailbox>, model: &Model, sizes: Sizes) -> Self {
        let config = serde_wasm_bindgen::to_value(&model.config()).unwrap_or(JsValue::NULL);
        let helper = Self {
            mailbox,
            config,
            shapes: model
                .parameters_by_name()
                .iter()
                .map(|var| var.shape().clone())
                .collect(),
            step: SharedStep::new(sizes),
            sent_version: None,
            broken: false,
            portion: 0.5,
        };
        helper.send_setup();
        helper
    }

    /// Tells the helper about the current buffer.
    fn send_setup(&self) {
        let message = js_sys::Object::new();
        let sizes = self.step.sizes;
        let fields: [(&str, JsValue); 6] = [
            ("config", self.config.clone()),
            ("params", sizes.params.into()),
            ("values", sizes.values.into()),
            ("latent", sizes.latent.into()),
            ("capacity", sizes.capacity.into()),
            ("buffer", self.step.buffer().clone().into()),
        ];
        for (name, value) in fields {
            let _ = Reflect::set(&message, &name.into(), &value);
        }
        self.mailbox.send(message.into());
    }

    /// A larger buffer, for pieces of up to `capacity` digits; the helper takes it up while
    /// the trainer goes on alone.
    fn grow(&mut self, capacity: u32) {
        self.step.set_state(State::Release);
        let sizes = Sizes {
            capacity,
            ..self.step.sizes
        };
        self.step = SharedStep::new(sizes);
        self.sent_version = None;
        self.send_setup();
    }
}

/// Copies every parameter's values into `into` (the shared buffer), in order.
fn write_params(params: &[Var], into: &js_sys::Float32Array) -> Result<()> {
    let mut at = 0;
    for var in params {
        let n = var.elem_count() as u32;
        with_f32_data(var.as_tensor(), "a parameter", |data| {
            into.subarray(at, at + n).copy_from(data)
        })?;
        at += n;
    }
    Ok(())
}

fn tensor_values(t: &Tensor) -> Result<Vec<f32>> {
    t.flatten_all()?.to_vec1::<f32>()
}

impl StepHelper for SharedHelper {
    fn begin(&mut self, job: ShareJob<'_>) -> Result<bool> {
        let work = Work {
            kind: JobKind::Gradient,
            beta: job.beta,
            share: job.share,
        };
        self.start(job.params, job.params_version, job.x, job.noise, work)
    }

    fn begin_score(&mut self, job: ScoreJob<'_>) -> Result<bool> {
        let work = Work {
            kind: JobKind::Score,
            beta: 1.0,
            share: 1.0,
        };
        self.start(job.params, job.params_version, job.x, job.noise, work)
    }

    fn finish_score(&mut self) -> Result<ChunkScores> {
        self.wait_done()?;
        let job = self.step.job();
        let read = |array: js_sys::Float32Array| {
            let mut values = vec![0f32; array.length() as usize];
            array.copy_to(&mut values);
            values
        };
        let scores = ChunkScores {
            recon: read(self.step.recon(job.digits)),
            kl: read(self.step.kl(job.digits)),
            kl_per_dim: if job.has_noise {
                read(self.step.kl_per_dim())
            } else {
                Vec::new()
            },
            means: read(self.step.means(job.digits)),
        };
        self.step.set_state(State::Idle);
        Ok(scores)
    }

    fn portion(&self) -> f64 {
        self.portion
    }

    fn finish(&mut self) -> Result<ShareResult> {
        self.finish_onto(None)
    }

    fn finish_onto(&mut self, own: Option<&[Tensor]>) -> Result<ShareResult> {
        let waited = self.step.state() != Some(State::Done);
        let portion = self.portion + if waited { -PORTION_STEP } else { PORTION_STEP };
        self.portion = portion.clamp(PORTIONS.0, PORTIONS.1);
        self.wait_done()?;
        let (loss, diverged) = self.step.loss();
        let loss = LossValues {
            total: loss[0],
            recon: loss[1],
            kl: loss[2],
        };
        let grads = if diverged {
            None
        } else {
            Some(self.read_grads(own)?)
        };
        self.step.set_state(State::Idle);
        Ok(ShareResult { loss, grads })
    }
}

/// What a job asks besides its images: its kind, and for a gradient β and the share's weight.
struct Work {
    kind: JobKind,
    beta: f64,
    share: f64,
}

impl SharedHelper {
    /// Writes a job and wakes the helper; `Ok(false)` when it cannot take one now.
    fn start(
        &mut self,
        params: &[Var],
        params_version: Version,
        x: &Tensor,
        noise: Option<&Tensor>,
        work: Work,
    ) -> Result<bool> {
        let digits = x.dim(0)? as u32;
        if self.broken {
            return Ok(false);
        }
        if digits > self.step.sizes.capacity {
            self.grow(digits);
            return Ok(false);
        }
        if self.step.state() != Some(State::Idle) {
            return Ok(false); // still starting
        }
        let fresh_params = self.sent_version != Some(params_version);
        if fresh_params {
            write_params(params, &self.step.params())?;
            self.sent_version = Some(params_version);
        }
        self.step.images(digits).copy_from(&tensor_values(x)?);
        if let Some(noise) = noise {
            self.step.noise(digits).copy_from(&tensor_values(noise)?);
        }
        self.step.set_job(JobHeader {
            kind: work.kind,
            digits,
            has_noise: noise.is_some(),
            fresh_params,
            beta: work.beta,
            share: work.share,
        });
        self.step.set_state(State::Job);
        Ok(true)
    }

    /// Waits until the helper is done with the job; an error (and the panel told) when it
    /// failed or stopped answering.
    fn wait_done(&mut self) -> Result<()> {
        let started = super::host::now_ms();
        loop {
            match self.step.state() {
                Some(State::Done) => break,
                Some(State::Job) if super::host::now_ms() - started < LONGEST_SHARE_MS => {
                    self.step.wait_while(State::Job, 1_000.0)
                }
                state => {
                    self.broken = true;
                    let failed = state == Some(State::Failed);
                    // The trainer does this share itself and goes on alone; the panel says so.
                    post_threads(
                        1,
                        Some(if failed {
                            OneThread::Failed
                        } else {
                            OneThread::Silent
                        }),
                    );
                    // For the trainer only, which takes it as the helper declining the share.
                    let why = if failed {
                        "failed"
                    } else {
                        "stopped answering"
                    };
                    candle_core::bail!("the helper worker {why}")
                }
            }
        }
        Ok(())
    }

    /// The helper's gradients, each plus the same parameter's in `own` when given.
    fn read_grads(&self, own: Option<&[Tensor]>) -> Result<Vec<Tensor>> {
        let grads = self.step.grads();
        let mut at = 0;
        self.shapes
            .iter()
            .enumerate()
            .map(|(i, shape)| {
                let n = shape.elem_count() as u32;
                let mut values = vec![0f32; n as usize];
                grads.subarray(at, at + n).copy_to(&mut values);
                at += n;
                if let Some(own) = own.and_then(|own| own.get(i)) {
                    let own = own.contiguous()?;
                    with_f32_data(&own, "a gradient", |own| {
                        for (v, o) in values.iter_mut().zip(own.iter()) {
                            *v += *o;
                        }
                    })?;
                }
                Tensor::from_vec(values, shape, &Device::Cpu)
            })
            .collect()
    }
}

impl Drop for SharedHelper {
    /// The run is over: the helper leaves this buffer and goes back to its messages.
    fn drop(&mut self) {
        self.step.set_state(State::Release);
    }
}
