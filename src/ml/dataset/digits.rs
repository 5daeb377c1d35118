//! A dataset as the models of this build read it: 28×28 grey images as the digits are.

use super::{Dataset, DatasetError, ImageShape};
use crate::ml::data::{Digits, Split};

impl Dataset {
    /// The split as the models of this build read it: two sets of 28×28 grey images as grey
    /// values in [0, 1] (labels past 255 wrap, as class colours do past 9). Any other shape is
    /// [`DatasetError::NotTrainableYet`].
    pub fn digits_split(&self) -> Result<Split, DatasetError> {
        if self.shape != ImageShape::DIGITS {
            return Err(DatasetError::NotTrainableYet { shape: self.shape });
        }
        let part = |indices: &[usize]| {
            let images = indices.iter().flat_map(|&i| self.image_f32(i)).collect();
            let labels = indices
                .iter()
                // More classes than a byte holds are not told apart (all 0).
                .map(|&i| {
                    self.labels
                        .as_ref()
                        .filter(|l| l.names.len() <= 256)
                        .map_or(0, |l| l.of_image[i] as u8)
                })
                .collect();
            Digits::new(images, labels)
        };
        let split = self.split();
        Ok(Split {
            train: part(&split.train),
            test: part(&split.test),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::super::{Channels, Labels};
    use super::*;

    #[test]
    fn a_grey_28_dataset_trains_as_digits_and_other_shapes_say_they_cannot_yet() {
        let labels = Labels {
            of_image: (0..60).map(|i| (i % 3) as u16).collect(),
            names: vec!["a".into(), "b".into(), "c".into()],
        };
        let set = Dataset::new("x", ImageShape::DIGITS, vec![255; 60 * 784], Some(labels)).unwrap();
        let split = set.digits_split().unwrap();
        assert_eq!((split.train.len(), split.test.len()), (48, 12));
        assert_eq!(
            split.test.label(1),
            2,
            "test image 1 is image 5, of class 5 % 3"
        );
        assert!(split.train.image(0).iter().all(|&v| v == 1.0));
        let colour = ImageShape::new(Channels::Colour, 32).unwrap();
        let set = Dataset::new("c", colour, vec![0; colour.values()], None).unwrap();
        assert_eq!(
            set.digits_split().unwrap_err(),
            DatasetError::NotTrainableYet { shape: colour }
        );
    }
}
