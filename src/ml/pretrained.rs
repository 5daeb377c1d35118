//! The models Latent Lab ships, trained by `cargo run --release --bin train -- --pretrained`.
//!
//! One list shared by the native trainer (which writes the files) and the page (which offers
//! them), so the two cannot drift apart.

use crate::ml::model::{ModelConfig, ModelKind};
use crate::ml::presets::BETA_VAE;
use crate::ml::train::TrainConfig;

/// Seed of every pretrained model: initialisation, batch order and noise.
pub const PRETRAINED_SEED: u64 = 2026;

/// The data a shipped model is trained on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TrainedOn {
    /// The digits asset's training split.
    Digits,
    /// The generated shapes (`ml::dataset::sprites`): fetched by the page only when a person
    /// chooses the model, never at start.
    Sprites,
}

/// The reference training with the shipped models' seed.
const SHIPPED: TrainConfig = TrainConfig {
    seed: PRETRAINED_SEED,
    ..TrainConfig::REFERENCE
};

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
    /// How it is trained: the reference setting but for the seed, unless it says otherwise.
    pub train: TrainConfig,
    pub epochs: usize,
    /// The data it is trained on, and reads.
    pub data: TrainedOn,
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

pub const PRETRAINED: [Pretrained; 5] = [
    Pretrained {
        id: "mlp-vae-z2",
        name: "2-D digits map",
        name_zh: "二维数字地图",
        config: ModelConfig::new(ModelKind::MlpVae, 2, 400),
        train: SHIPPED,
        epochs: 60,
        data: TrainedOn::Digits,
        blurb: "two latent dimensions: the whole latent space fits on one map",
        blurb_zh: "两个潜在维度：整个潜空间画在一张图上",
    },
    Pretrained {
        id: "mlp-vae-z16",
        name: "16-D digits",
        name_zh: "十六维数字",
        config: ModelConfig::new(ModelKind::MlpVae, 16, 400),
        train: SHIPPED,
        epochs: 60,
        data: TrainedOn::Digits,
        blurb: "sixteen dimensions: sharper digits, more to explore",
        blurb_zh: "十六个维度：数字更清晰，可探索的也更多",
    },
    Pretrained {
        id: "conv-vae-z16",
        name: "convolutional, 16-D",
        name_zh: "卷积，十六维",
        config: ModelConfig::new(ModelKind::ConvVae, 16, 32),
        train: SHIPPED,
        epochs: 30,
        data: TrainedOn::Digits,
        blurb: "convolutional encoder, transposed-convolution decoder",
        blurb_zh: "卷积编码器，转置卷积解码器",
    },
    Pretrained {
        id: "ae-z16",
        name: "plain autoencoder (no prior)",
        name_zh: "普通自编码器（没有先验）",
        config: ModelConfig::new(ModelKind::Autoencoder, 16, 400),
        train: SHIPPED,
        epochs: 40,
        data: TrainedOn::Digits,
        blurb: "a plain autoencoder: sharp reconstructions, a latent space with holes",
        blurb_zh: "普通自编码器：重建清晰，但潜空间里有空洞",
    },
    Pretrained {
        id: "beta-vae-shapes",
        name: "β-VAE of the generated shapes",
        name_zh: "生成形状的 β-VAE",
        config: BETA_VAE.model,
        train: TrainConfig {
            seed: PRETRAINED_SEED,
            ..BETA_VAE.train
        },
        epochs: 40,
        data: TrainedOn::Sprites,
        blurb: "the β-VAE preset (β = 4, z = 10) trained on the generated shapes: see which factor each dimension found",
        blurb_zh: "在生成的形状上训练的 β-VAE 预设（β = 4，z = 10）：看看每个维度找到了哪个因素",
    },
];

/// The model the page opens with.
pub const DEFAULT_PRETRAINED: &str = "mlp-vae-z2";

pub fn find(id: &str) -> Option<&'static Pretrained> {
    PRETRAINED.iter().find(|p| p.id == id)
}
