//! A person's own drawings gathered into a dataset: each drawing (28×28, as the draw pad makes
//! it after MNIST's preprocessing) under a label they type, so three symbols drawn a few dozen
//! times each become a labelled set to train on. Drawings can be removed one by one.

use super::{Dataset, DatasetError, ImageShape, Labels};

/// The name of the drawings' dataset.
pub const DRAWINGS_NAME: &str = "my drawings";

/// The drawings, in the order they were added, each with its label.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Drawings {
    images: Vec<u8>,
    labels: Vec<String>,
}

/// Grey values in [0, 1] as the dataset's bytes.
fn to_byte(v: f32) -> u8 {
    (v.clamp(0.0, 1.0) * 255.0).round() as u8
}

impl Drawings {
    /// The drawings of a dataset saved before (an unlabelled image gets the label "?").
    pub fn from_dataset(set: &Dataset) -> Result<Self, DatasetError> {
        if set.shape() != ImageShape::DIGITS {
            return Err(DatasetError::Malformed {
                detail: format!("the drawings are 28×28 grey, not {}", set.shape()),
            });
        }
        let labels = (0..set.len())
            .map(|i| set.label_name(i).unwrap_or("?").to_string())
            .collect();
        Ok(Self {
            images: set.images().to_vec(),
            labels,
        })
    }

    pub fn len(&self) -> usize {
        self.labels.len()
    }

    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }

    /// Drawing `index`: 784 grey bytes.
    pub fn image(&self, index: usize) -> &[u8] {
        let n = ImageShape::DIGITS.values();
        &self.images[index * n..(index + 1) * n]
    }

    pub fn label(&self, index: usize) -> &str {
        &self.labels[index]
    }

    /// Adds a drawing (784 grey values in [0, 1]) under `label` (trimmed; it must not be empty).
    pub fn add(&mut self, pixels: &[f32], label: &str) -> Result<(), DatasetError> {
        let label = label.trim();
        if label.is_empty() {
            return Err(DatasetError::NoLabel);
        }
        let n = ImageShape::DIGITS.values();
        if pixels.len() != n {
            return Err(DatasetError::WrongImageBytes {
                count: 1,
                shape: ImageShape::DIGITS,
                expected: n,
                found: pixels.len(),
            });
        }
        super::check_size(self.len() + 1, ImageShape::DIGITS)?;
        self.images.extend(pixels.iter().map(|&v| to_byte(v)));
        self.labels.push(label.to_string());
        Ok(())
    }

    /// Removes drawing `index` (nothing if there is none).
    pub fn remove(&mut self, index: usize) {
        if index < self.len() {
            let n = ImageShape::DIGITS.values();
            self.images.drain(index * n..(index + 1) * n);
            self.labels.remove(index);
        }
    }

    /// Each label with how many drawings have it, by label.
    pub fn counts(&self) -> Vec<(String, usize)> {
        let mut counts: Vec<(String, usize)> = Vec::new();
        for label in &self.labels {
            match counts.iter_mut().find(|(l, _)| l == label) {
                Some((_, n)) => *n += 1,
                None => counts.push((label.clone(), 1)),
            }
        }
        counts.sort();
        counts
    }

    /// The dataset [`DRAWINGS_NAME`], every drawing labelled (one label too: it is kept).
    pub fn to_dataset(&self) -> Result<Dataset, DatasetError> {
        let names: Vec<String> = self.counts().into_iter().map(|(l, _)| l).collect();
        let labels = (!names.is_empty()).then(|| Labels {
            of_image: self
                .labels
                .iter()
                .map(|l| names.iter().position(|n| n == l).unwrap_or(0) as u16)
                .collect(),
            names,
        });
        Dataset::new(
            DRAWINGS_NAME,
            ImageShape::DIGITS,
            self.images.clone(),
            labels,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stroke(column: usize) -> Vec<f32> {
        (0..784)
            .map(|p| if p % 28 == column { 1.0 } else { 0.0 })
            .collect()
    }

    #[test]
    fn drawings_become_a_labelled_dataset_and_come_back_from_it() {
        let mut drawings = Drawings::default();
        for i in 0..6 {
            drawings
                .add(&stroke(i), if i % 2 == 0 { "bar" } else { " tick " })
                .unwrap();
        }
        assert_eq!(
            drawings.counts(),
            [("bar".to_string(), 3), ("tick".to_string(), 3)]
        );
        let set = drawings.to_dataset().unwrap();
        assert_eq!((set.name(), set.len()), (DRAWINGS_NAME, 6));
        assert_eq!(set.label_name(1), Some("tick"));
        assert_eq!(set.image(2)[2], 255, "ink is 255");
        assert_eq!(Drawings::from_dataset(&set).unwrap(), drawings);
    }

    #[test]
    fn a_drawing_is_removed_with_its_label() {
        let mut drawings = Drawings::default();
        drawings.add(&stroke(1), "a").unwrap();
        drawings.add(&stroke(2), "b").unwrap();
        drawings.add(&stroke(3), "a").unwrap();
        drawings.remove(1);
        drawings.remove(9);
        assert_eq!(drawings.len(), 2);
        assert_eq!((drawings.label(0), drawings.label(1)), ("a", "a"));
        assert_eq!(drawings.image(1)[3], 255);
        let set = drawings.to_dataset().unwrap();
        assert_eq!(set.label_name(1), Some("a"), "one label is kept too");
        assert_eq!(Drawings::from_dataset(&set).unwrap(), drawings);
    }

    #[test]
    fn a_drawing_needs_a_label_and_784_values() {
        let mut drawings = Drawings::default();
        assert!(matches!(
            drawings.add(&stroke(0), "  "),
            Err(DatasetError::NoLabel)
        ));
        assert!(matches!(
            drawings.add(&[0.0; 10], "a"),
            Err(DatasetError::WrongImageBytes { .. })
        ));
        assert!(drawings.is_empty());
    }
}
