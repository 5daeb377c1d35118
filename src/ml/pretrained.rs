//! The models Latent Lab ships, trained by `cargo run --release --bin train -- --pretrained`.
//!
//! One list shared by the native trainer (which writes the files) and the page (which offers
//! them), so the two cannot drift apart.

use crate::ml::model::{ModelConfig, ModelKind};

/// Seed of every pretrained model: initialisation, batch order and noise.
pub const PRETRAINED_SEED: u64 = 2026;

/// One shipped model.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Pretrained {
    /// Stable identifier, also the file stem under `assets/pretrained/`.
    pub id: &'static str,
    /// A name for people who do not know the architectures' names yet.
    pub name: &'static str,
    pub config: ModelConfig,
    pub epochs: usize,
    /// What it is good for, in a few words.
    pub blurb: &'static str,
}

impl Pretrained {
    /// Path of the weights relative to the site root (and to the repository root).
    pub fn path(&self) -> String {
        format!("assets/pretrained/{}.safetensors", self.id)
    }
}

pub const PRETRAINED: [Pretrained; 4] = [
    Pretrained {
        id: "mlp-vae-z2",
        name: "2-D digits map",
        config: ModelConfig::new(ModelKind::MlpVae, 2, 400),
        epochs: 60,
        blurb: "two latent dimensions: the whole latent space fits on one map",
    },
    Pretrained {
        id: "mlp-vae-z16",
        name: "16-D digits",
        config: ModelConfig::new(ModelKind::MlpVae, 16, 400),
        epochs: 60,
        blurb: "sixteen dimensions: sharper digits, more to explore",
    },
    Pretrained {
        id: "conv-vae-z16",
        name: "convolutional, 16-D",
        config: ModelConfig::new(ModelKind::ConvVae, 16, 32),
        epochs: 30,
        blurb: "convolutional encoder, transposed-convolution decoder",
    },
    Pretrained {
        id: "ae-z16",
        name: "plain autoencoder (no prior)",
        config: ModelConfig::new(ModelKind::Autoencoder, 16, 400),
        epochs: 40,
        blurb: "a plain autoencoder: sharp reconstructions, a latent space with holes",
    },
];

/// The model the page opens with.
pub const DEFAULT_PRETRAINED: &str = "mlp-vae-z2";

pub fn find(id: &str) -> Option<&'static Pretrained> {
    PRETRAINED.iter().find(|p| p.id == id)
}
