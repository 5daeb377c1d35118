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

use crate::ml::container::{self, ContainerError, Entry, Flaw, Parsed};
use crate::ml::dataset::ImageShape;
use crate::ml::model::{ConfigError, Model, ModelConfig, ModelKind};
use crate::ml::weight_bytes;

mod decoder_first;
mod load;
pub use decoder_first::{decoder_first, decoder_has_come};
pub use load::load;

pub const FORMAT: &str = "latent-lab/1";
const RESERVED_KEYS: [&str; 6] = ["format", "kind", "latent", "hidden", SHAPE_KEY, LAYOUT_KEY];
/// Metadata key of the images' shape, when they are not the digits' 28×28 grey.
const SHAPE_KEY: &str = "shape";
/// Metadata key saying how the weights are laid out, when not as plain tensors.
const LAYOUT_KEY: &str = "layout";
/// [`Precision::F16Planes`]' layout.
const F16_PLANES: &str = "f16-planes";

/// How the weights are stored. f16 halves the file; decoding is unaffected to the eye and the
/// test negative ELBO moves by hundredths of a nat. `Compact` rounds further (see there).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Precision {
    F32,
    F16,
    /// The same numbers as `F16`, each tensor stored as `U8` of shape `[2, …]`: the low bytes
    /// of all its values, then the high bytes (metadata `"layout": "f16-planes"`). The high
    /// bytes (sign and exponent) repeat a lot, and apart gzip well: the shipped models travel
    /// ~6 % smaller, which the page's first load counts (a 2 MB budget).
    F16Planes,
    /// `F16Planes` with each value rounded further, to five significant bits (to nearest, ties
    /// to even; `weight_bytes`' `COMPACT_DROPS` says what each choice measured): the last six
    /// bits of every low byte are zero, so the low plane, noise otherwise, compresses too: the
    /// default model travels 1,064,312 → 609,772 bytes (brotli; 829,633 at eight significant
    /// bits, 2026-12-04 to 12-07), which a phone's first digit waits for, and its test −ELBO
    /// moves by three hundredths of a nat. The shipped models are stored so. Read back as
    /// `F16Planes` (same layout and metadata), so saving a model read from such a file the
    /// same way gives the same bytes.
    Compact,
}

impl Precision {
    /// Whether the tensors are stored as byte planes ([`Precision::F16Planes`]' layout).
    fn planes(self) -> bool {
        match self {
            Precision::F32 | Precision::F16 => false,
            Precision::F16Planes | Precision::Compact => true,
        }
    }
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
    if precision.planes() {
        metadata.insert(LAYOUT_KEY.into(), F16_PLANES.into());
    }
    let dtype_name = match precision {
        Precision::F32 => "F32",
        Precision::F16 => "F16",
        Precision::F16Planes | Precision::Compact => "U8",
    };
    // `named_parameters` is sorted by name, as the container wants.
    let tensors = model
        .named_parameters()
        .into_iter()
        .map(|(name, t)| {
            let data = weight_bytes::encode(&t.flatten_all()?.to_vec1::<f32>()?, precision);
            let mut shape = t.dims().to_vec();
            if precision.planes() {
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

#[cfg(test)]
mod tests;
