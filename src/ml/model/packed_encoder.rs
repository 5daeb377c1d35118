//! The MLP encoder's means, with its weights packed once: what the page plots.
//!
//! The latent plane and the scatter place every test image at the mean of its code, encoded a
//! piece at a time between frames. Through candle each piece transposed the first layer's
//! weights again (784 × 400 for the digits models) and computed log σ² beside the means for
//! nothing; on a phone that was most of the encoding. Here the hidden layer and the means layer
//! are packed once per shown model ([`PackedMlp`]), and each piece is two sparse products.
//! Tested against candle's path.

use candle_core::{Result, Tensor};

use super::packed_mlp::PackedMlp;

/// x → ReLU(hidden) → μ (the autoencoder's code), from packed copies of an MLP encoder's
/// parameters.
#[derive(Debug, Clone)]
pub struct PackedEncoder {
    layers: PackedMlp,
}

impl PackedEncoder {
    /// From `[W₁, b₁, W_μ, b_μ]`: the hidden layer's weight (hidden × values) and bias, then the
    /// means layer's (latent × hidden).
    pub(crate) fn new(parameters: [&Tensor; 4]) -> Result<Self> {
        Ok(Self {
            layers: PackedMlp::new(parameters)?,
        })
    }

    pub fn latent(&self) -> usize {
        self.layers.outputs()
    }

    /// The means of `count` images laid end to end in `images`, `count × latent` values, image
    /// by image.
    pub fn encode_means(&self, images: &[f32], count: usize) -> Result<Vec<f32>> {
        self.layers.forward(images, count, "images")
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
            let packed = model.packed_encoder().unwrap().expect("MLP models pack");
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
    fn images_of_the_wrong_size_are_an_error_and_conv_models_do_not_pack() {
        let mut rng = Rng::new(14);
        let mlp = Model::new(ModelConfig::new(ModelKind::MlpVae, 4, 16), &mut rng).unwrap();
        let packed = mlp.packed_encoder().unwrap().unwrap();
        assert!(packed.encode_means(&[0.0; 3], 1).is_err());
        let conv = Model::new(ModelConfig::new(ModelKind::ConvVae, 4, 4), &mut rng).unwrap();
        assert!(conv.packed_encoder().unwrap().is_none());
    }
}
