//! Sprites: a dSprites-style dataset (Matthey et al. 2017), generated here rather than
//! downloaded. Each image is 64×64 grey, one white shape on black, made by five independent
//! factors of variation; every combination of their values is one image. Knowing what made
//! each image is what disentanglement needs: a metric such as [`crate::ml::mig`] asks how well
//! each latent dimension tells one factor, which photographs and digits cannot answer.
//!
//! The factors, as dSprites has them ([`Factor`]): shape (square, ellipse, heart), scale (6
//! values, 0.5 to 1 evenly), rotation (40 values), x and y position (32 values each): 3 · 6 ·
//! 40 · 32 · 32 = 737,280 images in all. [`render()`] draws any one of them; [`subset()`] is the
//! fixed [`SUBSET_LEN`] images the page trains on.
//!
//! Every image is the same to the last bit natively and in wasm32 (a native test and a browser
//! test pin one fingerprint), so the drawing uses only IEEE basic arithmetic, which is correctly
//! rounded on every target; sine and cosine, which std takes from a different libm on each
//! target, are the module's own (`trig`).

mod render;
mod subset;
mod trig;

pub use render::{render, render_into, PIXELS, SIDE};
pub use subset::{
    fingerprint, subset, subset_dataset, subset_split, subset_test_factors, SpriteSet, SpriteSplit,
    SubsetDrawing, IMAGE_SHAPE, SUBSET_LEN, SUBSET_NAME,
};

use std::f64::consts::TAU;

/// Scales: 0.5 to 1 in 6 even steps, as dSprites.
const SCALES: usize = 6;
/// Rotations: 40 even steps over [0, 2π). dSprites' own 40 are `linspace(0, 2π, 40)`, whose
/// last value is 2π, the same picture as its first, with a step of 2π/39; here the step is
/// 2π/40 and every value is a different angle (though, as in dSprites, the square looks the
/// same every quarter turn and the ellipse every half, so an image cannot tell all 40 apart).
const ROTATIONS: usize = 40;
/// Positions along x and along y, as dSprites.
const POSITIONS: usize = 32;
/// The centre's first and last position along either axis, in pixels from the image's edge.
/// The largest shapes reach 11.32 px from their centre (the heart's tip; the square's corners
/// 11.31) at any rotation, so at 12.5 a black margin of over a pixel stays between a shape and
/// the edge, and the 32 positions are 39/31 ≈ 1.26 px apart.
const FIRST_CENTRE: f64 = 12.5;
const LAST_CENTRE: f64 = SIDE as f64 - FIRST_CENTRE;

/// What can be wrong with a sprite's factor values.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SpriteError {
    #[error("the factor {factor} takes {count} values (0 to {}), not {index}", count - 1)]
    OutOfRange {
        factor: &'static str,
        index: usize,
        count: usize,
    },
    #[error("there are {} sprites (0 to {}), not {index}", combinations(), combinations() - 1)]
    NoSuchSprite { index: usize },
}

/// The shapes, in the order of their labels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Shape {
    Square,
    Ellipse,
    Heart,
}

impl Shape {
    pub const ALL: [Shape; 3] = [Shape::Square, Shape::Ellipse, Shape::Heart];

    /// Its label name, as a dataset's labels carry it.
    pub fn name(self) -> &'static str {
        match self {
            Shape::Square => "square",
            Shape::Ellipse => "ellipse",
            Shape::Heart => "heart",
        }
    }

    /// Its label: its place in [`Shape::ALL`].
    pub fn index(self) -> usize {
        self as usize
    }
}

/// The five factors of variation, in the order [`Sprite::indices`] lists them (dSprites'
/// order): the one place their names and value counts are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Factor {
    Shape,
    Scale,
    Rotation,
    X,
    Y,
}

impl Factor {
    pub const ALL: [Factor; 5] = [
        Factor::Shape,
        Factor::Scale,
        Factor::Rotation,
        Factor::X,
        Factor::Y,
    ];

    /// Its name, for the page and for messages.
    pub fn name(self) -> &'static str {
        match self {
            Factor::Shape => "shape",
            Factor::Scale => "scale",
            Factor::Rotation => "rotation",
            Factor::X => "x",
            Factor::Y => "y",
        }
    }

    /// How many values it takes.
    pub fn count(self) -> usize {
        match self {
            Factor::Shape => Shape::ALL.len(),
            Factor::Scale => SCALES,
            Factor::Rotation => ROTATIONS,
            Factor::X | Factor::Y => POSITIONS,
        }
    }

    /// Every factor's count, in order: what [`crate::ml::mig`] takes beside the indices.
    pub fn counts() -> [usize; 5] {
        Factor::ALL.map(Factor::count)
    }
}

/// How many sprites there are: every combination of factor values, 737,280.
pub fn combinations() -> usize {
    Factor::counts().iter().product()
}

/// One image's factor values, each an index into its factor's values; made only by
/// [`Sprite::new`] or [`Sprite::from_flat`], so every index is in range.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Sprite {
    shape: Shape,
    scale: u8,
    rotation: u8,
    x: u8,
    y: u8,
}

impl Sprite {
    /// The sprite with these indices, in [`Factor::ALL`]'s order.
    pub fn new(indices: [usize; 5]) -> Result<Self, SpriteError> {
        for (factor, &index) in Factor::ALL.iter().zip(&indices) {
            if index >= factor.count() {
                return Err(SpriteError::OutOfRange {
                    factor: factor.name(),
                    index,
                    count: factor.count(),
                });
            }
        }
        // Every count is at most 40, so each index fits a byte.
        let [shape, scale, rotation, x, y] = indices;
        Ok(Self {
            shape: Shape::ALL[shape],
            scale: scale as u8,
            rotation: rotation as u8,
            x: x as u8,
            y: y as u8,
        })
    }

    /// Sprite `index` of all [`combinations`], in dSprites' order: shape slowest, y fastest.
    pub fn from_flat(index: usize) -> Result<Self, SpriteError> {
        if index >= combinations() {
            return Err(SpriteError::NoSuchSprite { index });
        }
        let mut rest = index;
        let mut indices = [0; 5];
        for (slot, factor) in indices.iter_mut().zip(Factor::ALL).rev() {
            *slot = rest % factor.count();
            rest /= factor.count();
        }
        Self::new(indices)
    }

    /// Its place among all [`combinations`]: the inverse of [`Sprite::from_flat`].
    pub fn flat(&self) -> usize {
        Factor::ALL
            .iter()
            .zip(self.indices())
            .fold(0, |flat, (factor, index)| flat * factor.count() + index)
    }

    /// Its indices, in [`Factor::ALL`]'s order.
    pub fn indices(&self) -> [usize; 5] {
        [
            self.shape.index(),
            self.scale.into(),
            self.rotation.into(),
            self.x.into(),
            self.y.into(),
        ]
    }

    /// Its index of `factor`.
    pub fn index(&self, factor: Factor) -> usize {
        self.indices()[factor as usize]
    }

    pub fn shape(&self) -> Shape {
        self.shape
    }

    /// Its scale: 0.5 to 1.
    pub fn scale(&self) -> f64 {
        0.5 + 0.5 * f64::from(self.scale) / (SCALES - 1) as f64
    }

    /// Its rotation, counter-clockwise as seen, in radians: 0 to 2π · 39/40.
    pub fn angle(&self) -> f64 {
        f64::from(self.rotation) * TAU / ROTATIONS as f64
    }

    /// Its centre in pixels (x right, y down, from the image's top-left corner): where its
    /// centre of mass sits.
    pub fn centre(&self) -> (f64, f64) {
        let at = |i: u8| {
            FIRST_CENTRE + (LAST_CENTRE - FIRST_CENTRE) * f64::from(i) / (POSITIONS - 1) as f64
        };
        (at(self.x), at(self.y))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_factors_are_dsprites_and_make_737280_sprites() {
        assert_eq!(Factor::counts(), [3, 6, 40, 32, 32]);
        assert_eq!(combinations(), 737_280);
        let names = Factor::ALL.map(Factor::name);
        assert_eq!(names, ["shape", "scale", "rotation", "x", "y"]);
        assert_eq!(Shape::ALL.map(Shape::name), ["square", "ellipse", "heart"]);
    }

    #[test]
    fn flat_indices_go_both_ways_in_dsprites_order() {
        for flat in [0, 1, 31, 32, 1023, 1024, 40_959, 245_760, 737_279] {
            let sprite = Sprite::from_flat(flat).unwrap();
            assert_eq!(sprite.flat(), flat);
            assert_eq!(Sprite::new(sprite.indices()), Ok(sprite));
        }
        let last = Sprite::from_flat(737_279).unwrap();
        assert_eq!(last.indices(), [2, 5, 39, 31, 31]);
        assert_eq!(
            Sprite::from_flat(1).unwrap().index(Factor::Y),
            1,
            "y is fastest"
        );
        assert_eq!(
            Sprite::from_flat(737_280),
            Err(SpriteError::NoSuchSprite { index: 737_280 })
        );
    }

    #[test]
    fn values_span_the_ranges_and_out_of_range_indices_are_refused() {
        let first = Sprite::new([0; 5]).unwrap();
        let last = Sprite::new([2, 5, 39, 31, 31]).unwrap();
        assert_eq!((first.scale(), last.scale()), (0.5, 1.0));
        assert_eq!(first.angle(), 0.0);
        assert!((last.angle() - TAU * 39.0 / 40.0).abs() < 1e-15);
        assert_eq!(first.centre(), (12.5, 12.5));
        assert_eq!(last.centre(), (51.5, 51.5));
        assert_eq!(last.shape(), Shape::Heart);
        let error = Sprite::new([0, 0, 40, 0, 0]).unwrap_err();
        assert_eq!(
            error,
            SpriteError::OutOfRange {
                factor: "rotation",
                index: 40,
                count: 40
            }
        );
        assert_eq!(
            error.to_string(),
            "the factor rotation takes 40 values (0 to 39), not 40"
        );
    }
}
