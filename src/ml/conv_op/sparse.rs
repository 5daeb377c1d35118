//! The wasm path of both convolution layers, each as one differentiable op that skips zeros
//! ([`ConvDown`], [`DeconvUp`]).
//!
//! Built from candle ops (patch matrix, product, transposes, bias) a layer left a chain of
//! intermediate tensors, and candle's backward pass gives each of them a zeroed gradient before
//! adding into it: for the Conv-VAE's wide layer that meant three extra passes over a 6 MB patch
//! matrix per step, 7% of a step in all. One op per layer keeps those intermediates inside it:
//! what the backward pass needs from the forward one (the patch or position rows and their
//! non-zeros) is kept by the op itself, as [`sparse_affine`](crate::ml::model::sparse_affine)
//! keeps its input's non-zeros.
//!
//! The products are the sparse layer's: transposed, a convolution is `rows · Wᵀ + b` with one
//! patch a row, a transposed convolution `rows · W` with one input position a row, and every
//! layer's input comes out of a ReLU (or is a picture, mostly background). The input's gradient
//! is computed only when something upstream learns from it.

use std::sync::Mutex;

use candle_core::{CpuStorage, CustomOp1, CustomOp2, CustomOp3, Layout, Result, Shape, Tensor};

use super::ops::{BlockTranspose, Col2Im, Im2Col, PatchLayout};
use crate::ml::cpu_slices::f32_slice;
use crate::ml::kernels::patches::{col2im_rows, im2col_rows, Patches, KERNEL};
use crate::ml::kernels::sparse::{sparse_times_dense, Panels, SparseRows};
use crate::ml::kernels::transpose::transpose;
use crate::ml::model::{mostly_non_zero, ColumnSums, SparseWeightGrad};

/// Weights a kernel has per input and output channel.
const TAPS: usize = KERNEL * KERNEL;

/// Each of `blocks` row-major `rows × cols` blocks laid end to end, transposed.
fn block_transpose(x: &[f32], blocks: usize, rows: usize, cols: usize) -> Vec<f32> {
    let block = rows * cols;
    let mut out = vec![0.0f32; blocks * block];
    for (src, dst) in x.chunks_exact(block).zip(out.chunks_exact_mut(block)) {
        transpose(src, rows, cols, dst);
    }
    out
}

/// What the forward pass built that the backward pass reads again: the layer's rows (one patch,
/// or one input position, a row) and their non-zeros.
struct Kept {
    rows: Vec<f32>,
    non_zeros: SparseRows,
}

/// Takes what `kept` holds, or `None` if a backward pass took it already (candle runs `bwd` once
/// per backward pass; a second pass over the same graph rebuilds the rows).
fn take(kept: &Mutex<Option<Kept>>) -> Option<Kept> {
    kept.lock().unwrap_or_else(|e| e.into_inner()).take()
}

/// The slices of a layer's three operands, their lengths checked against what the op expects.
fn operands<'a>(
    name: &str,
    (s1, l1): (&'a CpuStorage, &Layout),
    (s2, l2): (&'a CpuStorage, &Layout),
    (s3, l3): (&'a CpuStorage, &Layout),
    lens: [usize; 3],
) -> Result<[&'a [f32]; 3]> {
    let slices = [
        f32_slice(s1, l1, "input")?,
        f32_slice(s2, l2, "weight")?,
        f32_slice(s3, l3, "bias")?,
    ];
    if slices.map(<[f32]>::len) != lens {
        candle_core::bail!(
            "{name}: input {:?}, weight {:?} and bias {:?} are not {lens:?} values",
            l1.shape(),
            l2.shape(),
            l3.shape()
        )
    }
    Ok(slices)
}

/// `conv2d(x, W) + b`, 4×4, stride 2, padding 1: `x` `(n, in, side, side)`, `W`
/// `(out, in, 4, 4)`, `b` `(out)` → `(n, out, side/2, side/2)`.
pub(super) struct ConvDown {
    patches: Patches,
    out: usize,
    kept: Mutex<Option<Kept>>,
}

impl ConvDown {
    pub(super) fn new(patches: Patches, out: usize) -> Self {
        Self {
            patches,
            out,
            kept: Mutex::new(None),
        }
    }
}

impl CustomOp3 for ConvDown {
    fn name(&self) -> &'static str {
        "sparse-conv-down"
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
        let (p, out) = (self.patches, self.out);
        let (width, count) = p.matrix_dims();
        let [x, w, b] = operands(
            self.name(),
            (s1, l1),
            (s2, l2),
            (s3, l3),
            [p.image_len(), out * width, out],
        )?;
        let rows = im2col_rows(x, p);
        let non_zeros = SparseRows::from_rows(&rows, count, width);
        let mut y_rows = b.repeat(count);
        sparse_times_dense(
            &non_zeros,
            &Panels::from_transposed(w, out, width),
            &mut y_rows,
        );
        // (n·positions, out) → (n, out, positions).
        let plane = p.half() * p.half();
        let y = block_transpose(&y_rows, p.images, plane, out);
        *self.kept.lock().unwrap_or_else(|e| e.into_inner()) = Some(Kept { rows, non_zeros });
        Ok((
            CpuStorage::F32(y),
            Shape::from((p.images, out, p.half(), p.half())),
        ))
    }

    fn bwd(
        &self,
        x: &Tensor,
        w: &Tensor,
        _b: &Tensor,
        _res: &Tensor,
        grad: &Tensor,
    ) -> Result<(Option<Tensor>, Option<Tensor>, Option<Tensor>)> {
        let (p, out) = (self.patches, self.out);
        let (width, count) = p.matrix_dims();
        let plane = p.half() * p.half();
        let g_rows = grad
            .contiguous()?
            .apply_op1_no_bwd(&BlockTranspose::new(p.images, out, plane))?
            .reshape((count, out))?;
        let (rows, non_zeros) = match take(&self.kept) {
            Some(Kept { rows, non_zeros }) => (
                Tensor::from_vec(rows, (count, width), x.device())?,
                Some(non_zeros),
            ),
            None => (x.apply_op1_no_bwd(&Im2Col(p, PatchLayout::Rows))?, None),
        };
        let grad_w = rows
            .apply_op2_no_bwd(&g_rows, &SparseWeightGrad::new(non_zeros))?
            .reshape(w.shape())?;
        let grad_b = g_rows.apply_op1_no_bwd(&ColumnSums)?;
        let grad_x = if x.track_op() {
            let patch_grads = g_rows.apply_op2_no_bwd(&w.reshape((out, width))?, &InputGrad)?;
            Some(patch_grads.apply_op1_no_bwd(&Col2Im(p, PatchLayout::Rows))?)
        } else {
            None
        };
        Ok((grad_x, Some(grad_w), Some(grad_b)))
    }
}

/// `conv_transpose2d(x, W) + b`, 4×4, stride 2, padding 1: `x` `(n, in, side, side)`, `W`
/// `(in, out, 4, 4)`, `b` `(out)` → `(n, out, 2·side, 2·side)`.
pub(super) struct DeconvUp {
    images: usize,
    channels: usize,
    side: usize,
    out: usize,
    kept: Mutex<Option<Kept>>,
}

impl DeconvUp {
    pub(super) fn new(images: usize, channels: usize, side: usize, out: usize) -> Self {
        Self {
            images,
            channels,
            side,
            out,
            kept: Mutex::new(None),
        }
    }

    /// The output's patches: its patch matrix, one input position a row, is what the product
    /// writes, and adding it up ([`col2im_rows`]) gives the output.
    fn output_patches(&self) -> Patches {
        Patches {
            images: self.images,
            channels: self.out,
            side: 2 * self.side,
        }
    }
}

impl CustomOp3 for DeconvUp {
    fn name(&self) -> &'static str {
        "sparse-deconv-up"
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
        let (n, channels, out) = (self.images, self.channels, self.out);
        let plane = self.side * self.side;
        let width = out * TAPS;
        let [x, w, b] = operands(
            self.name(),
            (s1, l1),
            (s2, l2),
            (s3, l3),
            [n * channels * plane, channels * width, out],
        )?;
        // (n, in, positions) → (n·positions, in): one input position a row.
        let rows = block_transpose(x, n, channels, plane);
        let non_zeros = SparseRows::from_rows(&rows, n * plane, channels);
        let mut patch_rows = vec![0.0f32; n * plane * width];
        sparse_times_dense(
            &non_zeros,
            &Panels::from_rows(w, channels, width),
            &mut patch_rows,
        );
        let mut y = col2im_rows(&patch_rows, self.output_patches());
        for (values, &bias) in y.chunks_exact_mut(4 * plane).zip(b.iter().cycle()) {
            values.iter_mut().for_each(|v| *v += bias);
        }
        *self.kept.lock().unwrap_or_else(|e| e.into_inner()) = Some(Kept { rows, non_zeros });
        let side = 2 * self.side;
        Ok((CpuStorage::F32(y), Shape::from((n, out, side, side))))
    }

    fn bwd(
        &self,
        x: &Tensor,
        w: &Tensor,
        _b: &Tensor,
        _res: &Tensor,
        grad: &Tensor,
    ) -> Result<(Option<Tensor>, Option<Tensor>, Option<Tensor>)> {
        let (n, channels, out) = (self.images, self.channels, self.out);
        let plane = self.side * self.side;
        let width = out * TAPS;
        let grad = grad.contiguous()?;
        let grad_b = grad.apply_op1_no_bwd(&ChannelSums { channels: out })?;
        let g_rows = grad.apply_op1_no_bwd(&Im2Col(self.output_patches(), PatchLayout::Rows))?;
        let (rows, non_zeros) = match take(&self.kept) {
            Some(Kept { rows, non_zeros }) => (rows, Some(non_zeros)),
            None => (
                block_transpose(&x.flatten_all()?.to_vec1()?, n, channels, plane),
                None,
            ),
        };
        let rows = Tensor::from_vec(rows, (n * plane, channels), x.device())?;
        // gᵀ·rows is (out·16, in): W's gradient transposed (a weight's size, small).
        let grad_w = rows
            .apply_op2_no_bwd(&g_rows, &SparseWeightGrad::new(non_zeros))?
            .t()?
            .contiguous()?
            .reshape(w.shape())?;
        let grad_x = if x.track_op() {
            let w_t = w.reshape((channels, width))?.t()?.contiguous()?;
            let position_grads = g_rows.apply_op2_no_bwd(&w_t, &InputGrad)?;
            Some(
                position_grads
                    .apply_op1_no_bwd(&BlockTranspose::new(n, plane, channels))?
                    .reshape(x.shape())?,
            )
        } else {
            None
        };
        Ok((grad_x, Some(grad_w), Some(grad_b)))
    }
}

/// `g·W` (n×k) from the output gradient `g` (n×m) and `W` (m×k): skipping the zeros of `g`
/// unless more than three quarters of it is non-zero ([`mostly_non_zero`]: then one `gemm`
/// product). A layer that a ReLU follows gets back a gradient that is zero wherever the ReLU
/// was off, about half of it; the last one (the loss's gradient) takes the `gemm` product.
struct InputGrad;

impl CustomOp2 for InputGrad {
    fn name(&self) -> &'static str {
        "sparse-input-grad"
    }

    fn cpu_fwd(
        &self,
        s1: &CpuStorage,
        l1: &Layout,
        s2: &CpuStorage,
        l2: &Layout,
    ) -> Result<(CpuStorage, Shape)> {
        let (n, m) = l1.shape().dims2()?;
        let (m2, k) = l2.shape().dims2()?;
        if m != m2 {
            candle_core::bail!(
                "input gradient: output gradient {:?} and weight {:?} do not fit",
                l1.shape(),
                l2.shape()
            )
        }
        let (g, w) = (f32_slice(s1, l1, "gradient")?, f32_slice(s2, l2, "weight")?);
        let mut grad_x = vec![0.0f32; n * k];
        if mostly_non_zero(g) {
            dense_product(g, w, n, m, k, &mut grad_x);
        } else {
            let rows = SparseRows::from_rows(g, n, m);
            sparse_times_dense(&rows, &Panels::from_rows(w, m, k), &mut grad_x);
        }
        Ok((CpuStorage::F32(grad_x), Shape::from((n, k))))
    }
}

/// `c = a·b` (`a` n×m, `b` m×k, `c` n×k, all row-major) with the `gemm` crate, on this thread.
fn dense_product(a: &[f32], b: &[f32], n: usize, m: usize, k: usize, c: &mut [f32]) {
    assert!(a.len() == n * m && b.len() == m * k && c.len() == n * k);
    // SAFETY: the three buffers are contiguous, row-major and of the sizes checked above.
    unsafe {
        gemm::gemm(
            n,
            k,
            m,
            c.as_mut_ptr(),
            1,
            k as isize,
            false,
            a.as_ptr(),
            1,
            m as isize,
            b.as_ptr(),
            1,
            k as isize,
            0.0f32,
            1.0f32,
            false,
            false,
            false,
            gemm::Parallelism::None,
        );
    }
}

/// Σ per channel of `(images, channels, plane)` values → `channels`: a per-channel bias's
/// gradient (candle's reduction over three axes walks them an index at a time).
struct ChannelSums {
    channels: usize,
}

impl CustomOp1 for ChannelSums {
    fn name(&self) -> &'static str {
        "channel-sums"
    }

    fn cpu_fwd(&self, storage: &CpuStorage, layout: &Layout) -> Result<(CpuStorage, Shape)> {
        let g = f32_slice(storage, layout, "output gradient")?;
        let (n, c, h, w) = layout.shape().dims4()?;
        if c != self.channels {
            candle_core::bail!(
                "channel sums: {:?} has not {} channels",
                layout.shape(),
                self.channels
            )
        }
        let mut sums = vec![0.0f32; c];
        for (i, values) in g.chunks_exact(h * w).enumerate().take(n * c) {
            sums[i % c] += values.iter().sum::<f32>();
        }
        Ok((CpuStorage::F32(sums), Shape::from(c)))
    }
}
