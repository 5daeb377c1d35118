//! Two-dimensional views of latent codes, for the scatter plot: two chosen dimensions, or the
//! first two principal components when the latent space has more than two.

/// A linear map from a latent code to a point in the plane: `(code − centre) · axis`.
#[derive(Debug, Clone, PartialEq)]
pub struct Projection {
    pub centre: Vec<f64>,
    pub axes: [Vec<f64>; 2],
}

fn unit(d: usize, i: usize) -> Vec<f64> {
    let mut v = vec![0.0; d];
    if i < d {
        v[i] = 1.0;
    }
    v
}

fn normalised(v: &mut [f64]) -> f64 {
    let norm = v.iter().map(|x| x * x).sum::<f64>().sqrt();
    if norm > 0.0 {
        v.iter_mut().for_each(|x| *x /= norm);
    }
    norm
}

impl Projection {
    /// Dimensions `a` and `b` of a `d`-dimensional code, as they are.
    pub fn dims(d: usize, a: usize, b: usize) -> Self {
        Self {
            centre: vec![0.0; d],
            axes: [unit(d, a), unit(d, b)],
        }
    }

    /// The first two principal components of `codes` (`count × d`, row-major), by power
    /// iteration with deflation on the d×d covariance (d ≤ 64, so this is instant). `None` for
    /// fewer than two codes or fewer than two dimensions.
    pub fn principal(codes: &[f32], d: usize) -> Option<Self> {
        if d < 2 || codes.len() < 2 * d || !codes.len().is_multiple_of(d) {
            return None;
        }
        let n = codes.len() / d;
        let mut centre = vec![0.0; d];
        for row in codes.chunks_exact(d) {
            for (c, &v) in centre.iter_mut().zip(row) {
                *c += v as f64 / n as f64;
            }
        }
        let mut cov = vec![0.0; d * d];
        for row in codes.chunks_exact(d) {
            for i in 0..d {
                let di = row[i] as f64 - centre[i];
                for j in 0..d {
                    cov[i * d + j] += di * (row[j] as f64 - centre[j]) / n as f64;
                }
            }
        }
        let mut axes: [Vec<f64>; 2] = [Vec::new(), Vec::new()];
        for axis in &mut axes {
            // A fixed start, not aligned with any coordinate, so results repeat exactly.
            let mut v: Vec<f64> = (0..d).map(|i| 1.0 + 0.1 * i as f64).collect();
            normalised(&mut v);
            let mut eigenvalue = 0.0;
            for _ in 0..300 {
                let mut next: Vec<f64> = (0..d)
                    .map(|i| (0..d).map(|j| cov[i * d + j] * v[j]).sum())
                    .collect();
                eigenvalue = normalised(&mut next);
                if eigenvalue == 0.0 {
                    break;
                }
                v = next;
            }
            // Take this component out, so the next iteration finds the one after it.
            for i in 0..d {
                for j in 0..d {
                    cov[i * d + j] -= eigenvalue * v[i] * v[j];
                }
            }
            *axis = v;
        }
        Some(Self { centre, axes })
    }

    /// Where `code` lands in the plane.
    pub fn apply(&self, code: &[f32]) -> (f64, f64) {
        let along = |axis: &[f64]| {
            code.iter()
                .zip(&self.centre)
                .zip(axis)
                .map(|((&v, c), a)| (v as f64 - c) * a)
                .sum()
        };
        (along(&self.axes[0]), along(&self.axes[1]))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chosen_dimensions_are_read_as_they_are() {
        let p = Projection::dims(4, 2, 0);
        assert_eq!(p.apply(&[1.0, 2.0, 3.0, 4.0]), (3.0, 1.0));
    }

    #[test]
    fn principal_components_find_the_directions_of_most_spread() {
        // Points spread widely along (1, 1, 0)/√2, a little along z, not at all across.
        let mut codes = Vec::new();
        for i in 0..100 {
            let t = (i as f32 - 50.0) / 5.0;
            for s in [0.5, -0.5] {
                codes.extend_from_slice(&[t + 3.0, t - 1.0, s]);
            }
        }
        let p = Projection::principal(&codes, 3).unwrap();
        let [first, second] = &p.axes;
        let h = std::f64::consts::FRAC_1_SQRT_2;
        assert!((first[0].abs() - h).abs() < 1e-6 && (first[1] - first[0]).abs() < 1e-6);
        assert!(first[2].abs() < 1e-6);
        assert!((second[2].abs() - 1.0).abs() < 1e-6, "{second:?}");
        let dot: f64 = first.iter().zip(second).map(|(a, b)| a * b).sum();
        assert!(dot.abs() < 1e-6, "orthogonal");
        assert!((p.centre[0] - 2.9).abs() < 1e-4, "{:?}", p.centre);
        assert!(Projection::principal(&codes[..3], 3).is_none());
        assert!(Projection::principal(&[1.0, 2.0, 3.0], 1).is_none());
    }
}
