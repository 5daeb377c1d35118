//! Fast, vectorisable e^−a, ln(1 + t), the logistic sigmoid and the ReLU for the hot loops (the
//! fused loss, decoding to pixels, the packed layers).
//!
//! On wasm32 `f32::exp` and `f32::ln_1p` are calls into a software `libm`, one element at a
//! time; these are short polynomials with no calls and no data-dependent branches, so the
//! compiler turns a loop over them into SIMD. They are as accurate as f32 arithmetic on the
//! argument allows (tested against f64).

use candle_core::{CpuStorage, CustomOp1, Layout, Result, Shape, Tensor};

use crate::ml::cpu_slices::f32_slice;

/// e^−a for a ≥ 0; below e^−87 it returns 2^−126 (about 1e-38), which no sum here can notice.
#[inline(always)]
pub fn exp_neg(a: f32) -> f32 {
    // e^−a = 2^y, y = −a·log₂e = i + f with i an integer and f ∈ [−½, ½).
    let y = -a * std::f32::consts::LOG2_E;
    // A compare and select, not `f32::max`: wasm's own max treats NaN differently, so `max`
    // becomes a call to libm's fmaxf there and the loop around it stays scalar. (NaN still
    // goes to −126, as with `max`.)
    let y = if y >= -126.0 { y } else { -126.0 };
    let i = (y + 0.5).floor();
    let f = y - i;
    // 2^f on [−½, ½] (Cephes' exp2f polynomial).
    let p = 1.535_336_2e-4_f32;
    let p = p * f + 1.339_887_4e-3;
    let p = p * f + 9.618_437e-3;
    let p = p * f + 5.550_332_5e-2;
    let p = p * f + 2.402_264_8e-1;
    let p = p * f + 6.931_472e-1;
    let two_f = p * f + 1.0;
    let two_i = f32::from_bits(((i as i32 + 127) as u32) << 23);
    two_f * two_i
}

/// ln(1 + t) for t ∈ [0, 1], as 2·atanh(s) with s = t/(2 + t) ≤ ⅓.
#[inline(always)]
pub fn ln_1p_unit(t: f32) -> f32 {
    let s = t / (2.0 + t);
    let s2 = s * s;
    let series = 1.0
        + s2 * (1.0 / 3.0
            + s2 * (1.0 / 5.0
                + s2 * (1.0 / 7.0 + s2 * (1.0 / 9.0 + s2 * (1.0 / 11.0 + s2 / 13.0)))));
    2.0 * s * series
}

/// σ(l) = 1 / (1 + e^−l), computed from e^−|l| so it never overflows.
#[inline(always)]
pub fn sigmoid(l: f32) -> f32 {
    sigmoid_given(l, exp_neg(l.abs()))
}

/// [`sigmoid`] given `t` = e^−|l|, for a loop that has it already (the loss's forward).
#[inline(always)]
pub(crate) fn sigmoid_given(l: f32, t: f32) -> f32 {
    if l >= 0.0 {
        1.0 / (1.0 + t)
    } else {
        t / (1.0 + t)
    }
}

/// Elementwise sigmoid as a candle op, for decoding (no gradient: nothing trains through it).
struct Sigmoid;

impl CustomOp1 for Sigmoid {
    fn name(&self) -> &'static str {
        "fast-sigmoid"
    }

    fn cpu_fwd(&self, storage: &CpuStorage, layout: &Layout) -> Result<(CpuStorage, Shape)> {
        let logits = f32_slice(storage, layout, "sigmoid's input")?;
        let out = logits.iter().map(|&l| sigmoid(l)).collect();
        Ok((CpuStorage::F32(out), layout.shape().clone()))
    }
}

/// max(v, 0) for every value, in place. Not `f32::max`: in wasm that is a libm call that keeps
/// the loop scalar.
pub fn relu_in_place(values: &mut [f32]) {
    for v in values {
        *v = if *v > 0.0 { *v } else { 0.0 };
    }
}

/// σ of every element of `logits` (not differentiable).
pub fn sigmoid_tensor(logits: &Tensor) -> Result<Tensor> {
    logits.contiguous()?.apply_op1_no_bwd(&Sigmoid)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_fast_exponential_and_logarithm_are_accurate() {
        for i in 0..=1740 {
            let a = i as f32 * 0.05; // 0 … 87
            let want = (-a as f64).exp();
            let got = exp_neg(a) as f64;
            // f32 holds −a·log₂e only to about a·1e-7 (relative), and that much carries over.
            let tolerance = (1e-6 + 2e-7 * a as f64) * want + 1e-38;
            assert!((got - want).abs() <= tolerance, "e^-{a}: {got} vs {want}");
        }
        assert!(exp_neg(100.0) < 2e-38 && exp_neg(f32::INFINITY) < 2e-38);
        for i in 0..=1000 {
            let t = i as f32 / 1000.0;
            let want = (t as f64).ln_1p();
            let got = ln_1p_unit(t) as f64;
            assert!((got - want).abs() < 4e-7, "ln(1+{t}): {got} vs {want}");
        }
    }

    #[test]
    fn sigmoid_matches_the_formula_everywhere() {
        for i in -2000..=2000 {
            let l = i as f32 * 0.05;
            let want = 1.0 / (1.0 + (-(l as f64)).exp());
            assert!((sigmoid(l) as f64 - want).abs() < 2e-7, "σ({l})");
        }
    }
}
