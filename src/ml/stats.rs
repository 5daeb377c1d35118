//! Small numeric helpers the views need: the inverse normal CDF that spaces the manifold grid,
//! and percentile ranks for "how digit-like is this?".

/// Φ⁻¹(p): the standard normal quantile, for p in (0, 1), by Peter Acklam's rational
/// approximation (relative error below 1.2e-9: far finer than a grid of digits needs).
pub fn inverse_normal_cdf(p: f64) -> f64 {
    assert!(
        p > 0.0 && p < 1.0,
        "inverse_normal_cdf needs 0 < p < 1, got {p}"
    );
    const A: [f64; 6] = [
        -3.969_683_028_665_376e1,
        2.209_460_984_245_205e2,
        -2.759_285_104_469_687e2,
        1.383_577_518_672_69e2,
        -3.066_479_806_614_716e1,
        2.506_628_277_459_239,
    ];
    const B: [f64; 5] = [
        -5.447_609_879_822_406e1,
        1.615_858_368_580_409e2,
        -1.556_989_798_598_866e2,
        6.680_131_188_771_972e1,
        -1.328_068_155_288_572e1,
    ];
    const C: [f64; 6] = [
        -7.784_894_002_430_293e-3,
        -3.223_964_580_411_365e-1,
        -2.400_758_277_161_838,
        -2.549_732_539_343_734,
        4.374_664_141_464_968,
        2.938_163_982_698_783,
    ];
    const D: [f64; 4] = [
        7.784_695_709_041_462e-3,
        3.224_671_290_700_398e-1,
        2.445_134_137_142_996,
        3.754_408_661_907_416,
    ];
    const LOW: f64 = 0.02425;
    let tail = |q: f64| {
        (((((C[0] * q + C[1]) * q + C[2]) * q + C[3]) * q + C[4]) * q + C[5])
            / ((((D[0] * q + D[1]) * q + D[2]) * q + D[3]) * q + 1.0)
    };
    if p < LOW {
        tail((-2.0 * p.ln()).sqrt())
    } else if p <= 1.0 - LOW {
        let q = p - 0.5;
        let r = q * q;
        (((((A[0] * r + A[1]) * r + A[2]) * r + A[3]) * r + A[4]) * r + A[5]) * q
            / (((((B[0] * r + B[1]) * r + B[2]) * r + B[3]) * r + B[4]) * r + 1.0)
    } else {
        -tail((-2.0 * (1.0 - p).ln()).sqrt())
    }
}

/// The manifold grid's coordinates: `n` values Φ⁻¹((i + ½) / n), so each cell covers an equal
/// share of the prior's probability mass.
pub fn grid_coordinates(n: usize) -> Vec<f64> {
    (0..n)
        .map(|i| inverse_normal_cdf((i as f64 + 0.5) / n as f64))
        .collect()
}

/// The share (0–100) of `sorted` (ascending) strictly below `value`, counting ties as half.
pub fn percentile_rank(sorted: &[f32], value: f32) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let below = sorted.partition_point(|&v| v < value);
    let not_above = sorted.partition_point(|&v| v <= value);
    100.0 * (below as f64 + 0.5 * (not_above - below) as f64) / sorted.len() as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inverse_normal_cdf_matches_known_quantiles() {
        for (p, z) in [
            (0.5, 0.0),
            (0.975, 1.959_963_984_540_054),
            (0.841_344_746_068_542_9, 1.0),
            (0.001, -3.090_232_306_167_813),
            (0.9999, 3.719_016_485_455_68),
        ] {
            let got = inverse_normal_cdf(p);
            assert!((got - z).abs() < 1e-7, "Φ⁻¹({p}) = {got}, want {z}");
        }
    }

    #[test]
    fn grid_coordinates_are_symmetric_and_increasing() {
        let g = grid_coordinates(15);
        assert_eq!(g.len(), 15);
        assert!(g[7].abs() < 1e-12, "the middle cell is at 0");
        assert!((g[0] + g[14]).abs() < 1e-9);
        assert!(g.windows(2).all(|w| w[0] < w[1]));
        assert!((g[14] - inverse_normal_cdf(14.5 / 15.0)).abs() < 1e-12);
    }

    #[test]
    fn percentile_rank_counts_values_below() {
        let sorted = [1.0, 2.0, 3.0, 4.0];
        assert_eq!(percentile_rank(&sorted, 0.5), 0.0);
        assert_eq!(percentile_rank(&sorted, 2.5), 50.0);
        assert_eq!(percentile_rank(&sorted, 3.0), 62.5);
        assert_eq!(percentile_rank(&sorted, 9.0), 100.0);
        assert!(percentile_rank(&[], 1.0).is_nan());
    }
}
