//! Where the scatter's dots go: the two chosen coordinates of the codes framed in the square
//! canvas, and the dot under a pointer found again for hover and click.

/// The canvas's side, in its own pixels.
pub const SIDE: f64 = 420.0;
const MARGIN: f64 = 12.0;
/// How near (in canvas pixels, squared) a pointer must be to a dot to pick it.
const PICK_RADIUS_SQUARED: f64 = 64.0;

/// Where the points landed, in canvas pixels, for hover and click.
#[derive(Clone, Default)]
pub struct Plotted {
    pub points: Vec<(f64, f64)>,
}

impl Plotted {
    /// The dot nearest to (`x`, `y`) in canvas pixels, if one is within picking distance.
    pub fn nearest(&self, x: f64, y: f64) -> Option<usize> {
        self.points
            .iter()
            .enumerate()
            .map(|(i, &(px, py))| (i, (px - x).powi(2) + (py - y).powi(2)))
            .filter(|&(_, d2)| d2 <= PICK_RADIUS_SQUARED)
            .min_by(|a, b| a.1.total_cmp(&b.1))
            .map(|(i, _)| i)
    }
}

/// The projected codes `xy` in canvas pixels: a square frame around the middle 99.6 % of the
/// points, so a few far codes do not squeeze the rest into a corner.
pub fn frame(xy: &[(f64, f64)]) -> Vec<(f64, f64)> {
    if xy.is_empty() {
        return Vec::new();
    }
    let bound = |pick: fn(&(f64, f64)) -> f64| {
        let mut v: Vec<f64> = xy.iter().map(pick).collect();
        v.sort_by(f64::total_cmp);
        let k = v.len() / 500;
        (v[k], v[v.len() - 1 - k])
    };
    let ((x0, x1), (y0, y1)) = (bound(|p| p.0), bound(|p| p.1));
    let span = (x1 - x0).max(y1 - y0).max(1e-6);
    let (cx, cy) = ((x0 + x1) / 2.0, (y0 + y1) / 2.0);
    let scale = (SIDE - 2.0 * MARGIN) / span;
    xy.iter()
        .map(|&(x, y)| (SIDE / 2.0 + (x - cx) * scale, SIDE / 2.0 - (y - cy) * scale))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_frame_keeps_every_point_of_a_tight_set_inside_the_canvas() {
        let xy: Vec<(f64, f64)> = (0..1000)
            .map(|i| ((i as f64 * 0.37).sin(), (i as f64 * 0.11).cos() * 3.0))
            .collect();
        for (x, y) in frame(&xy) {
            assert!(
                (0.0..=SIDE).contains(&x) && (0.0..=SIDE).contains(&y),
                "{x}, {y}"
            );
        }
    }

    #[test]
    fn a_pointer_picks_the_nearest_dot_within_reach_and_none_beyond() {
        let plotted = Plotted {
            points: vec![(10.0, 10.0), (14.0, 10.0), (100.0, 100.0)],
        };
        assert_eq!(plotted.nearest(13.0, 10.0), Some(1));
        assert_eq!(plotted.nearest(50.0, 50.0), None);
    }
}
