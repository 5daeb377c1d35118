//! The safetensors container under both of Latent Lab's file formats: models
//! ([`crate::ml::checkpoint`]) and datasets ([`crate::ml::dataset`]).
//!
//! Writing: the header is written here rather than by the safetensors crate, whose metadata map
//! comes out in hash order; with names and keys sorted, the same content always gives the same
//! bytes (the pretrained models rebuild bit for bit). Reading: the crate parses, and its errors
//! are sorted into what a person can act on ([`ContainerError`]); each format words them for its
//! own files.

use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap};

use safetensors::tensor::Metadata;
use safetensors::{SafeTensorError, SafeTensors};

/// One tensor to write: its name, safetensors dtype ("F32", "F16", "U8", "U16"), shape and
/// little-endian bytes.
pub(crate) struct Entry<'a> {
    pub name: String,
    pub dtype: &'static str,
    pub shape: Vec<usize>,
    pub data: Cow<'a, [u8]>,
}

/// The safetensors bytes of `entries` (which must be sorted by name) with `metadata`.
pub(crate) fn write(entries: &[Entry<'_>], metadata: &BTreeMap<String, String>) -> Vec<u8> {
    let fields: Vec<String> = metadata
        .iter()
        .map(|(k, v)| format!("{}:{}", json_string(k), json_string(v)))
        .collect();
    let mut header = format!(r#"{{"__metadata__":{{{}}}"#, fields.join(","));
    let mut offset = 0;
    for entry in entries {
        let shape: Vec<String> = entry.shape.iter().map(|d| d.to_string()).collect();
        let end = offset + entry.data.len();
        header.push_str(&format!(
            r#",{}:{{"dtype":"{}","shape":[{}],"data_offsets":[{offset},{end}]}}"#,
            json_string(&entry.name),
            entry.dtype,
            shape.join(","),
        ));
        offset = end;
    }
    header.push('}');
    // Pad with spaces so the data starts 8-byte aligned, as the safetensors crate does.
    while header.len() % 8 != 0 {
        header.push(' ');
    }
    let mut out = Vec::with_capacity(8 + header.len() + offset);
    out.extend_from_slice(&(header.len() as u64).to_le_bytes());
    out.extend_from_slice(header.as_bytes());
    for entry in entries {
        out.extend_from_slice(&entry.data);
    }
    out
}

/// `s` as a JSON string literal.
fn json_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str(r#"\""#),
            '\\' => out.push_str(r"\\"),
            c if (c as u32) < 0x20 => out.push_str(&format!(r"\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// A parsed file and its metadata (the safetensors crate hands the two out separately).
pub(crate) struct Parsed<'a> {
    pub file: SafeTensors<'a>,
    pub metadata: Option<HashMap<String, String>>,
}

/// What can be wrong with the container itself, before its content is looked at.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum ContainerError {
    Truncated { detail: Flaw },
    HeaderTooLarge { declared: u64 },
    NotSafetensors { detail: Flaw },
    Corrupt { detail: Flaw },
}

/// The particular flaw inside a [`ContainerError`], as a value rather than English text, so
/// the page can say it in its own language (`ui_logic::error_words`); `Display` is the English.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Flaw {
    /// The file starts like text; `start` is its first characters.
    TextFile { start: String },
    /// Too short for even the header's length.
    OnlyBytes { bytes: usize },
    /// The header's declared length runs past the file's end.
    HeaderPastEnd { declared: u64, bytes: usize },
    /// The header's declared length is absurd (a dataset file says so as "not safetensors").
    AbsurdHeader { declared: u64 },
    /// The tensors the header lists do not add up to the file's size.
    TensorsPastEnd,
    /// The header is not the JSON a safetensors file starts with.
    HeaderNotJson,
    /// The safetensors library's own words, for the rarer cases.
    Other(String),
}

impl std::fmt::Display for Flaw {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Flaw::TextFile { start } => write!(f, "it is a text file starting with {start:?}"),
            Flaw::OnlyBytes { bytes } => write!(f, "it is only {bytes} bytes"),
            Flaw::HeaderPastEnd { declared, bytes } => write!(
                f,
                "its header claims {declared} bytes but the whole file has {bytes}"
            ),
            Flaw::AbsurdHeader { declared } => {
                write!(f, "it declares a header of {declared} bytes")
            }
            Flaw::TensorsPastEnd => {
                write!(f, "the tensors it lists do not add up to the file's size")
            }
            Flaw::HeaderNotJson => {
                write!(
                    f,
                    "its header is not the JSON a safetensors file starts with"
                )
            }
            Flaw::Other(words) => f.write_str(words),
        }
    }
}

pub(crate) fn parse(bytes: &[u8]) -> Result<Parsed<'_>, ContainerError> {
    let file = SafeTensors::deserialize(bytes).map_err(|e| classify(e, bytes))?;
    let (_, header) = SafeTensors::read_metadata(bytes).map_err(|e| classify(e, bytes))?;
    Ok(Parsed {
        file,
        metadata: header.metadata().clone(),
    })
}

/// The header of a file of which only the first bytes have arrived: where its data starts (from
/// the file's first byte) and what the header lists, once the header is whole; `None` before,
/// and for a header that is not a safetensors one (reading the whole file says what is wrong).
pub(crate) fn header_of_prefix(prefix: &[u8]) -> Option<(usize, Metadata)> {
    let declared = u64::from_le_bytes(prefix.get(..8)?.try_into().ok()?);
    let end = usize::try_from(declared).ok()?.checked_add(8)?;
    let header = std::str::from_utf8(prefix.get(8..end)?).ok()?;
    Some((end, serde_json::from_str(header).ok()?))
}

/// Whether the file starts like text (JSON, CSV, HTML…) rather than a binary length.
fn looks_like_text(bytes: &[u8]) -> bool {
    bytes.len() >= 8
        && bytes[..8]
            .iter()
            .all(|b| b.is_ascii_graphic() || b.is_ascii_whitespace())
}

fn classify(e: SafeTensorError, bytes: &[u8]) -> ContainerError {
    let declared = || u64::from_le_bytes(bytes[..8].try_into().expect("at least 8 bytes"));
    match e {
        SafeTensorError::HeaderTooLarge | SafeTensorError::InvalidHeaderLength
            if looks_like_text(bytes) =>
        {
            ContainerError::NotSafetensors {
                detail: Flaw::TextFile {
                    start: String::from_utf8_lossy(&bytes[..bytes.len().min(16)]).into_owned(),
                },
            }
        }
        SafeTensorError::HeaderTooSmall => ContainerError::Truncated {
            detail: Flaw::OnlyBytes { bytes: bytes.len() },
        },
        SafeTensorError::HeaderTooLarge => ContainerError::HeaderTooLarge {
            declared: declared(),
        },
        SafeTensorError::InvalidHeaderLength => ContainerError::Truncated {
            detail: Flaw::HeaderPastEnd {
                declared: declared(),
                bytes: bytes.len(),
            },
        },
        SafeTensorError::MetadataIncompleteBuffer => ContainerError::Truncated {
            detail: Flaw::TensorsPastEnd,
        },
        SafeTensorError::InvalidHeader(_) | SafeTensorError::InvalidHeaderDeserialization(_) => {
            ContainerError::NotSafetensors {
                detail: Flaw::HeaderNotJson,
            }
        }
        other => ContainerError::Corrupt {
            detail: Flaw::Other(other.to_string()),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_is_written_parses_back_with_its_metadata_and_data() {
        let entries = [
            Entry {
                name: "a".into(),
                dtype: "U8",
                shape: vec![3],
                data: Cow::Borrowed(&[1, 2, 3]),
            },
            Entry {
                name: "b".into(),
                dtype: "U16",
                shape: vec![2],
                data: Cow::Owned(vec![4, 0, 5, 0]),
            },
        ];
        let metadata = BTreeMap::from([("k \"q\"".to_string(), "v\n\\".to_string())]);
        let bytes = write(&entries, &metadata);
        assert_eq!(u64::from_le_bytes(bytes[..8].try_into().unwrap()) % 8, 0);
        let parsed = parse(&bytes).unwrap();
        assert_eq!(parsed.metadata.unwrap()["k \"q\""], "v\n\\");
        assert_eq!(parsed.file.tensor("a").unwrap().data(), &[1, 2, 3]);
        assert_eq!(parsed.file.tensor("b").unwrap().data(), &[4, 0, 5, 0]);
        assert_eq!(write(&entries, &metadata), bytes, "deterministic");
    }

    #[test]
    fn text_and_short_files_are_told_apart() {
        assert!(matches!(
            parse(b"{\"not\": \"a model\"}").err().unwrap(),
            ContainerError::NotSafetensors { .. }
        ));
        assert!(matches!(
            parse(b"abc").err().unwrap(),
            ContainerError::Truncated { .. }
        ));
    }
}
