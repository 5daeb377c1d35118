//! What a latent dimension seems to control, in words, read from how much it knows about each
//! of the sprites' factors (`ml::mig`): the factors chapter's row labels and hover text.

use super::lang::Lang;
use crate::ml::dataset::sprites::Factor;
use crate::ml::eval::ACTIVE_UNIT_NATS;
use crate::ml::mig::{most_first, Mig};

/// A dimension's share of a factor's entropy below which it is said to know nothing of it.
const KNOWS: f64 = 0.15;
/// A second factor known at least this share of the first: the dimension mixes the two.
const MIXES: f64 = 0.5;

/// What one dimension of a code seems to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reading {
    /// Its KL is about 0: the encoder puts every picture at the prior, the decoder ignores it.
    Unused,
    /// It tells one factor and little else.
    Controls(Factor),
    /// It tells two factors about as well.
    Mixes(Factor, Factor),
    /// It is used, but tells no factor much (noise, or a factor spread over many dimensions).
    Unclear,
}

/// Reads dimension `dim` of `mig`'s code; `kl` is its KL per picture (`None` for an
/// autoencoder, whose dimensions are all used).
pub fn reading(mig: &Mig, dim: usize, kl: Option<f64>) -> Reading {
    if kl.is_some_and(|kl| kl < ACTIVE_UNIT_NATS) {
        return Reading::Unused;
    }
    let shares: Vec<f64> = (0..Factor::ALL.len()).map(|k| mig.share(dim, k)).collect();
    let order = most_first(&shares);
    let (first, second) = (shares[order[0]], shares[order[1]]);
    let (a, b) = (Factor::ALL[order[0]], Factor::ALL[order[1]]);
    if first < KNOWS {
        Reading::Unclear
    } else if second >= MIXES * first {
        Reading::Mixes(a, b)
    } else {
        Reading::Controls(a)
    }
}

/// A factor's name in the page's words: "x position", "横向位置".
pub fn factor_name(factor: Factor, lang: Lang) -> &'static str {
    match (factor, lang) {
        (Factor::Shape, Lang::En) => "shape",
        (Factor::Scale, Lang::En) => "size",
        (Factor::Rotation, Lang::En) => "rotation",
        (Factor::X, Lang::En) => "x position",
        (Factor::Y, Lang::En) => "y position",
        (Factor::Shape, Lang::Zh) => "形状",
        (Factor::Scale, Lang::Zh) => "大小",
        (Factor::Rotation, Lang::Zh) => "旋转",
        (Factor::X, Lang::Zh) => "横向位置",
        (Factor::Y, Lang::Zh) => "纵向位置",
    }
}

/// What a dimension does, as a person would say it: "moves the shape left–right".
pub fn reading_words(reading: Reading, lang: Lang) -> String {
    match reading {
        Reading::Unused => lang
            .text(
                "unused: every picture's code sits at the prior here, and the decoder ignores it",
                "未使用：每张图片在这一维的编码都停在先验处，解码器忽略它",
            )
            .into(),
        Reading::Controls(factor) => lang
            .text(
                match factor {
                    Factor::Shape => "changes the shape: square, ellipse, heart",
                    Factor::Scale => "makes the shape bigger or smaller",
                    Factor::Rotation => "turns the shape",
                    Factor::X => "moves the shape left–right",
                    Factor::Y => "moves the shape up–down",
                },
                match factor {
                    Factor::Shape => "改变形状：方形、椭圆、心形",
                    Factor::Scale => "让形状变大或变小",
                    Factor::Rotation => "旋转形状",
                    Factor::X => "左右移动形状",
                    Factor::Y => "上下移动形状",
                },
            )
            .into(),
        Reading::Mixes(a, b) => {
            let (a, b) = (factor_name(a, lang), factor_name(b, lang));
            lang.text(
                format!("mixes {a} and {b}: moving it changes both"),
                format!("混合了{a}和{b}：拖动它两者都会变"),
            )
        }
        Reading::Unclear => lang
            .text(
                "used, but tells no single factor much",
                "被使用，但与任何单一因素的关系都不大",
            )
            .into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ml::mig::FactorGap;

    /// A code of three dimensions over the five factors, each entropy 1 nat, with the given
    /// information (dimension after dimension).
    fn code(mi: [[f64; 5]; 3]) -> Mig {
        Mig {
            dims: 3,
            mutual_information: mi.concat(),
            entropies: vec![1.0; 5],
            gaps: vec![
                FactorGap {
                    best: 0,
                    second: 1,
                    gap: Some(0.0)
                };
                5
            ],
            score: 0.0,
        }
    }

    #[test]
    fn a_dimension_reads_as_the_factor_it_alone_tells_or_the_two_it_mixes() {
        let mig = code([
            [0.0, 0.05, 0.0, 0.8, 0.1],
            [0.0, 0.4, 0.0, 0.0, 0.3],
            [0.05, 0.0, 0.1, 0.0, 0.0],
        ]);
        assert_eq!(reading(&mig, 0, Some(2.0)), Reading::Controls(Factor::X));
        assert_eq!(
            reading(&mig, 1, Some(2.0)),
            Reading::Mixes(Factor::Scale, Factor::Y)
        );
        assert_eq!(reading(&mig, 2, Some(0.5)), Reading::Unclear);
        assert_eq!(reading(&mig, 0, Some(0.001)), Reading::Unused);
        assert_eq!(
            reading(&mig, 0, None),
            Reading::Controls(Factor::X),
            "an autoencoder's"
        );
    }

    #[test]
    fn every_reading_has_words_in_both_languages() {
        let readings = [
            Reading::Unused,
            Reading::Unclear,
            Reading::Mixes(Factor::X, Factor::Shape),
        ]
        .into_iter()
        .chain(Factor::ALL.map(Reading::Controls));
        for r in readings {
            let (en, zh) = (reading_words(r, Lang::En), reading_words(r, Lang::Zh));
            assert!(en.is_ascii() || en.contains('–'), "{en}");
            assert!(
                zh.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)),
                "{zh}"
            );
            assert!(!zh.chars().any(|c| c.is_ascii_alphabetic()), "{zh}");
        }
        assert_eq!(
            reading_words(Reading::Mixes(Factor::X, Factor::Scale), Lang::En),
            "mixes x position and size: moving it changes both"
        );
    }
}
