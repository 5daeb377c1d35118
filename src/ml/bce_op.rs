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
//! The written-out training step (`model/mlp_vae_step.rs`) takes [`bce_rows_recorded`]: its
//! forward also keeps σ(l) − x, from the e^−|l| the loss computes anyway, so its backward only
//! scales each row. e^−a and ln(1 + t) come from [`crate::ml::fastmath`].

use std::sync::Mutex;

use candle_core::{CpuStorage, CustomOp2, CustomOp3, Layout, Result, Shape, Tensor};

use crate::ml::cpu_slices::f32_slice;
use crate::ml::fastmath::{exp_neg, ln_1p_unit, sigmoid, sigmoid_given};

/// Forward: `(n, d)` logits and targets → `(n,)` per-row sums.
#[derive(Default)]
struct BceRows {
    /// Whether the forward keeps σ(l) − x for every pixel ([`bce_rows_recorded`]), and where.
    record: Option<Mutex<Option<Residual>>>,
}

/// σ(l) − x for every pixel, and the pixels a row.
type Residual = (Vec<f32>, usize);

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
        let pairs = logits.chunks_exact(d).zip(targets.chunks_exact(d));
        let rows: Vec<f32> = match &self.record {
            None => pairs.map(|(l, x)| row_sum(l, x)).collect(),
            Some(record) => {
                let mut residual = vec![0f32; n * d];
                let rows = pairs
                    .zip(residual.chunks_exact_mut(d))
                    .map(|((l, x), r)| row_sum_recording(l, x, r))
                    .collect();
                *record.lock().unwrap_or_else(|e| e.into_inner()) = Some((residual, d));
                rows
            }
        };
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
    bce_from(l, x, exp_neg(l.abs()))
}

/// [`bce`] given `t` = e^−|l|.
#[inline(always)]
fn bce_from(l: f32, x: f32, t: f32) -> f32 {
    // `if` rather than `f32::max`, which is a libm call in wasm (see `fastmath::exp_neg`).
    let positive = if l > 0.0 { l } else { 0.0 };
    positive - l * x + ln_1p_unit(t)
}

/// The running sums of a row's BCE: a single running sum is a chain the compiler may not
/// reorder, which kept the exp/log polynomials from being vectorised at all.
const LANES: usize = 8;

/// Σ bce over one row, in [`LANES`] running sums, its last `len % LANES` pixels summed first on
/// their own. [`row_sum_recording`] sums in the very same order.
fn row_sum(logits: &[f32], targets: &[f32]) -> f32 {
    let whole = logits.len() - logits.len() % LANES;
    let (l8, l_tail) = logits.split_at(whole);
    let (x8, x_tail) = targets.split_at(whole);
    let tail: f32 = l_tail.iter().zip(x_tail).map(|(&l, &x)| bce(l, x)).sum();
    let mut sums = [0.0f32; LANES];
    for (l, x) in l8.chunks_exact(LANES).zip(x8.chunks_exact(LANES)) {
        for k in 0..LANES {
            sums[k] += bce(l[k], x[k]);
        }
    }
    sums.iter().sum::<f32>() + tail
}

/// [`row_sum`] that also writes each pixel's σ(l) − x into `residual`, from the same e^−|l|
/// (so the sum is [`row_sum`]'s to the bit).
fn row_sum_recording(logits: &[f32], targets: &[f32], residual: &mut [f32]) -> f32 {
    #[inline(always)]
    fn pixel(l: f32, x: f32, r: &mut f32) -> f32 {
        let t = exp_neg(l.abs());
        *r = sigmoid_given(l, t) - x;
        bce_from(l, x, t)
    }
    let whole = logits.len() - logits.len() % LANES;
    let (l8, l_tail) = logits.split_at(whole);
    let (x8, x_tail) = targets.split_at(whole);
    let (r8, r_tail) = residual.split_at_mut(whole);
    let tail: f32 = l_tail
        .iter()
        .zip(x_tail)
        .zip(r_tail)
        .map(|((&l, &x), r)| pixel(l, x, r))
        .sum();
    let mut sums = [0.0f32; LANES];
    let chunks = l8.chunks_exact(LANES).zip(x8.chunks_exact(LANES));
    for ((l, x), r) in chunks.zip(r8.chunks_exact_mut(LANES)) {
        for k in 0..LANES {
            sums[k] += pixel(l[k], x[k], &mut r[k]);
        }
    }
    sums.iter().sum::<f32>() + tail
}

/// A training share's BCE rows, and what their gradient needs ([`BceRecord::grad`]).
pub(crate) struct BceRecord {
    pub(crate) rows: Tensor,
    /// σ(l) − x for every pixel, `d` a row.
    residual: Vec<f32>,
    d: usize,
}

/// The rows of [`bce_with_logits_rows`] with no node in candle's graph (for a backward written
/// out: `model/mlp_vae_step.rs`), keeping σ(l) − x for [`BceRecord::grad`].
pub(crate) fn bce_rows_recorded(logits: &Tensor, targets: &Tensor) -> Result<BceRecord> {
    let op = BceRows {
        record: Some(Mutex::default()),
    };
    let rows = logits
        .contiguous()?
        .apply_op2_no_bwd(&targets.contiguous()?, &op)?;
    let kept = op
        .record
        .and_then(|record| record.into_inner().unwrap_or_else(|e| e.into_inner()));
    let Some((residual, d)) = kept else {
        candle_core::bail!("the BCE's forward kept no residual")
    };
    Ok(BceRecord { rows, residual, d })
}

impl BceRecord {
    /// The logits' gradient from the rows' `grad_rows`: the values [`BceRows`]'s backward
    /// gives, to the bit.
    pub(crate) fn grad(self, grad_rows: &Tensor) -> Result<Tensor> {
        let n = self.rows.dim(0)?;
        let g: Vec<f32> = grad_rows.to_vec1()?;
        if g.len() != n {
            candle_core::bail!("bce gradient: {} row gradients for {n} rows", g.len())
        }
        let Self {
            rows,
            mut residual,
            d,
        } = self;
        for (r, g) in residual.chunks_exact_mut(d).zip(&g) {
            r.iter_mut().for_each(|v| *v *= g);
        }
        Tensor::from_vec(residual, (n, d), rows.device())
    }
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
        .apply_op2(&targets.contiguous()?, BceRows::default())
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
    fn the_recording_forward_gives_the_rows_and_the_gradient_of_the_plain_op_to_the_bit() {
        // 6 × 784 (no tail) and 3 × 13 (a tail of 5 after an eight).
        let (l, x) = data();
        let first = |t: &Tensor| t.narrow(0, 0, 3).unwrap().narrow(1, 0, 13).unwrap();
        let short = (
            first(&l).contiguous().unwrap(),
            first(&x).contiguous().unwrap(),
        );
        let g = Tensor::new(&[1f32, -2.0, 0.5, 3.0, 0.0, 1.5], &Device::Cpu).unwrap();
        // Bit patterns, not `==`: the sign of a zero counts too.
        let bits = |t: &Tensor| -> Vec<u32> {
            let values: Vec<f32> = t.flatten_all().unwrap().to_vec1().unwrap();
            values.iter().map(|v| v.to_bits()).collect()
        };
        for (l, x) in [(l.clone(), x.clone()), short] {
            let n = l.dim(0).unwrap();
            let g = g.narrow(0, 0, n).unwrap();
            let record = bce_rows_recorded(&l, &x).unwrap();
            let want = bce_with_logits_rows(&l, &x).unwrap();
            assert_eq!(bits(&record.rows), bits(&want));
            let got = record.grad(&g).unwrap();
            let plain = l.apply_op3_no_bwd(&x, &g, &BceRowsGrad).unwrap();
            assert_eq!(bits(&got), bits(&plain));
            let wrong = g.narrow(0, 0, n - 1).unwrap();
            let record = bce_rows_recorded(&l, &x).unwrap();
            assert!(record.grad(&wrong).is_err(), "a row gradient short");
        }
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
