//! Saving and loading, and every way a file can be refused.

use super::*;
use crate::ml::rng::Rng;
use candle_core::{Device, Tensor};
use std::collections::HashMap;

fn model(kind: ModelKind) -> Model {
    let hidden = if kind == ModelKind::ConvVae { 8 } else { 16 };
    Model::new(ModelConfig::new(kind, 2, hidden), &mut Rng::new(3)).unwrap()
}

fn flat(m: &Model) -> Vec<f32> {
    m.named_parameters()
        .iter()
        .flat_map(|(_, t)| t.flatten_all().unwrap().to_vec1::<f32>().unwrap())
        .collect()
}

fn notes() -> BTreeMap<String, String> {
    BTreeMap::from([("epochs".to_string(), "10".to_string())])
}

#[test]
fn f16_planes_hold_exactly_the_f16_numbers_for_every_kind() {
    for kind in ModelKind::ALL {
        let original = model(kind);
        let f16 = load(&save(&original, Precision::F16, &notes()).unwrap())
            .unwrap()
            .0;
        let bytes = save(&original, Precision::F16Planes, &notes()).unwrap();
        let (planar, info) = load(&bytes).unwrap();
        assert_eq!(flat(&planar), flat(&f16), "{kind:?}");
        assert_eq!(info.notes, notes(), "the layout is not a note");
        // Saved again the same way, the bytes are the same: the shipped files rebuild exactly.
        assert_eq!(
            save(&planar, Precision::F16Planes, &notes()).unwrap(),
            bytes
        );
    }
}

#[test]
fn compact_files_hold_f16_numbers_of_their_significant_bits_and_save_again_the_same() {
    let drops = crate::ml::weight_bytes::COMPACT_DROPS;
    // Half a unit of the last bit kept, relative to the value, and below f16's normal range
    // (where each last place is 2⁻²⁴) absolute; the f16 rounding before it adds half of f16's
    // own last place: relative 2⁻¹¹, and 2⁻²⁵ below its normal range.
    let half_unit = 2f32.powi(drops as i32 - 11);
    let half_unit_subnormal = 2f32.powi(drops as i32 - 25);
    for kind in ModelKind::ALL {
        let original = model(kind);
        let bytes = save(&original, Precision::Compact, &notes()).unwrap();
        let (compact, info) = load(&bytes).unwrap();
        assert_eq!(info.notes, notes(), "{kind:?}: the layout is not a note");
        for (value, before) in flat(&compact).into_iter().zip(flat(&original)) {
            let bits = half::f16::from_f32(value);
            assert_eq!(bits.to_f32(), value, "{kind:?}: {value} is an f16");
            assert_eq!(
                bits.to_bits() & ((1 << drops) - 1),
                0,
                "{kind:?}: {value} has {} significant bits",
                11 - drops
            );
            // Within half a unit of the last bit kept and the f16 rounding before it.
            assert!(
                (value - before).abs()
                    <= before.abs() * half_unit
                        + before.abs() / 2048.0
                        + half_unit_subnormal
                        + 2f32.powi(-25),
                "{kind:?}: {before} stored as {value}"
            );
        }
        // Read back and saved again the same way: the same bytes, as the shipped files are.
        assert_eq!(save(&compact, Precision::Compact, &notes()).unwrap(), bytes);
        assert_ne!(
            save(&original, Precision::F16Planes, &notes()).unwrap(),
            bytes,
            "{kind:?}: rounded further than f16"
        );
    }
}

#[test]
fn an_unknown_weights_layout_is_refused_by_name() {
    let mut bytes = save(&model(ModelKind::MlpVae), Precision::F16Planes, &notes()).unwrap();
    // The same length, so the header stays well formed.
    let at = bytes.windows(10).position(|w| w == b"f16-planes").unwrap();
    bytes[at..at + 10].copy_from_slice(b"f16-zigzag");
    let error = load(&bytes).map(|_| ()).unwrap_err();
    assert!(error.to_string().contains("\"f16-zigzag\""), "{error}");
}

#[test]
fn f32_round_trip_is_exact_for_every_kind() {
    for kind in ModelKind::ALL {
        let original = model(kind);
        let bytes = save(&original, Precision::F32, &notes()).unwrap();
        let (loaded, info) = load(&bytes).unwrap();
        assert_eq!(info.config, original.config());
        assert_eq!(info.notes, notes());
        assert_eq!(flat(&loaded), flat(&original), "{kind:?}");
    }
}

#[test]
fn saving_is_deterministic_and_notes_survive_any_characters() {
    let m = model(ModelKind::MlpVae);
    let mut notes = notes();
    notes.insert(
        "comment".into(),
        "quote \" backslash \\ newline \n tab \t ünïcode".into(),
    );
    let a = save(&m, Precision::F16, &notes).unwrap();
    let b = save(&m, Precision::F16, &notes).unwrap();
    assert_eq!(a, b, "the same model and notes give the same bytes");
    let (_, info) = load(&a).unwrap();
    assert_eq!(info.notes, notes);
    let header_len = u64::from_le_bytes(a[..8].try_into().unwrap());
    assert_eq!(header_len % 8, 0, "the weights start 8-byte aligned");
}

#[test]
fn f16_round_trip_is_close_and_half_the_size() {
    let original = model(ModelKind::MlpVae);
    let full = save(&original, Precision::F32, &BTreeMap::new()).unwrap();
    let half = save(&original, Precision::F16, &BTreeMap::new()).unwrap();
    assert!(
        half.len() * 10 < full.len() * 6,
        "{} vs {}",
        half.len(),
        full.len()
    );
    let (loaded, _) = load(&half).unwrap();
    for (a, b) in flat(&loaded).iter().zip(flat(&original)) {
        assert!((a - b).abs() <= 1e-3 * b.abs().max(1e-2), "{a} vs {b}");
    }
}

#[test]
fn a_model_of_other_images_keeps_its_shape_and_a_digits_model_writes_none() {
    use crate::ml::dataset::Channels;
    let shape = ImageShape::new(Channels::Colour, 64).unwrap();
    let config = ModelConfig::new(ModelKind::ConvVae, 2, 4).of_shape(shape);
    let original = Model::new(config, &mut Rng::new(4)).unwrap();
    let bytes = save(&original, Precision::F32, &notes()).unwrap();
    let (loaded, info) = load(&bytes).unwrap();
    assert_eq!((info.config, info.notes), (config, notes()));
    assert_eq!(flat(&loaded), flat(&original));
    let digits = save(&model(ModelKind::MlpVae), Precision::F32, &notes()).unwrap();
    let metadata = parse(&digits).unwrap().metadata.unwrap();
    assert!(!metadata.contains_key(SHAPE_KEY), "{metadata:?}");
    // A shape no model takes is refused by name, like any other bad metadata.
    let mut bad = bytes.clone();
    let at = bad.windows(9).position(|w| w == b"colour-64").unwrap();
    bad[at..at + 9].copy_from_slice(b"colour-65");
    let error = read_info(&bad).map(|_| ()).unwrap_err();
    assert!(error.to_string().contains("\"colour-65\""), "{error}");
}

#[test]
fn read_info_gives_the_config_without_weights() {
    let bytes = save(&model(ModelKind::ConvVae), Precision::F16, &notes()).unwrap();
    let info = read_info(&bytes).unwrap();
    assert_eq!(info.config, ModelConfig::new(ModelKind::ConvVae, 2, 8));
}

#[test]
fn truncated_files_are_reported_as_truncated() {
    let bytes = save(&model(ModelKind::MlpVae), Precision::F32, &BTreeMap::new()).unwrap();
    for cut in [0, 5, 20, bytes.len() / 2, bytes.len() - 1] {
        let err = load(&bytes[..cut]).unwrap_err();
        assert!(
            matches!(err, CheckpointError::Truncated { .. }),
            "cut at {cut}: {err}"
        );
    }
}

#[test]
fn random_bytes_and_json_are_not_safetensors() {
    let mut rng = Rng::new(11);
    let noise: Vec<u8> = (0..4096).map(|_| rng.next_u64() as u8).collect();
    // Random bytes almost always declare an absurd header length.
    let err = load(&noise).unwrap_err();
    assert!(
        matches!(
            err,
            CheckpointError::HeaderTooLarge { .. } | CheckpointError::Truncated { .. }
        ),
        "{err}"
    );
    let json = br#"{"kind": "mlp-vae", "weights": [1, 2, 3], "padding": "................"}"#;
    let err = load(json).unwrap_err();
    assert!(
        matches!(err, CheckpointError::NotSafetensors { .. }),
        "{err}"
    );
    assert!(err.to_string().contains("text file"), "{err}");
    // A header length that fits, followed by bytes that are not JSON.
    let mut not_json = 16u64.to_le_bytes().to_vec();
    not_json.extend_from_slice(b"this is no JSON!");
    let err = load(&not_json).unwrap_err();
    assert!(
        matches!(err, CheckpointError::NotSafetensors { .. }),
        "{err}"
    );
}

#[test]
fn an_absurd_header_length_is_refused_before_any_allocation() {
    let mut bytes = u64::MAX.to_le_bytes().to_vec();
    bytes.extend_from_slice(b"{}");
    assert_eq!(
        load(&bytes).unwrap_err(),
        CheckpointError::HeaderTooLarge { declared: u64::MAX }
    );
    let message = load(&bytes).unwrap_err().to_string();
    assert!(message.contains("absurd"), "{message}");
}

fn plain_safetensors(metadata: Option<HashMap<String, String>>) -> Vec<u8> {
    let t = Tensor::zeros((2, 2), candle_core::DType::F32, &Device::Cpu).unwrap();
    safetensors::serialize([("w", &t)], metadata).unwrap()
}

#[test]
fn files_from_elsewhere_or_other_formats_are_named_as_such() {
    assert_eq!(
        load(&plain_safetensors(None)).unwrap_err(),
        CheckpointError::NotLatentLab
    );
    let meta = |pairs: &[(&str, &str)]| {
        Some(
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        )
    };
    assert_eq!(
        load(&plain_safetensors(meta(&[("format", "latent-lab/9")]))).unwrap_err(),
        CheckpointError::UnsupportedFormat {
            found: "latent-lab/9".into()
        }
    );
    assert_eq!(
        load(&plain_safetensors(meta(&[
            ("format", FORMAT),
            ("kind", "gan"),
            ("latent", "2"),
            ("hidden", "8")
        ])))
        .unwrap_err(),
        CheckpointError::UnknownKind {
            found: "gan".into()
        }
    );
    let err = load(&plain_safetensors(meta(&[
        ("format", FORMAT),
        ("kind", "ae"),
        ("latent", "two"),
        ("hidden", "8"),
    ])))
    .unwrap_err();
    assert!(matches!(err, CheckpointError::BadMetadata { .. }), "{err}");
    let err = load(&plain_safetensors(meta(&[
        ("format", FORMAT),
        ("kind", "ae"),
        ("latent", "999"),
        ("hidden", "8"),
    ])))
    .unwrap_err();
    assert!(err.to_string().contains("choose 1 to 64"), "{err}");
}

/// Rewrites a saved model's metadata or tensors, to build files that lie about themselves.
fn tampered(
    model: &Model,
    edit_meta: impl FnOnce(&mut HashMap<String, String>),
    edit_tensors: impl FnOnce(&mut Vec<(String, Tensor)>),
) -> Vec<u8> {
    let bytes = save(model, Precision::F32, &BTreeMap::new()).unwrap();
    let mut meta = parse(&bytes).unwrap().metadata.unwrap();
    edit_meta(&mut meta);
    let mut tensors: Vec<(String, Tensor)> = model.named_parameters();
    edit_tensors(&mut tensors);
    safetensors::serialize(tensors, Some(meta)).unwrap()
}

#[test]
fn a_file_of_another_kind_or_size_is_refused_by_name() {
    let conv = model(ModelKind::ConvVae);
    // Conv weights labelled as an MLP-VAE.
    let err = load(&tampered(
        &conv,
        |m| {
            m.insert("kind".into(), "mlp-vae".into());
        },
        |_| {},
    ))
    .unwrap_err();
    assert!(
        matches!(
            err,
            CheckpointError::UnexpectedTensor { .. } | CheckpointError::MissingTensor { .. }
        ),
        "{err}"
    );
    // An MLP-VAE whose metadata claims a larger latent space.
    let mlp = model(ModelKind::MlpVae);
    let err = load(&tampered(
        &mlp,
        |m| {
            m.insert("latent".into(), "3".into());
        },
        |_| {},
    ))
    .unwrap_err();
    match err {
        CheckpointError::WrongShape {
            expected, found, ..
        } => assert_ne!(expected, found),
        other => panic!("expected WrongShape, got {other}"),
    }
    // A missing tensor.
    let err = load(&tampered(
        &mlp,
        |_| {},
        |t| {
            t.retain(|(n, _)| n != "decoder.out.bias");
        },
    ))
    .unwrap_err();
    assert_eq!(
        err,
        CheckpointError::MissingTensor {
            name: "decoder.out.bias".into(),
            config: mlp.config()
        }
    );
}

#[test]
fn nan_weights_and_integer_weights_are_refused() {
    let mlp = model(ModelKind::MlpVae);
    let nan = tampered(
        &mlp,
        |_| {},
        |t| {
            let (_, w) = &mut t[0];
            *w = (w.clone() * f64::NAN).unwrap();
        },
    );
    let err = load(&nan).unwrap_err();
    assert!(matches!(err, CheckpointError::NonFinite { .. }), "{err}");
    let ints = tampered(
        &mlp,
        |_| {},
        |t| {
            let (_, w) = &mut t[0];
            *w = w.to_dtype(candle_core::DType::I64).unwrap();
        },
    );
    let err = load(&ints).unwrap_err();
    assert!(
        matches!(err, CheckpointError::UnsupportedDtype { .. }),
        "{err}"
    );
}
