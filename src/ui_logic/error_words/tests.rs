//! One example of every variant of every error the core words: its English is its `Display`,
//! its Chinese reads as Chinese.

use std::any::type_name;
use std::collections::HashSet;
use std::fmt::Display;
use std::mem::discriminant;

use super::check::assert_reads_as_chinese;
use super::Worded;
use crate::ml::checkpoint::CheckpointError;
use crate::ml::container::Flaw;
use crate::ml::data::DataError;
use crate::ml::dataset::archive::ArchiveError;
use crate::ml::dataset::fit::FitError;
use crate::ml::dataset::sprites::Sprite;
use crate::ml::dataset::{Channels, DatasetError, ImageShape};
use crate::ml::loss::LossValues;
use crate::ml::mig::{mig, MigError};
use crate::ml::model::{ConfigError, ModelConfig, ModelKind};
use crate::ml::preprocess::PreprocessError;
use crate::ml::train::{check_epochs, TrainConfig, TrainConfigError, TrainError};
use crate::ui_logic::lang::Lang;

/// What the examples quote verbatim: a file's details, names and paths, a library's text.
const DETAIL: &str = "it is only 12 bytes";
const NAME: &str = "decoder.out.bias";
const PATH: &str = "shapes/discs/1.png";
const CANDLE: &str = "shape mismatch in matmul, lhs: [128, 784], rhs: [400, 20]";
const QUOTED: &[&str] = &[DETAIL, NAME, PATH, CANDLE, "latent-lab/9", "gan", "I64"];

/// Checks every example of `E`, which must hold one of each of its `variants`.
fn check_all<E: Worded + Display>(examples: &[E], variants: usize) {
    let seen: HashSet<_> = examples.iter().map(discriminant).collect();
    assert_eq!(
        seen.len(),
        variants,
        "one example of every variant of {}",
        type_name::<E>()
    );
    for e in examples {
        assert_eq!(e.worded(Lang::En), e.to_string());
        assert_reads_as_chinese(&e.worded(Lang::Zh), QUOTED);
    }
}

fn colour_32() -> ImageShape {
    ImageShape::new(Channels::Colour, 32).unwrap()
}

fn loss(total: f32) -> LossValues {
    LossValues {
        total,
        recon: total,
        kl: 0.0,
    }
}

#[test]
fn every_model_error_reads_in_both_languages() {
    let mut config: Vec<ConfigError> = ModelKind::ALL
        .iter()
        .map(|&kind| ModelConfig::new(kind, 2, 99_999).validate().unwrap_err())
        .collect();
    config.push(ConfigError::Latent(99));
    config.push(ConfigError::Side { side: 30 });
    check_all(&config, 3);

    let train = TrainConfig::default();
    let settings = vec![
        TrainConfig {
            learning_rate: 0.0,
            ..train
        }
        .validate()
        .unwrap_err(),
        TrainConfigError::BatchSize(0),
        TrainConfigError::Beta(-1.0),
        TrainConfigError::Warmup(5000),
        check_epochs(0).unwrap_err(),
    ];
    check_all(&settings, 5);

    let training = vec![
        TrainError::Diverged {
            step: 12,
            loss: loss(f32::NAN),
        },
        TrainError::Diverged {
            step: 12,
            loss: loss(f32::INFINITY),
        },
        TrainError::Diverged {
            step: 12,
            loss: loss(2.35e5),
        },
        TrainError::Config(TrainConfigError::BatchSize(0)),
        TrainError::NoData,
        TrainError::WrongShape {
            model: ImageShape::DIGITS,
            data: colour_32(),
        },
        TrainError::AlreadyStarted,
        TrainError::Candle(candle_core::Error::Msg(CANDLE.into())),
    ];
    check_all(&training, 6);

    let colour_conv = ModelConfig::new(ModelKind::ConvVae, 16, 32).of_shape(colour_32());
    let checkpoint = vec![
        CheckpointError::Truncated {
            detail: Flaw::OnlyBytes { bytes: 12 },
        },
        CheckpointError::HeaderTooLarge { declared: 1 << 40 },
        CheckpointError::NotSafetensors {
            detail: Flaw::HeaderNotJson,
        },
        CheckpointError::Corrupt {
            detail: Flaw::Other(DETAIL.into()),
        },
        CheckpointError::NotLatentLab,
        CheckpointError::UnsupportedFormat {
            found: "latent-lab/9".into(),
        },
        CheckpointError::UnknownKind {
            found: "gan".into(),
        },
        CheckpointError::BadMetadata {
            detail: DETAIL.into(),
        },
        CheckpointError::BadConfig(ConfigError::Latent(99)),
        CheckpointError::MissingTensor {
            name: NAME.into(),
            config: ModelConfig::default(),
        },
        CheckpointError::UnexpectedTensor {
            name: NAME.into(),
            config: ModelConfig::new(ModelKind::Autoencoder, 2, 400),
        },
        CheckpointError::WrongShape {
            name: NAME.into(),
            config: colour_conv,
            expected: vec![3, 32, 4, 4],
            found: vec![1, 32, 4, 4],
        },
        CheckpointError::UnsupportedDtype {
            name: NAME.into(),
            dtype: "I64".into(),
        },
        CheckpointError::NonFinite { name: NAME.into() },
        CheckpointError::Candle(CANDLE.into()),
    ];
    check_all(&checkpoint, 15);

    let drawing = vec![
        PreprocessError::Blank,
        PreprocessError::WrongSize {
            width: 28,
            height: 28,
            expected: 784,
            found: 700,
        },
    ];
    check_all(&drawing, 2);
}

#[test]
fn every_data_error_reads_in_both_languages() {
    let digits = vec![
        DataError::TooShort { found: 3 },
        DataError::WrongMagic,
        DataError::UnsupportedVersion { found: 2 },
        DataError::WrongImageSize { rows: 32, cols: 32 },
        DataError::Empty,
        DataError::Truncated {
            expected: 100,
            found: 90,
        },
        DataError::TrailingBytes {
            expected: 100,
            found: 110,
        },
        DataError::LabelOutOfRange {
            index: 4,
            label: 12,
        },
    ];
    check_all(&digits, 8);

    let datasets = vec![
        DatasetError::UnsupportedSide { side: 30 },
        DatasetError::Empty,
        DatasetError::TooManyImages {
            count: 200_000,
            cap: 100_000,
        },
        DatasetError::TooManyBytes {
            bytes: 1 << 30,
            cap: 21_845,
        },
        DatasetError::WrongImageBytes {
            count: 10,
            shape: colour_32(),
            expected: 30_720,
            found: 7_840,
        },
        DatasetError::WrongLabelCount {
            labels: 9,
            count: 10,
        },
        DatasetError::LabelOutOfRange {
            index: 3,
            label: 7,
            names: 2,
        },
        DatasetError::NoName,
        DatasetError::NoLabel,
        DatasetError::Truncated {
            detail: Flaw::TensorsPastEnd,
        },
        DatasetError::NotSafetensors {
            detail: Flaw::AbsurdHeader { declared: 1 << 40 },
        },
        DatasetError::Corrupt {
            detail: Flaw::Other(DETAIL.into()),
        },
        DatasetError::NotADataset,
        DatasetError::FromTheFuture {
            found: "latent-lab/9".into(),
        },
        DatasetError::Malformed {
            detail: DETAIL.into(),
        },
    ];
    check_all(&datasets, 15);

    let archives = vec![
        ArchiveError::NotZip {
            detail: DETAIL.into(),
        },
        ArchiveError::Encrypted { path: PATH.into() },
        ArchiveError::TooLarge { declared: 1 << 31 },
        ArchiveError::TooManyEntries { count: 300_000 },
        ArchiveError::Overlapping,
        ArchiveError::Damaged {
            path: PATH.into(),
            detail: DETAIL.into(),
        },
    ];
    check_all(&archives, 6);

    let fits = vec![
        FitError::Empty {
            width: 0,
            height: 5,
        },
        FitError::WrongLength {
            width: 2,
            height: 2,
            expected: 16,
            found: 12,
        },
    ];
    check_all(&fits, 2);
}

#[test]
fn an_error_inside_another_is_worded_in_the_same_language() {
    let inner = TrainConfigError::Beta(-1.0);
    let outer = TrainError::Config(inner.clone());
    for lang in Lang::ALL {
        assert_eq!(outer.worded(lang), inner.worded(lang));
    }
    let bad = CheckpointError::BadConfig(ConfigError::Latent(99));
    assert_eq!(
        bad.worded(Lang::Zh),
        "文件的元数据有误：潜空间维度 99 超出了范围：请选择 1 到 64"
    );
}

#[test]
fn chinese_names_the_kind_and_its_width_and_keeps_the_librarys_text() {
    let ae = ModelConfig::new(ModelKind::Autoencoder, 2, 99_999)
        .validate()
        .unwrap_err();
    assert_eq!(
        ae.worded(Lang::Zh),
        "自编码器的隐藏单元数 99999 超出了范围：请选择 8 到 2048"
    );
    let failed = TrainError::Candle(candle_core::Error::Msg(CANDLE.into()));
    assert_eq!(failed.worded(Lang::Zh), format!("计算失败：{CANDLE}"));
    let missing = CheckpointError::MissingTensor {
        name: NAME.into(),
        config: ModelConfig::default(),
    };
    assert_eq!(
        missing.worded(Lang::Zh),
        format!("文件里缺少权重“{NAME}”，而这个模型（MLP-VAE z=20 隐藏层=400）需要它")
    );
}

#[test]
fn every_flaw_of_a_file_reads_in_both_languages() {
    // Only the library's own words (`Other`) stay as they are; a text file's start is quoted.
    let start = "these bytes are ";
    let flaws = [
        Flaw::TextFile {
            start: start.into(),
        },
        Flaw::OnlyBytes { bytes: 12 },
        Flaw::HeaderPastEnd {
            declared: 4_000,
            bytes: 900,
        },
        Flaw::AbsurdHeader { declared: 1 << 40 },
        Flaw::TensorsPastEnd,
        Flaw::HeaderNotJson,
    ];
    for f in &flaws {
        let error = CheckpointError::NotSafetensors { detail: f.clone() };
        assert_eq!(error.worded(Lang::En), error.to_string());
        assert_reads_as_chinese(&error.worded(Lang::Zh), &[start]);
    }
}

#[test]
fn every_sprite_and_mig_error_reads_in_both_languages() {
    let sprites = vec![
        Sprite::new([0, 0, 0, 40, 0]).unwrap_err(),
        Sprite::from_flat(usize::MAX).unwrap_err(),
    ];
    check_all(&sprites, 2);
    assert!(sprites[0]
        .worded(Lang::Zh)
        .starts_with("因素“横向位置”有 32 个取值"));
    let migs: Vec<MigError> = vec![
        mig(&[0.0; 2], 2, &[0], &[]).unwrap_err(),
        mig(&[], 2, &[], &[2]).unwrap_err(),
        mig(&[0.0], 1, &[0], &[2]).unwrap_err(),
        mig(&[0.0; 6], 2, &[0, 1, 0], &[2, 2]).unwrap_err(),
        mig(&[0.0; 5], 2, &[0, 1], &[2]).unwrap_err(),
        mig(&[0.0; 4], 2, &[0, 2], &[2]).unwrap_err(),
        mig(&[0.0, f32::NAN, 0.0, 0.0], 2, &[0, 1], &[2]).unwrap_err(),
        mig(&[0.0; 4], 2, &[0, 0], &[2]).unwrap_err(),
    ];
    check_all(&migs, 8);
}
