//! The wasm path of both convolution layers, each as one differentiable op that skips zeros
//! ([`ConvDown`], [`DeconvUp`]).
//!
//! Built from candle ops (patch matrix, product, transposes, bias) a layer left a chain of
//! intermediate tensors, and candle's backward pass gives each of them a zeroed gradient before
//! adding into it: for the Conv-VAE's wide layer that meant three extra passes over a 6 MB patch
//! matrix per step, 7% of a step in all. One op per layer keeps those intermediates inside it:
//! what the backward pass needs from the forward one (the input's non-zeros, and on the patch
//! matrix's path its rows) is kept by the op itself, as [`sparse_affine`](crate::ml::model::sparse_affine)
//! keeps its input's non-zeros.
//!
//! Every layer's input comes out of a ReLU (or is a picture, mostly background), and so does
//! the output gradient of every layer but the last. A layer with 16 channels or more on the
//! side its products run along (the Conv-VAE's inner layers) reads its input one pixel a row,
//! each pixel's non-zeros listed once ([`super::pixels`]), and its products read those lists in
//! place: no patch matrix is written, scanned or sorted. A layer with fewer (a first
//! convolution of 1 or 3 channels, a last transposed one) keeps the patch matrix, whose
//! `16·channels` columns fill the kernels' panels instead: transposed, a convolution is
//! `rows · Wᵀ + b` with one patch a row, a transposed convolution `rows · W` with one input
//! position a row. The input's gradient is computed only when something upstream learns from
//! it.

use std::sync::Mutex;

use candle_core::{CpuStorage, CustomOp3, Layout, Result, Shape, Tensor};

use super::input_grad::InputGrad;
use super::ops::{BlockTranspose, ChannelSums, Col2Im, Im2Col, PatchLayout};
use super::pixels::{
    block_transpose, pixel_rows, Layer, RowsDown, RowsUp, TapWeightGrad, MIN_OUTPUTS,
};
use crate::ml::cpu_slices::f32_slice;
use crate::ml::kernels::conv::conv_rows;
use crate::ml::kernels::deconv::transposed_conv;
use crate::ml::kernels::patches::{col2im_rows, im2col_rows, Patches, KERNEL};
use crate::ml::kernels::sparse::{sparse_times_dense, Panels, SparseRows};
use crate::ml::model::{ColumnSums, SparseWeightGrad};

/// Weights a kernel has per input and output channel.
const TAPS: usize = KERNEL * KERNEL;

/// What the forward pass built that the backward pass reads again.
enum Kept {
    /// The patch matrix's path: the layer's rows (one patch, or one input position, a row) and
    /// their non-zeros.
    Patches {
        rows: Vec<f32>,
        non_zeros: SparseRows,
    },
    /// The pixel path ([`super::pixels`]): the input's non-zeros, one pixel a row.
    Pixels(SparseRows),
}

/// Takes what `kept` holds, or `None` if a backward pass took it already (candle runs `bwd` once
/// per backward pass; a second pass over the same graph rebuilds what it needs).
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

    /// Whether the layer reads its input's pixels where they are ([`super::pixels`]): when the
    /// input has channels enough to fill the products' panels.
    fn by_pixels(&self) -> bool {
        self.patches.channels >= MIN_OUTPUTS
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
        let mut y_rows = b.repeat(count);
        let kept = if self.by_pixels() {
            let pixels = pixel_rows(x, p.images, p.channels, p.side * p.side);
            conv_rows(&pixels, w, p.images, p.side, &mut y_rows);
            Kept::Pixels(pixels)
        } else {
            let rows = im2col_rows(x, p);
            let non_zeros = SparseRows::from_rows(&rows, count, width);
            let weights = Panels::from_transposed(w, out, width);
            sparse_times_dense(&non_zeros, &weights, &mut y_rows);
            Kept::Patches { rows, non_zeros }
        };
        // (n·positions, out) → (n, out, positions).
        let plane = p.half() * p.half();
        let y = block_transpose(&y_rows, p.images, plane, out);
        *self.kept.lock().unwrap_or_else(|e| e.into_inner()) = Some(kept);
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
        let grad_b = g_rows.apply_op1_no_bwd(&ColumnSums)?;
        let kept = take(&self.kept);
        if self.by_pixels() {
            let pixels = match kept {
                Some(Kept::Pixels(pixels)) => pixels,
                _ => pixel_rows(
                    &x.flatten_all()?.to_vec1()?,
                    p.images,
                    p.channels,
                    p.side * p.side,
                ),
            };
            let grad_w = g_rows.apply_op1_no_bwd(&TapWeightGrad {
                pixels,
                images: p.images,
                layer: Layer::Down { side: p.side },
            })?;
            // The input's gradient is the output's gradient convolved back through the same
            // weights: a transposed convolution by `W` read as `(out, in, 4, 4)`.
            let grad_x = if x.track_op() {
                let up = RowsUp {
                    images: p.images,
                    side: p.half(),
                };
                Some(g_rows.apply_op2_no_bwd(w, &up)?)
            } else {
                None
            };
            return Ok((grad_x, Some(grad_w), Some(grad_b)));
        }
        let (rows, non_zeros) = match kept {
            Some(Kept::Patches { rows, non_zeros }) => (
                Tensor::from_vec(rows, (count, width), x.device())?,
                Some(non_zeros),
            ),
            _ => (x.apply_op1_no_bwd(&Im2Col(p, PatchLayout::Rows))?, None),
        };
        let grad_w = rows
            .apply_op2_no_bwd(&g_rows, &SparseWeightGrad::new(non_zeros))?
            .reshape(w.shape())?;
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

    /// The output's patches: on the patch matrix's path, its patch matrix (one input
    /// position a row) is what the product writes, and adding it up ([`col2im_rows`]) gives
    /// the output.
    fn output_patches(&self) -> Patches {
        Patches {
            images: self.images,
            channels: self.out,
            side: 2 * self.side,
        }
    }

    /// Whether the layer reads its input's pixels where they are ([`super::pixels`]): when it
    /// has outputs enough to fill the products' panels.
    fn by_pixels(&self) -> bool {
        self.out >= MIN_OUTPUTS
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
        let (y, kept) = if self.by_pixels() {
            let mut y = b.repeat(n * 4 * plane);
            transposed_conv(&non_zeros, w, n, self.side, &mut y);
            (
                block_transpose(&y, n, 4 * plane, out),
                Kept::Pixels(non_zeros),
            )
        } else {
            let mut patch_rows = vec![0.0f32; n * plane * width];
            let weights = Panels::from_rows(w, channels, width);
            sparse_times_dense(&non_zeros, &weights, &mut patch_rows);
            let mut y = col2im_rows(&patch_rows, self.output_patches());
            for (values, &bias) in y.chunks_exact_mut(4 * plane).zip(b.iter().cycle()) {
                values.iter_mut().for_each(|v| *v += bias);
            }
            (y, Kept::Patches { rows, non_zeros })
        };
        *self.kept.lock().unwrap_or_else(|e| e.into_inner()) = Some(kept);
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
        let kept = take(&self.kept);
        if self.by_pixels() {
            let pixels = match kept {
                Some(Kept::Pixels(pixels)) => pixels,
                _ => pixel_rows(&x.flatten_all()?.to_vec1()?, n, channels, plane),
            };
            // The output's gradient one output pixel a row.
            let g_rows = grad
                .apply_op1_no_bwd(&BlockTranspose::new(n, out, 4 * plane))?
                .reshape((n * 4 * plane, out))?;
            let grad_w = g_rows.apply_op1_no_bwd(&TapWeightGrad {
                pixels,
                images: n,
                layer: Layer::Up { side: self.side },
            })?;
            // The input's gradient is the output's gradient convolved by the same weights,
            // read as a convolution's `(out, in, 4, 4)`.
            let grad_x = if x.track_op() {
                let down = RowsDown {
                    images: n,
                    side: 2 * self.side,
                };
                Some(g_rows.apply_op2_no_bwd(w, &down)?)
            } else {
                None
            };
            return Ok((grad_x, Some(grad_w), Some(grad_b)));
        }
        let g_rows = grad.apply_op1_no_bwd(&Im2Col(self.output_patches(), PatchLayout::Rows))?;
        let (rows, non_zeros) = match kept {
            Some(Kept::Patches { rows, non_zeros }) => (rows, Some(non_zeros)),
            _ => (
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
