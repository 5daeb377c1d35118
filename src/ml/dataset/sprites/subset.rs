//! The fixed subset of sprites the page trains on, and the forms it takes: an image set with
//! every image's factors beside it, split as every dataset is, or a dataset to keep.
//!
//! All 737,280 sprites as the models read them would take 11 GiB; the subset is drawn once, by a
//! fixed seed, so that it is the same everywhere and every value of every factor appears in it
//! equally often.

use std::collections::HashSet;

use super::render::{render_into, PIXELS, SIDE};
use super::{Factor, Shape, Sprite};
use crate::ml::data::{is_test_index, ImageSet};
use crate::ml::dataset::{Channels, Dataset, DatasetError, ImageShape, Labels};
use crate::ml::rng::Rng;

/// How many sprites the subset holds: 21 × 480, 480 being the least common multiple of the
/// factors' counts (3, 6, 40, 32, 32), so each value of a factor appears exactly as often as
/// any other (3,360 of each shape, 1,680 of each scale, 252 of each rotation, 315 of each
/// position). As the models read them (f32, 16 KiB an image) they take 158 MiB, within
/// [`MAX_BYTES`](crate::ml::dataset::MAX_BYTES) (256 MiB, what a phone's tab can hold beside the
/// models), and as a dataset's grey levels 39 MiB. As many as the digits, near enough: an epoch
/// (8,064 training images) is as many steps as the digits' 8,000, each ~5× a digit's work.
pub const SUBSET_LEN: usize = 10_080;
/// The subset's seed: the year of dSprites.
const SUBSET_SEED: u64 = 2017;
/// The subset's name as a dataset.
pub const SUBSET_NAME: &str = "sprites";
/// The sprites' image shape: 64×64 grey.
pub const IMAGE_SHAPE: ImageShape = ImageShape {
    channels: Channels::Grey,
    side: SIDE,
};

/// The subset: [`SUBSET_LEN`] different sprites in a fixed order. Each factor's column holds
/// each of its values equally often and is shuffled on its own by the project's seeded [`Rng`],
/// so the factors are independent of one another, as over all sprites; a sprite drawn twice
/// has its x swapped with another's (which keeps every column's counts) until none is.
pub fn subset() -> Vec<Sprite> {
    let mut rng = Rng::new(SUBSET_SEED);
    let mut columns: Vec<Vec<usize>> = Factor::ALL
        .iter()
        .map(|factor| {
            let mut column: Vec<usize> = (0..SUBSET_LEN).map(|i| i % factor.count()).collect();
            rng.shuffle(&mut column);
            column
        })
        .collect();
    let sprite = |columns: &[Vec<usize>], i: usize| {
        Sprite::new(std::array::from_fn(|f| columns[f][i])).expect("each column holds its values")
    };
    loop {
        let mut seen = HashSet::with_capacity(SUBSET_LEN);
        let Some(again) = (0..SUBSET_LEN).find(|&i| !seen.insert(sprite(&columns, i))) else {
            break;
        };
        let other = rng.below(SUBSET_LEN);
        columns[Factor::X as usize].swap(again, other);
    }
    (0..SUBSET_LEN).map(|i| sprite(&columns, i)).collect()
}

/// Sprites as the models read them, each with what made it.
#[derive(Clone, Debug, PartialEq)]
pub struct SpriteSet {
    images: ImageSet,
    sprites: Vec<Sprite>,
}

impl SpriteSet {
    /// `sprites` drawn: images of [`IMAGE_SHAPE`], each labelled by its shape's index (the
    /// label names are [`Shape::name`]'s, which an [`ImageSet`] does not carry).
    pub fn render(sprites: &[Sprite]) -> Self {
        let mut images = vec![0.0; sprites.len() * PIXELS];
        for (&sprite, image) in sprites.iter().zip(images.chunks_exact_mut(PIXELS)) {
            render_into(sprite, image);
        }
        let labels = sprites.iter().map(|s| s.shape().index() as u8).collect();
        Self {
            images: ImageSet::of_shape(IMAGE_SHAPE, images, labels),
            sprites: sprites.to_vec(),
        }
    }

    pub fn images(&self) -> &ImageSet {
        &self.images
    }

    /// What made each image, in the images' order.
    pub fn sprites(&self) -> &[Sprite] {
        &self.sprites
    }

    pub fn len(&self) -> usize {
        self.sprites.len()
    }

    pub fn is_empty(&self) -> bool {
        self.sprites.is_empty()
    }

    /// Every image's factor indices, image after image, in [`Factor::ALL`]'s order: with
    /// [`Factor::counts`], what [`crate::ml::mig::mig`] takes.
    pub fn factor_table(&self) -> Vec<usize> {
        self.sprites.iter().flat_map(Sprite::indices).collect()
    }
}

/// The two parts of [`subset_split`].
#[derive(Clone, Debug, PartialEq)]
pub struct SpriteSplit {
    pub train: SpriteSet,
    pub test: SpriteSet,
}

/// `sprites` parted by the fixed rule every dataset follows ([`is_test_index`]: every fifth,
/// in order, tests): (train, test).
fn parts(sprites: &[Sprite]) -> (Vec<Sprite>, Vec<Sprite>) {
    let (test, train): (Vec<_>, Vec<_>) = sprites
        .iter()
        .enumerate()
        .partition(|&(i, _)| is_test_index(i));
    let strip = |part: Vec<(usize, &Sprite)>| part.into_iter().map(|(_, &s)| s).collect();
    (strip(train), strip(test))
}

/// The subset drawn and split: 8,064 training and 2,016 test images, each drawn straight into
/// its part (so the page never holds the whole set twice). The test images are the ones
/// [`subset_dataset`]'s [`Dataset::split`] keeps for testing.
pub fn subset_split() -> SpriteSplit {
    let (train, test) = parts(&subset());
    SpriteSplit {
        train: SpriteSet::render(&train),
        test: SpriteSet::render(&test),
    }
}

/// The subset as a dataset, the form the page keeps and sends to the training worker: grey
/// levels round(255 · v) (which a model reads back within 1/510 of the drawn values), labels
/// by shape with their names. Its factors are [`subset`]'s, in the same order.
pub fn subset_dataset() -> Result<Dataset, DatasetError> {
    let mut drawing = SubsetDrawing::new();
    while drawing.draw(SUBSET_LEN) {}
    drawing.finish()
}

/// [`subset_dataset`] drawn a few images at a time, so the page can paint between the pieces
/// (the whole subset takes ~0.5 s in wasm).
pub struct SubsetDrawing {
    sprites: Vec<Sprite>,
    levels: Vec<u8>,
    image: Vec<f32>,
}

impl SubsetDrawing {
    pub fn new() -> Self {
        Self::of(subset())
    }

    fn of(sprites: Vec<Sprite>) -> Self {
        Self {
            levels: Vec::with_capacity(sprites.len() * PIXELS),
            sprites,
            image: vec![0.0; PIXELS],
        }
    }

    /// How many images are drawn so far, and how many there are in all.
    pub fn progress(&self) -> (usize, usize) {
        (self.levels.len() / PIXELS, self.sprites.len())
    }

    /// Draws up to `count` more images; returns whether some are left to draw.
    pub fn draw(&mut self, count: usize) -> bool {
        let (done, all) = self.progress();
        for &sprite in &self.sprites[done..(done + count).min(all)] {
            render_into(sprite, &mut self.image);
            self.levels
                .extend(self.image.iter().map(|&v| (v * 255.0).round() as u8));
        }
        self.progress().0 < all
    }

    /// The dataset, once every image is drawn (drawing whatever is left first).
    pub fn finish(mut self) -> Result<Dataset, DatasetError> {
        while self.draw(self.sprites.len()) {}
        let labels = Labels {
            of_image: self
                .sprites
                .iter()
                .map(|s| s.shape().index() as u16)
                .collect(),
            names: Shape::ALL.map(|s| s.name().to_string()).to_vec(),
        };
        Dataset::new(SUBSET_NAME, IMAGE_SHAPE, self.levels, Some(labels))
    }
}

impl Default for SubsetDrawing {
    fn default() -> Self {
        Self::new()
    }
}

/// The factor values of the subset's test images (the ones [`Dataset::split`] keeps for
/// testing), image after image, in [`Factor::ALL`]'s order: what [`crate::ml::mig::mig`] takes
/// beside a model's code of that split.
pub fn subset_test_factors() -> Vec<usize> {
    parts(&subset())
        .1
        .iter()
        .flat_map(Sprite::indices)
        .collect()
}

#[cfg(test)]
fn dataset_of(sprites: &[Sprite]) -> Result<Dataset, DatasetError> {
    SubsetDrawing::of(sprites.to_vec()).finish()
}

/// FNV-1a (64-bit) of the values' bits: a short stand-in for images that must be the same on
/// every target (a native test and a browser test pin the first 16 subset images' value).
pub fn fingerprint(values: &[f32]) -> u64 {
    values
        .iter()
        .flat_map(|v| v.to_bits().to_le_bytes())
        .fold(0xcbf2_9ce4_8422_2325, |hash, byte| {
            (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3)
        })
}

#[cfg(test)]
mod tests {
    use super::super::render;
    use super::*;

    /// The first 16 subset images' [`fingerprint`]; `tests/web.rs` checks the same value in the
    /// browser, so both targets draw the very same bytes.
    const FIRST_16: u64 = 0x29b8_e34b_5385_4abb;

    #[test]
    fn the_subset_is_fixed_and_its_first_images_are_pinned() {
        let (a, b) = (subset(), subset());
        assert_eq!(a, b);
        assert_eq!(render(a[0]), render(b[0]));
        let values: Vec<f32> = a[..16].iter().flat_map(|&s| render(s)).collect();
        assert_eq!(
            fingerprint(&values),
            FIRST_16,
            "{:#x}",
            fingerprint(&values)
        );
    }

    #[test]
    fn the_subset_holds_different_sprites_and_every_value_equally_often() {
        let sprites = subset();
        assert_eq!(sprites.len(), SUBSET_LEN);
        let distinct: HashSet<Sprite> = sprites.iter().copied().collect();
        assert_eq!(distinct.len(), SUBSET_LEN);
        for factor in Factor::ALL {
            let mut counts = vec![0; factor.count()];
            for sprite in &sprites {
                counts[sprite.index(factor)] += 1;
            }
            let each = SUBSET_LEN / factor.count();
            assert!(counts.iter().all(|&n| n == each), "{}", factor.name());
        }
        let (train, test) = parts(&sprites);
        assert_eq!((train.len(), test.len()), (8_064, 2_016));
        assert_eq!((test[1], train[4]), (sprites[5], sprites[6]));
    }

    #[test]
    fn a_sprite_set_keeps_each_image_with_its_factors() {
        let sprites = &subset()[..7];
        let set = SpriteSet::render(sprites);
        assert_eq!((set.len(), set.images().shape()), (7, IMAGE_SHAPE));
        assert_eq!(IMAGE_SHAPE, ImageShape::new(Channels::Grey, 64).unwrap());
        assert_eq!(set.images().image(3), render(sprites[3]));
        assert_eq!(set.images().label(3) as usize, sprites[3].shape().index());
        assert_eq!(set.sprites(), sprites);
        let table = set.factor_table();
        assert_eq!(table.len(), 7 * 5);
        assert_eq!(table[15..20], sprites[3].indices());
    }

    #[test]
    fn drawn_in_pieces_the_subset_is_the_same_dataset_and_its_test_factors_follow_the_split() {
        let sprites = subset()[..45].to_vec();
        let mut drawing = SubsetDrawing::of(sprites.clone());
        assert_eq!(drawing.progress(), (0, 45));
        assert!(drawing.draw(20));
        assert_eq!(drawing.progress(), (20, 45));
        assert!(drawing.draw(20));
        assert!(!drawing.draw(20));
        let whole = drawing.finish().unwrap();
        assert_eq!(whole, dataset_of(&sprites).unwrap());
        let mut once = SubsetDrawing::of(sprites.clone());
        once.draw(7);
        assert_eq!(once.finish().unwrap(), whole, "finish draws what is left");
        let test = subset_test_factors();
        assert_eq!(test.len(), 2_016 * Factor::ALL.len());
        assert_eq!(
            test[5..10],
            subset()[5].indices(),
            "the second test image is the sixth"
        );
    }

    #[test]
    fn as_a_dataset_the_subset_is_grey_levels_labelled_by_shape_and_split_alike() {
        let sprites = &subset()[..60];
        let set = dataset_of(sprites).unwrap();
        assert_eq!(
            (set.name(), set.shape(), set.len()),
            ("sprites", IMAGE_SHAPE, 60)
        );
        let names = &set.labels().unwrap().names;
        assert_eq!(names, &["square", "ellipse", "heart"]);
        assert_eq!(set.label_name(2), Some(sprites[2].shape().name()));
        let drawn = render(sprites[2]);
        let read = set.image_f32(2);
        assert!(drawn
            .iter()
            .zip(&read)
            .all(|(a, b)| (a - b).abs() <= 0.5 / 255.0 + 1e-7));
        let test: Vec<Sprite> = set.split().test.iter().map(|&i| sprites[i]).collect();
        assert_eq!(test, parts(sprites).1);
    }
}
