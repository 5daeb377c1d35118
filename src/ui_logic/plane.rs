//! The geometry of the latent plane: a square view of two latent dimensions over
//! [−range, range] in z units (x to the right, y up). Where a point lands on it and back, the
//! centres of the decoded cells behind it, its ticks, and the ellipse a posterior q(z|x) draws.

/// A square plane `side` units wide showing z ∈ [−range, range] on both axes.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Plane {
    pub side: f64,
    pub range: f64,
}

impl Plane {
    /// Where the latent point (`zx`, `zy`) lands, in plane units from the top-left corner.
    pub fn to_view(&self, zx: f64, zy: f64) -> (f64, f64) {
        let scale = self.side / (2.0 * self.range);
        ((zx + self.range) * scale, (self.range - zy) * scale)
    }

    /// The latent point under (`x`, `y`) (plane units from the top-left), clamped to the range.
    pub fn to_latent(&self, x: f64, y: f64) -> (f64, f64) {
        let scale = 2.0 * self.range / self.side;
        let clamp = |v: f64| v.clamp(-self.range, self.range);
        (clamp(x * scale - self.range), clamp(self.range - y * scale))
    }

    /// A length of `z` latent units in plane units.
    pub fn length(&self, z: f64) -> f64 {
        z * self.side / (2.0 * self.range)
    }

    /// Centres of `n` equal cells across the range, ascending: where the decoded background's
    /// columns (and, top to bottom in reverse, its rows) sit.
    pub fn cell_centres(&self, n: usize) -> Vec<f64> {
        let width = 2.0 * self.range / n.max(1) as f64;
        (0..n)
            .map(|i| -self.range + (i as f64 + 0.5) * width)
            .collect()
    }

    /// Whole z values inside the range, for ticks.
    pub fn ticks(&self) -> Vec<f64> {
        let r = self.range.floor() as i64;
        (-r..=r).map(|t| t as f64).collect()
    }
}

/// The ellipse of a posterior N(μ, diag σ²) on the plane, at `sigmas` standard deviations:
/// centre and radii, in plane units.
pub fn posterior_ellipse(
    plane: &Plane,
    mean: (f64, f64),
    sigma: (f64, f64),
    sigmas: f64,
) -> ((f64, f64), (f64, f64)) {
    (
        plane.to_view(mean.0, mean.1),
        (
            plane.length(sigmas * sigma.0),
            plane.length(sigmas * sigma.1),
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    const PLANE: Plane = Plane {
        side: 300.0,
        range: 3.0,
    };

    #[test]
    fn the_origin_is_in_the_middle_and_y_points_up() {
        assert_eq!(PLANE.to_view(0.0, 0.0), (150.0, 150.0));
        assert_eq!(PLANE.to_view(-3.0, 3.0), (0.0, 0.0));
        assert_eq!(PLANE.to_view(3.0, -3.0), (300.0, 300.0));
        assert_eq!(PLANE.to_view(1.0, 1.0), (200.0, 100.0));
    }

    #[test]
    fn a_point_survives_the_round_trip_and_outside_points_are_clamped() {
        let (x, y) = PLANE.to_view(1.25, -2.5);
        let (zx, zy) = PLANE.to_latent(x, y);
        assert!((zx - 1.25).abs() < 1e-12 && (zy + 2.5).abs() < 1e-12);
        assert_eq!(PLANE.to_latent(-50.0, 400.0), (-3.0, -3.0));
    }

    #[test]
    fn cells_tile_the_range_and_ticks_are_whole() {
        assert_eq!(PLANE.cell_centres(3), vec![-2.0, 0.0, 2.0]);
        assert_eq!(PLANE.ticks(), vec![-3.0, -2.0, -1.0, 0.0, 1.0, 2.0, 3.0]);
        let ((cx, cy), (rx, ry)) = posterior_ellipse(&PLANE, (1.0, 0.0), (0.5, 0.25), 2.0);
        assert_eq!((cx, cy), (200.0, 150.0));
        assert_eq!((rx, ry), (50.0, 25.0));
    }
}
