//! The errors of models, their settings, training and weights files, in Chinese.

use super::{flaw, in_lang, list_zh, sides_zh, Worded};
use crate::ml::checkpoint::{CheckpointError, FORMAT};
use crate::ml::loss::LossValues;
use crate::ml::model::{ConfigError, ModelKind, MAX_LATENT};
use crate::ml::preprocess::PreprocessError;
use crate::ml::train::{Blowup, TrainConfigError, TrainError, EPOCH_RANGE};
use crate::ui_logic::lang::Lang;
use crate::ui_logic::words::{config_words, shape_words};

impl Worded for ConfigError {
    fn worded(&self, lang: Lang) -> String {
        in_lang(self, lang, |e| match e {
            ConfigError::Latent(n) => {
                format!("潜空间维度 {n} 超出了范围：请选择 1 到 {MAX_LATENT}")
            }
            ConfigError::Side { side } => {
                format!(
                    "不支持边长为 {side} 的图片：模型只接受边长为 {} 的图片",
                    sides_zh()
                )
            }
            ConfigError::Hidden {
                kind,
                found,
                min,
                max,
            } => {
                // The error names its kind by label; each kind's width means something else.
                let (name, width) = match ModelKind::ALL.into_iter().find(|k| k.label() == *kind) {
                    Some(ModelKind::MlpVae) => ("MLP-VAE 模型".to_string(), "隐藏单元数"),
                    Some(ModelKind::ConvVae) => ("Conv-VAE 模型".to_string(), "通道数"),
                    Some(ModelKind::Autoencoder) => ("自编码器".to_string(), "隐藏单元数"),
                    None => (format!("{kind} 模型"), "宽度"),
                };
                format!("{name}的{width} {found} 超出了范围：请选择 {min} 到 {max}")
            }
        })
    }
}

impl Worded for TrainConfigError {
    fn worded(&self, lang: Lang) -> String {
        in_lang(self, lang, |e| match e {
            TrainConfigError::LearningRate(rate) => {
                format!("学习率 {rate} 无法使用：请选择大于 0、不超过 10 的数（1e-3 是不错的起点）")
            }
            TrainConfigError::BatchSize(n) => {
                format!("批大小 {n} 无法使用：请选择 1 到 1024（128 是不错的起点）")
            }
            TrainConfigError::Beta(beta) => {
                format!("β = {beta} 无法使用：请选择 0 到 1000（β 取 1 时就是标准的证据下界 ELBO）")
            }
            TrainConfigError::Warmup(n) => {
                format!("KL 预热 {n} 轮无法使用：请选择 0（不预热）到 1000 轮")
            }
            TrainConfigError::Epochs(n) => format!(
                "无法训练 {n} 轮：请选择 {} 到 {} 轮",
                EPOCH_RANGE.start(),
                EPOCH_RANGE.end()
            ),
        })
    }
}

/// What the loss became when training diverged (the English is `TrainError`'s own).
fn diverged_loss_zh(loss: &LossValues) -> String {
    match Blowup::of(loss) {
        Blowup::NotANumber => "损失变成了 NaN（不是一个数）".to_string(),
        Blowup::Infinite => "损失变成了无穷大".to_string(),
        Blowup::Huge(total) => {
            format!("损失达到每张图片 {total:.2e} 奈特（正常的模型在 600 以下）")
        }
    }
}

impl Worded for TrainError {
    fn worded(&self, lang: Lang) -> String {
        in_lang(self, lang, |e| match e {
            TrainError::Diverged { step, loss } => format!(
                "训练在第 {step} 步发散了：{}。已恢复这一步之前的权重，并重置了优化器；\
                 请调低学习率（1e-3 比较稳妥）或 β，然后继续训练。",
                diverged_loss_zh(loss)
            ),
            TrainError::Config(inner) => inner.worded(lang),
            TrainError::NoData => {
                "没有训练用的数字：数字数据文件里的数字太少，分不出训练集".to_string()
            }
            TrainError::WrongShape { model, data } => {
                let (model, data) = (shape_words(*model, lang), shape_words(*data, lang));
                format!(
                    "模型读取的是 {model}图片，而数据是 {data}图片：\
                     请选择一个用于 {data}图片的模型（或换用其他数据）"
                )
            }
            TrainError::AlreadyStarted => "一次训练只能在它的第一步之前从快照接着进行".to_string(),
            TrainError::Candle(inner) => format!("计算失败：{inner}"),
        })
    }
}

impl Worded for CheckpointError {
    fn worded(&self, lang: Lang) -> String {
        in_lang(self, lang, |e| match e {
            CheckpointError::Truncated { detail } => {
                let detail = flaw(detail, lang);
                format!("文件不完整（{detail}）；它可能没有下载完，或没有保存完")
            }
            CheckpointError::HeaderTooLarge { declared } => format!(
                "文件声明它的文件头有 {declared} 字节，这对权重文件来说大得离谱；\
                 它已损坏，或者根本不是 safetensors 文件"
            ),
            CheckpointError::NotSafetensors { detail } => format!(
                "这不是 safetensors 文件（{}）；请选择由 Latent Lab 保存的 .safetensors 文件",
                flaw(detail, lang)
            ),
            CheckpointError::Corrupt { detail } => {
                format!("这个 safetensors 文件已损坏：{}", flaw(detail, lang))
            }
            CheckpointError::NotLatentLab => format!(
                "这个 safetensors 文件不是 Latent Lab 生成的（它的元数据里没有 \
                 \"format\": \"{FORMAT}\"）；只能载入 Latent Lab 的模型"
            ),
            CheckpointError::UnsupportedFormat { found } => {
                format!("这个文件的格式是“{found}”，而这个版本的 Latent Lab 读取的是“{FORMAT}”")
            }
            CheckpointError::UnknownKind { found } => {
                let known: Vec<String> =
                    ModelKind::ALL.iter().map(|k| k.id().to_string()).collect();
                format!(
                    "这个文件里是“{found}”类型的模型，Latent Lab 不认识这种类型（它认识 {}）",
                    list_zh(&known, "和")
                )
            }
            CheckpointError::BadMetadata { detail } => format!("文件的元数据有误：{detail}"),
            CheckpointError::BadConfig(inner) => {
                format!("文件的元数据有误：{}", inner.worded(lang))
            }
            // The model in parentheses: its words may start in Latin letters or in Chinese.
            CheckpointError::MissingTensor { name, config } => format!(
                "文件里缺少权重“{name}”，而这个模型（{}）需要它",
                config_words(config, lang)
            ),
            CheckpointError::UnexpectedTensor { name, config } => format!(
                "文件里有权重“{name}”，而这个模型（{}）没有这一项；文件里存的是另一个模型",
                config_words(config, lang)
            ),
            CheckpointError::WrongShape {
                name,
                config,
                expected,
                found,
            } => format!(
                "权重“{name}”的形状是 {found:?}，而这个模型（{}）需要 {expected:?}",
                config_words(config, lang)
            ),
            CheckpointError::UnsupportedDtype { name, dtype } => {
                format!("权重“{name}”以 {dtype} 格式存储；Latent Lab 只读取 f32、f16、bf16 和 f64")
            }
            CheckpointError::NonFinite { name } => {
                format!("权重“{name}”里有 NaN 或无穷大的值；保存它们的模型当时已经发散了")
            }
            CheckpointError::Candle(inner) => format!("无法构建模型：{inner}"),
        })
    }
}

impl Worded for PreprocessError {
    fn worded(&self, lang: Lang) -> String {
        in_lang(self, lang, |e| match e {
            PreprocessError::Blank => "画板是空的：请先画一个数字".to_string(),
            PreprocessError::WrongSize {
                width,
                height,
                expected,
                found,
            } => format!("这幅画有 {found} 个值，而 {width}×{height} 的图像需要 {expected} 个"),
        })
    }
}
