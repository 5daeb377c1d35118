//! The code MIG reads: each image's latent mean under a model, and how much each dimension is
//! used (KL per dimension), gathered a chunk at a time so the page can paint between chunks.

use std::ops::Range;

use candle_core::Result;

use crate::ml::data::ImageSet;
use crate::ml::model::Model;

/// The latent means μ(x) of `images`' pictures `range`, one row of `latent` values per picture,
/// picture after picture: [`super::mig`]'s `latents`. The mean, not a sample: MIG asks what the
/// code says about a picture, not what one noisy draw of it does.
pub fn latent_means(model: &Model, images: &ImageSet, range: Range<usize>) -> Result<Vec<f32>> {
    let mut code = CodeSummary::new(model.config().latent);
    code.add(model, images, range)?;
    Ok(code.means)
}

/// [`latent_means`] of every picture of `images`, `chunk` pictures at a time (a model encodes a
/// large batch no faster, and a chunk's tensors stay small).
pub fn all_latent_means(model: &Model, images: &ImageSet, chunk: usize) -> Result<Vec<f32>> {
    let mut code = CodeSummary::new(model.config().latent);
    let chunk = chunk.max(1);
    let mut start = 0;
    while start < images.len() {
        let end = (start + chunk).min(images.len());
        code.add(model, images, start..end)?;
        start = end;
    }
    Ok(code.means)
}

/// A model's code of a set of pictures, gathered chunk by chunk: every picture's latent means,
/// and each dimension's KL to the prior summed over the pictures.
#[derive(Debug, Clone, PartialEq)]
pub struct CodeSummary {
    dims: usize,
    /// The means, one row of `dims` per picture, in the order the chunks came.
    pub means: Vec<f32>,
    kl_sums: Vec<f64>,
    /// Whether the model has a posterior's spread at all (an autoencoder does not).
    variational: bool,
}

impl CodeSummary {
    pub fn new(dims: usize) -> Self {
        Self {
            dims,
            means: Vec::new(),
            kl_sums: vec![0.0; dims],
            variational: true,
        }
    }

    /// Encodes `images`' pictures `range` and adds their code.
    pub fn add(&mut self, model: &Model, images: &ImageSet, range: Range<usize>) -> Result<()> {
        if range.is_empty() {
            return Ok(());
        }
        let x = images.range(range.start, range.len())?;
        let posterior = model.encode(&x)?;
        let means = posterior.mean.flatten_all()?.to_vec1::<f32>()?;
        match &posterior.log_var {
            // KL(N(μ, σ²) ‖ N(0, 1)) = ½ (μ² + σ² − 1 − log σ²) per dimension, written out on
            // the values rather than as tensor ops: the page then carries no generic candle
            // reduction or unary kernels for it (each costs kilobytes of wasm per dtype).
            Some(log_var) => {
                let log_var = log_var.flatten_all()?.to_vec1::<f32>()?;
                for (row_means, row_log_var) in means
                    .chunks_exact(self.dims)
                    .zip(log_var.chunks_exact(self.dims))
                {
                    for (sum, (&m, &lv)) in self
                        .kl_sums
                        .iter_mut()
                        .zip(row_means.iter().zip(row_log_var))
                    {
                        let (m, lv) = (f64::from(m), f64::from(lv));
                        *sum += 0.5 * (m * m + lv.exp() - 1.0 - lv);
                    }
                }
            }
            None => self.variational = false,
        }
        self.means.extend(means);
        Ok(())
    }

    /// Pictures gathered so far.
    pub fn pictures(&self) -> usize {
        self.means.len() / self.dims.max(1)
    }

    /// Latent dimensions.
    pub fn dims(&self) -> usize {
        self.dims
    }

    /// Each dimension's mean KL to the prior per picture, in nats; `None` for an autoencoder,
    /// whose code has no spread to compare with the prior.
    pub fn kl_per_dim(&self) -> Option<Vec<f64>> {
        let n = self.pictures().max(1) as f64;
        self.variational
            .then(|| self.kl_sums.iter().map(|s| s / n).collect())
    }

    /// Each dimension's variance of the means over the pictures: how much it moves from
    /// picture to picture (what orders an autoencoder's dimensions).
    pub fn spread_per_dim(&self) -> Vec<f64> {
        let n = self.pictures().max(1) as f64;
        (0..self.dims)
            .map(|d| {
                let values = || {
                    self.means
                        .iter()
                        .skip(d)
                        .step_by(self.dims)
                        .map(|&v| f64::from(v))
                };
                let mean = values().sum::<f64>() / n;
                values().map(|v| (v - mean).powi(2)).sum::<f64>() / n
            })
            .collect()
    }

    /// The dimensions, the most used first: by KL for a VAE, by spread for an autoencoder (on a
    /// tie, the lower dimension first).
    pub fn dims_by_use(&self) -> Vec<usize> {
        let key = self.kl_per_dim().unwrap_or_else(|| self.spread_per_dim());
        super::most_first(&key)
    }
}
