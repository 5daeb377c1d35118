//! Numbers and names in the page's words.

use super::lang::Lang;
use crate::ml::dataset::{Channels, ImageShape};
use crate::ml::model::{ModelConfig, ModelKind};

/// What one image of the data in use is called in the page's text: the built-in set's images
/// are digits, a dataset of one's own holds pictures. Chapters write `noun.one()` where they
/// used to write "digit", so their words follow the Data menu.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Noun {
    Digit,
    Picture,
}

impl Noun {
    /// The singular: "digit", "picture".
    pub fn one(self) -> &'static str {
        match self {
            Noun::Digit => "digit",
            Noun::Picture => "picture",
        }
    }

    /// The plural: "digits", "pictures".
    pub fn many(self) -> &'static str {
        match self {
            Noun::Digit => "digits",
            Noun::Picture => "pictures",
        }
    }

    /// The noun in Chinese, which has one form for one and for many: "数字", "图片".
    pub fn zh(self) -> &'static str {
        match self {
            Noun::Digit => "数字",
            Noun::Picture => "图片",
        }
    }

    /// [`Noun::like`] in Chinese: "像数字的", "像训练图片的".
    pub fn like_zh(self) -> &'static str {
        match self {
            Noun::Digit => "像数字的",
            Noun::Picture => "像训练图片的",
        }
    }

    /// The adjective a model's output earns when it looks like the data: "digit-like".
    pub fn like(self) -> &'static str {
        match self {
            Noun::Digit => "digit-like",
            Noun::Picture => "like the training pictures",
        }
    }
}

/// A model's settings as the page writes them: in English as `ModelConfig` displays itself
/// ("MLP-VAE z=2 hidden=400 for 32×32 colour images"), in Chinese with the same numbers.
pub fn config_words(config: &ModelConfig, lang: Lang) -> String {
    match lang {
        Lang::En => config.to_string(),
        Lang::Zh => {
            let (kind, width) = match config.kind {
                ModelKind::MlpVae => ("MLP-VAE", "隐藏层"),
                ModelKind::ConvVae => ("Conv-VAE", "通道"),
                ModelKind::Autoencoder => ("自编码器", "隐藏层"),
            };
            let mut words = format!("{kind} z={} {width}={}", config.latent, config.hidden);
            if config.shape != ImageShape::DIGITS {
                words.push_str(&format!("，用于 {}图片", shape_words(config.shape, lang)));
            }
            words
        }
    }
}

/// A picture shape as the page writes it: "28×28 grey", "64×64 colour"; "28×28 灰度".
pub fn shape_words(shape: ImageShape, lang: Lang) -> String {
    match lang {
        Lang::En => shape.to_string(),
        Lang::Zh => {
            let colour = match shape.channels {
                Channels::Grey => "灰度",
                Channels::Colour => "彩色",
            };
            format!("{0}×{0} {colour}", shape.side)
        }
    }
}

/// `n` with a comma between thousands, as the page writes counts: "2,000", "10,000". Chinese
/// (zh-CN) groups digits the same way, with the same comma, so both languages share it.
pub fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// A count of epochs: "1 epoch", "10 epochs"; "1 轮", "10 轮".
pub fn epochs_words(n: usize, lang: Lang) -> String {
    match (lang, n) {
        (Lang::En, 1) => "1 epoch".to_string(),
        (Lang::En, n) => format!("{n} epochs"),
        (Lang::Zh, n) => format!("{n} 轮"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_epoch_is_singular_in_english() {
        assert_eq!(epochs_words(1, Lang::En), "1 epoch");
        assert_eq!(epochs_words(10, Lang::En), "10 epochs");
        assert_eq!(epochs_words(1, Lang::Zh), "1 轮");
    }

    #[test]
    fn a_models_settings_read_alike_in_both_languages() {
        let mlp = ModelConfig::new(ModelKind::MlpVae, 2, 400);
        assert_eq!(config_words(&mlp, Lang::En), "MLP-VAE z=2 hidden=400");
        assert_eq!(config_words(&mlp, Lang::Zh), "MLP-VAE z=2 隐藏层=400");
        let colour = ModelConfig::new(ModelKind::ConvVae, 16, 32).of_shape(ImageShape {
            channels: Channels::Colour,
            side: 32,
        });
        assert_eq!(
            config_words(&colour, Lang::Zh),
            "Conv-VAE z=16 通道=32，用于 32×32 彩色图片"
        );
    }

    #[test]
    fn every_noun_has_a_singular_a_plural_and_a_likeness() {
        for noun in [Noun::Digit, Noun::Picture] {
            assert_eq!(noun.many(), format!("{}s", noun.one()));
            assert!(noun.like().contains(noun.one()));
        }
    }

    #[test]
    fn counts_get_a_comma_every_three_digits() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(2000), "2,000");
        assert_eq!(thousands(1_234_567), "1,234,567");
    }
}
