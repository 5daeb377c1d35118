//! The MLP-VAE's training pass in wasm with its backward written out: the ops of
//! [`Model::terms`](super::Model::terms) and [`Terms::objective`](super::Terms::objective),
//! applied without candle's graph, then each op's own gradient called in reverse order.
//!
//! Why: candle's `Tensor::backward` walks a graph it sorts afresh every step, starts every
//! gradient as a tensor of zeros and adds each part to it, and it is one large generic function:
//! when Start was pressed at once (before the worker's warm-up had run it), the engine's
//! optimising tier spent 386 ms of a core compiling it during the run's first second (2-core
//! AMD EPYC, `www/bench/tiering.mjs`, 2026-12-07), and it ran unoptimised meanwhile. Every
//! op here is one of the graph's own, so each value is the same to the bit: the only sums are
//! μ's and log σ²'s two parts (from the code and from the KL term), and a sum of two does not
//! depend on its order. (candle's zeros turn a −0 into +0; here it may stay −0, which no later
//! value can tell apart.) The other kinds, and every build but wasm, keep candle's backward.

use std::collections::HashMap;

use candle_core::{Result, Tensor, TensorId, Var};

use super::mlp_vae::MlpVae;
use super::sparse_affine::{affine_record, InputGrad};
use crate::ml::bce_op::bce_rows_recorded;
use crate::ml::grad_sink;
use crate::ml::loss::LossValues;
use crate::ml::objective_ops::{
    kl_grads, kl_untracked, reparameterize_grads, reparameterize_untracked, ObjectiveByHand,
};
use crate::ml::relu_op::{relu_grad, relu_untracked};

/// What a step's share computed: its loss, and each parameter's gradient by its variable
/// (`None` when the loss diverged: nothing was worth backpropagating).
pub struct StepGradients {
    pub loss: LossValues,
    grads: Option<HashMap<TensorId, Tensor>>,
}

impl StepGradients {
    /// The gradients in the order of `params`.
    pub fn in_order(mut self, params: &[Var]) -> Result<(LossValues, Option<Vec<Tensor>>)> {
        let Some(mut grads) = self.grads.take() else {
            return Ok((self.loss, None));
        };
        let ordered = params.iter().map(|var| match grads.remove(&var.id()) {
            Some(grad) => Ok(grad),
            None => candle_core::bail!("no gradient for a parameter of shape {:?}", var.shape()),
        });
        Ok((self.loss, Some(ordered.collect::<Result<_>>()?)))
    }
}

impl MlpVae {
    /// The loss of `x` with noise `noise` (ε), β `beta`, and the gradients of `weight` × its
    /// total: what `share_gradient` computes through candle's graph, by hand.
    pub(crate) fn step_by_hand(
        &self,
        x: &Tensor,
        noise: &Tensor,
        beta: f64,
        weight: f64,
    ) -> Result<StepGradients> {
        let [w1, b1] = self.hidden.parameters();
        let [w_mean, b_mean] = linear_parameters(&self.mean)?;
        let [w_log_var, b_log_var] = linear_parameters(&self.log_var)?;
        let [w3, b3, w4, b4] = self.decoder.parameters();
        let latent = w_mean.dim(0)?;
        // The ops read contiguous operands; their gradients get the same tensors as the forward.
        let (x, noise) = (&x.contiguous()?, &noise.contiguous()?);

        // Forward, as `Model::terms` builds it in wasm (`MlpVae::encode`, `sparse_affine::heads`,
        // the code, `MlpDecoder::forward`, the BCE and KL terms), then the objective.
        let first = affine_record(x, w1, b1, InputGrad::None)?;
        let h1 = relu_untracked(&first.output)?;
        // Stacked as `heads` stacks them, from the values alone (no node in candle's graph).
        let w_heads = Tensor::cat(&[w_mean.detach(), w_log_var.detach()], 0)?;
        let b_heads = Tensor::cat(&[b_mean.detach(), b_log_var.detach()], 0)?;
        let heads = affine_record(&h1, &w_heads, &b_heads, InputGrad::ThroughRelu)?;
        let mean = heads.output.narrow(1, 0, latent)?.contiguous()?;
        let log_var = heads.output.narrow(1, latent, latent)?.contiguous()?;
        let z = reparameterize_untracked(&mean, &log_var, noise)?;
        let hidden = affine_record(&z, w3, b3, InputGrad::Full)?;
        let h2 = relu_untracked(&hidden.output)?;
        let out = affine_record(&h2, w4, b4, InputGrad::ThroughRelu)?;
        let bce = bce_rows_recorded(&out.output, x)?;
        let recon = &bce.rows;
        let kl = kl_untracked(&mean, &log_var)?;
        let objective = ObjectiveByHand::new(beta, weight);
        let loss = objective.values(recon, &kl)?;
        if loss.has_diverged() {
            return Ok(StepGradients { loss, grads: None });
        }

        // Backward, each op's gradient from its output's.
        let (g_recon, g_kl) = objective.grads(recon, &kl)?;
        let (g_mean_kl, g_log_var_kl) = kl_grads(&mean, &log_var, &kl, &g_kl)?;
        let g_logits = bce.grad(&g_recon)?;
        let (g_h2, g_w4, g_b4) = out.backward(&h2, w4, &g_logits)?;
        let g_hidden = relu_grad(&hidden.output, &passed_back(g_h2)?)?;
        let (g_z, g_w3, g_b3) = hidden.backward(&z, w3, &g_hidden)?;
        let (g_mean_z, g_log_var_z) =
            reparameterize_grads((&mean, &log_var, noise), &z, &passed_back(g_z)?)?;
        let g_mean = grad_sink::add(&g_mean_z, &g_mean_kl)?;
        let g_log_var = grad_sink::add(&g_log_var_z, &g_log_var_kl)?;
        let g_heads = Tensor::cat(&[&g_mean, &g_log_var], 1)?;
        let (g_h1, g_w_heads, g_b_heads) = heads.backward(&h1, &w_heads, &g_heads)?;
        let g_first = relu_grad(&first.output, &passed_back(g_h1)?)?;
        let (_, g_w1, g_b1) = first.backward(x, w1, &g_first)?;

        let halves = |g: &Tensor| -> Result<[Tensor; 2]> {
            Ok([g.narrow(0, 0, latent)?, g.narrow(0, latent, latent)?])
        };
        let [g_w_mean, g_w_log_var] = halves(&g_w_heads)?;
        let [g_b_mean, g_b_log_var] = halves(&g_b_heads)?;
        let grads = [
            (w1, g_w1),
            (b1, g_b1),
            (w_mean, g_w_mean),
            (b_mean, g_b_mean),
            (w_log_var, g_w_log_var),
            (b_log_var, g_b_log_var),
            (w3, g_w3),
            (b3, g_b3),
            (w4, g_w4),
            (b4, g_b4),
        ];
        Ok(StepGradients {
            loss,
            grads: Some(grads.into_iter().map(|(p, g)| (p.id(), g)).collect()),
        })
    }
}

/// A layer's weight and bias.
fn linear_parameters(layer: &candle_nn::Linear) -> Result<[&Tensor; 2]> {
    match layer.bias() {
        Some(bias) => Ok([layer.weight(), bias]),
        None => candle_core::bail!("a layer of the MLP-VAE has no bias"),
    }
}

/// A layer's input gradient, which every layer but the first gives.
fn passed_back(grad: Option<Tensor>) -> Result<Tensor> {
    grad.ok_or_else(|| candle_core::Error::Msg("a layer gave its input no gradient".into()))
}

#[cfg(test)]
mod tests {
    use candle_core::{Device, Result, Tensor};

    use super::super::sparse_affine::{sparse_affine, InputGrad};
    use super::super::{Model, ModelConfig, ModelKind, Network};
    use super::*;
    use crate::ml::bce_op::bce_with_logits_rows;
    use crate::ml::relu_op::relu;
    use crate::ml::rng::Rng;
    use crate::ml::{grad_sink, objective_ops};

    /// The graph that `Model::terms` and `Terms::objective` build in wasm, built from the same
    /// ops here, where the model itself takes candle's plain ones.
    fn wasm_graph(
        vae: &MlpVae,
        x: &Tensor,
        noise: &Tensor,
        beta: f64,
        weight: f64,
    ) -> Result<(LossValues, Tensor)> {
        let [w1, b1] = vae.hidden.parameters();
        let h = relu(&sparse_affine(x, w1, b1, InputGrad::None)?)?;
        let [w_mean, b_mean] = linear_parameters(&vae.mean)?;
        let [w_log_var, b_log_var] = linear_parameters(&vae.log_var)?;
        let w = Tensor::cat(&[w_mean, w_log_var], 0)?;
        let b = Tensor::cat(&[b_mean, b_log_var], 0)?;
        let both = sparse_affine(&h, &w, &b, InputGrad::ThroughRelu)?;
        let latent = w_mean.dim(0)?;
        let mean = both.narrow(1, 0, latent)?.contiguous()?;
        let log_var = both.narrow(1, latent, latent)?.contiguous()?;
        let z = objective_ops::reparameterize(&mean, &log_var, noise)?;
        let [w3, b3, w4, b4] = vae.decoder.parameters();
        let hidden = relu(&sparse_affine(&z, w3, b3, InputGrad::Full)?)?;
        let logits = sparse_affine(&hidden, w4, b4, InputGrad::ThroughRelu)?;
        let recon = bce_with_logits_rows(&logits, x)?;
        let kl = objective_ops::kl_to_standard_normal(&mean, &log_var)?;
        objective_ops::objective(&recon, &kl, beta, weight)
    }

    /// `rows` pictures about as sparse as digits, and the noise of their codes.
    fn batch(rng: &mut Rng, rows: usize, latent: usize) -> (Tensor, Tensor) {
        let pixels = (0..rows * 784)
            .map(|_| match rng.uniform(0.0, 1.0) < 0.2 {
                true => rng.uniform(0.0, 1.0),
                false => 0.0,
            })
            .collect();
        let noise = rng.normal_vec(rows * latent);
        let device = &Device::Cpu;
        (
            Tensor::from_vec(pixels, (rows, 784), device).unwrap(),
            Tensor::from_vec(noise, (rows, latent), device).unwrap(),
        )
    }

    fn values(t: &Tensor) -> Vec<f32> {
        t.flatten_all().unwrap().to_vec1().unwrap()
    }

    #[test]
    fn the_written_out_backward_gives_the_loss_and_every_gradient_of_candles_to_the_bit() {
        let mut rng = Rng::new(41);
        // The reference model's shapes at one thread's share, and a piece of 5 digits, below
        // the row count from which the layers take the sparse products.
        for (rows, hidden) in [(64, 400), (5, 37)] {
            let config = ModelConfig::new(ModelKind::MlpVae, 20, hidden);
            let model = Model::new(config, &mut rng).unwrap();
            let Network::MlpVae(vae) = &model.network else {
                unreachable!("an MLP-VAE was asked for")
            };
            let (x, noise) = batch(&mut rng, rows, 20);
            let params = model.parameters_by_name();
            let (want_loss, objective) = wasm_graph(vae, &x, &noise, 1.5, 0.5).unwrap();
            let want = grad_sink::gradients(&objective, &params).unwrap();
            let step = vae.step_by_hand(&x, &noise, 1.5, 0.5).unwrap();
            let (loss, got) = step.in_order(&params).unwrap();
            assert_eq!(loss, want_loss, "{rows} rows");
            let got = got.expect("a loss that did not diverge has gradients");
            for ((var, got), want) in params.iter().zip(&got).zip(&want) {
                assert_eq!(got.dims(), var.dims());
                // `==` on each value: the same to the bit but for the sign of a zero.
                assert!(
                    values(got) == values(want),
                    "{rows} rows, {:?}",
                    var.shape()
                );
            }
        }
    }

    #[test]
    fn a_diverged_loss_gives_no_gradients() {
        let mut rng = Rng::new(42);
        let model = Model::new(ModelConfig::new(ModelKind::MlpVae, 4, 16), &mut rng).unwrap();
        let Network::MlpVae(vae) = &model.network else {
            unreachable!("an MLP-VAE was asked for")
        };
        let (x, noise) = batch(&mut rng, 8, 4);
        let wild = (noise * 1e30).unwrap();
        let step = vae.step_by_hand(&x, &wild, 1.0, 1.0).unwrap();
        assert!(step.loss.has_diverged(), "{:?}", step.loss);
        let (_, grads) = step.in_order(&model.parameters_by_name()).unwrap();
        assert!(grads.is_none());
    }
}
