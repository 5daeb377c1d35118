//! The three ops outside candle's graph, for a pass whose backward is written out
//! (`model/mlp_vae_step.rs`): each forward records no node, and each gradient is the op's own
//! backward, called with what candle would hand it.

use candle_core::{CustomOp2, CustomOp3, Result, Tensor};

use super::{KlToStandardNormal, Objective, Reparameterize};
use crate::ml::loss::LossValues;

/// z = μ + σ·ε, as [`super::reparameterize`].
pub(crate) fn reparameterize_untracked(
    mean: &Tensor,
    log_var: &Tensor,
    noise: &Tensor,
) -> Result<Tensor> {
    let (log_var, noise) = (log_var.contiguous()?, noise.contiguous()?);
    mean.contiguous()?
        .apply_op3_no_bwd(&log_var, &noise, &Reparameterize)
}

/// μ's and log σ²'s gradients from z's.
pub(crate) fn reparameterize_grads(
    (mean, log_var, noise): (&Tensor, &Tensor, &Tensor),
    z: &Tensor,
    grad_z: &Tensor,
) -> Result<(Tensor, Tensor)> {
    match Reparameterize.bwd(mean, log_var, noise, z, grad_z)? {
        (Some(mean), Some(log_var), _) => Ok((mean, log_var)),
        _ => candle_core::bail!("the reparameterisation gave no gradient"),
    }
}

/// The element-wise KL term, as [`super::kl_to_standard_normal`].
pub(crate) fn kl_untracked(mean: &Tensor, log_var: &Tensor) -> Result<Tensor> {
    mean.contiguous()?
        .apply_op2_no_bwd(&log_var.contiguous()?, &KlToStandardNormal)
}

/// μ's and log σ²'s gradients from the KL term's.
pub(crate) fn kl_grads(
    mean: &Tensor,
    log_var: &Tensor,
    kl: &Tensor,
    grad_kl: &Tensor,
) -> Result<(Tensor, Tensor)> {
    match KlToStandardNormal.bwd(mean, log_var, kl, grad_kl)? {
        (Some(mean), Some(log_var)) => Ok((mean, log_var)),
        _ => candle_core::bail!("the KL term gave no gradient"),
    }
}

/// A step's objective, `weight`·(Σ recon / n + β·Σ kl / n): its values and gradients by hand, and
/// the op [`super::objective`] puts in candle's graph.
pub(crate) struct ObjectiveByHand(Objective);

impl ObjectiveByHand {
    pub(crate) fn new(beta: f64, weight: f64) -> Self {
        Self(Objective {
            beta: beta as f32,
            weight: weight as f32,
        })
    }

    /// The op itself, for a graph candle differentiates ([`super::objective`]).
    pub(super) fn into_op(self) -> Objective {
        self.0
    }

    /// The loss's values for the per-digit `recon` (`(n,)`) and `kl` (`(n, latent)`).
    pub(crate) fn values(&self, recon: &Tensor, kl: &Tensor) -> Result<LossValues> {
        if kl.dim(0)? != recon.dim(0)? {
            candle_core::bail!(
                "objective: {} KL rows for {} digits",
                kl.dim(0)?,
                recon.dim(0)?
            )
        }
        Ok(self
            .0
            .values(&recon.to_vec1()?, &kl.flatten_all()?.to_vec1()?))
    }

    /// The gradients of the objective (differentiated from 1, as a backward starts) with
    /// respect to `recon` and `kl`.
    pub(crate) fn grads(&self, recon: &Tensor, kl: &Tensor) -> Result<(Tensor, Tensor)> {
        let one = Tensor::new(1f32, recon.device())?;
        match self.0.bwd(recon, kl, &one, &one)? {
            (Some(recon), Some(kl)) => Ok((recon, kl)),
            _ => candle_core::bail!("the objective gave no gradient"),
        }
    }
}
