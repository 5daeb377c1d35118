//! Sine and cosine from basic arithmetic only, so they give the same bits on every target.
//!
//! std's `sin` and `cos` call the platform's libm natively and a port of musl's in wasm32: both
//! are accurate, but they need not round alike, and one differing bit in a rotation can move a
//! sample across a shape's edge, so a sprite would differ between the native tests and the page.
//! These use only `+`, `−`, `×` (correctly rounded by IEEE 754 everywhere) and `floor` (exact),
//! and no fused multiply-add (Rust never contracts `a * b + c` by itself), so every target
//! computes the same bits. Accurate to ~1e-16 for |x| up to 10⁵, far past the sprites' [0, 2π).

use std::f64::consts::FRAC_2_PI;

/// π/2 in two parts (fdlibm's `pio2_1` and `pio2_1t`): the first has 33 significant bits, so
/// `n · PIO2_HI` is exact for |n| < 2²⁰, and the second carries the next 53.
const PIO2_HI: f64 = 1.570_796_326_734_125_6;
const PIO2_LO: f64 = 6.077_100_506_506_192e-11;

/// 1/3!, 1/5!, … 1/15!: sine's Taylor series. On |r| ≤ π/4 the first term left out,
/// r¹⁷/17!, is below 5e-17.
const SIN: [f64; 7] = [
    0.166_666_666_666_666_66,
    0.008_333_333_333_333_333,
    0.000_198_412_698_412_698_4,
    2.755_731_922_398_589_3e-6,
    2.505_210_838_544_172e-8,
    1.605_904_383_682_161_3e-10,
    7.647_163_731_819_816e-13,
];

/// 1/2!, 1/4!, … 1/16!: cosine's Taylor series; the first term left out is below 3e-18.
const COS: [f64; 8] = [
    0.5,
    0.041_666_666_666_666_664,
    0.001_388_888_888_888_889,
    2.480_158_730_158_73e-5,
    2.755_731_922_398_589e-7,
    2.087_675_698_786_81e-9,
    1.147_074_559_772_972_5e-11,
    4.779_477_332_387_385e-14,
];

/// 1 − z·s₀ + z²·s₁ − z³·s₂ + …: the series in z = r² whose coefficients are `series`, by
/// Horner's rule from the smallest term.
fn alternating(series: &[f64], z: f64) -> f64 {
    1.0 - z * series.iter().rev().fold(0.0, |acc, &s| s - z * acc)
}

/// (sin x, cos x).
pub(crate) fn sin_cos(x: f64) -> (f64, f64) {
    // x = n·π/2 + r with |r| ≤ π/4 (a hair over where rounding picks the quadrant).
    let n = (x * FRAC_2_PI + 0.5).floor();
    let r = (x - n * PIO2_HI) - n * PIO2_LO;
    let z = r * r;
    let (sin, cos) = (r * alternating(&SIN, z), alternating(&COS, z));
    match (n as i64).rem_euclid(4) {
        0 => (sin, cos),
        1 => (cos, -sin),
        2 => (-sin, -cos),
        _ => (-cos, sin),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::f64::consts::{PI, TAU};

    fn assert_near_std(x: f64) {
        let (sin, cos) = sin_cos(x);
        assert!(
            (sin - x.sin()).abs() < 1e-12,
            "sin {x}: {sin} against {}",
            x.sin()
        );
        assert!(
            (cos - x.cos()).abs() < 1e-12,
            "cos {x}: {cos} against {}",
            x.cos()
        );
    }

    #[test]
    fn sine_and_cosine_match_std_within_1e_12() {
        // A fine sweep of [0, 2π], the sprites' own angles, quadrant edges and a few far ones.
        for i in 0..=100_000 {
            assert_near_std(TAU * i as f64 / 100_000.0);
        }
        for k in 0..40 {
            assert_near_std(k as f64 * TAU / 40.0);
        }
        for x in [PI / 4.0, 3.0 * PI / 4.0, -PI / 4.0, -1.0, -TAU, 100.0, 1e5] {
            assert_near_std(x);
        }
        let mut worst = 0f64;
        for i in 0..10_000 {
            let x = TAU * (i as f64 + 0.37) / 10_000.0;
            let (sin, cos) = sin_cos(x);
            worst = worst.max((sin - x.sin()).abs()).max((cos - x.cos()).abs());
        }
        assert!(worst < 1e-15, "worst error {worst}");
    }

    #[test]
    fn the_quarter_turns_are_exact_where_they_can_be() {
        assert_eq!(sin_cos(0.0), (0.0, 1.0));
        let (sin, cos) = sin_cos(PI / 2.0);
        assert_eq!(sin, 1.0);
        assert!(cos.abs() < 1e-16, "cos π/2 = {cos}");
    }
}
