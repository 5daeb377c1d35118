//! The shape of a dataset's images: grey or colour, and a side of 28, 32 or 64.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::DatasetError;

/// The image sides a dataset may have: MNIST's 28, and 32 and 64 for pictures of one's own.
pub const SIDES: [usize; 3] = [28, 32, 64];

/// [`SIDES`] for a message: "28, 32 or 64".
pub fn sides_text() -> String {
    match SIDES.split_last() {
        Some((last, rest)) if !rest.is_empty() => {
            let rest: Vec<String> = rest.iter().map(usize::to_string).collect();
            format!("{} or {last}", rest.join(", "))
        }
        _ => SIDES.map(|s| s.to_string()).join(""),
    }
}

/// Grey (one channel) or colour (red, green, blue).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Channels {
    Grey,
    Colour,
}

impl Channels {
    pub const ALL: [Channels; 2] = [Channels::Grey, Channels::Colour];

    pub fn count(self) -> usize {
        match self {
            Channels::Grey => 1,
            Channels::Colour => 3,
        }
    }

    pub fn from_count(count: usize) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.count() == count)
    }

    /// The word used in shape ids and for people: "grey" or "colour".
    pub fn name(self) -> &'static str {
        match self {
            Channels::Grey => "grey",
            Channels::Colour => "colour",
        }
    }
}

/// The shape of every image in a dataset (and of the images a model reads and draws).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ImageShape {
    pub channels: Channels,
    pub side: usize,
}

impl ImageShape {
    /// The digits' shape.
    pub const DIGITS: ImageShape = ImageShape {
        channels: Channels::Grey,
        side: 28,
    };

    /// A shape, if `side` is one of [`SIDES`].
    pub fn new(channels: Channels, side: usize) -> Result<Self, DatasetError> {
        if SIDES.contains(&side) {
            Ok(Self { channels, side })
        } else {
            Err(DatasetError::UnsupportedSide { side })
        }
    }

    /// Whether the side is one of [`SIDES`] (a deserialised shape has not been checked).
    pub fn is_supported(&self) -> bool {
        SIDES.contains(&self.side)
    }

    /// Values in one image: channels × side × side.
    pub fn values(&self) -> usize {
        self.channels.count() * self.side * self.side
    }

    /// The supported shape whose images have `values` values, if there is one: every supported
    /// shape has a different count (784, 1,024, 3,072, 4,096, 12,288), so a picture's values
    /// say what it is.
    pub fn from_values(values: usize) -> Option<Self> {
        Channels::ALL
            .into_iter()
            .flat_map(|channels| SIDES.map(|side| Self { channels, side }))
            .find(|shape| shape.values() == values)
    }

    /// E.g. "grey-28", "colour-64": how the shape is written in files and notes.
    pub fn id(&self) -> String {
        format!("{}-{}", self.channels.name(), self.side)
    }

    pub fn from_id(id: &str) -> Option<Self> {
        let (channels, side) = id.split_once('-')?;
        let channels = Channels::ALL.into_iter().find(|c| c.name() == channels)?;
        Self::new(channels, side.parse().ok()?).ok()
    }
}

impl fmt::Display for ImageShape {
    /// For people: "28×28 grey", "64×64 colour".
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{0}×{0} {1}", self.side, self.channels.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shapes_have_ids_values_and_names_and_only_three_sides() {
        let shape = ImageShape::new(Channels::Colour, 64).unwrap();
        assert_eq!(shape.values(), 3 * 64 * 64);
        assert_eq!(shape.id(), "colour-64");
        assert_eq!(ImageShape::from_id("colour-64"), Some(shape));
        assert_eq!(ImageShape::from_id("grey-28"), Some(ImageShape::DIGITS));
        assert_eq!(shape.to_string(), "64×64 colour");
        assert_eq!(sides_text(), "28, 32 or 64");
        for channels in Channels::ALL {
            for side in SIDES {
                let shape = ImageShape::new(channels, side).unwrap();
                assert_eq!(ImageShape::from_values(shape.values()), Some(shape));
            }
        }
        assert_eq!(ImageShape::from_values(785), None);
        for bad in ["grey-27", "purple-28", "grey", "grey-", "-28", "grey-28-1"] {
            assert_eq!(ImageShape::from_id(bad), None, "{bad}");
        }
        assert_eq!(
            ImageShape::new(Channels::Grey, 100),
            Err(DatasetError::UnsupportedSide { side: 100 })
        );
    }
}
