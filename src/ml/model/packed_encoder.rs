//! A model's encoder means, with its weights packed once: what the page plots.
//!
//! The latent plane and the scatter place every test image at the mean of its code, encoded a
//! piece at a time between frames. Through candle each piece transposed the first layer's
//! weights again (784 × 400 for the digits models) and computed log σ² beside the means for
//! nothing; on a phone that was most of the encoding. Here the layers that give the means are
//! packed once per shown model: the MLPs' hidden and means layers ([`PackedMlp`]: each piece is
//! two sparse products), the Conv-VAE's convolutions and means layer ([`PackedConvEncoder`]).
//! Tested against candle's path.

use candle_core::{Result, Tensor};

use super::conv_vae::ConvVae;
use super::packed_conv_encoder::PackedConvEncoder;
use super::packed_mlp::PackedMlp;

/// x → μ (the autoencoder's code), from packed copies of an encoder's parameters.
#[derive(Debug, Clone)]
pub struct PackedEncoder {
    layers: Layers,
}

#[derive(Debug, Clone)]
enum Layers {
    /// x → ReLU(hidden) → μ.
    Mlp(PackedMlp),
    /// x → (convolution, ReLU)… → μ ([`ConvVae`]).
    Conv(PackedConvEncoder),
}

impl PackedEncoder {
    /// From `[W₁, b₁, W_μ, b_μ]`: the hidden layer's weight (hidden × values) and bias, then the
    /// means layer's (latent × hidden).
    pub(crate) fn new(parameters: [&Tensor; 4]) -> Result<Self> {
        Ok(Self {
            layers: Layers::Mlp(PackedMlp::new(parameters)?),
        })
    }

    /// A Conv-VAE's encoder.
    pub(crate) fn conv(vae: &ConvVae) -> Result<Self> {
        Ok(Self {
            layers: Layers::Conv(PackedConvEncoder::new(vae)?),
        })
    }

    pub fn latent(&self) -> usize {
        match &self.layers {
            Layers::Mlp(mlp) => mlp.outputs(),
            Layers::Conv(conv) => conv.latent(),
        }
    }

    /// The means of `count` images laid end to end in `images`, `count × latent` values, image
    /// by image.
    pub fn encode_means(&self, images: &[f32], count: usize) -> Result<Vec<f32>> {
        match &self.layers {
            Layers::Mlp(mlp) => mlp.forward(images, count, "images"),
            Layers::Conv(conv) => conv.forward(images, count),
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::ml::explore::encode_means;
    use crate::ml::model::{Model, ModelConfig, ModelKind};
    use crate::ml::rng::Rng;

    #[test]
    fn packed_means_match_candle_for_both_mlp_models() {
        let mut rng = Rng::new(13);
        // Hidden sizes off the 16-column panel width exercise the partial panels.
        for (kind, latent, hidden) in [
            (ModelKind::MlpVae, 20, 400),
            (ModelKind::Autoencoder, 3, 37),
        ] {
            let model = Model::new(ModelConfig::new(kind, latent, hidden), &mut rng).unwrap();
            let packed = model.packed_encoder().unwrap();
            assert_eq!(packed.latent(), latent);
            let values = model.config().shape.values();
            for count in [0, 1, 9] {
                // Pictures as the page has them: mostly background (zeros).
                let images: Vec<f32> = (0..count * values)
                    .map(|_| {
                        let u = rng.uniform(0.0, 1.0);
                        if u < 0.7 {
                            0.0
                        } else {
                            u
                        }
                    })
                    .collect();
                let fast = packed.encode_means(&images, count).unwrap();
                let plain = encode_means(&model, &images, count).unwrap();
                assert_eq!(fast.len(), count * latent);
                let diff = fast
                    .iter()
                    .zip(&plain)
                    .map(|(a, b)| (a - b).abs())
                    .fold(0.0, f32::max);
                assert!(diff < 1e-4, "{kind:?}, {count} images: off by {diff}");
            }
        }
    }

    #[test]
    fn every_model_kind_packs_and_images_of_the_wrong_size_are_an_error() {
        let mut rng = Rng::new(14);
        for kind in ModelKind::ALL {
            let model = Model::new(ModelConfig::new(kind, 4, 16), &mut rng).unwrap();
            let packed = model.packed_encoder().unwrap();
            assert_eq!(packed.latent(), 4);
            assert!(packed.encode_means(&[0.0; 3], 1).is_err(), "{kind:?}");
        }
    }
}
