//! `x·Wᵀ + b` for inputs that are mostly zeros, as one candle op with its own backward.
//!
//! Two layers of the MLP models take such inputs: the first takes digits (about 81% of MNIST's
//! pixels are 0) and the decoder's output layer takes a ReLU's output (about half 0). The
//! forward product and the weight gradient `gᵀ·x` both skip the zeros of `x`
//! ([`sparse_times_dense`]), so in wasm the first layer costs a fifth of a dense product and the
//! output layer half. The weight gradient is built as `xᵀ·g` (rows of `xᵀ` are what is sparse)
//! and transposed back, unless one dense product costs less ([`super::weight_grad`]). The
//! input's own gradient, `g·W`, is what the caller asks for ([`InputGrad`]): none for the first
//! layer; for a layer whose input a ReLU made (the decoder's output layer, the encoders' heads)
//! only where that input is non-zero ([`super::input_grad`]: the ReLU's backward drops the
//! rest), which for the decoder's output layer is half of the dense product's work; otherwise
//! candle's dense product. The Conv-VAE's layers, which a ReLU follows, have an input gradient
//! that skips the zeros of `g` (`conv_op::sparse`).
//!
//! [`affine`] and [`heads`] put the models' other fully connected layers (candle-nn `Linear`s:
//! the MLPs' z → hidden and both encoders' μ and log σ² heads, the Conv-VAE's projection from
//! z) through the same op, so in wasm each is one op with a row-summed bias gradient.
//!
//! Used in wasm builds only: natively the `gemm` crate's threaded AVX kernels are faster, and
//! the pretrained weights are rebuilt bit for bit on that path. Tested against candle's `Linear`.

use std::sync::Mutex;

use candle_core::{CpuStorage, CustomOp3, Layout, Module, Result, Shape, Tensor, TensorId};
use candle_nn::Linear;

use crate::ml::cpu_slices::f32_slice;
use crate::ml::grad_sink;
use crate::ml::held;
use crate::ml::kernels::sparse::{sparse_times_dense, SparseRows};

use super::column_sums::ColumnSums;
use super::input_grad::input_gradient;
pub use super::input_grad::InputGrad;
use super::weight_grad::SparseWeightGrad;

mod by_hand;
pub(crate) use by_hand::affine_record;

/// Whether the MLP layers with sparse inputs use [`sparse_affine`]: in wasm, yes.
pub const SPARSE_KERNELS: bool = cfg!(target_arch = "wasm32");

/// Below this many rows packing the weight costs more than skipping zeros saves (the page
/// encodes one drawing at a time); those products stay dense.
const SPARSE_MIN_ROWS: usize = 8;

/// `x·Wᵀ + b` (`x` n×in, `W` out×in, `b` out) through the sparse kernels; `input_grad` says
/// what gradient backward gives `x`.
pub fn sparse_affine(x: &Tensor, w: &Tensor, b: &Tensor, input_grad: InputGrad) -> Result<Tensor> {
    x.contiguous()?.apply_op3(
        &w.contiguous()?,
        &b.contiguous()?,
        SparseAffine {
            input_grad,
            weight: held::variable(w),
            rows_of_x: Mutex::new(None),
        },
    )
}

/// The operands of `x·Wᵀ + b` as slices, with their sizes checked: `x` n×k, `W` m×k, `b` m.
pub struct AffineOperands<'a> {
    pub x: &'a [f32],
    pub w: &'a [f32],
    pub b: &'a [f32],
    pub n: usize,
    pub m: usize,
    pub k: usize,
}

impl<'a> AffineOperands<'a> {
    pub fn new(
        (s1, l1): (&'a CpuStorage, &Layout),
        (s2, l2): (&'a CpuStorage, &Layout),
        (s3, l3): (&'a CpuStorage, &Layout),
    ) -> Result<Self> {
        let (n, k) = l1.shape().dims2()?;
        let (m, k2) = l2.shape().dims2()?;
        if k != k2 || l3.shape().dims1()? != m {
            candle_core::bail!(
                "affine: input {:?}, weight {:?}, bias {:?} do not fit",
                l1.shape(),
                l2.shape(),
                l3.shape()
            )
        }
        Ok(Self {
            x: f32_slice(s1, l1, "input")?,
            w: f32_slice(s2, l2, "weight")?,
            b: f32_slice(s3, l3, "bias")?,
            n,
            m,
            k,
        })
    }
}

struct SparseAffine {
    input_grad: InputGrad,
    /// The weight's variable, whose packing a training step keeps ([`held`]).
    weight: Option<TensorId>,
    /// The input's non-zeros, found by the forward pass and kept for the weight gradient
    /// (candle calls `bwd` on the very op that ran forward).
    rows_of_x: Mutex<Option<SparseRows>>,
}

impl CustomOp3 for SparseAffine {
    fn name(&self) -> &'static str {
        "sparse-affine"
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
        let AffineOperands { x, w, b, n, m, k } =
            AffineOperands::new((s1, l1), (s2, l2), (s3, l3))?;
        let y = if n < SPARSE_MIN_ROWS {
            dense_affine(x, w, b, n, m, k)
        } else {
            let mut y = b.repeat(n);
            let rows = SparseRows::from_rows(x, n, k);
            let panels = held::transposed_panels(self.weight, w, m, k);
            sparse_times_dense(&rows, &panels, &mut y);
            *self.rows_of_x.lock().unwrap_or_else(|e| e.into_inner()) = Some(rows);
            y
        };
        Ok((CpuStorage::F32(y), Shape::from((n, m))))
    }

    fn bwd(
        &self,
        x: &Tensor,
        w: &Tensor,
        _b: &Tensor,
        _res: &Tensor,
        grad: &Tensor,
    ) -> Result<(Option<Tensor>, Option<Tensor>, Option<Tensor>)> {
        // candle asks every op for all its inputs' gradients, and keeps one even for an input
        // that is not tracked (a batch of pictures): a product and two passes for nothing.
        let (grad_x, grad_w, grad_b) = self.gradients(x, w, grad, x.track_op())?;
        // Into the step's sink when one is open: candle would add it to a tensor of zeros.
        Ok((grad_x, grad_sink::give(self.weight, grad_w)?, Some(grad_b)))
    }
}

impl SparseAffine {
    /// The input's gradient (when `of_input`), the weight's and the bias's, from the output's
    /// `grad`; once a forward pass, as it takes the non-zeros that pass kept.
    fn gradients(
        &self,
        x: &Tensor,
        w: &Tensor,
        grad: &Tensor,
        of_input: bool,
    ) -> Result<(Option<Tensor>, Tensor, Tensor)> {
        let grad = grad.contiguous()?;
        let rows_of_x = self
            .rows_of_x
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take();
        let grad_x = match of_input {
            true => input_gradient(self.input_grad, &grad, w, rows_of_x.as_ref(), self.weight)?,
            false => None,
        };
        let grad_w = x.apply_op2_no_bwd(&grad, &SparseWeightGrad::new(rows_of_x))?;
        let grad_b = grad.apply_op1_no_bwd(&ColumnSums)?;
        Ok((grad_x, grad_w, grad_b))
    }
}

/// `layer` on `x`. In wasm one op ([`sparse_affine`]) where candle's `Linear` makes two (a
/// product, then the bias broadcast and added): its backward sums the bias gradient by rows
/// where candle's walks each column of the batch with a stride (1.5% of a Conv-VAE step for its
/// decoder's 16 → flat projection, 1% of an MLP-VAE's for z → hidden), and its product skips
/// the zeros of an input a ReLU made. Natively candle's `Linear`, on which the pretrained
/// weights were trained.
pub(crate) fn affine(layer: &Linear, x: &Tensor) -> Result<Tensor> {
    affine_giving(layer, x, InputGrad::Full)
}

/// [`affine`] for an `x` that is a ReLU's output: in wasm its gradient is computed only where
/// `x` is non-zero ([`InputGrad::ThroughRelu`]).
pub(crate) fn affine_after_relu(layer: &Linear, x: &Tensor) -> Result<Tensor> {
    affine_giving(layer, x, InputGrad::ThroughRelu)
}

fn affine_giving(layer: &Linear, x: &Tensor, input_grad: InputGrad) -> Result<Tensor> {
    match layer.bias() {
        Some(bias) if SPARSE_KERNELS => sparse_affine(x, layer.weight(), bias, input_grad),
        _ => layer.forward(x),
    }
}

/// The encoder's two heads, `mean` and `log_var`, on the same `x`, a ReLU's output (as
/// [`affine_after_relu`]). In wasm they are one [`sparse_affine`] of their weights stacked:
/// `x`'s non-zeros are listed (and, for the weight gradient, transposed) once, and each is read
/// once for both heads' 2 × latent columns.
pub(crate) fn heads(mean: &Linear, log_var: &Linear, x: &Tensor) -> Result<(Tensor, Tensor)> {
    match (mean.bias(), log_var.bias()) {
        (Some(mean_bias), Some(log_var_bias)) if SPARSE_KERNELS => {
            let weight = Tensor::cat(&[mean.weight(), log_var.weight()], 0)?;
            let bias = Tensor::cat(&[mean_bias, log_var_bias], 0)?;
            let both = sparse_affine(x, &weight, &bias, InputGrad::ThroughRelu)?;
            let latent = mean.weight().dim(0)?;
            // Each its own contiguous tensor, as the layers gave them (custom ops read slices).
            let half = |start| both.narrow(1, start, latent)?.contiguous();
            Ok((half(0)?, half(latent)?))
        }
        _ => Ok((affine(mean, x)?, affine(log_var, x)?)),
    }
}

/// `x·Wᵀ + b` with the `gemm` crate (`x` n×k, `W` m×k, `b` m, all row-major): each row starts
/// from the bias and the product is added on top.
pub fn dense_affine(x: &[f32], w: &[f32], b: &[f32], n: usize, m: usize, k: usize) -> Vec<f32> {
    let mut y = b.repeat(n);
    #[cfg(target_arch = "wasm32")]
    let parallelism = gemm::Parallelism::None;
    #[cfg(not(target_arch = "wasm32"))]
    let parallelism = match candle_core::utils::get_num_threads() {
        1 => gemm::Parallelism::None,
        threads => gemm::Parallelism::Rayon(threads),
    };
    assert!(x.len() == n * k && w.len() == m * k && b.len() == m);
    // SAFETY: the three buffers are contiguous, row-major and of the sizes checked above:
    // y is n×m, x is n×k, and Wᵀ is read from W (m×k) with row stride 1, column stride k.
    unsafe {
        gemm::gemm(
            n,
            m,
            k,
            y.as_mut_ptr(),
            1,
            m as isize,
            true,
            x.as_ptr(),
            1,
            k as isize,
            w.as_ptr(),
            k as isize,
            1,
            1.0f32,
            1.0f32,
            false,
            false,
            false,
            parallelism,
        );
    }
    y
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ml::rng::Rng;
    use crate::ml::tensor_diff::max_abs_diff;
    use candle_core::{Device, Var};
    use candle_nn::Module;

    /// An n×k input with about `density` of it non-zero, like digits or a ReLU's output.
    fn sparse_input(rng: &mut Rng, n: usize, k: usize, density: f32) -> Tensor {
        let values: Vec<f32> = (0..n * k)
            .map(|_| {
                let v = rng.uniform(0.0, 1.0);
                if rng.uniform(0.0, 1.0) < density {
                    v
                } else {
                    0.0
                }
            })
            .collect();
        Tensor::from_vec(values, (n, k), &Device::Cpu).unwrap()
    }

    #[test]
    fn output_and_every_gradient_match_candle_linear() {
        let mut rng = Rng::new(21);
        // Sizes off the 16-column panels and the 4-lane registers, and the MLP's own; the last
        // input is as dense as a colour photograph (its weight gradient is a dense product).
        for (n, k, m, density) in [
            (9, 37, 19, 0.3),
            (16, 784, 400, 0.3),
            (8, 400, 784, 0.3),
            (1, 784, 400, 0.3),
            (16, 300, 40, 1.0),
        ] {
            let x = Var::from_tensor(&sparse_input(&mut rng, n, k, density)).unwrap();
            let w = Var::from_vec(rng.normal_vec(m * k), (m, k), &Device::Cpu).unwrap();
            let b = Var::from_vec(rng.normal_vec(m), m, &Device::Cpu).unwrap();
            let weights = Tensor::from_vec(rng.normal_vec(n * m), (n, m), &Device::Cpu).unwrap();
            let reference =
                candle_nn::Linear::new(w.as_tensor().clone(), Some(b.as_tensor().clone()));

            let ours = sparse_affine(x.as_tensor(), &w, &b, InputGrad::Full).unwrap();
            let plain = reference.forward(x.as_tensor()).unwrap();
            let diff = max_abs_diff(&ours, &plain);
            assert!(diff < 1e-4, "{n}×{k}→{m}: forward off by {diff}");

            let g1 = (ours * &weights)
                .unwrap()
                .sum_all()
                .unwrap()
                .backward()
                .unwrap();
            let g2 = (plain * &weights)
                .unwrap()
                .sum_all()
                .unwrap()
                .backward()
                .unwrap();
            for (name, var) in [("x", &x), ("W", &w), ("b", &b)] {
                let diff = max_abs_diff(g1.get(var).unwrap(), g2.get(var).unwrap());
                assert!(diff < 1e-4, "{n}×{k}→{m}: gradient of {name} off by {diff}");
            }
        }
    }

    #[test]
    fn through_a_relu_every_gradient_matches_candle_linear() {
        let mut rng = Rng::new(24);
        // The decoder's output layer, sizes off the panels, and rows too few for the sparse
        // route (its input gradient is then the dense product).
        for (n, k, m) in [(16, 400, 784), (9, 37, 19), (4, 40, 12)] {
            let pre = Var::from_vec(rng.normal_vec(n * k), (n, k), &Device::Cpu).unwrap();
            let w = Var::from_vec(rng.normal_vec(m * k), (m, k), &Device::Cpu).unwrap();
            let b = Var::from_vec(rng.normal_vec(m), m, &Device::Cpu).unwrap();
            let weights = Tensor::from_vec(rng.normal_vec(n * m), (n, m), &Device::Cpu).unwrap();
            let reference =
                candle_nn::Linear::new(w.as_tensor().clone(), Some(b.as_tensor().clone()));
            let h = crate::ml::relu_op::relu(pre.as_tensor()).unwrap();
            let ours = sparse_affine(&h, &w, &b, InputGrad::ThroughRelu).unwrap();
            let plain = reference.forward(&pre.as_tensor().relu().unwrap()).unwrap();
            let gradients = |y: Tensor| (y * &weights).unwrap().sum_all().unwrap().backward();
            let (g1, g2) = (gradients(ours).unwrap(), gradients(plain).unwrap());
            for (name, var) in [("the ReLU's input", &pre), ("W", &w), ("b", &b)] {
                let (ours, plain) = (g1.get(var).unwrap(), g2.get(var).unwrap());
                // Sums of hundreds of products of unit normals reach ~100: rounding is relative.
                let values = plain.flatten_all().unwrap().abs().unwrap();
                let scale = values.max(0).unwrap().to_scalar::<f32>().unwrap().max(1.0);
                let diff = max_abs_diff(ours, plain);
                assert!(
                    diff < 1e-5 * scale,
                    "{n}×{k}→{m}: gradient of {name} off by {diff} (largest {scale})"
                );
            }
        }
    }

    #[test]
    fn without_input_gradient_the_input_gets_none() {
        let mut rng = Rng::new(22);
        let x = Var::from_tensor(&sparse_input(&mut rng, 4, 9, 0.5)).unwrap();
        let w = Var::from_vec(rng.normal_vec(6 * 9), (6, 9), &Device::Cpu).unwrap();
        let b = Var::from_vec(rng.normal_vec(6), 6, &Device::Cpu).unwrap();
        let grads = sparse_affine(x.as_tensor(), &w, &b, InputGrad::None)
            .unwrap()
            .sum_all()
            .unwrap()
            .backward()
            .unwrap();
        assert!(grads.get(&x).is_none());
        assert!(grads.get(&w).is_some() && grads.get(&b).is_some());
    }

    #[test]
    fn an_input_nothing_learns_from_gets_no_gradient_even_when_asked() {
        let mut rng = Rng::new(23);
        // A batch of pictures: a plain tensor, not a variable nor made from one.
        let x = sparse_input(&mut rng, 4, 9, 0.5);
        let w = Var::from_vec(rng.normal_vec(6 * 9), (6, 9), &Device::Cpu).unwrap();
        let b = Var::from_vec(rng.normal_vec(6), 6, &Device::Cpu).unwrap();
        let grads = sparse_affine(&x, &w, &b, InputGrad::Full)
            .unwrap()
            .sum_all()
            .unwrap()
            .backward()
            .unwrap();
        assert!(grads.get(&x).is_none());
        assert!(grads.get(&w).is_some() && grads.get(&b).is_some());
    }
}
