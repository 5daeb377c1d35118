//! The MLP decoder with its weights packed once for decoding on every frame.
//!
//! The page decodes with weights that never change while a model is shown, so they are packed
//! once ([`PackedMlp`]: transposed into panels, the hidden layer's zeros skipped). Decoding one
//! code is a row-by-panel product with no tensor allocated; a hundred is the same loop a
//! hundred times. Tested against candle's path.

use candle_core::Result;

use super::mlp_vae::MlpDecoder;
use super::packed_mlp::PackedMlp;
use crate::ml::fastmath::sigmoid;

/// z → ReLU(hidden) → the values of one image, from packed copies of an [`MlpDecoder`]'s parameters.
#[derive(Debug, Clone)]
pub struct PackedDecoder {
    layers: PackedMlp,
}

impl PackedDecoder {
    pub fn new(decoder: &MlpDecoder) -> Result<Self> {
        Ok(Self {
            layers: PackedMlp::new(decoder.parameters())?,
        })
    }

    pub fn latent(&self) -> usize {
        self.layers.inputs()
    }

    /// Decodes `count` codes laid end to end in `zs` to `count × values` values in [0, 1].
    pub fn decode_pixels(&self, zs: &[f32], count: usize) -> Result<Vec<f32>> {
        let mut pixels = self.layers.forward(zs, count, "codes")?;
        for p in &mut pixels {
            *p = sigmoid(*p);
        }
        Ok(pixels)
    }
}

#[cfg(test)]
mod tests {
    use crate::ml::explore::decode_many;
    use crate::ml::model::{Model, ModelConfig, ModelKind};
    use crate::ml::rng::Rng;

    #[test]
    fn packed_decoding_matches_candle_for_both_mlp_models() {
        let mut rng = Rng::new(11);
        // Hidden sizes off the 16-column panel width exercise the partial panels.
        for (kind, latent, hidden) in [
            (ModelKind::MlpVae, 20, 400),
            (ModelKind::Autoencoder, 3, 37),
        ] {
            let model = Model::new(ModelConfig::new(kind, latent, hidden), &mut rng).unwrap();
            let packed = model.packed_decoder().unwrap().expect("MLP models pack");
            assert_eq!(packed.latent(), latent);
            for count in [0, 1, 7] {
                let zs = rng.normal_vec(count * latent);
                let fast = packed.decode_pixels(&zs, count).unwrap();
                let plain = decode_many(&model, &zs, count).unwrap();
                assert_eq!(fast.len(), plain.len());
                let diff = fast
                    .iter()
                    .zip(&plain)
                    .map(|(a, b)| (a - b).abs())
                    .fold(0.0, f32::max);
                assert!(diff < 1e-5, "{kind:?}, {count} codes: off by {diff}");
            }
        }
    }

    #[test]
    fn a_code_of_the_wrong_size_is_an_error_and_conv_models_do_not_pack() {
        let mut rng = Rng::new(12);
        let mlp = Model::new(ModelConfig::new(ModelKind::MlpVae, 4, 16), &mut rng).unwrap();
        let packed = mlp.packed_decoder().unwrap().unwrap();
        assert!(packed.decode_pixels(&[0.0; 3], 1).is_err());
        let conv = Model::new(ModelConfig::new(ModelKind::ConvVae, 4, 4), &mut rng).unwrap();
        assert!(conv.packed_decoder().unwrap().is_none());
    }
}
