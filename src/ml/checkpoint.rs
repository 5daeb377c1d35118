//! Checkpoints: a model as safetensors *bytes*, with its kind and sizes in the metadata.
//!
//! Bytes rather than paths, so the same code saves a model in the browser (download, IndexedDB,
//! a snapshot posted from the worker) and natively. Loading checks everything a file could get
//! wrong and answers with a [`CheckpointError`] that says what, never a panic: it is fed files
//! people pick from their disks.
//!
//! Metadata keys: `format` = `latent-lab/1`, `kind` (a [`ModelKind::id`]), `latent`,
//! `hidden`, and `shape` (an [`ImageShape::id`] such as `colour-32`) for a model of anything but
//! 28×28 grey images: a file without it is a digits-shaped model, as every file was before other
//! shapes (so those files, the shipped ones among them, are unchanged). Any other keys are
//! free-form notes (the native trainer writes its settings, data and test score there).

use std::collections::BTreeMap;

use candle_core::{Device, Tensor};

use crate::ml::container::{self, ContainerError, Entry, Flaw, Parsed};
use crate::ml::dataset::ImageShape;
use crate::ml::model::{ConfigError, Model, ModelConfig, ModelKind};
use crate::ml::weight_bytes;

pub const FORMAT: &str = "latent-lab/1";
const RESERVED_KEYS: [&str; 6] = ["format", "kind", "latent", "hidden", SHAPE_KEY, LAYOUT_KEY];
/// Metadata key of the images' shape, when they are not the digits' 28×28 grey.
const SHAPE_KEY: &str = "shape";
/// Metadata key saying how the weights are laid out, when not as plain tensors.
const LAYOUT_KEY: &str = "layout";
/// [`Precision::F16Planes`]' layout.
const F16_PLANES: &str = "f16-planes";

/// How the weights are stored. f16 halves the file; decoding is unaffected to the eye and the
/// test negative ELBO moves by hundredths of a nat.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Precision {
    F32,
    F16,
    /// The same numbers as `F16`, each tensor stored as `U8` of shape `[2, …]`: the low bytes
    /// of all its values, then the high bytes (metadata `"layout": "f16-planes"`). The high
    /// bytes (sign and exponent) repeat a lot, and apart gzip well: the shipped models travel
    /// ~6 % smaller, which the page's first load counts (a 2 MB budget).
    F16Planes,
}

/// Everything that can be wrong with a weights file, in words a person can act on.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum CheckpointError {
    #[error("the file is truncated ({detail}); it may not have finished downloading or saving")]
    Truncated { detail: Flaw },
    #[error("the file declares a header of {declared} bytes, which is absurd for a weights file; it is corrupt or not a safetensors file")]
    HeaderTooLarge { declared: u64 },
    #[error(
        "this is not a safetensors file ({detail}); choose a .safetensors file saved by Latent Lab"
    )]
    NotSafetensors { detail: Flaw },
    #[error("the safetensors file is corrupt: {detail}")]
    Corrupt { detail: Flaw },
    #[error("this safetensors file was not made by Latent Lab (its metadata has no \"format\": \"{FORMAT}\"); only Latent Lab models can be loaded")]
    NotLatentLab,
    #[error("this file has format \"{found}\", but this version of Latent Lab reads \"{FORMAT}\"")]
    UnsupportedFormat { found: String },
    #[error(
        "this file holds a model of kind \"{found}\", which Latent Lab does not know (it knows {})",
        ModelKind::ids_text("and")
    )]
    UnknownKind { found: String },
    #[error("the file's metadata is wrong: {detail}")]
    BadMetadata { detail: String },
    /// The metadata names a model that cannot be built (kept typed, so that the page can word
    /// it in its own language).
    #[error("the file's metadata is wrong: {0}")]
    BadConfig(ConfigError),
    #[error("the file is missing the weights \"{name}\" that a {config} needs")]
    MissingTensor { name: String, config: ModelConfig },
    #[error(
        "the file has weights \"{name}\" that a {config} does not have; it holds a different model"
    )]
    UnexpectedTensor { name: String, config: ModelConfig },
    #[error("the weights \"{name}\" have shape {found:?}, but a {config} needs {expected:?}")]
    WrongShape {
        name: String,
        config: ModelConfig,
        expected: Vec<usize>,
        found: Vec<usize>,
    },
    #[error(
        "the weights \"{name}\" are stored as {dtype}; Latent Lab reads f32, f16, bf16 and f64"
    )]
    UnsupportedDtype { name: String, dtype: String },
    #[error("the weights \"{name}\" contain NaN or infinite values; the model that saved them had diverged")]
    NonFinite { name: String },
    #[error("could not build the model: {0}")]
    Candle(String),
}

impl From<candle_core::Error> for CheckpointError {
    fn from(e: candle_core::Error) -> Self {
        CheckpointError::Candle(e.to_string())
    }
}

/// A checkpoint's header: which model it holds, and its free-form notes.
#[derive(Debug, Clone, PartialEq)]
pub struct CheckpointInfo {
    pub config: ModelConfig,
    pub notes: BTreeMap<String, String>,
}

/// Serialises `model` with its configuration and `notes` in the metadata.
pub fn save(
    model: &Model,
    precision: Precision,
    notes: &BTreeMap<String, String>,
) -> Result<Vec<u8>, CheckpointError> {
    let config = model.config();
    let mut metadata: BTreeMap<String, String> = notes
        .iter()
        .filter(|(k, _)| !RESERVED_KEYS.contains(&k.as_str()))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    metadata.insert("format".into(), FORMAT.into());
    metadata.insert("kind".into(), config.kind.id().into());
    metadata.insert("latent".into(), config.latent.to_string());
    metadata.insert("hidden".into(), config.hidden.to_string());
    if config.shape != ImageShape::DIGITS {
        metadata.insert(SHAPE_KEY.into(), config.shape.id());
    }
    if precision == Precision::F16Planes {
        metadata.insert(LAYOUT_KEY.into(), F16_PLANES.into());
    }
    let dtype_name = match precision {
        Precision::F32 => "F32",
        Precision::F16 => "F16",
        Precision::F16Planes => "U8",
    };
    // `named_parameters` is sorted by name, as the container wants.
    let tensors = model
        .named_parameters()
        .into_iter()
        .map(|(name, t)| {
            let data = weight_bytes::encode(&t.flatten_all()?.to_vec1::<f32>()?, precision);
            let mut shape = t.dims().to_vec();
            if precision == Precision::F16Planes {
                shape.insert(0, 2);
            }
            Ok((name, shape, data))
        })
        .collect::<candle_core::Result<Vec<(String, Vec<usize>, Vec<u8>)>>>()?;
    let entries: Vec<Entry<'_>> = tensors
        .iter()
        .map(|(name, shape, data)| Entry {
            name: name.clone(),
            dtype: dtype_name,
            shape: shape.clone(),
            data: data.into(),
        })
        .collect();
    Ok(container::write(&entries, &metadata))
}

/// The checkpoint's container: its errors in a model file's words.
impl From<ContainerError> for CheckpointError {
    fn from(e: ContainerError) -> Self {
        match e {
            ContainerError::Truncated { detail } => CheckpointError::Truncated { detail },
            ContainerError::HeaderTooLarge { declared } => {
                CheckpointError::HeaderTooLarge { declared }
            }
            ContainerError::NotSafetensors { detail } => CheckpointError::NotSafetensors { detail },
            ContainerError::Corrupt { detail } => CheckpointError::Corrupt { detail },
        }
    }
}

fn parse(bytes: &[u8]) -> Result<Parsed<'_>, CheckpointError> {
    Ok(container::parse(bytes)?)
}

/// Reads only the header: which model the file holds, without loading any weights.
pub fn read_info(bytes: &[u8]) -> Result<CheckpointInfo, CheckpointError> {
    info_from(&parse(bytes)?)
}

fn info_from(parsed: &Parsed<'_>) -> Result<CheckpointInfo, CheckpointError> {
    let Some(metadata) = &parsed.metadata else {
        return Err(CheckpointError::NotLatentLab);
    };
    match metadata.get("format").map(String::as_str) {
        None => return Err(CheckpointError::NotLatentLab),
        Some(FORMAT) => {}
        Some(other) => {
            return Err(CheckpointError::UnsupportedFormat {
                found: other.to_string(),
            })
        }
    }
    let field = |key: &str| {
        metadata
            .get(key)
            .ok_or_else(|| CheckpointError::BadMetadata {
                detail: format!("it has no \"{key}\""),
            })
    };
    let kind_id = field("kind")?;
    let kind = ModelKind::from_id(kind_id).ok_or_else(|| CheckpointError::UnknownKind {
        found: kind_id.clone(),
    })?;
    let number = |key: &str| -> Result<usize, CheckpointError> {
        let text = field(key)?;
        text.parse().map_err(|_| CheckpointError::BadMetadata {
            detail: format!("\"{key}\" is \"{text}\", not a whole number"),
        })
    };
    let shape = match metadata.get(SHAPE_KEY) {
        None => ImageShape::DIGITS,
        Some(id) => ImageShape::from_id(id).ok_or_else(|| CheckpointError::BadMetadata {
            detail: format!(
                "\"{SHAPE_KEY}\" is \"{id}\", not an image shape such as grey-28 or colour-64"
            ),
        })?,
    };
    let config = ModelConfig::new(kind, number("latent")?, number("hidden")?).of_shape(shape);
    config.validate().map_err(CheckpointError::BadConfig)?;
    let notes = metadata
        .iter()
        .filter(|(k, _)| !RESERVED_KEYS.contains(&k.as_str()))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    Ok(CheckpointInfo { config, notes })
}

/// Loads a model from checkpoint bytes, checking the kind, every name, shape and value.
pub fn load(bytes: &[u8]) -> Result<(Model, CheckpointInfo), CheckpointError> {
    let parsed = parse(bytes)?;
    let info = info_from(&parsed)?;
    let file = &parsed.file;
    let model = Model::zeroed(info.config)?;
    let config = info.config;
    let expected = model.named_parameters();
    for name in file.names() {
        if !expected.iter().any(|(n, _)| n == name) {
            return Err(CheckpointError::UnexpectedTensor {
                name: name.to_string(),
                config,
            });
        }
    }
    let vars = model
        .vars()
        .data()
        .lock()
        .expect("the VarMap lock is never poisoned");
    let planes = match parsed
        .metadata
        .as_ref()
        .and_then(|m| m.get(LAYOUT_KEY))
        .map(String::as_str)
    {
        None => false,
        Some(F16_PLANES) => true,
        Some(other) => {
            return Err(CheckpointError::BadMetadata {
                detail: format!("its weights are laid out as \"{other}\", which this version of Latent Lab does not read"),
            })
        }
    };
    for (name, param) in &expected {
        let view = file
            .tensor(name)
            .map_err(|_| CheckpointError::MissingTensor {
                name: name.clone(),
                config,
            })?;
        let mut stored_shape = param.dims().to_vec();
        if planes {
            stored_shape.insert(0, 2);
        }
        if view.shape() != stored_shape {
            return Err(CheckpointError::WrongShape {
                name: name.clone(),
                config,
                expected: stored_shape,
                found: view.shape().to_vec(),
            });
        }
        use safetensors::Dtype as D;
        let readable = if planes {
            view.dtype() == D::U8
        } else {
            matches!(view.dtype(), D::F32 | D::F16 | D::BF16 | D::F64)
        };
        if !readable {
            return Err(CheckpointError::UnsupportedDtype {
                name: name.clone(),
                dtype: format!("{:?}", view.dtype()),
            });
        }
        let values = if planes {
            weight_bytes::decode_planes(view.data())
        } else {
            weight_bytes::decode(view.dtype(), view.data())
        };
        let values = Tensor::from_vec(values, param.dims(), &Device::Cpu)?;
        let all_finite = values
            .flatten_all()?
            .to_vec1::<f32>()?
            .iter()
            .all(|v| v.is_finite());
        if !all_finite {
            return Err(CheckpointError::NonFinite { name: name.clone() });
        }
        vars[name].set(&values)?;
    }
    drop(vars);
    Ok((model, info))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ml::rng::Rng;
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
}
