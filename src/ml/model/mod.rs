//! The three models behind one type, [`Model`]: an MLP-VAE, a Conv-VAE and a plain autoencoder.
//!
//! A model's parameters live in a candle `VarMap` it owns, so the trainer can hand them to an
//! optimiser and a checkpoint can name them; the network itself is built from a `VarBuilder` over
//! that map, candle-nn style. Fresh parameters are drawn by the project's seeded generator
//! ([`init`]), so a seed fixes a model completely.

mod autoencoder;
mod column_sums;
mod config;
mod conv_vae;
pub mod init;
mod input_grad;
mod input_linear;
mod layers;
mod line;
mod mlp_vae;
mod mlp_vae_step;
mod packed_conv_decoder;
mod packed_conv_encoder;
mod packed_decoder;
mod packed_encoder;
mod packed_mlp;
mod sparse_affine;
mod terms;
mod weight_grad;

use std::fmt;

use candle_core::{DType, Device, Result, Tensor, Var};
use candle_nn::{VarBuilder, VarMap};

pub use autoencoder::Autoencoder;
pub(crate) use column_sums::ColumnSums;
pub use config::{ConfigError, ModelConfig, ModelKind, MAX_LATENT};
pub use conv_vae::ConvVae;
pub use line::Line;
pub use mlp_vae::{MlpDecoder, MlpVae};
pub use mlp_vae_step::StepGradients;
pub use packed_decoder::PackedDecoder;
pub use packed_encoder::PackedEncoder;
pub(crate) use sparse_affine::SPARSE_KERNELS;
#[cfg(test)]
pub(crate) use sparse_affine::{sparse_affine, InputGrad};
pub use terms::{Posterior, Terms};
#[cfg(test)]
pub(crate) use weight_grad::dense_is_cheaper;
pub(crate) use weight_grad::{mostly_non_zero, SparseWeightGrad};

/// Where every kind of model keeps its decoder's parameters (`decoder.…`), and its encoder's:
/// a checkpoint sorts its tensors by name, so the decoder's come first in the file, and a file
/// still arriving can already decode ([`crate::ml::checkpoint::decoder_first`]).
pub(crate) const DECODER_PATH: &str = "decoder";
pub(crate) const ENCODER_PATH: &str = "encoder";

use crate::ml::bce_op::bce_with_logits_rows;
use crate::ml::fastmath::sigmoid_tensor;
use crate::ml::loss::kl_to_standard_normal;
use crate::ml::objective_ops::FUSED_OBJECTIVE;
use crate::ml::rng::Rng;

#[derive(Debug, Clone)]
enum Network {
    MlpVae(MlpVae),
    ConvVae(ConvVae),
    Autoencoder(Autoencoder),
}

/// A model: its configuration, its parameters, and the network over them.
pub struct Model {
    config: ModelConfig,
    vars: VarMap,
    network: Network,
}

impl fmt::Debug for Model {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Model")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl Model {
    /// A model whose parameters are all zero, to be filled by [`init::init_parameters`].
    pub fn zeroed(config: ModelConfig) -> Result<Self> {
        let vars = VarMap::new();
        let vb = VarBuilder::from_varmap(&vars, DType::F32, &Device::Cpu);
        Self::built(config, vars, vb)
    }

    /// The network of `config` over the parameters `vb` hands out, which `vars` holds once it
    /// is built (a checkpoint's reader fills the map as the network asks for each).
    pub(crate) fn built(config: ModelConfig, vars: VarMap, vb: VarBuilder) -> Result<Self> {
        config.validate().map_err(candle_core::Error::wrap)?;
        let (latent, hidden, values) = (config.latent, config.hidden, config.shape.values());
        let network = match config.kind {
            ModelKind::MlpVae => Network::MlpVae(MlpVae::new(latent, hidden, values, vb)?),
            ModelKind::ConvVae => Network::ConvVae(ConvVae::new(latent, hidden, config.shape, vb)?),
            ModelKind::Autoencoder => {
                Network::Autoencoder(Autoencoder::new(latent, hidden, values, vb)?)
            }
        };
        Ok(Self {
            config,
            vars,
            network,
        })
    }

    /// A freshly initialised model; the same seed gives the same parameters.
    pub fn new(config: ModelConfig, rng: &mut Rng) -> Result<Self> {
        let model = Self::zeroed(config)?;
        init::init_parameters(&model.vars, rng)?;
        Ok(model)
    }

    /// Another network over these very parameters (their storage shared, not copied), for a
    /// helper thread in the same memory: what either changes in place, the other sees.
    pub fn sharing(&self) -> Result<Self> {
        let vb = VarBuilder::from_varmap(&self.vars, DType::F32, &Device::Cpu);
        Self::built(self.config, self.vars.clone(), vb)
    }

    pub fn config(&self) -> ModelConfig {
        self.config
    }

    /// The parameters, for an optimiser.
    pub fn vars(&self) -> &VarMap {
        &self.vars
    }

    /// The parameters themselves, sorted by name: one order that two copies of a model agree
    /// on (a `VarMap` lists its variables in no fixed order).
    pub fn parameters_by_name(&self) -> Vec<Var> {
        let data = self
            .vars
            .data()
            .lock()
            .expect("the VarMap lock is never poisoned");
        let mut vars: Vec<(&String, &Var)> = data.iter().collect();
        vars.sort_by(|a, b| a.0.cmp(b.0));
        vars.into_iter().map(|(_, var)| var.clone()).collect()
    }

    /// Every parameter with its name, sorted by name (names like `encoder.hidden.weight`).
    pub fn named_parameters(&self) -> Vec<(String, Tensor)> {
        let data = self
            .vars
            .data()
            .lock()
            .expect("the VarMap lock is never poisoned");
        let mut params: Vec<(String, Tensor)> = data
            .iter()
            .map(|(name, var)| (name.clone(), var.as_tensor().clone()))
            .collect();
        params.sort_by(|a, b| a.0.cmp(&b.0));
        params
    }

    /// Number of scalar parameters.
    pub fn parameter_count(&self) -> usize {
        self.named_parameters()
            .iter()
            .map(|(_, t)| t.elem_count())
            .sum()
    }

    /// Encodes images `x`, `(n, values)` (see [`ModelConfig::shape`]) with values in [0, 1].
    pub fn encode(&self, x: &Tensor) -> Result<Posterior> {
        Ok(match &self.network {
            Network::MlpVae(m) => {
                let (mean, log_var) = m.encode(x)?;
                Posterior {
                    mean,
                    log_var: Some(log_var),
                }
            }
            Network::ConvVae(m) => {
                let (mean, log_var) = m.encode(x)?;
                Posterior {
                    mean,
                    log_var: Some(log_var),
                }
            }
            Network::Autoencoder(m) => Posterior {
                mean: m.encode(x)?,
                log_var: None,
            },
        })
    }

    /// Decodes latent codes `z`, `(n, latent)`, to pixel logits `(n, values)`.
    pub fn decode(&self, z: &Tensor) -> Result<Tensor> {
        match &self.network {
            Network::MlpVae(m) => m.decode(z),
            Network::ConvVae(m) => m.decode(z),
            Network::Autoencoder(m) => m.decode(z),
        }
    }

    /// The decoder packed for fast repeated decoding. A snapshot: later changes to the
    /// parameters do not reach it.
    pub fn packed_decoder(&self) -> Result<PackedDecoder> {
        match &self.network {
            Network::MlpVae(m) => PackedDecoder::new(m.decoder()),
            Network::Autoencoder(m) => PackedDecoder::new(m.decoder()),
            Network::ConvVae(m) => PackedDecoder::conv(m),
        }
    }

    /// The encoder's means packed for plotting a whole set. A snapshot, as
    /// [`Self::packed_decoder`] is.
    pub fn packed_encoder(&self) -> Result<PackedEncoder> {
        match &self.network {
            Network::MlpVae(m) => PackedEncoder::new(m.mean_parameters()),
            Network::Autoencoder(m) => PackedEncoder::new(m.code_parameters()),
            Network::ConvVae(m) => PackedEncoder::conv(m),
        }
    }

    /// A training share's loss and gradients (of `weight` × the loss of `x` under `noise`, β
    /// `beta`) with the backward written out where there is one (the MLP-VAE in wasm:
    /// `mlp_vae_step`); `None` where candle's backward does it.
    pub fn step_by_hand(
        &self,
        x: &Tensor,
        noise: Option<&Tensor>,
        beta: f64,
        weight: f64,
    ) -> Result<Option<StepGradients>> {
        match (&self.network, noise) {
            (Network::MlpVae(vae), Some(noise)) if SPARSE_KERNELS && FUSED_OBJECTIVE => {
                vae.step_by_hand(x, noise, beta, weight).map(Some)
            }
            _ => Ok(None),
        }
    }

    /// Decodes latent codes to values in [0, 1], `(n, values)`.
    pub fn decode_pixels(&self, z: &Tensor) -> Result<Tensor> {
        sigmoid_tensor(&self.decode(z)?)
    }

    /// Encodes `x`, draws z with `noise` ε (`(n, latent)` standard normal; `None` uses μ), decodes,
    /// and returns the unreduced terms of the objective.
    pub fn terms(&self, x: &Tensor, noise: Option<&Tensor>) -> Result<Terms> {
        let posterior = self.encode(x)?;
        let z = posterior.code(noise)?;
        let recon = bce_with_logits_rows(&self.decode(&z)?, x)?;
        let kl = match &posterior.log_var {
            Some(log_var) => Some(kl_to_standard_normal(&posterior.mean, log_var)?),
            None => None,
        };
        Ok(Terms {
            recon,
            kl,
            mean: posterior.mean,
        })
    }
}

#[cfg(test)]
mod tests;
