//! Named settings worth starting from: the β-VAE of Higgins et al. (2017) on the generated
//! sprites, and the same model at β = 1 to set beside it. Written once, read by the training
//! panel's preset buttons, the native trainer's `--preset` and the shipped β-VAE.

use crate::ml::dataset::sprites;
use crate::ml::model::{ModelConfig, ModelKind};
use crate::ml::train::TrainConfig;

/// One preset: a model, how to train it and for how long.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Preset {
    /// Stable identifier (`--preset ID`, the page's buttons).
    pub id: &'static str,
    pub model: ModelConfig,
    pub train: TrainConfig,
    pub epochs: usize,
}

/// The Conv-VAE both presets use on the sprites: 10 latent dimensions, as the β-VAE paper; a
/// first convolution of 8 channels (then 16 and 32), which reconstructs one plain shape on
/// black as well as wider ones did in trials and trains ~4× faster than 16.
const SPRITES_MODEL: ModelConfig =
    ModelConfig::new(ModelKind::ConvVae, 10, 8).of_shape(sprites::IMAGE_SHAPE);

/// Batch 64, as the β-VAE paper; Adam 1e-3 (the paper's 5e-4 needs far more steps than a
/// page's run has).
const SPRITES_TRAINING: TrainConfig = TrainConfig {
    batch_size: 64,
    beta: 4.0,
    ..TrainConfig::REFERENCE
};

/// The β-VAE: β = 4.
pub const BETA_VAE: Preset = Preset {
    id: "beta-vae",
    model: SPRITES_MODEL,
    train: SPRITES_TRAINING,
    epochs: 12,
};

/// The same model as a plain VAE (β = 1), for contrast.
pub const PLAIN_VAE: Preset = Preset {
    id: "plain-vae",
    model: SPRITES_MODEL,
    train: TrainConfig {
        beta: 1.0,
        ..SPRITES_TRAINING
    },
    epochs: BETA_VAE.epochs,
};

/// Every preset.
pub const PRESETS: [Preset; 2] = [BETA_VAE, PLAIN_VAE];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_presets_are_the_papers_beta_vae_and_the_same_model_at_beta_one() {
        for preset in PRESETS {
            preset.model.validate().unwrap();
            preset.train.validate().unwrap();
            assert_eq!(preset.model.shape, sprites::IMAGE_SHAPE);
            assert_eq!(preset.model.latent, 10);
        }
        assert_eq!((BETA_VAE.train.beta, PLAIN_VAE.train.beta), (4.0, 1.0));
        assert_eq!(
            TrainConfig {
                beta: 4.0,
                ..PLAIN_VAE.train
            },
            BETA_VAE.train,
            "they differ in β alone"
        );
        assert_eq!(PLAIN_VAE.model, BETA_VAE.model);
    }
}
