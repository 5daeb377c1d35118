//! What a model is, before it has weights: its kind ([`ModelKind`], the list every menu and
//! file format reads) and its sizes ([`ModelConfig`]), checked by [`ModelConfig::validate`].

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::ml::dataset::{sides_text, ImageShape};

/// Largest latent size the app offers (the sliders grid has one slider per dimension).
pub const MAX_LATENT: usize = 64;

/// Which network a model is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ModelKind {
    /// pixels → hidden → z (μ, log σ²) → hidden → pixels.
    MlpVae,
    /// Strided convolutions down, transposed convolutions up.
    ConvVae,
    /// Same shape as the MLP-VAE, deterministic code, reconstruction loss only.
    Autoencoder,
}

impl ModelKind {
    pub const ALL: [ModelKind; 3] = [
        ModelKind::MlpVae,
        ModelKind::ConvVae,
        ModelKind::Autoencoder,
    ];

    /// The stable identifier used in checkpoints, URLs and on the command line.
    pub fn id(self) -> &'static str {
        match self {
            ModelKind::MlpVae => "mlp-vae",
            ModelKind::ConvVae => "conv-vae",
            ModelKind::Autoencoder => "ae",
        }
    }

    pub fn from_id(id: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.id() == id)
    }

    /// A name for people.
    pub fn label(self) -> &'static str {
        match self {
            ModelKind::MlpVae => "MLP-VAE",
            ModelKind::ConvVae => "Conv-VAE",
            ModelKind::Autoencoder => "Autoencoder",
        }
    }

    /// Whether the encoder gives a distribution (and the loss has a KL term).
    pub fn is_variational(self) -> bool {
        !matches!(self, ModelKind::Autoencoder)
    }

    /// The range of the `hidden` setting for this kind (see [`ModelKind::width_name`]).
    pub fn hidden_range(self) -> (usize, usize) {
        match self {
            ModelKind::MlpVae | ModelKind::Autoencoder => (8, 2048),
            ModelKind::ConvVae => (4, 128),
        }
    }

    /// The `hidden` setting a new model of this kind starts from.
    pub fn default_hidden(self) -> usize {
        match self {
            ModelKind::MlpVae | ModelKind::Autoencoder => 400,
            ModelKind::ConvVae => 32,
        }
    }

    /// What the `hidden` setting counts for this kind, in a word.
    pub fn width_name(self) -> &'static str {
        match self {
            ModelKind::MlpVae | ModelKind::Autoencoder => "hidden",
            ModelKind::ConvVae => "channels",
        }
    }

    /// What the `hidden` setting means for this kind, for a hint or a help text.
    pub fn width_meaning(self) -> &'static str {
        match self {
            ModelKind::MlpVae | ModelKind::Autoencoder => "hidden units of each dense layer",
            ModelKind::ConvVae => "channels of the first convolution",
        }
    }

    /// Every kind's identifier, for messages: "mlp-vae, conv-vae or ae" (`last` = "or").
    pub fn ids_text(last: &str) -> String {
        let ids: Vec<&str> = Self::ALL.iter().map(|k| k.id()).collect();
        match ids.split_last() {
            Some((tail, [])) => tail.to_string(),
            Some((tail, head)) => format!("{} {last} {tail}", head.join(", ")),
            None => String::new(),
        }
    }
}

/// Everything needed to build a model's network: its kind, sizes and the images it reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ModelConfig {
    pub kind: ModelKind,
    /// Number of latent dimensions z.
    pub latent: usize,
    /// Hidden units of the MLP layers, or the channels of the first convolution (Conv-VAE).
    pub hidden: usize,
    /// The images it encodes and decodes; the digits' 28×28 grey unless said otherwise (and for
    /// whatever was stored before models had other shapes).
    #[serde(default = "digits_shape")]
    pub shape: ImageShape,
}

fn digits_shape() -> ImageShape {
    ImageShape::DIGITS
}

/// A model configuration that cannot be built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    #[error("a latent size of {0} is out of range: choose 1 to {MAX_LATENT}")]
    Latent(usize),
    #[error(
        "images of side {side} are not supported: the models take sides {}",
        sides_text()
    )]
    Side { side: usize },
    #[error("a hidden size of {found} is out of range for the {kind}: choose {min} to {max}")]
    Hidden {
        kind: &'static str,
        found: usize,
        min: usize,
        max: usize,
    },
}

impl ModelConfig {
    /// A model of 28×28 grey images (see [`ModelConfig::of_shape`] for others).
    pub const fn new(kind: ModelKind, latent: usize, hidden: usize) -> Self {
        Self {
            kind,
            latent,
            hidden,
            shape: ImageShape::DIGITS,
        }
    }

    /// The same model for images of `shape`.
    pub const fn of_shape(self, shape: ImageShape) -> Self {
        Self { shape, ..self }
    }

    /// A model of `kind` with `latent` dimensions and the kind's usual width.
    pub fn with_default_hidden(kind: ModelKind, latent: usize) -> Self {
        Self::new(kind, latent, kind.default_hidden())
    }

    pub fn validate(&self) -> std::result::Result<(), ConfigError> {
        if !(1..=MAX_LATENT).contains(&self.latent) {
            return Err(ConfigError::Latent(self.latent));
        }
        if !self.shape.is_supported() {
            return Err(ConfigError::Side {
                side: self.shape.side,
            });
        }
        let (min, max) = self.kind.hidden_range();
        if !(min..=max).contains(&self.hidden) {
            return Err(ConfigError::Hidden {
                kind: self.kind.label(),
                found: self.hidden,
                min,
                max,
            });
        }
        Ok(())
    }
}

impl Default for ModelConfig {
    /// The reference model every figure in the README is measured on: MLP-VAE, z = 20,
    /// 400 hidden units.
    fn default() -> Self {
        Self::with_default_hidden(ModelKind::MlpVae, 20)
    }
}

impl fmt::Display for ModelConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} z={} {}={}",
            self.kind.label(),
            self.latent,
            self.kind.width_name(),
            self.hidden
        )?;
        // The digits' shape goes without saying, as it did before models had other shapes.
        if self.shape != ImageShape::DIGITS {
            write!(f, " for {} images", self.shape)?;
        }
        Ok(())
    }
}
