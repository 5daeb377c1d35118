//! The helper worker (the worker binary started with `role=helper` by the training worker, see
//! `helper_link.rs`): for each run it gets a [`SharedStep`] buffer, builds its own copy of the
//! model, and computes the shares of steps the trainer writes there, until the run releases it.
//!
//! Between jobs it sleeps in `Atomics.wait`, so it costs no CPU while training is paused, and
//! it goes back to its message loop only when a run ends (the next run's buffer is a message).

use std::cell::RefCell;

use candle_core::{Device, Result, Tensor, Var};
use js_sys::{Atomics, Int32Array, Reflect, SharedArrayBuffer};
use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsValue};
use web_sys::MessageEvent;

use super::host::scope;
use super::shared_step::{JobKind, SharedStep, Sizes, State};
use crate::ml::cpu_slices::with_f32_data;
use crate::ml::eval::score_chunk;
use crate::ml::held::{self, Version};
use crate::ml::helper::share_gradient;
use crate::ml::model::{Model, ModelConfig};

thread_local! {
    /// The buffer being served, so that a panic can tell the trainer instead of leaving it
    /// waiting.
    static SERVING: RefCell<Option<Int32Array>> = const { RefCell::new(None) };
}

/// Entry point of a helper worker.
#[cfg(not(target_feature = "atomics"))]
pub(super) fn start() {
    std::panic::set_hook(Box::new(|info| {
        web_sys::console::error_1(&format!("the helper worker crashed: {info}").into());
        SERVING.with(|s| {
            if let Some(words) = s.borrow().as_ref() {
                let _ = Atomics::store(words, 0, State::Failed as i32);
                let _ = Atomics::notify(words, 0);
            }
        });
    }));
    let on_setup = Closure::<dyn FnMut(MessageEvent)>::new(|e: MessageEvent| {
        if let Err(message) = serve(&e.data()) {
            web_sys::console::error_1(&format!("the helper worker: {message}").into());
        }
    });
    scope().set_onmessage(Some(on_setup.as_ref().unchecked_ref()));
    on_setup.forget();
    // Messages that came before this point were dropped: the trainer waits for this one.
    if scope().post_message(&JsValue::TRUE).is_err() {
        web_sys::console::error_1(&"the helper worker could not say it listens".into());
    }
}

fn number(message: &JsValue, name: &str) -> std::result::Result<u32, String> {
    Reflect::get(message, &name.into())
        .ok()
        .and_then(|v| v.as_f64())
        .map(|v| v as u32)
        .ok_or_else(|| format!("the setup message has no {name}"))
}

/// Serves one run's buffer until it is released.
fn serve(message: &JsValue) -> std::result::Result<(), String> {
    let config: ModelConfig = Reflect::get(message, &"config".into())
        .ok()
        .and_then(|c| serde_wasm_bindgen::from_value(c).ok())
        .ok_or("the setup message has no model configuration")?;
    let buffer: SharedArrayBuffer = Reflect::get(message, &"buffer".into())
        .ok()
        .and_then(|b| b.dyn_into().ok())
        .ok_or("the setup message has no shared buffer")?;
    let sizes = Sizes {
        params: number(message, "params")?,
        values: number(message, "values")?,
        latent: number(message, "latent")?,
        capacity: number(message, "capacity")?,
    };
    let step = SharedStep::over(buffer, sizes);
    if !step.fits() {
        step.set_state(State::Failed);
        return Err("the shared buffer is smaller than its sizes say".to_string());
    }
    let model = Model::zeroed(config).map_err(|e| e.to_string())?;
    if model.parameter_count() as u32 != sizes.params {
        step.set_state(State::Failed);
        return Err("the model's parameters do not match the buffer's".to_string());
    }
    let params = model.parameters_by_name();
    // Only a buffer still starting is taken up: one released meanwhile is left alone.
    if !step.take_up() {
        return Ok(());
    }
    SERVING.with(|s| *s.borrow_mut() = Some(step.words().clone()));
    // The copy's values, named afresh whenever the trainer sends new ones.
    let mut version = Version::fresh();
    loop {
        match step.state() {
            Some(State::Job) => {
                let outcome = match share(&step, &model, &params, &mut version) {
                    Ok(()) => State::Done,
                    Err(e) => {
                        web_sys::console::error_1(&format!("the helper worker: {e}").into());
                        State::Failed
                    }
                };
                // A buffer released during the job stays released (the loop then leaves it).
                step.finish_job(outcome);
            }
            Some(State::Release) | None => break,
            Some(other) => step.wait_while(other, f64::INFINITY),
        }
    }
    SERVING.with(|s| *s.borrow_mut() = None);
    Ok(())
}

/// Does the job in `step` (a share's gradient, or a chunk's scores) and writes its result there;
/// `version` names the values in `params`.
fn share(step: &SharedStep, model: &Model, params: &[Var], version: &mut Version) -> Result<()> {
    let job = step.job();
    let sizes = step.sizes;
    if job.digits == 0 || job.digits > sizes.capacity {
        candle_core::bail!("a job of {} digits does not fit the buffer", job.digits)
    }
    if job.fresh_params {
        *version = Version::fresh();
        let from = step.params();
        let mut at = 0;
        for var in params {
            let n = var.elem_count() as u32;
            with_f32_data(var.as_tensor(), "a parameter", |data| {
                from.subarray(at, at + n).copy_to(data)
            })?;
            at += n;
        }
    }
    let _held = held::hold(*version);
    let digits = job.digits as usize;
    let read = |array: js_sys::Float32Array, width: u32| {
        let mut values = vec![0f32; array.length() as usize];
        array.copy_to(&mut values);
        Tensor::from_vec(values, (digits, width as usize), &Device::Cpu)
    };
    let x = read(step.images(job.digits), sizes.values)?;
    let noise = if job.has_noise {
        Some(read(step.noise(job.digits), sizes.latent)?)
    } else {
        None
    };
    if job.kind == JobKind::Score {
        let scores = score_chunk(model, &x, noise.as_ref())?;
        step.recon(job.digits).copy_from(&scores.recon);
        step.kl(job.digits).copy_from(&scores.kl);
        step.means(job.digits).copy_from(&scores.means);
        if !scores.kl_per_dim.is_empty() {
            step.kl_per_dim().copy_from(&scores.kl_per_dim);
        }
        return Ok(());
    }
    let result = share_gradient(model, params, &x, noise.as_ref(), job.beta, job.share)?;
    let loss = result.loss;
    step.set_loss([loss.total, loss.recon, loss.kl], result.grads.is_none());
    if let Some(grads) = result.grads {
        let into = step.grads();
        let mut at = 0;
        for g in grads {
            let g = g.contiguous()?;
            let n = g.elem_count() as u32;
            with_f32_data(&g, "a gradient", |data| {
                into.subarray(at, at + n).copy_from(data)
            })?;
            at += n;
        }
    }
    Ok(())
}
