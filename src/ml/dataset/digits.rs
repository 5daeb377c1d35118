//! A dataset as the models read it: an [`ImageSet`] of values in [0, 1], split for training.

use super::Dataset;
use crate::ml::data::{ImageSet, Split};

impl Dataset {
    /// The fixed split ([`Dataset::split`]) as the models read it: two image sets of values
    /// `k / 255` in [0, 1], of the dataset's shape (labels past 255 wrap, as class colours do
    /// past 9).
    pub fn image_split(&self) -> Split {
        let split = self.split();
        Split {
            train: self.image_set(&split.train),
            test: self.image_set(&split.test),
        }
    }

    /// The test part of [`Dataset::image_split`] alone: what the page keeps, which needs no
    /// copy of the training images (for the sprites, 132 MB of values it would never read).
    pub fn test_images(&self) -> ImageSet {
        self.image_set(&self.split().test)
    }

    /// The images at `indices` as the models read them.
    fn image_set(&self, indices: &[usize]) -> ImageSet {
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
        ImageSet::of_shape(self.shape, images, labels)
    }
}

#[cfg(test)]
mod tests {
    use super::super::{Channels, ImageShape, Labels};
    use super::*;

    #[test]
    fn a_dataset_splits_into_image_sets_of_its_own_shape() {
        let labels = Labels {
            of_image: (0..60).map(|i| (i % 3) as u16).collect(),
            names: vec!["a".into(), "b".into(), "c".into()],
        };
        let set = Dataset::new("x", ImageShape::DIGITS, vec![255; 60 * 784], Some(labels)).unwrap();
        let split = set.image_split();
        assert_eq!((split.train.len(), split.test.len()), (48, 12));
        assert_eq!(set.test_images(), split.test);
        assert_eq!(
            split.test.label(1),
            2,
            "test image 1 is image 5, of class 5 % 3"
        );
        assert!(split.train.image(0).iter().all(|&v| v == 1.0));
        let colour = ImageShape::new(Channels::Colour, 32).unwrap();
        let values: Vec<u8> = (0..60 * colour.values()).map(|i| (i % 256) as u8).collect();
        let set = Dataset::new("c", colour, values, None).unwrap();
        let split = set.image_split();
        assert_eq!(split.train.shape(), colour);
        assert_eq!(split.test.image(0).len(), colour.values());
        assert_eq!(
            split.test.image(1)[3],
            3.0 / 255.0,
            "test image 1 is image 5"
        );
    }
}
