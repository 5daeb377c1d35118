//! Datasets: a named set of small square images of one shape, stored compactly as bytes, with
//! optional labels and their names, and a fixed train/test split.
//!
//! The built-in digits are one (grey, side 28); a person's own pictures, imported in the page or
//! packed by the native trainer, are others. Images are stored as grey levels 0..=255,
//! channel-planar (all of an image's red values, then green, then blue: the `(C, H, W)` layout
//! of a convolution's input), row-major within a plane. A model reads a value `k` as the
//! Bernoulli target `k / 255`, per pixel and channel, as it reads the digits.
//!
//! [`file`] is the dataset file format (safetensors), which the page and the native trainer
//! share; [`fit`] makes a picture of any size into an image of a dataset's shape; [`archive`]
//! lists a zip of pictures; [`import`] gathers pictures into a dataset; [`sprites`] generates
//! dSprites-style shapes whose every factor of variation is known.

pub mod archive;
mod digits;
pub mod drawings;
pub mod file;
pub mod fit;
pub mod import;
mod resample;
mod shape;
pub mod sprites;

pub use shape::{sides_text, Channels, ImageShape, SIDES};

use crate::ml::container::Flaw;

/// Below this many images there is no test split: everything trains (a handful of test images
/// would measure nothing), and the panels that need test images say so.
pub const MIN_FOR_TEST_SPLIT: usize = 50;
/// A dataset holds at most this many images: an import of more is cut here (and says so).
pub const MAX_IMAGES: usize = 100_000;
/// …and at most this many bytes of images, whatever their shape: 256 MiB, what a phone's tab can
/// hold beside the models (64×64 colour is 12,288 bytes an image, so 21,845 of them).
pub const MAX_BYTES: usize = 256 << 20;

/// What each image is, when the dataset says: a class index per image into `names`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Labels {
    pub of_image: Vec<u16>,
    pub names: Vec<String>,
}

/// Which images train and which test, by index.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SplitIndices {
    pub train: Vec<usize>,
    pub test: Vec<usize>,
}

/// What can be wrong with a dataset (or its file), in words a person can act on.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum DatasetError {
    #[error(
        "images of side {side} are not supported: choose {}",
        shape::sides_text()
    )]
    UnsupportedSide { side: usize },
    #[error("the dataset has no images")]
    Empty,
    #[error("{count} images is more than a dataset can hold here ({cap}); keep the first {cap}")]
    TooManyImages { count: usize, cap: usize },
    #[error("the images take {bytes} bytes, more than the {MAX_BYTES}-byte budget; at this shape the first {cap} fit")]
    TooManyBytes { bytes: usize, cap: usize },
    #[error("the image data is {found} bytes, but {count} images of {shape} need {expected}")]
    WrongImageBytes {
        count: usize,
        shape: ImageShape,
        expected: usize,
        found: usize,
    },
    #[error("there are {labels} labels for {count} images; there must be one per image")]
    WrongLabelCount { labels: usize, count: usize },
    #[error("image {index} has label {label}, but there are only {names} label names")]
    LabelOutOfRange {
        index: usize,
        label: u16,
        names: usize,
    },
    #[error("a dataset needs a name")]
    NoName,
    #[error("a drawing needs a label: type what it shows")]
    NoLabel,
    #[error("the file is truncated ({detail}); it may not have finished downloading or saving")]
    Truncated { detail: Flaw },
    #[error(
        "this is not a safetensors file ({detail}); choose a dataset file saved by Latent Lab"
    )]
    NotSafetensors { detail: Flaw },
    #[error("the dataset file is corrupt: {detail}")]
    Corrupt { detail: Flaw },
    #[error("this safetensors file is not a Latent Lab dataset (its metadata has no \"format\": \"{}\"); a model file goes in the model picker", file::FORMAT)]
    NotADataset,
    #[error(
        "this dataset file has format \"{found}\", from a newer Latent Lab; this one reads \"{}\"",
        file::FORMAT
    )]
    FromTheFuture { found: String },
    #[error("the dataset file is wrong: {detail}")]
    Malformed { detail: String },
}

/// A set of images of one shape, with optional labels.
#[derive(Debug, Clone, PartialEq)]
pub struct Dataset {
    name: String,
    shape: ImageShape,
    /// `len × shape.values()` grey levels, image after image, each channel-planar.
    images: Vec<u8>,
    labels: Option<Labels>,
}

impl Dataset {
    /// Checks that the parts fit together: a name, at least one image, whole images, within
    /// the caps, and one label per image that names a class.
    pub fn new(
        name: impl Into<String>,
        shape: ImageShape,
        images: Vec<u8>,
        labels: Option<Labels>,
    ) -> Result<Self, DatasetError> {
        let name = name.into();
        if name.trim().is_empty() {
            return Err(DatasetError::NoName);
        }
        let per_image = shape.values();
        let count = images.len() / per_image;
        if !images.len().is_multiple_of(per_image) {
            return Err(DatasetError::WrongImageBytes {
                count: count + 1,
                shape,
                expected: (count + 1) * per_image,
                found: images.len(),
            });
        }
        check_size(count, shape)?;
        if let Some(labels) = &labels {
            if labels.of_image.len() != count {
                return Err(DatasetError::WrongLabelCount {
                    labels: labels.of_image.len(),
                    count,
                });
            }
            let names = labels.names.len();
            if let Some((index, &label)) = labels
                .of_image
                .iter()
                .enumerate()
                .find(|(_, &l)| l as usize >= names)
            {
                return Err(DatasetError::LabelOutOfRange {
                    index,
                    label,
                    names,
                });
            }
        }
        Ok(Self {
            name,
            shape,
            images,
            labels,
        })
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn shape(&self) -> ImageShape {
        self.shape
    }

    pub fn len(&self) -> usize {
        self.images.len() / self.shape.values()
    }

    pub fn is_empty(&self) -> bool {
        self.images.is_empty()
    }

    /// Image `index`'s grey levels, channel-planar.
    pub fn image(&self, index: usize) -> &[u8] {
        let n = self.shape.values();
        &self.images[index * n..(index + 1) * n]
    }

    /// Every image's bytes, one after another.
    pub fn images(&self) -> &[u8] {
        &self.images
    }

    /// Image `index` as the model reads it: values `k / 255` in [0, 1].
    pub fn image_f32(&self, index: usize) -> Vec<f32> {
        self.image(index)
            .iter()
            .map(|&k| f32::from(k) / 255.0)
            .collect()
    }

    pub fn labels(&self) -> Option<&Labels> {
        self.labels.as_ref()
    }

    /// The name of image `index`'s class, when the dataset has labels.
    pub fn label_name(&self, index: usize) -> Option<&str> {
        let labels = self.labels.as_ref()?;
        Some(&labels.names[labels.of_image[index] as usize])
    }

    /// The fixed split: image `i` tests when `i % 5 == 0` (every fifth, as for the digits), if
    /// there are at least [`MIN_FOR_TEST_SPLIT`] images; with fewer, every image trains and
    /// there is no test set ([`Dataset::why_no_test_set`] says why).
    pub fn split(&self) -> SplitIndices {
        let all = 0..self.len();
        if self.len() < MIN_FOR_TEST_SPLIT {
            return SplitIndices {
                train: all.collect(),
                test: Vec::new(),
            };
        }
        let (test, train) = all.partition(|&i| crate::ml::data::is_test_index(i));
        SplitIndices { train, test }
    }

    /// Why the dataset has no test images, when it has none: for the panels that need them.
    pub fn why_no_test_set(&self) -> Option<String> {
        (self.len() < MIN_FOR_TEST_SPLIT).then(|| {
            format!(
                "“{}” has {} images; with fewer than {MIN_FOR_TEST_SPLIT} every image trains \
                 and none is kept back for testing",
                self.name,
                self.len()
            )
        })
    }
}

/// Whether `count` images of `shape` fit the caps; if not, the error says how many do.
pub fn check_size(count: usize, shape: ImageShape) -> Result<(), DatasetError> {
    if count == 0 {
        return Err(DatasetError::Empty);
    }
    if count > MAX_IMAGES {
        return Err(DatasetError::TooManyImages {
            count,
            cap: MAX_IMAGES,
        });
    }
    let bytes = count.saturating_mul(shape.values());
    if bytes > MAX_BYTES {
        return Err(DatasetError::TooManyBytes {
            bytes,
            cap: MAX_BYTES / shape.values(),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn grey(count: usize) -> Dataset {
        let images = (0..count * 784).map(|i| (i % 256) as u8).collect();
        Dataset::new("test set", ImageShape::DIGITS, images, None).unwrap()
    }

    #[test]
    fn every_fifth_image_tests_from_fifty_images_on() {
        let split = grey(50).split();
        assert_eq!(split.test, (0..50).step_by(5).collect::<Vec<_>>());
        assert_eq!(split.train.len(), 40);
        assert!(grey(50).why_no_test_set().is_none());

        let small = grey(49);
        assert_eq!(small.split().train, (0..49).collect::<Vec<_>>());
        assert!(small.split().test.is_empty());
        let why = small.why_no_test_set().unwrap();
        assert!(
            why.contains("49 images") && why.contains("fewer than 50"),
            "{why}"
        );
    }

    #[test]
    fn parts_that_do_not_fit_together_are_refused_by_what_is_wrong() {
        let image = vec![0u8; 784];
        assert_eq!(
            Dataset::new("", ImageShape::DIGITS, image.clone(), None),
            Err(DatasetError::NoName)
        );
        assert_eq!(
            Dataset::new("x", ImageShape::DIGITS, Vec::new(), None),
            Err(DatasetError::Empty)
        );
        assert!(matches!(
            Dataset::new("x", ImageShape::DIGITS, vec![0; 785], None),
            Err(DatasetError::WrongImageBytes {
                count: 2,
                expected: 1568,
                found: 785,
                ..
            })
        ));
        let labels = |of_image: Vec<u16>| {
            Some(Labels {
                of_image,
                names: vec!["a".into(), "b".into()],
            })
        };
        assert_eq!(
            Dataset::new("x", ImageShape::DIGITS, image.clone(), labels(vec![0, 1])),
            Err(DatasetError::WrongLabelCount {
                labels: 2,
                count: 1
            })
        );
        assert_eq!(
            Dataset::new("x", ImageShape::DIGITS, image.clone(), labels(vec![2])),
            Err(DatasetError::LabelOutOfRange {
                index: 0,
                label: 2,
                names: 2
            })
        );
        let ok = Dataset::new("x", ImageShape::DIGITS, image, labels(vec![1])).unwrap();
        assert_eq!(ok.label_name(0), Some("b"));
    }

    #[test]
    fn the_caps_say_how_many_images_would_fit() {
        let colour64 = ImageShape::new(Channels::Colour, 64).unwrap();
        assert_eq!(
            check_size(30_000, colour64),
            Err(DatasetError::TooManyBytes {
                bytes: 30_000 * 12_288,
                cap: 21_845
            })
        );
        assert!(check_size(21_845, colour64).is_ok());
        assert_eq!(
            check_size(200_000, ImageShape::DIGITS),
            Err(DatasetError::TooManyImages {
                count: 200_000,
                cap: MAX_IMAGES
            })
        );
        let message = check_size(200_000, ImageShape::DIGITS)
            .unwrap_err()
            .to_string();
        assert!(message.contains("keep the first 100000"), "{message}");
    }

    #[test]
    fn the_model_reads_grey_levels_as_fractions_of_255() {
        let d = grey(1);
        let values = d.image_f32(0);
        assert_eq!(values[0], 0.0);
        assert_eq!(values[255], 1.0);
        assert_eq!(values.len(), 784);
    }
}
