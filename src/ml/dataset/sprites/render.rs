//! Drawing one sprite: its shape, scaled, turned and placed, anti-aliased by supersampling.
//!
//! Each pixel is the share of its 16 sample points that fall inside the shape, so the grey levels
//! are multiples of 1/16 and an edge fades over a pixel as the shape moves by less than one. The
//! points are a 4×4 grid sheared by a sixteenth: each row 1/16 px further right than the one
//! above, each column 1/16 px further down than the one to its left (an "n-rooks" pattern: no
//! two points share a row or a column of the pixel's 16×16 sub-grid), so an edge along x or y
//! is resolved to 1/16 px, not the 1/4 px of a plain 4×4 grid, which put a small square's area
//! 3% off. Only the pixels within the shape's reach of its centre are sampled; the rest stay 0.

use super::trig::sin_cos;
use super::{Shape, Sprite};

/// The side of a sprite image, in pixels.
pub const SIDE: usize = 64;
/// Values in one sprite image (one grey channel).
pub const PIXELS: usize = SIDE * SIDE;
/// Sample points along each side of a pixel: 4×4 = 16 a pixel.
const SAMPLES: usize = 4;
/// 16 steps of 1/16 px across a pixel, the sub-grid the sample points sit on.
const STEPS: usize = SAMPLES * SAMPLES;

/// The square's half-side at scale 1, in pixels: 16 px across.
const SQUARE_HALF: f64 = 8.0;
/// The ellipse's semi-axes at scale 1, in pixels: 22 × 11 px, the long one along x unturned.
const ELLIPSE_A: f64 = 11.0;
const ELLIPSE_B: f64 = 5.5;
/// The heart is the region (x² + y² − 1)³ ≤ x²y³ (y up, lobes on top), a standard implicit
/// heart of only products and sums, drawn at this many pixels a unit (about the square's size:
/// it reaches as far from its centre).
const HEART_UNIT: f64 = 8.75;
/// Where the heart's centre of mass lies on the curve's y axis (by numeric integration; a test
/// checks the drawn heart's centre of mass against the sprite's centre). The heart is moved down
/// by this much, so that its centre of mass, not the curve's origin, is the sprite's centre.
const HEART_CENTROID: f64 = 0.293_49;
/// As far as any shape reaches from its centre at scale 1, at any rotation, in pixels, and a
/// little more: the square's corners 8√2 = 11.31, the heart's tip 1.2935 units = 11.32, the
/// ellipse's ends 11.
const MAX_REACH: f64 = 11.4;

impl Shape {
    /// Whether the point (u, v), in pixels from the shape's centre in its own frame (v up) at
    /// scale 1, is inside.
    fn contains(self, u: f64, v: f64) -> bool {
        match self {
            Shape::Square => u.abs() <= SQUARE_HALF && v.abs() <= SQUARE_HALF,
            Shape::Ellipse => {
                let (a, b) = (u / ELLIPSE_A, v / ELLIPSE_B);
                a * a + b * b <= 1.0
            }
            Shape::Heart => {
                let (x, y) = (u / HEART_UNIT, v / HEART_UNIT + HEART_CENTROID);
                let t = x * x + y * y - 1.0;
                t * t * t <= x * x * y * y * y
            }
        }
    }
}

/// The sprite's image: [`PIXELS`] grey values in [0, 1], row-major, white shape on black.
pub fn render(sprite: Sprite) -> Vec<f32> {
    let mut image = vec![0.0; PIXELS];
    render_into(sprite, &mut image);
    image
}

/// [`render`] into `image` ([`PIXELS`] values), for sets drawn without an allocation each.
pub fn render_into(sprite: Sprite, image: &mut [f32]) {
    assert_eq!(image.len(), PIXELS, "a sprite image has {PIXELS} values");
    image.fill(0.0);
    let scale = sprite.scale();
    let (sin, cos) = sin_cos(sprite.angle());
    let (cx, cy) = sprite.centre();
    let reach = MAX_REACH * scale;
    // The pixels a shape centred at `c` can touch: floor and the casts are exact, and clamping
    // keeps a shape placed past the edge from reaching outside the image.
    let span = |c: f64| {
        let first = (c - reach).floor().max(0.0) as usize;
        let end = ((c + reach).floor() + 1.0).clamp(0.0, SIDE as f64) as usize;
        first..end
    };
    // Sample (i, j) of a pixel sits (SAMPLES·j + i + ½)/16 px right of its left edge and
    // (SAMPLES·i + j + ½)/16 px below its top: exact binary fractions.
    let at = |coarse: usize, fine: usize| (SAMPLES * coarse + fine) as f64 + 0.5;
    let step = 1.0 / STEPS as f64;
    for row in span(cy) {
        for col in span(cx) {
            let mut inside = 0u32;
            for i in 0..SAMPLES {
                for j in 0..SAMPLES {
                    let dy = row as f64 + at(i, j) * step - cy;
                    let dx = col as f64 + at(j, i) * step - cx;
                    // Into the shape's frame: turned back by the angle and scaled to 1, with y
                    // flipped (the image's y points down, the shapes' up), so a positive angle
                    // turns the shape counter-clockwise as seen.
                    let u = (cos * dx - sin * dy) / scale;
                    let v = (-sin * dx - cos * dy) / scale;
                    inside += u32::from(sprite.shape().contains(u, v));
                }
            }
            image[row * SIDE + col] = inside as f32 / STEPS as f32;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::Factor;
    use super::*;

    /// A sprite from its indices.
    fn sprite(shape: usize, scale: usize, rotation: usize, x: usize, y: usize) -> Sprite {
        Sprite::new([shape, scale, rotation, x, y]).unwrap()
    }

    /// Ink (the sum of grey values, the area in pixels) and its centre of mass, in pixels with
    /// pixel (col, row) centred at (col + ½, row + ½).
    fn ink_and_centre(image: &[f32]) -> (f64, f64, f64) {
        let (mut ink, mut sx, mut sy) = (0.0, 0.0, 0.0);
        for (p, &v) in image.iter().enumerate() {
            let v = f64::from(v);
            ink += v;
            sx += v * ((p % SIDE) as f64 + 0.5);
            sy += v * ((p / SIDE) as f64 + 0.5);
        }
        (ink, sx / ink, sy / ink)
    }

    /// The image's outermost rows and columns are black: nothing was cut off at the edge.
    fn clear_of_the_edge(image: &[f32]) -> bool {
        (0..SIDE).all(|i| {
            [(0, i), (SIDE - 1, i), (i, 0), (i, SIDE - 1)]
                .iter()
                .all(|&(row, col)| image[row * SIDE + col] == 0.0)
        })
    }

    /// The exact area of a shape at scale 1, in pixels.
    fn area(shape: Shape) -> f64 {
        match shape {
            Shape::Square => 4.0 * SQUARE_HALF * SQUARE_HALF,
            Shape::Ellipse => std::f64::consts::PI * ELLIPSE_A * ELLIPSE_B,
            // The heart's area, 3.6620 square units, by the same integration as its centroid.
            Shape::Heart => 3.662 * HEART_UNIT * HEART_UNIT,
        }
    }

    #[test]
    fn every_value_of_every_factor_renders_a_shape_inside_the_image() {
        for shape in 0..3 {
            let middle = [shape, 3, 7, 16, 16];
            for (f, factor) in Factor::ALL.iter().enumerate().skip(1) {
                for value in 0..factor.count() {
                    let mut indices = middle;
                    indices[f] = value;
                    let image = render(Sprite::new(indices).unwrap());
                    let (ink, _, _) = ink_and_centre(&image);
                    assert!(ink > 40.0, "{indices:?} has {ink} of ink");
                    assert!(image.iter().all(|v| (0.0..=1.0).contains(v)));
                    assert!(clear_of_the_edge(&image), "{indices:?} reaches the edge");
                }
            }
        }
    }

    #[test]
    fn the_largest_shapes_stay_inside_at_the_extreme_positions_at_every_rotation() {
        for shape in 0..3 {
            for rotation in 0..40 {
                for (x, y) in [(0, 0), (31, 31), (0, 31), (31, 0)] {
                    let image = render(sprite(shape, 5, rotation, x, y));
                    assert!(
                        clear_of_the_edge(&image),
                        "shape {shape} rotation {rotation} at ({x}, {y})"
                    );
                    assert!(image.contains(&1.0), "a full pixel");
                }
            }
        }
    }

    #[test]
    fn positions_move_the_centre_of_mass_evenly_across_the_image() {
        for shape in 0..3 {
            let mut last = (0.0, 0.0);
            let at = |i: usize| 12.5 + 39.0 * i as f64 / 31.0;
            for i in 0..32 {
                let want = at(i);
                let (_, x, y) = ink_and_centre(&render(sprite(shape, 3, 0, i, 16)));
                let (_, x2, y2) = ink_and_centre(&render(sprite(shape, 3, 0, 16, i)));
                for (got, want) in [(x, want), (y, at(16)), (x2, at(16)), (y2, want)] {
                    assert!(
                        (got - want).abs() < 0.1,
                        "shape {shape} position {i}: {got} not {want}"
                    );
                }
                assert!(
                    i == 0 || (x > last.0 && y2 > last.1),
                    "moves right and down"
                );
                last = (x, y2);
            }
        }
    }

    #[test]
    fn the_heart_turns_about_its_centre_of_mass_with_its_tip_down() {
        for rotation in (0..40).step_by(3) {
            let (_, x, y) = ink_and_centre(&render(sprite(2, 5, rotation, 16, 16)));
            let centre = 12.5 + 39.0 * 16.0 / 31.0;
            assert!(
                (x - centre).abs() < 0.1 && (y - centre).abs() < 0.1,
                "rotation {rotation}: centre of mass ({x}, {y}), placed at {centre}"
            );
        }
        // Unturned, the tip reaches 1.29 units below the centre and the lobes 0.94 above.
        let image = render(sprite(2, 5, 0, 16, 16));
        let rows: Vec<usize> = (0..SIDE)
            .filter(|r| image[r * SIDE..(r + 1) * SIDE].iter().any(|&v| v > 0.0))
            .collect();
        let centre = 12.5 + 39.0 * 16.0 / 31.0;
        let (above, below) = (
            centre - rows[0] as f64,
            (rows[rows.len() - 1] + 1) as f64 - centre,
        );
        assert!(
            below > above + 2.0,
            "{above} px above the centre, {below} below"
        );
    }

    #[test]
    fn area_grows_as_the_square_of_scale_and_matches_each_shape() {
        for (s, shape) in Shape::ALL.into_iter().enumerate() {
            for scale in 0..6 {
                let sprite = sprite(s, scale, 0, 16, 16);
                let (ink, _, _) = ink_and_centre(&render(sprite));
                let want = area(shape) * sprite.scale() * sprite.scale();
                assert!(
                    (ink / want - 1.0).abs() < 0.02,
                    "{shape:?} scale {}: {ink} px, want {want}",
                    sprite.scale()
                );
            }
        }
    }

    #[test]
    fn rotation_keeps_the_area_up_to_anti_aliasing() {
        for s in 0..3 {
            for scale in [0, 5] {
                let inks: Vec<f64> = (0..40)
                    .map(|r| ink_and_centre(&render(sprite(s, scale, r, 9, 20))).0)
                    .collect();
                let (lo, hi) = inks
                    .iter()
                    .fold((f64::MAX, 0f64), |(lo, hi), &i| (lo.min(i), hi.max(i)));
                assert!(hi / lo < 1.025, "shape {s} scale {scale}: {lo} to {hi}");
            }
        }
    }

    #[test]
    fn a_square_turned_a_quarter_is_the_square_unturned() {
        for (scale, x, y) in [(0, 0, 0), (3, 7, 21), (5, 31, 13)] {
            let straight = render(sprite(0, scale, 0, x, y));
            let quarter = render(sprite(0, scale, 10, x, y));
            assert_eq!(ink_and_centre(&straight).0, ink_and_centre(&quarter).0);
            assert_eq!(straight, quarter);
        }
    }
}
