//! Test-set evaluation: the negative ELBO in nats per digit and its parts.
//!
//! The ELBO is estimated with one z sample per digit, as in the reference runs this project
//! compares itself with. The noise comes from a generator with a fixed seed, so evaluating the
//! same model twice gives the same numbers, and a change in the number means the model changed.

use candle_core::{Device, Tensor};

use crate::ml::data::Digits;
use crate::ml::model::Model;
use crate::ml::rng::Rng;

/// Digits per forward pass during evaluation; large enough to be efficient, small enough to keep
/// memory low in a browser tab.
const EVAL_BATCH: usize = 500;

/// Seed of the evaluation noise (fixed, independent of any training seed).
pub const EVAL_SEED: u64 = 0x5EED_E1B0;

/// A KL above this many nats marks a latent dimension as "active" (in use by the encoder).
pub const ACTIVE_UNIT_NATS: f64 = 0.01;

/// How well a model explains a set of digits.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Evaluation {
    /// Mean negative ELBO (recon + KL, β = 1) in nats per digit. For the autoencoder, which has
    /// no KL term and no bound, this is its reconstruction loss.
    pub neg_elbo: f64,
    /// Mean reconstruction BCE, nats per digit.
    pub recon: f64,
    /// Mean KL to the prior, nats per digit.
    pub kl: f64,
    /// Mean KL of each latent dimension; empty for the autoencoder.
    pub kl_per_dim: Vec<f64>,
    /// Negative ELBO of each digit, in the set's order (for histograms and percentiles).
    pub per_digit: Vec<f32>,
}

impl Evaluation {
    /// Latent dimensions whose mean KL exceeds [`ACTIVE_UNIT_NATS`].
    pub fn active_units(&self) -> usize {
        self.kl_per_dim
            .iter()
            .filter(|&&kl| kl > ACTIVE_UNIT_NATS)
            .count()
    }
}

/// Evaluates `model` on every digit of `digits`.
pub fn evaluate(model: &Model, digits: &Digits) -> candle_core::Result<Evaluation> {
    let config = model.config();
    let mut noise_rng = Rng::new(EVAL_SEED);
    let mut recon_sum = 0f64;
    let mut kl_sums = vec![
        0f64;
        if config.kind.is_variational() {
            config.latent
        } else {
            0
        }
    ];
    let mut per_digit = Vec::with_capacity(digits.len());
    for start in (0..digits.len()).step_by(EVAL_BATCH) {
        let n = EVAL_BATCH.min(digits.len() - start);
        let x = digits.range(start, n)?;
        let noise = if config.kind.is_variational() {
            let values = noise_rng.normal_vec(n * config.latent);
            Some(Tensor::from_vec(values, (n, config.latent), &Device::Cpu)?)
        } else {
            None
        };
        let terms = model.terms(&x, noise.as_ref())?;
        let recon: Vec<f32> = terms.bce.sum(1)?.to_vec1()?;
        let kl: Vec<f32> = match &terms.kl {
            Some(kl) => {
                let per_dim: Vec<f32> = kl.sum(0)?.to_vec1()?;
                for (sum, v) in kl_sums.iter_mut().zip(per_dim) {
                    *sum += v as f64;
                }
                kl.sum(1)?.to_vec1()?
            }
            None => vec![0.0; n],
        };
        for (r, k) in recon.iter().zip(&kl) {
            recon_sum += *r as f64;
            per_digit.push(r + k);
        }
    }
    let n = digits.len() as f64;
    let kl_per_dim: Vec<f64> = kl_sums.iter().map(|s| s / n).collect();
    // fold from +0.0: an empty f64 sum is -0.0, which would print as "-0.000" for the AE
    let kl = kl_per_dim.iter().fold(0.0, |a, b| a + b);
    let recon = recon_sum / n;
    Ok(Evaluation {
        neg_elbo: recon + kl,
        recon,
        kl,
        kl_per_dim,
        per_digit,
    })
}
