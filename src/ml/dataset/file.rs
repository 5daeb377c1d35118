//! The dataset file: one safetensors file, exported and imported by the page and read by the
//! native trainer (`train --data`).
//!
//! | tensor   | dtype | shape                   | meaning                                    |
//! |----------|-------|-------------------------|--------------------------------------------|
//! | `images` | U8    | `[n, channels, side, side]` | grey levels, channel-planar            |
//! | `labels` | U16   | `[n]` (optional)        | each image's class, an index into the names |
//!
//! Metadata: `format` = `latent-lab-dataset/1`, `name`, `shape` (an [`ImageShape::id`], e.g.
//! `colour-32`), and with labels `label_count` and the names as `label.0`, `label.1`, …
//! Reading checks all of it and answers with a [`DatasetError`], never a panic, and allocates
//! no more than the file's own size: it is fed files people pick from their disks.

use std::borrow::Cow;
use std::collections::BTreeMap;

use safetensors::Dtype;

use super::{check_size, Channels, Dataset, DatasetError, ImageShape, Labels};
use crate::ml::container::{self, ContainerError, Entry, Flaw};

pub const FORMAT: &str = "latent-lab-dataset/1";
/// What every version of the format starts with; a later version is refused by name.
const FORMAT_FAMILY: &str = "latent-lab-dataset/";

impl From<ContainerError> for DatasetError {
    fn from(e: ContainerError) -> Self {
        match e {
            ContainerError::Truncated { detail } => DatasetError::Truncated { detail },
            ContainerError::HeaderTooLarge { declared } => DatasetError::NotSafetensors {
                detail: Flaw::AbsurdHeader { declared },
            },
            ContainerError::NotSafetensors { detail } => DatasetError::NotSafetensors { detail },
            ContainerError::Corrupt { detail } => DatasetError::Corrupt { detail },
        }
    }
}

/// The file's bytes; the same dataset always gives the same bytes.
pub fn save(dataset: &Dataset) -> Vec<u8> {
    let (metadata, entries) = parts(dataset);
    container::write(&entries, &metadata)
}

/// What [`save`] writes: the metadata and the tensors, sorted by name.
fn parts(dataset: &Dataset) -> (BTreeMap<String, String>, Vec<Entry<'_>>) {
    let shape = dataset.shape();
    let mut metadata = BTreeMap::from([
        ("format".to_string(), FORMAT.to_string()),
        ("name".to_string(), dataset.name().to_string()),
        ("shape".to_string(), shape.id()),
    ]);
    let mut entries = vec![Entry {
        name: "images".into(),
        dtype: "U8",
        shape: vec![
            dataset.len(),
            shape.channels.count(),
            shape.side,
            shape.side,
        ],
        data: Cow::Borrowed(dataset.images()),
    }];
    if let Some(labels) = dataset.labels() {
        metadata.insert("label_count".into(), labels.names.len().to_string());
        for (i, name) in labels.names.iter().enumerate() {
            metadata.insert(format!("label.{i}"), name.clone());
        }
        entries.push(Entry {
            name: "labels".into(),
            dtype: "U16",
            shape: vec![labels.of_image.len()],
            data: Cow::Owned(
                labels
                    .of_image
                    .iter()
                    .flat_map(|l| l.to_le_bytes())
                    .collect(),
            ),
        });
    }
    (metadata, entries)
}

fn malformed(detail: impl Into<String>) -> DatasetError {
    DatasetError::Malformed {
        detail: detail.into(),
    }
}

/// Reads a dataset file.
pub fn load(bytes: &[u8]) -> Result<Dataset, DatasetError> {
    let parsed = container::parse(bytes)?;
    let metadata = parsed.metadata.unwrap_or_default();
    match metadata.get("format").map(String::as_str) {
        Some(FORMAT) => {}
        Some(other) if other.starts_with(FORMAT_FAMILY) => {
            return Err(DatasetError::FromTheFuture {
                found: other.to_string(),
            })
        }
        _ => return Err(DatasetError::NotADataset),
    }
    let field = |key: &str| {
        metadata
            .get(key)
            .ok_or_else(|| malformed(format!("its metadata has no \"{key}\"")))
    };
    let name = field("name")?.clone();
    let shape_id = field("shape")?;
    let shape = ImageShape::from_id(shape_id).ok_or_else(|| {
        malformed(format!(
            "its shape \"{shape_id}\" is not one Latent Lab knows (grey or colour, side 28, 32 or 64)"
        ))
    })?;
    let file = &parsed.file;
    if let Some(other) = file
        .names()
        .into_iter()
        .find(|n| !["images", "labels"].contains(n))
    {
        return Err(malformed(format!(
            "it holds a tensor \"{other}\"; a dataset has only \"images\" and \"labels\""
        )));
    }
    let images = file
        .tensor("images")
        .map_err(|_| malformed("it has no \"images\""))?;
    if images.dtype() != Dtype::U8 {
        return Err(malformed(format!(
            "its images are {:?}; they must be bytes (U8)",
            images.dtype()
        )));
    }
    let [count, channels, height, width] = images.shape() else {
        return Err(malformed(format!(
            "its images have shape {:?}; they must be [count, channels, side, side]",
            images.shape()
        )));
    };
    let declared = [shape.channels.count(), shape.side, shape.side];
    if [*channels, *height, *width] != declared
        || Channels::from_count(*channels) != Some(shape.channels)
    {
        return Err(malformed(format!(
            "its images are {channels}×{height}×{width}, but its metadata says {shape}"
        )));
    }
    check_size(*count, shape)?;
    let labels = match file.tensor("labels") {
        Err(_) => None,
        Ok(view) => {
            if view.dtype() != Dtype::U16 || view.shape() != [*count] {
                return Err(malformed(format!(
                    "its labels are {:?} of shape {:?}; they must be U16, one per image",
                    view.dtype(),
                    view.shape()
                )));
            }
            let names = label_names(&metadata)?;
            let of_image = view
                .data()
                .chunks_exact(2)
                .map(|b| u16::from_le_bytes([b[0], b[1]]))
                .collect();
            Some(Labels { of_image, names })
        }
    };
    Dataset::new(name, shape, images.data().to_vec(), labels)
}

/// The label names in the metadata: `label_count`, then `label.0`… up to it.
fn label_names(
    metadata: &std::collections::HashMap<String, String>,
) -> Result<Vec<String>, DatasetError> {
    let count_text = metadata
        .get("label_count")
        .ok_or_else(|| malformed("it has labels but no \"label_count\""))?;
    let count: usize = count_text
        .parse()
        .map_err(|_| malformed(format!("\"label_count\" is \"{count_text}\", not a number")))?;
    // Each name is its own metadata entry, so a count beyond them is caught at the first gap
    // before anything is allocated for it.
    (0..count)
        .map(|i| {
            metadata
                .get(&format!("label.{i}"))
                .cloned()
                .ok_or_else(|| malformed(format!("label {i} of {count} has no name")))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ml::dataset::MAX_IMAGES;

    fn colour_set() -> Dataset {
        let shape = ImageShape::new(Channels::Colour, 32).unwrap();
        let images = (0..7 * shape.values())
            .map(|i| (i * 7 % 256) as u8)
            .collect();
        let labels = Labels {
            of_image: vec![0, 1, 2, 0, 1, 2, 2],
            names: vec!["circle".into(), "star \"★\"".into(), "".into()],
        };
        Dataset::new("my shapes", shape, images, Some(labels)).unwrap()
    }

    #[test]
    fn a_dataset_round_trips_with_its_labels_and_always_to_the_same_bytes() {
        let set = colour_set();
        let bytes = save(&set);
        assert_eq!(load(&bytes).unwrap(), set);
        assert_eq!(save(&load(&bytes).unwrap()), bytes);
        let unlabelled = Dataset::new("plain", ImageShape::DIGITS, vec![9; 784 * 3], None).unwrap();
        assert_eq!(load(&save(&unlabelled)).unwrap(), unlabelled);
    }

    /// `set`'s file with its header rewritten by `edit` (the data left as it is).
    fn tampered(
        set: &Dataset,
        edit: impl Fn(&mut BTreeMap<String, String>, &mut Vec<Entry<'_>>),
    ) -> Vec<u8> {
        let (mut metadata, mut entries) = parts(set);
        edit(&mut metadata, &mut entries);
        container::write(&entries, &metadata)
    }

    /// `set`'s file with `labels`, and `label_count` (when given) but only one name, "a".
    fn labelled(set: &Dataset, label_count: Option<&str>, labels: &[u16]) -> Vec<u8> {
        tampered(set, |m, e| {
            if let Some(count) = label_count {
                m.insert("label_count".into(), count.into());
                m.insert("label.0".into(), "a".into());
            }
            e.push(Entry {
                name: "labels".into(),
                dtype: "U16",
                shape: vec![labels.len()],
                data: Cow::Owned(labels.iter().flat_map(|l| l.to_le_bytes()).collect()),
            });
        })
    }

    fn error_of(bytes: &[u8]) -> String {
        load(bytes).unwrap_err().to_string()
    }

    #[test]
    fn files_that_are_not_datasets_say_what_they_are() {
        let set = Dataset::new("d", ImageShape::DIGITS, vec![0; 784], None).unwrap();
        let model_file = tampered(&set, |m, _| {
            m.insert("format".into(), "latent-lab/1".into());
        });
        assert_eq!(load(&model_file), Err(DatasetError::NotADataset));
        assert!(error_of(&model_file).contains("model picker"));
        let future = tampered(&set, |m, _| {
            m.insert("format".into(), "latent-lab-dataset/7".into());
        });
        assert_eq!(
            load(&future),
            Err(DatasetError::FromTheFuture {
                found: "latent-lab-dataset/7".into()
            })
        );
        assert!(matches!(
            load(b"PK\x03\x04 a zip, not a dataset"),
            Err(DatasetError::NotSafetensors { .. })
        ));
        let bytes = save(&set);
        assert!(matches!(
            load(&bytes[..bytes.len() - 1]),
            Err(DatasetError::Truncated { .. })
        ));
    }

    #[test]
    fn wrong_shapes_dtypes_and_metadata_are_refused_by_what_is_wrong() {
        let set = Dataset::new("d", ImageShape::DIGITS, vec![0; 784 * 2], None).unwrap();
        let cases: Vec<(&str, Vec<u8>)> = vec![
            (
                "metadata says",
                tampered(&set, |m, _| {
                    m.insert("shape".into(), "colour-28".into());
                }),
            ),
            (
                "not one Latent Lab knows",
                tampered(&set, |m, _| {
                    m.insert("shape".into(), "grey-30".into());
                }),
            ),
            (
                "no \"name\"",
                tampered(&set, |m, _| {
                    m.remove("name");
                }),
            ),
            (
                "must be bytes",
                tampered(&set, |_, e| {
                    e[0].dtype = "I8";
                }),
            ),
            (
                "[count, channels, side, side]",
                tampered(&set, |_, e| {
                    e[0].shape = vec![2, 784];
                }),
            ),
            (
                "only \"images\" and \"labels\"",
                tampered(&set, |_, e| {
                    e.push(Entry {
                        name: "weights".into(),
                        dtype: "U8",
                        shape: vec![1],
                        data: Cow::Owned(vec![0]),
                    });
                }),
            ),
            ("no \"label_count\"", labelled(&set, None, &[0, 0])),
            ("one per image", labelled(&set, Some("1"), &[0, 0, 0])),
            (
                "label 1 of 4000000000 has no name",
                labelled(&set, Some("4000000000"), &[0, 0]),
            ),
            ("only 1 label names", labelled(&set, Some("1"), &[0, 5])),
            (
                "no images",
                tampered(&set, |_, e| {
                    e[0].shape = vec![0, 1, 28, 28];
                    e[0].data = Cow::Owned(Vec::new());
                }),
            ),
        ];
        for (expected, bytes) in cases {
            let message = error_of(&bytes);
            assert!(
                message.contains(expected),
                "expected “{expected}” in “{message}”"
            );
        }
    }

    #[test]
    fn a_file_claiming_too_many_images_is_refused_before_copying_them() {
        // A header that promises more images than the cap, over data that really is there.
        let shape = ImageShape::DIGITS;
        let count = MAX_IMAGES + 1;
        let set = Dataset::new("d", shape, vec![0; 784], None).unwrap();
        let bytes = tampered(&set, |_, e| {
            e[0].shape = vec![count, 1, 28, 28];
            e[0].data = Cow::Owned(vec![0; count * 784]);
        });
        assert_eq!(
            load(&bytes),
            Err(DatasetError::TooManyImages {
                count,
                cap: MAX_IMAGES
            })
        );
    }
}
