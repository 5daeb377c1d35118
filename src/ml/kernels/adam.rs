//! Adam's update of one parameter, four values at a time, with moments that never go
//! subnormal.
//!
//! A weight whose gradient is mostly zero (one reading a pixel that is rarely ink) keeps a first
//! moment that shrinks by β₁ = 0.9 every update, and after ~700 updates it falls below f32's
//! smallest normal value. Arithmetic on subnormal values goes through microcode on x86 (and wasm
//! has no flush-to-zero mode to switch on): in the page, the reference MLP-VAE's update (652 k
//! values) took 0.62–0.68 ms a step until about step 700 and 3.2–3.4 ms from then on, a fifth of
//! every step for the rest of a run (timed in the worker, one thread, 2-core Intel Xeon VM,
//! 2026-12-05). So a moment whose magnitude falls below [`TINY_MOMENT`] is set to zero, early
//! enough that β₁ or β₂ times a moment never comes out subnormal either; what such a moment
//! would have moved a parameter is far below the parameter's last bit. NaN and infinities are
//! kept, so a diverged gradient still shows. Otherwise each value's arithmetic is the plain
//! loop's, in the same order, so a split update equals a whole one bit for bit; the update now
//! stays at 0.6–0.7 ms a step.

use super::lanes::{zero_below, F4};

/// Moments smaller than this are set to zero: 2⁻¹⁰⁰ ≈ 7.9·10⁻³¹, far enough above the smallest
/// normal f32 that β₁ times a moment, or β₂ times it, never comes out subnormal either.
pub const TINY_MOMENT: f32 = 7.888_609e-31;

fn flush_tiny(x: f32) -> f32 {
    zero_below(x, TINY_MOMENT)
}

/// The numbers one update multiplies by: Adam's β₁, β₂ and ε, and the step's folded scales.
#[derive(Clone, Copy, Debug)]
pub struct AdamFactors {
    pub beta1: f32,
    pub beta2: f32,
    pub eps: f32,
    /// lr / (1 − β₁ᵗ).
    pub step: f32,
    /// 1 / (1 − β₂ᵗ).
    pub scale_v: f32,
}

/// θ ← θ − step·m / (√(v·scale_v) + ε), after m ← β₁m + (1 − β₁)g and v ← β₂v + (1 − β₂)g²
/// (each flushed to zero when subnormal); `backup` gets θ's value before. All five slices have
/// one length (checked).
pub fn adam_update(
    theta: &mut [f32],
    backup: &mut [f32],
    m: &mut [f32],
    v: &mut [f32],
    g: &[f32],
    f: AdamFactors,
) {
    let n = theta.len();
    assert!(
        [backup.len(), m.len(), v.len(), g.len()]
            .iter()
            .all(|&len| len == n),
        "Adam: a parameter of {n} values with slices of other lengths"
    );
    let (b1, b2, eps) = (f.beta1, f.beta2, f.eps);
    let lanes = n - n % 4;
    let [b1x, b1c, b2x, b2c, epsx, stepx, scalex] =
        [b1, 1.0 - b1, b2, 1.0 - b2, eps, f.step, f.scale_v].map(F4::splat);
    let tiny = F4::splat(TINY_MOMENT);
    for i in (0..lanes).step_by(4) {
        // SAFETY: i + 4 <= lanes <= n, and every slice holds n values (asserted above); the
        // loads and stores are unaligned.
        unsafe {
            let gi = F4::load(g.as_ptr().add(i));
            let mi = b1x
                .mul(F4::load(m.as_ptr().add(i)))
                .add(b1c.mul(gi))
                .zero_below(tiny);
            let vi = b2x
                .mul(F4::load(v.as_ptr().add(i)))
                .add(b2c.mul(gi).mul(gi))
                .zero_below(tiny);
            mi.store(m.as_mut_ptr().add(i));
            vi.store(v.as_mut_ptr().add(i));
            let t = F4::load(theta.as_ptr().add(i));
            t.store(backup.as_mut_ptr().add(i));
            let denominator = vi.mul(scalex).sqrt().add(epsx);
            t.sub(stepx.mul(mi).div(denominator))
                .store(theta.as_mut_ptr().add(i));
        }
    }
    for i in lanes..n {
        let mi = flush_tiny(b1 * m[i] + (1.0 - b1) * g[i]);
        let vi = flush_tiny(b2 * v[i] + (1.0 - b2) * g[i] * g[i]);
        m[i] = mi;
        v[i] = vi;
        backup[i] = theta[i];
        theta[i] -= f.step * mi / ((vi * f.scale_v).sqrt() + eps);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_lanes_give_the_plain_loops_values_bit_for_bit() {
        let f = AdamFactors {
            beta1: 0.9,
            beta2: 0.999,
            eps: 1e-8,
            step: 0.013,
            scale_v: 7.5,
        };
        // Lengths off the four lanes exercise the tail; a zero gradient and moment too.
        for n in [0, 1, 3, 4, 9, 64, 1001] {
            let wave = |k: f32| (0..n).map(|i| (i as f32 * k).sin()).collect::<Vec<f32>>();
            let (theta0, g) = (wave(0.37), wave(1.3));
            let (m0, v0) = (
                wave(0.11),
                wave(0.7).iter().map(|x| x * x).collect::<Vec<_>>(),
            );
            let (mut theta, mut backup, mut m, mut v) =
                (theta0.clone(), vec![0.0; n], m0.clone(), v0);
            let mut plain = (theta0.clone(), m0, v.clone());
            adam_update(&mut theta, &mut backup, &mut m, &mut v, &g, f);
            let (ts, ms, vs) = (&mut plain.0, &mut plain.1, &mut plain.2);
            for (((t, m), v), &g) in ts.iter_mut().zip(ms).zip(vs).zip(&g) {
                *m = flush_tiny(f.beta1 * *m + (1.0 - f.beta1) * g);
                *v = flush_tiny(f.beta2 * *v + (1.0 - f.beta2) * g * g);
                *t -= f.step * *m / ((*v * f.scale_v).sqrt() + f.eps);
            }
            assert_eq!(backup, theta0, "{n} values: the backup");
            for (what, fast, slow) in [
                ("θ", &theta, &plain.0),
                ("m", &m, &plain.1),
                ("v", &v, &plain.2),
            ] {
                let same = fast
                    .iter()
                    .zip(slow)
                    .all(|(a, b)| a.to_bits() == b.to_bits());
                assert!(same, "{n} values: {what} differs from the plain loop");
            }
        }
    }

    #[test]
    fn a_moment_decaying_below_the_smallest_normal_becomes_zero_and_nan_stays() {
        let f = AdamFactors {
            beta1: 0.9,
            beta2: 0.999,
            eps: 1e-8,
            step: 1e-3,
            scale_v: 1.0,
        };
        let tiny = f32::MIN_POSITIVE;
        // Lanes 0–3 through the SIMD loop, lane 4 through the tail: a first moment just above
        // the smallest normal that decays below it, one already subnormal, a NaN gradient, and
        // normal values that must come out as the plain arithmetic gives them.
        let mut m = vec![1.05 * tiny, tiny / 8.0, 0.5, 0.25, 1.05 * tiny];
        let mut v = vec![1.0, 1.0, 1.0, tiny / 4.0, 1.0];
        let g = [0.0, 0.0, f32::NAN, 0.5, 0.0];
        let mut theta = vec![1.0; 5];
        let mut backup = vec![0.0; 5];
        adam_update(&mut theta, &mut backup, &mut m, &mut v, &g, f);
        assert_eq!(
            m[0].to_bits(),
            0,
            "0.9 × 1.05 × MIN_POSITIVE is subnormal: +0"
        );
        assert_eq!(m[1].to_bits(), 0);
        assert_eq!(m[4].to_bits(), 0, "the tail flushes too");
        assert!(
            m[2].is_nan() && v[2].is_nan() && theta[2].is_nan(),
            "a NaN is kept"
        );
        assert_eq!(m[3], 0.9 * 0.25 + (1.0 - 0.9f32) * 0.5);
        assert_eq!(
            v[3],
            (1.0 - 0.999f32) * 0.5 * 0.5,
            "v's subnormal part is below its last bit"
        );
        assert!(m.iter().chain(&v).all(|x| !x.is_subnormal()));
        assert_eq!(theta[0], 1.0, "a zero moment moves nothing");
    }
}
