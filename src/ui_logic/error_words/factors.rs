//! The errors of the generated sprites and of MIG in Chinese.

use super::{in_lang, Worded};
use crate::ml::dataset::sprites::{combinations, Factor, SpriteError};
use crate::ml::mig::MigError;
use crate::ui_logic::factor_words::factor_name;
use crate::ui_logic::lang::Lang;

impl Worded for SpriteError {
    fn worded(&self, lang: Lang) -> String {
        in_lang(self, lang, |e| match e {
            SpriteError::OutOfRange {
                factor,
                index,
                count,
            } => {
                let name = Factor::ALL
                    .iter()
                    .find(|f| f.name() == *factor)
                    .map_or(*factor, |&f| factor_name(f, Lang::Zh));
                format!(
                    "因素“{name}”有 {count} 个取值（0 到 {}），没有 {index}",
                    count - 1
                )
            }
            SpriteError::NoSuchSprite { index } => format!(
                "共有 {} 个形状（编号 0 到 {}），没有 {index}",
                combinations(),
                combinations() - 1
            ),
        })
    }
}

impl Worded for MigError {
    fn worded(&self, lang: Lang) -> String {
        in_lang(self, lang, |e| {
            match e {
            MigError::NoFactors => "MIG 至少需要一个生成因素".to_string(),
            MigError::NoImages => "MIG 至少需要一张图片".to_string(),
            MigError::TooFewDims { dims } => format!(
                "MIG 要比较每个因素信息最多的两个潜在维度，所以编码至少要有两个维度；它只有 {dims} 个"
            ),
            MigError::RaggedFactors { values, factors } => format!(
                "因素表有 {values} 个值，不是每行 {factors} 个因素的整数行"
            ),
            MigError::LatentLength {
                values,
                images,
                dims,
            } => format!(
                "{images} 张图片、每张 {dims} 个维度，却有 {values} 个潜在值；每张图片的每个维度应恰有一个"
            ),
            MigError::FactorOutOfRange {
                image,
                factor,
                index,
                count,
            } => format!(
                "第 {image} 张图片的第 {factor} 个因素取值为 {index}，而这个因素只有 {count} 个取值"
            ),
            MigError::NotFinite { image, dim, value } => format!(
                "第 {image} 张图片的第 {dim} 个潜在维度是 {value}，不是可以分档的数"
            ),
            MigError::NothingVaries => {
                "这些图片的每个因素都只取一个值，没有什么可以度量".to_string()
            }
        }
        })
    }
}
