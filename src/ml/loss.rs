//! The terms of the VAE objective and the reparameterisation trick.
//!
//! The negative ELBO of a digit `x` with encoder q(z|x) = N(μ, diag σ²) and prior p(z) = N(0, I):
//!
//! ```text
//! −ELBO(x) = E_q[−log p(x|z)] + KL(q(z|x) ‖ p(z))
//!          ≈ Σ_pixels BCE(decoder(z), x) + ½ Σ_dims (μ² + σ² − 1 − log σ²),   z = μ + σ·ε
//! ```
//!
//! The reconstruction term is the Bernoulli log-likelihood of the grey values, computed from
//! logits in the numerically stable form `max(l, 0) − l·x + log(1 + e^−|l|)`. The training loss
//! weights the KL term by β (β = 1 is the ELBO; β > 1 a β-VAE). Everything is averaged per digit,
//! so the numbers read as "nats per digit".

use candle_core::{Result, Tensor};

use crate::ml::objective_ops::{self, FUSED_OBJECTIVE};

/// Elementwise binary cross-entropy between `logits` and targets in [0, 1].
pub fn bce_with_logits(logits: &Tensor, targets: &Tensor) -> Result<Tensor> {
    let softplus_tail = (logits.abs()?.neg()?.exp()? + 1.0)?.log()?;
    (logits.relu()? - (logits * targets)?)? + softplus_tail
}

/// Elementwise KL(N(μ, σ²) ‖ N(0, 1)) for each latent dimension, from μ and log σ². In wasm one
/// fused op (`ml::objective_ops`), natively the plain formula.
pub fn kl_to_standard_normal(mean: &Tensor, log_var: &Tensor) -> Result<Tensor> {
    if FUSED_OBJECTIVE {
        objective_ops::kl_to_standard_normal(mean, log_var)
    } else {
        plain_kl_to_standard_normal(mean, log_var)
    }
}

/// [`kl_to_standard_normal`] in tensor operations.
pub(crate) fn plain_kl_to_standard_normal(mean: &Tensor, log_var: &Tensor) -> Result<Tensor> {
    let inner = ((mean.sqr()? + log_var.exp()?)? - log_var)?;
    (inner - 1.0)? * 0.5
}

/// z = μ + σ·ε with σ = exp(½ log σ²). Gradients flow to μ and log σ², not to the noise ε. In
/// wasm one fused op (`ml::objective_ops`), natively the plain formula.
pub fn reparameterize(mean: &Tensor, log_var: &Tensor, noise: &Tensor) -> Result<Tensor> {
    if FUSED_OBJECTIVE {
        objective_ops::reparameterize(mean, log_var, noise)
    } else {
        plain_reparameterize(mean, log_var, noise)
    }
}

/// [`reparameterize`] in tensor operations.
pub(crate) fn plain_reparameterize(
    mean: &Tensor,
    log_var: &Tensor,
    noise: &Tensor,
) -> Result<Tensor> {
    let std = (log_var * 0.5)?.exp()?;
    mean + (std * noise)?
}

/// The loss of one batch as scalar tensors (per-digit means), ready for backpropagation.
#[derive(Debug, Clone)]
pub struct LossParts {
    /// recon + β·kl: what the optimiser minimises.
    pub total: Tensor,
    /// Reconstruction BCE in nats per digit.
    pub recon: Tensor,
    /// KL to the prior in nats per digit (zero for the plain autoencoder).
    pub kl: Tensor,
}

/// The same three numbers read back to the host.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct LossValues {
    pub total: f32,
    pub recon: f32,
    pub kl: f32,
}

/// A reconstruction or KL term above this many nats per digit means the weights have blown up:
/// an untrained model scores about 550, the worst possible sane guess (all pixels ½) 543, and a
/// learning rate of 10 sends the loss past 10¹¹ while it stays finite.
pub const EXPLODED_NATS: f32 = 1e5;

impl LossValues {
    pub fn is_finite(&self) -> bool {
        self.total.is_finite() && self.recon.is_finite() && self.kl.is_finite()
    }

    /// Whether training has diverged: a term is not finite, or has exploded past
    /// [`EXPLODED_NATS`] (β does not count: a large β weights a sane KL).
    pub fn has_diverged(&self) -> bool {
        !self.is_finite() || self.recon > EXPLODED_NATS || self.kl > EXPLODED_NATS
    }
}

/// Sample-weighted means of losses that arrive in parts: a step's loss from the pieces of its
/// batch, an epoch's from its steps. Each part counts in proportion to its digits.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct LossMeans {
    sums: [f64; 3],
    samples: usize,
}

impl LossMeans {
    /// Adds `loss`, the mean over `samples` digits.
    pub fn add(&mut self, loss: LossValues, samples: usize) {
        let w = samples as f64;
        for (sum, part) in self.sums.iter_mut().zip([loss.total, loss.recon, loss.kl]) {
            *sum += part as f64 * w;
        }
        self.samples += samples;
    }

    /// Digits added so far.
    pub fn samples(&self) -> usize {
        self.samples
    }

    /// The mean per digit of everything added (zeros before anything is).
    pub fn mean(&self) -> LossValues {
        let n = self.samples.max(1) as f64;
        let mean = |s: f64| (s / n) as f32;
        LossValues {
            total: mean(self.sums[0]),
            recon: mean(self.sums[1]),
            kl: mean(self.sums[2]),
        }
    }
}

impl LossParts {
    pub fn values(&self) -> Result<LossValues> {
        Ok(LossValues {
            total: self.total.to_scalar()?,
            recon: self.recon.to_scalar()?,
            kl: self.kl.to_scalar()?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use candle_core::{Device, Var};

    fn t(values: &[f32]) -> Tensor {
        Tensor::new(values, &Device::Cpu).unwrap()
    }

    fn close(a: f32, b: f64) -> bool {
        (a as f64 - b).abs() < 1e-5 * (1.0 + b.abs())
    }

    #[test]
    fn a_loss_has_diverged_when_a_term_is_not_finite_or_explodes_but_not_for_a_large_beta() {
        let v = |total: f32, recon: f32, kl: f32| LossValues { total, recon, kl };
        assert!(!v(543.0, 540.0, 3.0).has_diverged());
        assert!(
            !v(3540.0, 540.0, 3.0).has_diverged(),
            "β = 1000 weights a sane KL"
        );
        assert!(v(f32::NAN, 540.0, 3.0).has_diverged());
        assert!(v(f32::INFINITY, 540.0, f32::INFINITY).has_diverged());
        assert!(v(4e11, 200.0, 4e11).has_diverged());
        assert!(v(2e5, 2e5, 1.0).has_diverged());
    }

    #[test]
    fn loss_means_weight_each_part_by_its_digits() {
        let mut means = LossMeans::default();
        assert_eq!(
            means.mean(),
            LossValues {
                total: 0.0,
                recon: 0.0,
                kl: 0.0
            }
        );
        means.add(
            LossValues {
                total: 10.0,
                recon: 8.0,
                kl: 2.0,
            },
            30,
        );
        means.add(
            LossValues {
                total: 20.0,
                recon: 14.0,
                kl: 6.0,
            },
            10,
        );
        assert_eq!(means.samples(), 40);
        assert_eq!(
            means.mean(),
            LossValues {
                total: 12.5,
                recon: 9.5,
                kl: 3.0
            }
        );
    }

    #[test]
    fn bce_matches_hand_computed_values() {
        // −[x log σ(l) + (1−x) log(1−σ(l))], by hand:
        // l=0,  x=0.5: log 2                    = 0.693147
        // l=2,  x=1:   log(1+e^−2)              = 0.126928
        // l=−3, x=0.2: 0.2·3 + log(1+e^−3)      = 0.648587
        // l=40, x=0:   40 + log(1+e^−40) ≈ 40   (no overflow)
        let got: Vec<f32> = bce_with_logits(&t(&[0.0, 2.0, -3.0, 40.0]), &t(&[0.5, 1.0, 0.2, 0.0]))
            .unwrap()
            .to_vec1()
            .unwrap();
        let want = [std::f64::consts::LN_2, 0.126_928_0, 0.648_587_3, 40.0];
        for (g, w) in got.iter().zip(want) {
            assert!(close(*g, w), "got {g}, want {w}");
        }
    }

    #[test]
    fn kl_matches_hand_computed_values() {
        // ½(μ² + σ² − 1 − log σ²):
        // μ=0, log σ²=0: 0
        // μ=1, log σ²=0: 0.5
        // μ=0, log σ²=ln 4: ½(4 − 1 − ln 4) = 0.806853
        // μ=−2, log σ²=−1: ½(4 + e^−1 − 1 + 1) = 2.183940
        let got: Vec<f32> =
            kl_to_standard_normal(&t(&[0.0, 1.0, 0.0, -2.0]), &t(&[0.0, 0.0, 4f32.ln(), -1.0]))
                .unwrap()
                .to_vec1()
                .unwrap();
        let want = [0.0, 0.5, 0.806_852_8, 2.183_939_7];
        for (g, w) in got.iter().zip(want) {
            assert!(close(*g, w), "got {g}, want {w}");
        }
    }

    #[test]
    fn reparameterization_gradient_flows_to_mean_and_log_variance() {
        // z = μ + exp(½ log σ²)·ε, so ∂z/∂μ = 1 and ∂z/∂log σ² = ½·exp(½ log σ²)·ε.
        let mean = Var::new(&[0.5f32, -1.0], &Device::Cpu).unwrap();
        let log_var = Var::new(&[0.0f32, 2.0], &Device::Cpu).unwrap();
        let noise = t(&[1.5, -0.5]);
        let z = reparameterize(mean.as_tensor(), log_var.as_tensor(), &noise).unwrap();
        let zs: Vec<f32> = z.to_vec1().unwrap();
        assert!(close(zs[0], 0.5 + 1.5));
        assert!(close(zs[1], -1.0 + 1f64.exp() * -0.5));
        let grads = z.sum_all().unwrap().backward().unwrap();
        let d_mean: Vec<f32> = grads.get(&mean).unwrap().to_vec1().unwrap();
        let d_log_var: Vec<f32> = grads.get(&log_var).unwrap().to_vec1().unwrap();
        assert_eq!(d_mean, vec![1.0, 1.0]);
        assert!(close(d_log_var[0], 0.5 * 1.5));
        assert!(close(d_log_var[1], 0.5 * 1f64.exp() * -0.5));
    }

    #[test]
    fn bce_gradient_is_sigmoid_minus_target() {
        let logits = Var::new(&[-1.0f32, 0.0, 3.0], &Device::Cpu).unwrap();
        let targets = t(&[0.0, 0.3, 1.0]);
        let loss = bce_with_logits(logits.as_tensor(), &targets)
            .unwrap()
            .sum_all()
            .unwrap();
        let grad: Vec<f32> = loss
            .backward()
            .unwrap()
            .get(&logits)
            .unwrap()
            .to_vec1()
            .unwrap();
        let sigmoid = |x: f64| 1.0 / (1.0 + (-x).exp());
        let want = [sigmoid(-1.0) - 0.0, 0.5 - 0.3, sigmoid(3.0) - 1.0];
        for (g, w) in grad.iter().zip(want) {
            assert!(close(*g, w), "got {g}, want {w}");
        }
    }
}
