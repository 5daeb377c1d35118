//! What a model gives for a batch: the encoder's [`Posterior`] (a code from it, with or without
//! the reparameterisation's noise) and the objective's per-image [`Terms`], averaged into the
//! loss.

use candle_core::{DType, Result, Tensor};

use crate::ml::loss::{reparameterize, LossParts, LossValues};
use crate::ml::objective_ops::{self, FUSED_OBJECTIVE};

/// What the encoder says about a batch of images.
#[derive(Debug, Clone)]
pub struct Posterior {
    /// μ (or the autoencoder's code), `(n, latent)`.
    pub mean: Tensor,
    /// log σ², `(n, latent)`; `None` for the deterministic autoencoder.
    pub log_var: Option<Tensor>,
}

impl Posterior {
    /// A latent code: μ + σ·ε when `noise` (ε) is given, otherwise μ itself.
    pub fn code(&self, noise: Option<&Tensor>) -> Result<Tensor> {
        match (&self.log_var, noise) {
            (Some(log_var), Some(noise)) => reparameterize(&self.mean, log_var, noise),
            _ => Ok(self.mean.clone()),
        }
    }
}

/// The terms of the objective for one batch, per digit, before averaging.
#[derive(Debug, Clone)]
pub struct Terms {
    /// Reconstruction BCE of each digit (summed over its pixels), `(n,)`.
    pub recon: Tensor,
    /// KL to the prior per latent dimension, `(n, latent)`; `None` for the autoencoder.
    pub kl: Option<Tensor>,
    /// Each digit's code: the posterior's mean (the autoencoder's code), `(n, latent)`.
    pub mean: Tensor,
}

impl Terms {
    /// Per-digit means: recon, KL and recon + β·KL.
    pub fn loss(&self, beta: f64) -> Result<LossParts> {
        let n = self.recon.dim(0)? as f64;
        let recon = (self.recon.sum_all()? / n)?;
        let kl = match &self.kl {
            Some(kl) => (kl.sum_all()? / n)?,
            None => Tensor::zeros((), DType::F32, self.recon.device())?,
        };
        let total = if self.kl.is_some() {
            (&recon + (&kl * beta)?)?
        } else {
            recon.clone()
        };
        Ok(LossParts { total, recon, kl })
    }

    /// What a training step needs: the loss's values, and `weight` × its total as a scalar to
    /// differentiate (a helper's share of a batch weighs its part of the batch). In wasm a
    /// variational model's is one fused op (`ml::objective_ops`); otherwise
    /// [`Self::loss`]'s tensor operations.
    pub fn objective(&self, beta: f64, weight: f64) -> Result<(LossValues, Tensor)> {
        if let (true, Some(kl)) = (FUSED_OBJECTIVE, &self.kl) {
            return objective_ops::objective(&self.recon, kl, beta, weight);
        }
        let parts = self.loss(beta)?;
        let total = if weight == 1.0 {
            parts.total.clone()
        } else {
            (&parts.total * weight)?
        };
        Ok((parts.values()?, total))
    }
}
