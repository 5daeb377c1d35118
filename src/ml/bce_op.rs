//! The reconstruction term as one fused candle op: binary cross-entropy with logits, summed over
//! each digit's pixels, with its own backward pass.
//!
//! Written with tensor operations (`loss::bce_with_logits`, kept as the reference), the term
//! costs about nine passes over the `(batch, 784)` logits forward and fifteen backward, each
//! allocating. Here the forward is one pass and the backward one pass:
//!
//! ```text
//! forward   row_i = Σ_j max(l_ij, 0) − l_ij·x_ij + ln(1 + e^−|l_ij|)
//! backward  ∂row_i/∂l_ij = σ(l_ij) − x_ij        (the targets get no gradient)
//! ```
//!
//! e^−a and ln(1 + t) come from [`crate::ml::fastmath`].

use candle_core::{CpuStorage, CustomOp2, CustomOp3, Layout, Result, Shape, Tensor};

use crate::ml::cpu_slices::f32_slice;
use crate::ml::fastmath::{exp_neg, ln_1p_unit, sigmoid};

/// Forward: `(n, d)` logits and targets → `(n,)` per-row sums.
struct BceRows;

impl CustomOp2 for BceRows {
    fn name(&self) -> &'static str {
        "bce-with-logits-rows"
    }

    fn cpu_fwd(
        &self,
        s1: &CpuStorage,
        l1: &Layout,
        s2: &CpuStorage,
        l2: &Layout,
    ) -> Result<(CpuStorage, Shape)> {
        let (n, d) = l1.shape().dims2()?;
        if l2.shape().dims2()? != (n, d) {
            candle_core::bail!(
                "logits {:?} and targets {:?} differ in shape",
                l1.shape(),
                l2.shape()
            )
        }
        let logits = f32_slice(s1, l1, "logits")?;
        let targets = f32_slice(s2, l2, "targets")?;
        let rows: Vec<f32> = logits
            .chunks_exact(d)
            .zip(targets.chunks_exact(d))
            .map(|(l, x)| row_sum(l, x))
            .collect();
        Ok((CpuStorage::F32(rows), Shape::from(n)))
    }

    fn bwd(
        &self,
        logits: &Tensor,
        targets: &Tensor,
        _res: &Tensor,
        grad_rows: &Tensor,
    ) -> Result<(Option<Tensor>, Option<Tensor>)> {
        let grad = logits.apply_op3_no_bwd(targets, &grad_rows.contiguous()?, &BceRowsGrad)?;
        Ok((Some(grad), None))
    }
}

/// One pixel's BCE with logits, `max(l, 0) − l·x + ln(1 + e^−|l|)`.
#[inline(always)]
fn bce(l: f32, x: f32) -> f32 {
    // `if` rather than `f32::max`, which is a libm call in wasm (see `fastmath::exp_neg`).
    let positive = if l > 0.0 { l } else { 0.0 };
    positive - l * x + ln_1p_unit(exp_neg(l.abs()))
}

/// Σ bce over one row, in eight running sums: a single running sum is a chain the compiler
/// may not reorder, which kept the exp/log polynomials from being vectorised at all.
fn row_sum(logits: &[f32], targets: &[f32]) -> f32 {
    const LANES: usize = 8;
    let mut sums = [0.0f32; LANES];
    let (l8, x8) = (logits.chunks_exact(LANES), targets.chunks_exact(LANES));
    let tail: f32 = l8
        .remainder()
        .iter()
        .zip(x8.remainder())
        .map(|(&l, &x)| bce(l, x))
        .sum();
    for (l, x) in l8.zip(x8) {
        for k in 0..LANES {
            sums[k] += bce(l[k], x[k]);
        }
    }
    sums.iter().sum::<f32>() + tail
}

/// Backward: logits, targets and the `(n,)` incoming gradient → `(n, d)` gradient of the logits.
struct BceRowsGrad;

impl CustomOp3 for BceRowsGrad {
    fn name(&self) -> &'static str {
        "bce-with-logits-rows-grad"
    }

    fn cpu_fwd(
        &self,
        s1: &CpuStorage,
        l1: &Layout,
        s2: &CpuStorage,
        l2: &Layout,
        s3: &CpuStorage,
        l3: &Layout,
    ) -> Result<(CpuStorage, Shape)> {
        let (n, d) = l1.shape().dims2()?;
        let logits = f32_slice(s1, l1, "logits")?;
        let targets = f32_slice(s2, l2, "targets")?;
        let grad_rows = f32_slice(s3, l3, "row gradients")?;
        if targets.len() != n * d || grad_rows.len() != n {
            candle_core::bail!("bce gradient: mismatched sizes")
        }
        let mut out = vec![0f32; n * d];
        for (row, ((o, l), x)) in out
            .chunks_exact_mut(d)
            .zip(logits.chunks_exact(d))
            .zip(targets.chunks_exact(d))
            .enumerate()
        {
            let g = grad_rows[row];
            for ((o, &l), &x) in o.iter_mut().zip(l).zip(x) {
                *o = g * (sigmoid(l) - x);
            }
        }
        Ok((CpuStorage::F32(out), Shape::from((n, d))))
    }
}

/// Σ over each row of BCE(logits, targets): `(n, d)` → `(n,)`, differentiable in the logits.
pub fn bce_with_logits_rows(logits: &Tensor, targets: &Tensor) -> Result<Tensor> {
    logits
        .contiguous()?
        .apply_op2(&targets.contiguous()?, BceRows)
}

/// [`bce_with_logits_rows`] recording no node in candle's graph, for a backward written out:
/// [`bce_rows_grad`] is its gradient.
pub(crate) fn bce_rows_untracked(logits: &Tensor, targets: &Tensor) -> Result<Tensor> {
    logits
        .contiguous()?
        .apply_op2_no_bwd(&targets.contiguous()?, &BceRows)
}

/// The logits' gradient from the rows' `grad_rows`, as [`bce_with_logits_rows`]'s backward
/// gives it.
pub(crate) fn bce_rows_grad(
    logits: &Tensor,
    targets: &Tensor,
    grad_rows: &Tensor,
) -> Result<Tensor> {
    let (grad, _) = BceRows.bwd(logits, targets, logits, grad_rows)?;
    grad.ok_or_else(|| candle_core::Error::Msg("the BCE gave no gradient".into()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ml::loss::bce_with_logits;
    use crate::ml::rng::Rng;
    use candle_core::{Device, Var};

    fn data() -> (Tensor, Tensor) {
        let mut rng = Rng::new(3);
        let mut logits = rng.normal_vec(6 * 784);
        logits.iter_mut().for_each(|l| *l *= 6.0);
        logits[0] = 80.0;
        logits[1] = -80.0;
        logits[2] = 0.0;
        let targets: Vec<f32> = (0..6 * 784).map(|_| rng.uniform(0.0, 1.0)).collect();
        (
            Tensor::from_vec(logits, (6, 784), &Device::Cpu).unwrap(),
            Tensor::from_vec(targets, (6, 784), &Device::Cpu).unwrap(),
        )
    }

    #[test]
    fn fused_rows_equal_the_plain_tensor_formula() {
        let (l, x) = data();
        let fused: Vec<f32> = bce_with_logits_rows(&l, &x).unwrap().to_vec1().unwrap();
        let plain: Vec<f32> = bce_with_logits(&l, &x)
            .unwrap()
            .sum(1)
            .unwrap()
            .to_vec1()
            .unwrap();
        for (a, b) in fused.iter().zip(&plain) {
            assert!((a - b).abs() <= 1e-5 * b.abs(), "{a} vs {b}");
        }
    }

    #[test]
    fn fused_gradient_equals_autograd_of_the_plain_formula() {
        let (l, x) = data();
        let weights = Tensor::new(&[1f32, -2.0, 0.5, 3.0, 0.0, 1.5], &Device::Cpu).unwrap();
        let var = Var::from_tensor(&l).unwrap();
        let fused = (bce_with_logits_rows(var.as_tensor(), &x).unwrap() * &weights)
            .unwrap()
            .sum_all()
            .unwrap();
        let g_fused: Vec<f32> = fused
            .backward()
            .unwrap()
            .get(&var)
            .unwrap()
            .flatten_all()
            .unwrap()
            .to_vec1()
            .unwrap();
        let plain = (bce_with_logits(var.as_tensor(), &x)
            .unwrap()
            .sum(1)
            .unwrap()
            * &weights)
            .unwrap()
            .sum_all()
            .unwrap();
        let g_plain: Vec<f32> = plain
            .backward()
            .unwrap()
            .get(&var)
            .unwrap()
            .flatten_all()
            .unwrap()
            .to_vec1()
            .unwrap();
        for (a, b) in g_fused.iter().zip(&g_plain) {
            assert!((a - b).abs() <= 1e-5 * (1.0 + b.abs()), "{a} vs {b}");
        }
    }
}
