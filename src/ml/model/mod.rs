//! The three models behind one type, [`Model`]: an MLP-VAE, a Conv-VAE and a plain autoencoder.
//!
//! A model's parameters live in a candle `VarMap` it owns, so the trainer can hand them to an
//! optimiser and a checkpoint can name them; the network itself is built from a `VarBuilder` over
//! that map, candle-nn style. Fresh parameters are drawn by the project's seeded generator
//! ([`init`]), so a seed fixes a model completely.

mod autoencoder;
mod config;
mod conv_vae;
pub mod init;
mod input_grad;
mod input_linear;
mod layers;
mod mlp_vae;
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
pub use config::{ConfigError, ModelConfig, ModelKind, MAX_LATENT};
pub use conv_vae::ConvVae;
pub use mlp_vae::{MlpDecoder, MlpVae};
pub use packed_decoder::PackedDecoder;
pub use packed_encoder::PackedEncoder;
#[cfg(test)]
pub(crate) use sparse_affine::{sparse_affine, InputGrad};
pub(crate) use sparse_affine::{ColumnSums, SPARSE_KERNELS};
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
mod tests {
    use super::*;
    use crate::ml::data::IMAGE_PIXELS;

    fn batch(n: usize) -> Tensor {
        let mut rng = Rng::new(5);
        let values: Vec<f32> = (0..n * IMAGE_PIXELS)
            .map(|_| rng.uniform(0.0, 1.0))
            .collect();
        Tensor::from_vec(values, (n, IMAGE_PIXELS), &Device::Cpu).unwrap()
    }

    #[test]
    fn every_kind_encodes_and_decodes_with_the_right_shapes() {
        for kind in ModelKind::ALL {
            let hidden = if kind == ModelKind::ConvVae { 8 } else { 32 };
            let model = Model::new(ModelConfig::new(kind, 3, hidden), &mut Rng::new(1)).unwrap();
            let x = batch(4);
            let posterior = model.encode(&x).unwrap();
            assert_eq!(posterior.mean.dims(), &[4, 3], "{kind:?}");
            assert_eq!(posterior.log_var.is_some(), kind.is_variational());
            let logits = model.decode(&posterior.mean).unwrap();
            assert_eq!(logits.dims(), &[4, IMAGE_PIXELS], "{kind:?}");
            let terms = model.terms(&x, None).unwrap();
            assert_eq!(terms.recon.dims(), &[4]);
            assert_eq!(
                terms.kl.as_ref().map(|k| k.dims().to_vec()),
                kind.is_variational().then(|| vec![4, 3])
            );
        }
    }

    #[test]
    fn every_kind_reads_and_draws_images_of_every_shape() {
        use crate::ml::dataset::{Channels, ImageShape, SIDES};
        for kind in ModelKind::ALL {
            for channels in Channels::ALL {
                for side in SIDES {
                    let shape = ImageShape::new(channels, side).unwrap();
                    let hidden = if kind == ModelKind::ConvVae { 4 } else { 16 };
                    let config = ModelConfig::new(kind, 2, hidden).of_shape(shape);
                    let model = Model::new(config, &mut Rng::new(1)).unwrap();
                    let x = Tensor::full(0.5f32, (3, shape.values()), &Device::Cpu).unwrap();
                    let terms = model.terms(&x, None).unwrap();
                    assert_eq!(terms.recon.dims(), &[3], "{config}");
                    let z = Tensor::zeros((3, 2), DType::F32, &Device::Cpu).unwrap();
                    assert_eq!(model.decode(&z).unwrap().dims(), &[3, shape.values()]);
                }
            }
        }
        // A 64×64 Conv-VAE takes a third stage, with the names a two-stage one has and one more.
        let shape = ImageShape::new(Channels::Colour, 64).unwrap();
        let model = Model::zeroed(ModelConfig::new(ModelKind::ConvVae, 2, 4).of_shape(shape));
        let names: Vec<String> = model
            .unwrap()
            .named_parameters()
            .into_iter()
            .map(|p| p.0)
            .collect();
        for name in ["encoder.conv3.weight", "decoder.deconv3.weight"] {
            assert!(names.contains(&name.to_string()), "{names:?}");
        }
    }

    #[test]
    fn the_same_seed_gives_the_same_parameters() {
        let config = ModelConfig::new(ModelKind::MlpVae, 2, 16);
        let a = Model::new(config, &mut Rng::new(9)).unwrap();
        let b = Model::new(config, &mut Rng::new(9)).unwrap();
        let c = Model::new(config, &mut Rng::new(10)).unwrap();
        let flat = |m: &Model| -> Vec<f32> {
            m.named_parameters()
                .iter()
                .flat_map(|(_, t)| t.flatten_all().unwrap().to_vec1::<f32>().unwrap())
                .collect()
        };
        assert_eq!(flat(&a), flat(&b));
        assert_ne!(flat(&a), flat(&c));
    }

    #[test]
    fn initial_weights_are_bounded_by_one_over_root_fan_in() {
        let model =
            Model::new(ModelConfig::new(ModelKind::ConvVae, 4, 8), &mut Rng::new(2)).unwrap();
        for (name, t) in model.named_parameters() {
            let fan_in = match name.as_str() {
                n if n.starts_with("encoder.conv1") => 16,
                n if n.starts_with("encoder.conv2") => 8 * 16,
                n if n.starts_with("encoder.mean") || n.starts_with("encoder.log_var") => 16 * 49,
                n if n.starts_with("decoder.project") => 4,
                // a transposed convolution's fan-in counts its output channels, as in PyTorch
                n if n.starts_with("decoder.deconv1") => 8 * 16,
                n if n.starts_with("decoder.deconv2") => 16,
                other => panic!("unexpected parameter {other}"),
            };
            let bound = 1.0 / (fan_in as f32).sqrt();
            let max = t
                .abs()
                .unwrap()
                .max_all()
                .unwrap()
                .to_scalar::<f32>()
                .unwrap();
            assert!(max <= bound, "{name}: max {max}, bound {bound}");
            if name.ends_with("weight") {
                assert!(
                    max > 0.9 * bound,
                    "{name}: max {max} should come near {bound}"
                );
            }
        }
    }

    #[test]
    fn every_kind_has_an_id_that_reads_back_and_a_default_width_in_range() {
        for kind in ModelKind::ALL {
            assert_eq!(ModelKind::from_id(kind.id()), Some(kind));
            let config = ModelConfig::with_default_hidden(kind, 2);
            assert!(config.validate().is_ok(), "{config}");
            assert!(config.to_string().contains(kind.width_name()), "{config}");
        }
        assert_eq!(ModelKind::ids_text("or"), "mlp-vae, conv-vae or ae");
        assert_eq!(
            ModelConfig::default().to_string(),
            "MLP-VAE z=20 hidden=400"
        );
    }

    #[test]
    fn invalid_sizes_are_refused_with_the_allowed_range() {
        let err = ModelConfig::new(ModelKind::MlpVae, 0, 400)
            .validate()
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "a latent size of 0 is out of range: choose 1 to 64"
        );
        let err = ModelConfig::new(ModelKind::ConvVae, 8, 400)
            .validate()
            .unwrap_err();
        assert!(err.to_string().contains("choose 4 to 128"), "{err}");
        assert!(Model::zeroed(ModelConfig::new(ModelKind::MlpVae, 65, 400)).is_err());
    }
}
