//! ReLU as one candle op with a one-pass backward.
//!
//! candle's own ReLU backward builds a zero tensor, compares, converts the mask to f32,
//! multiplies and adds: five passes and four allocations over every hidden layer, twice per
//! step. This one passes the gradient where the input is ≥ 0 (candle's convention, kept so
//! the numbers do not change) in a single pass. An op that ends in a ReLU of its own (the
//! sparse convolution layers) uses [`rectify`] and [`rectified_grad`] instead.

use candle_core::{CpuStorage, CustomOp1, CustomOp2, Layout, Result, Shape, Tensor};

use crate::ml::cpu_slices::f32_slice;

/// `max(v, 0)` in place, as [`relu`] computes it (NaN becomes 0): for an op that ends in a ReLU
/// of its own ([`crate::ml::conv_op`]'s sparse layers), so the ReLU is no tensor of its own in
/// candle's graph.
pub(crate) fn rectify(values: &mut [f32]) {
    values
        .iter_mut()
        .for_each(|v| *v = if *v > 0.0 { *v } else { 0.0 });
}

/// The gradient through [`rectify`] from its output `y`: `g` where `y > 0`, else 0. A value
/// that was exactly 0 before the ReLU gets no gradient here, where [`relu`]'s (and candle's)
/// passes it on: both are a subgradient, and a sum of products lands on exactly 0 rarely.
pub(crate) fn rectified_grad(y: &Tensor, g: &Tensor) -> Result<Tensor> {
    y.apply_op2_no_bwd(&g.contiguous()?, &ReluGrad { from_output: true })
}

/// `max(x, 0)`, elementwise, differentiable.
pub fn relu(x: &Tensor) -> Result<Tensor> {
    x.contiguous()?.apply_op1(Relu)
}

/// [`relu`] recording no node in candle's graph, for a backward written out: [`relu_grad`] is
/// its gradient.
pub(crate) fn relu_untracked(x: &Tensor) -> Result<Tensor> {
    x.contiguous()?.apply_op1_no_bwd(&Relu)
}

/// The gradient through [`relu`] of the input `x`, from the output's `g`, as its backward gives
/// it.
pub(crate) fn relu_grad(x: &Tensor, g: &Tensor) -> Result<Tensor> {
    Relu.bwd(x, x, g)?
        .ok_or_else(|| candle_core::Error::Msg("relu gave no gradient".into()))
}

struct Relu;

impl CustomOp1 for Relu {
    fn name(&self) -> &'static str {
        "fused-relu"
    }

    fn cpu_fwd(&self, storage: &CpuStorage, layout: &Layout) -> Result<(CpuStorage, Shape)> {
        let x = f32_slice(storage, layout, "relu's input")?;
        // A compare and select (not `f32::max`, a libm call in wasm) vectorises.
        let y = x.iter().map(|&v| if v > 0.0 { v } else { 0.0 }).collect();
        Ok((CpuStorage::F32(y), layout.shape().clone()))
    }

    fn bwd(&self, arg: &Tensor, _res: &Tensor, grad: &Tensor) -> Result<Option<Tensor>> {
        arg.apply_op2_no_bwd(&grad.contiguous()?, &ReluGrad { from_output: false })
            .map(Some)
    }
}

/// The input and the output's gradient → the input's gradient.
/// The gradient through a ReLU, from its input (`x >= 0` passes, as candle's) or from its
/// output (`y > 0` passes: [`rectified_grad`]).
struct ReluGrad {
    from_output: bool,
}

impl CustomOp2 for ReluGrad {
    fn name(&self) -> &'static str {
        "fused-relu-grad"
    }

    fn cpu_fwd(
        &self,
        s1: &CpuStorage,
        l1: &Layout,
        s2: &CpuStorage,
        l2: &Layout,
    ) -> Result<(CpuStorage, Shape)> {
        let x = f32_slice(s1, l1, "relu's input")?;
        let g = f32_slice(s2, l2, "relu's output gradient")?;
        if x.len() != g.len() {
            candle_core::bail!(
                "relu gradient: {:?} and {:?} differ",
                l1.shape(),
                l2.shape()
            )
        }
        let out = if self.from_output {
            x.iter()
                .zip(g)
                .map(|(&y, &g)| if y > 0.0 { g } else { 0.0 })
                .collect()
        } else {
            x.iter()
                .zip(g)
                .map(|(&x, &g)| if x >= 0.0 { g } else { 0.0 })
                .collect()
        };
        Ok((CpuStorage::F32(out), l1.shape().clone()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use candle_core::{Device, Var};

    #[test]
    fn value_and_gradient_match_candle_relu_exactly() {
        let x = Var::from_vec(
            vec![-2.0f32, -0.5, 0.0, 0.25, 3.0, -1e-30, 1e-30, 7.5],
            (2, 4),
            &Device::Cpu,
        )
        .unwrap();
        let weights = Tensor::from_vec(
            vec![1.0f32, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0],
            (2, 4),
            &Device::Cpu,
        )
        .unwrap();
        let ours = relu(x.as_tensor()).unwrap();
        let theirs = x.as_tensor().relu().unwrap();
        assert_eq!(
            ours.to_vec2::<f32>().unwrap(),
            theirs.to_vec2::<f32>().unwrap()
        );
        let g1 = (ours * &weights)
            .unwrap()
            .sum_all()
            .unwrap()
            .backward()
            .unwrap();
        let g2 = (theirs * &weights)
            .unwrap()
            .sum_all()
            .unwrap()
            .backward()
            .unwrap();
        assert_eq!(
            g1.get(&x).unwrap().to_vec2::<f32>().unwrap(),
            g2.get(&x).unwrap().to_vec2::<f32>().unwrap()
        );
    }
}
