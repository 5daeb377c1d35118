//! A fully connected layer for the network's input, which needs no gradient of its own.
//!
//! candle's matmul backward always computes the gradient of both operands. For the first layer
//! the left operand is the batch of digits, so that is a (batch × hidden) · (hidden × 784)
//! product (a fifth of a training step's arithmetic for the reference model) thrown away. This
//! layer is one candle op, `x·Wᵀ + b`, whose backward gives W and b their gradients and the input
//! none. In wasm it is the sparse version of that op ([`super::sparse_affine`]), which also
//! skips the digits' zero pixels.

use candle_core::{CpuStorage, CustomOp3, Layout, Module, Result, Shape, Tensor};
use candle_nn::VarBuilder;

use super::sparse_affine::{
    dense_affine, sparse_affine, AffineOperands, InputGrad, SPARSE_KERNELS,
};

/// `y = x·Wᵀ + b` with `W` of shape `(out, in)`: the same parameters (names, shapes) as
/// `candle_nn::Linear`, so checkpoints do not change.
#[derive(Debug, Clone)]
pub struct InputLinear {
    weight: Tensor,
    bias: Tensor,
}

impl InputLinear {
    pub fn new(in_dim: usize, out_dim: usize, vb: VarBuilder) -> Result<Self> {
        let zero = candle_nn::Init::Const(0.0);
        Ok(Self {
            weight: vb.get_with_hints((out_dim, in_dim), "weight", zero)?,
            bias: vb.get_with_hints(out_dim, "bias", zero)?,
        })
    }

    /// `[W, b]`: the weight (out × in) and the bias.
    pub fn parameters(&self) -> [&Tensor; 2] {
        [&self.weight, &self.bias]
    }
}

impl Module for InputLinear {
    fn forward(&self, x: &Tensor) -> Result<Tensor> {
        if SPARSE_KERNELS {
            return sparse_affine(x, &self.weight, &self.bias, InputGrad::None);
        }
        x.contiguous()?.apply_op3(
            &self.weight.contiguous()?,
            &self.bias.contiguous()?,
            AffineNoInputGrad,
        )
    }
}

struct AffineNoInputGrad;

impl CustomOp3 for AffineNoInputGrad {
    fn name(&self) -> &'static str {
        "affine-no-input-grad"
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
        let a = AffineOperands::new((s1, l1), (s2, l2), (s3, l3))?;
        let y = dense_affine(a.x, a.w, a.b, a.n, a.m, a.k);
        Ok((CpuStorage::F32(y), Shape::from((a.n, a.m))))
    }

    fn bwd(
        &self,
        x: &Tensor,
        _w: &Tensor,
        _b: &Tensor,
        _res: &Tensor,
        grad: &Tensor,
    ) -> Result<(Option<Tensor>, Option<Tensor>, Option<Tensor>)> {
        let grad_w = grad.t()?.matmul(x)?;
        let grad_b = grad.sum(0)?;
        Ok((None, Some(grad_w), Some(grad_b)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ml::rng::Rng;
    use candle_core::{DType, Device, Var};
    use candle_nn::VarMap;

    use crate::ml::tensor_diff::max_abs_diff;

    #[test]
    fn forward_and_parameter_gradients_match_candle_linear() {
        let mut rng = Rng::new(8);
        let vars = VarMap::new();
        let vb = VarBuilder::from_varmap(&vars, DType::F32, &Device::Cpu);
        let ours = InputLinear::new(7, 5, vb.pp("layer")).unwrap();
        for (_, var) in vars.data().lock().unwrap().iter() {
            var.set(
                &Tensor::from_vec(rng.normal_vec(var.elem_count()), var.shape(), &Device::Cpu)
                    .unwrap(),
            )
            .unwrap();
        }
        let w = vars.data().lock().unwrap()["layer.weight"].clone();
        let b = vars.data().lock().unwrap()["layer.bias"].clone();
        let reference = candle_nn::Linear::new(w.as_tensor().clone(), Some(b.as_tensor().clone()));
        let x = Tensor::from_vec(rng.normal_vec(3 * 7), (3, 7), &Device::Cpu).unwrap();
        let weights = Tensor::from_vec(rng.normal_vec(3 * 5), (3, 5), &Device::Cpu).unwrap();

        let y1 = ours.forward(&x).unwrap();
        let y2 = reference.forward(&x).unwrap();
        let diff = max_abs_diff(&y1, &y2);
        assert!(diff < 1e-5, "forward differs by {diff}");

        let g1 = (y1 * &weights)
            .unwrap()
            .sum_all()
            .unwrap()
            .backward()
            .unwrap();
        let g2 = (y2 * &weights)
            .unwrap()
            .sum_all()
            .unwrap()
            .backward()
            .unwrap();
        for var in [&w, &b] {
            let a = g1
                .get(var)
                .expect("our layer gives the parameters gradients");
            let c = g2.get(var).unwrap();
            let diff = max_abs_diff(a, c);
            assert!(diff < 1e-5, "gradient differs by {diff}");
        }
        let x_var = Var::from_tensor(&x).unwrap();
        let g = ours
            .forward(x_var.as_tensor())
            .unwrap()
            .sum_all()
            .unwrap()
            .backward()
            .unwrap();
        assert!(g.get(&x_var).is_none(), "the input gets no gradient");
    }
}
