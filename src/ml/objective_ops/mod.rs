//! The small ops of the objective as fused candle ops, each with its own backward: the latent
//! code z = μ + σ·ε, the KL term, and the weighted per-digit mean a training step differentiates.
//!
//! Written with tensor operations ([`crate::ml::loss`]'s plain formulas and
//! [`Terms::loss`](crate::ml::model::Terms::loss)), the three cost sixteen small ops forward and
//! some forty backward (each a fresh tensor, and each gradient added into a zeroed one): on a
//! `(64, 20)` latent, candle's bookkeeping, not arithmetic. In wasm they also kept six of
//! candle's generic functions (`Mul`, `Exp`, `Sqr`, `Sub`, `Affine`, `ReduceSum`) on a step's
//! hot path, and the engine's optimising tier compiled them while a run's first second trained:
//! 690 ms of a core of the 1.3 s it compiled during a reference run started at once (2-core AMD
//! EPYC, `--trace-wasm-compilation-times`, 2026-12-06). Here each is one op forward, a pass over
//! its inputs, and one or two passes backward:
//!
//! ```text
//! z         = μ + exp(½ log σ²)·ε          ∂z/∂μ = 1,  ∂z/∂log σ² = ½·ε·σ
//! kl        = ½ (μ² + σ² − log σ² − 1)    ∂kl/∂μ = μ,  ∂kl/∂log σ² = ½ (σ² − 1)
//! objective = w·(Σ recon / n + β·Σ kl / n)  ∂/∂recon = w/n,  ∂/∂kl = w·β/n
//! ```
//!
//! The arithmetic is the plain formulas', in their order: z, kl and every op's gradients agree
//! with them to the last bit (in a whole model μ and log σ² then gather their gradients' parts
//! in another order, so theirs agree to rounding); its sums are taken in order where candle's take SIMD lanes, so
//! the loss a step reports agrees to rounding. Natively the plain formulas stay (the pretrained
//! weights were trained on them and rebuild bit for bit), as the sparse layers do.

use candle_core::{CpuStorage, CustomOp2, CustomOp3, Layout, Result, Shape, Tensor};

use crate::ml::cpu_slices::f32_slice;
use crate::ml::loss::LossValues;

mod by_hand;
pub(crate) use by_hand::{
    kl_grads, kl_untracked, reparameterize_grads, reparameterize_untracked, ObjectiveByHand,
};

/// Whether the objective is computed with these ops: in wasm, where a step's op count shows.
pub(crate) const FUSED_OBJECTIVE: bool = cfg!(target_arch = "wasm32");

/// An element-wise map of two same-shaped f32 tensors, without a backward of its own (also the
/// sum of two gradients, [`crate::ml::grad_sink::add`]).
pub(crate) struct Zip2<F> {
    pub(crate) name: &'static str,
    pub(crate) f: F,
}

impl<F: Fn(f32, f32) -> f32 + Send + Sync> CustomOp2 for Zip2<F> {
    fn name(&self) -> &'static str {
        self.name
    }

    fn cpu_fwd(
        &self,
        s1: &CpuStorage,
        l1: &Layout,
        s2: &CpuStorage,
        l2: &Layout,
    ) -> Result<(CpuStorage, Shape)> {
        same_shape(self.name, &[l1, l2])?;
        let (a, b) = (f32_slice(s1, l1, self.name)?, f32_slice(s2, l2, self.name)?);
        let out = a.iter().zip(b).map(|(&a, &b)| (self.f)(a, b)).collect();
        Ok((CpuStorage::F32(out), l1.shape().clone()))
    }
}

/// The same for three tensors.
struct Zip3<F> {
    name: &'static str,
    f: F,
}

impl<F: Fn(f32, f32, f32) -> f32 + Send + Sync> CustomOp3 for Zip3<F> {
    fn name(&self) -> &'static str {
        self.name
    }

    fn cpu_fwd(
        &self,
        s1: &CpuStorage,
        l1: &Layout,
        s2: &CpuStorage,
        l2: &Layout,
        s3: &CpuStorage,
        l3: &Layout,
    ) -> Result<(CpuStorage, Shape)> {
        same_shape(self.name, &[l1, l2, l3])?;
        let a = f32_slice(s1, l1, self.name)?;
        let (b, c) = (f32_slice(s2, l2, self.name)?, f32_slice(s3, l3, self.name)?);
        let out = (a.iter().zip(b).zip(c))
            .map(|((&a, &b), &c)| (self.f)(a, b, c))
            .collect();
        Ok((CpuStorage::F32(out), l1.shape().clone()))
    }
}

fn same_shape(op: &str, layouts: &[&Layout]) -> Result<()> {
    let first = layouts[0].shape();
    match layouts.iter().find(|l| l.shape() != first) {
        Some(other) => candle_core::bail!("{op}: shapes {first:?} and {:?} differ", other.shape()),
        None => Ok(()),
    }
}

/// σ = exp(½ log σ²), as the plain formula computes it (`affine` then `exp`).
#[inline(always)]
fn std_dev(log_var: f32) -> f32 {
    (log_var * 0.5).exp()
}

/// z = μ + σ·ε, differentiable in μ and log σ².
struct Reparameterize;

impl CustomOp3 for Reparameterize {
    fn name(&self) -> &'static str {
        "reparameterize"
    }

    fn cpu_fwd(
        &self,
        s1: &CpuStorage,
        l1: &Layout,
        s2: &CpuStorage,
        l2: &Layout,
        s3: &CpuStorage,
        l3: &Layout,
    ) -> Result<(CpuStorage, Shape)> {
        let zip = Zip3 {
            name: self.name(),
            f: |mean: f32, log_var: f32, noise: f32| mean + std_dev(log_var) * noise,
        };
        zip.cpu_fwd(s1, l1, s2, l2, s3, l3)
    }

    fn bwd(
        &self,
        _mean: &Tensor,
        log_var: &Tensor,
        noise: &Tensor,
        _z: &Tensor,
        grad_z: &Tensor,
    ) -> Result<(Option<Tensor>, Option<Tensor>, Option<Tensor>)> {
        let grad_z = grad_z.contiguous()?;
        let grad_log_var = log_var.apply_op3_no_bwd(
            noise,
            &grad_z,
            &Zip3 {
                name: "reparameterize-grad",
                f: |log_var: f32, noise: f32, g: f32| g * noise * std_dev(log_var) * 0.5,
            },
        )?;
        Ok((Some(grad_z), Some(grad_log_var), None))
    }
}

/// ½ (μ² + σ² − log σ² − 1) per element.
struct KlToStandardNormal;

impl CustomOp2 for KlToStandardNormal {
    fn name(&self) -> &'static str {
        "kl-to-standard-normal"
    }

    fn cpu_fwd(
        &self,
        s1: &CpuStorage,
        l1: &Layout,
        s2: &CpuStorage,
        l2: &Layout,
    ) -> Result<(CpuStorage, Shape)> {
        let zip = Zip2 {
            name: self.name(),
            f: |mean: f32, log_var: f32| (mean * mean + log_var.exp() - log_var - 1.0) * 0.5,
        };
        zip.cpu_fwd(s1, l1, s2, l2)
    }

    fn bwd(
        &self,
        mean: &Tensor,
        log_var: &Tensor,
        _kl: &Tensor,
        grad_kl: &Tensor,
    ) -> Result<(Option<Tensor>, Option<Tensor>)> {
        let grad_kl = grad_kl.contiguous()?;
        let grad_mean = mean.apply_op2_no_bwd(
            &grad_kl,
            &Zip2 {
                name: "kl-grad-mean",
                f: |mean: f32, g: f32| mean * (g * 0.5) * 2.0,
            },
        )?;
        let grad_log_var = log_var.apply_op2_no_bwd(
            &grad_kl,
            &Zip2 {
                name: "kl-grad-log-var",
                f: |log_var: f32, g: f32| {
                    let half = g * 0.5;
                    half * log_var.exp() - half
                },
            },
        )?;
        Ok((Some(grad_mean), Some(grad_log_var)))
    }
}

/// z = μ + σ·ε (`noise` is ε) in one op; gradients flow to μ and log σ², not to ε.
pub(crate) fn reparameterize(mean: &Tensor, log_var: &Tensor, noise: &Tensor) -> Result<Tensor> {
    mean.contiguous()?
        .apply_op3(&log_var.contiguous()?, &noise.contiguous()?, Reparameterize)
}

/// Element-wise KL(N(μ, σ²) ‖ N(0, 1)) in one op.
pub(crate) fn kl_to_standard_normal(mean: &Tensor, log_var: &Tensor) -> Result<Tensor> {
    mean.contiguous()?
        .apply_op2(&log_var.contiguous()?, KlToStandardNormal)
}

/// `w·(Σ recon / n + β·Σ kl / n)` of a batch's per-digit terms, as a scalar.
struct Objective {
    beta: f32,
    weight: f32,
}

impl Objective {
    /// The per-digit means of `recon` (`(n,)`) and `kl` (any shape, `n` rows), summed in
    /// order and scaled as `Tensor::sum_all` then `/ n` do.
    fn values(&self, recon: &[f32], kl: &[f32]) -> LossValues {
        let per_digit = (1.0 / recon.len() as f64) as f32;
        let mean = |v: &[f32]| v.iter().fold(0.0f32, |sum, &x| sum + x) * per_digit;
        let (recon, kl) = (mean(recon), mean(kl));
        LossValues {
            total: recon + kl * self.beta,
            recon,
            kl,
        }
    }
}

impl CustomOp2 for Objective {
    fn name(&self) -> &'static str {
        "objective"
    }

    fn cpu_fwd(
        &self,
        s1: &CpuStorage,
        l1: &Layout,
        s2: &CpuStorage,
        l2: &Layout,
    ) -> Result<(CpuStorage, Shape)> {
        let recon = f32_slice(s1, l1, "the reconstruction terms")?;
        let kl = f32_slice(s2, l2, "the KL terms")?;
        let total = self.values(recon, kl).total * self.weight;
        Ok((CpuStorage::F32(vec![total]), Shape::from(())))
    }

    fn bwd(
        &self,
        recon: &Tensor,
        kl: &Tensor,
        _objective: &Tensor,
        grad: &Tensor,
    ) -> Result<(Option<Tensor>, Option<Tensor>)> {
        let per_digit = (1.0 / recon.dim(0)? as f64) as f32;
        let g = grad.to_scalar::<f32>()? * self.weight;
        // Filled from a `Vec`, not by `Tensor::full`: candle's generic `const_set`, which that
        // calls, was one more function the engine compiled during a run's first second.
        let filled = |value: f32, t: &Tensor| {
            Tensor::from_vec(vec![value; t.elem_count()], t.shape(), t.device())
        };
        let grad_recon = filled(g * per_digit, recon)?;
        let grad_kl = filled(g * self.beta * per_digit, kl)?;
        Ok((Some(grad_recon), Some(grad_kl)))
    }
}

/// The loss of a batch from its per-digit `recon` (`(n,)`) and `kl` (`(n, latent)`) terms, and
/// `weight` times its total as a scalar to differentiate, in one op.
pub(crate) fn objective(
    recon: &Tensor,
    kl: &Tensor,
    beta: f64,
    weight: f64,
) -> Result<(LossValues, Tensor)> {
    let (recon, kl) = (recon.contiguous()?, kl.contiguous()?);
    let op = ObjectiveByHand::new(beta, weight);
    let values = op.values(&recon, &kl)?;
    Ok((values, recon.apply_op2(&kl, op.into_op())?))
}

#[cfg(test)]
mod tests;
