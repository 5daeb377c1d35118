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
    /// The name in Chinese, for the page in 简体中文.
    pub name_zh: &'static str,
    pub config: ModelConfig,
    pub epochs: usize,
    /// What it is good for, in a few words.
    pub blurb: &'static str,
    /// The blurb in Chinese.
    pub blurb_zh: &'static str,
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
        name_zh: "二维数字地图",
        config: ModelConfig::new(ModelKind::MlpVae, 2, 400),
        epochs: 60,
        blurb: "two latent dimensions: the whole latent space fits on one map",
        blurb_zh: "两个潜在维度：整个潜空间画在一张图上",
    },
    Pretrained {
        id: "mlp-vae-z16",
        name: "16-D digits",
        name_zh: "十六维数字",
        config: ModelConfig::new(ModelKind::MlpVae, 16, 400),
        epochs: 60,
        blurb: "sixteen dimensions: sharper digits, more to explore",
        blurb_zh: "十六个维度：数字更清晰，可探索的也更多",
    },
    Pretrained {
        id: "conv-vae-z16",
        name: "convolutional, 16-D",
        name_zh: "卷积，十六维",
        config: ModelConfig::new(ModelKind::ConvVae, 16, 32),
        epochs: 30,
        blurb: "convolutional encoder, transposed-convolution decoder",
        blurb_zh: "卷积编码器，转置卷积解码器",
    },
    Pretrained {
        id: "ae-z16",
        name: "plain autoencoder (no prior)",
        name_zh: "普通自编码器（没有先验）",
        config: ModelConfig::new(ModelKind::Autoencoder, 16, 400),
        epochs: 40,
        blurb: "a plain autoencoder: sharp reconstructions, a latent space with holes",
        blurb_zh: "普通自编码器：重建清晰，但潜空间里有空洞",
    },
];

/// The model the page opens with.
pub const DEFAULT_PRETRAINED: &str = "mlp-vae-z2";

pub fn find(id: &str) -> Option<&'static Pretrained> {
    PRETRAINED.iter().find(|p| p.id == id)
}
