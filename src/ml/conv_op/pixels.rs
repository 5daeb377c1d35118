//! The pieces of the sparse layers' wide path ([`super::sparse`]): ops over images given one
//! pixel a row, channels last, whose products read each pixel's non-zeros where they are
//! ([`crate::ml::kernels::conv`], [`crate::ml::kernels::deconv`]) instead of copying them into
//! a patch matrix first.
//!
//! A layer takes this path when the side the products run along has at least
//! [`MIN_OUTPUTS`] channels (a 16-column panel full): the Conv-VAE's inner layers. A layer
//! with fewer (a first convolution reading 1 or 3 channels, a last transposed one writing
//! them) keeps the patch matrix, whose `16·channels` columns fill the panels instead.

use candle_core::{CpuStorage, CustomOp1, CustomOp2, Layout, Result, Shape, TensorId};

use crate::ml::cpu_slices::f32_slice;
use crate::ml::held::{self, Form};
use crate::ml::kernels::conv::ConvPanels;
use crate::ml::kernels::deconv::DeconvPanels;
pub(super) use crate::ml::kernels::deconv::MIN_OUTPUTS;
use crate::ml::kernels::sparse::SparseRows;
use crate::ml::kernels::tap_grad::{conv_weight_grad, deconv_weight_grad};
use crate::ml::kernels::transpose::transpose;

/// Each of `blocks` row-major `rows × cols` blocks laid end to end, transposed.
pub(super) fn block_transpose(x: &[f32], blocks: usize, rows: usize, cols: usize) -> Vec<f32> {
    let block = rows * cols;
    let mut out = vec![0.0f32; blocks * block];
    for (src, dst) in x.chunks_exact(block).zip(out.chunks_exact_mut(block)) {
        transpose(src, rows, cols, dst);
    }
    out
}

/// The non-zeros of each pixel of `(images, channels, plane)` images: one pixel a row.
pub(super) fn pixel_rows(x: &[f32], images: usize, channels: usize, plane: usize) -> SparseRows {
    let rows = block_transpose(x, images, channels, plane);
    SparseRows::from_rows(&rows, images * plane, channels)
}

/// The two operands of an op, their shapes checked: images one pixel a row, `(images·side²,
/// in)`, and a weight `(a, b, 4, 4)` of which `a` or `b` is `in`.
fn rows_and_weight<'a>(
    what: &str,
    (s1, l1): (&'a CpuStorage, &Layout),
    (s2, l2): (&'a CpuStorage, &Layout),
    pixels: usize,
    weight_in: impl Fn((usize, usize)) -> usize,
) -> Result<(&'a [f32], &'a [f32], usize, usize)> {
    let (count, channels) = l1.shape().dims2()?;
    let (a, b, _, _) = l2.shape().dims4()?;
    if count != pixels || weight_in((a, b)) != channels {
        candle_core::bail!(
            "{what}: {:?} rows for {pixels} pixels, weight {:?}",
            l1.shape(),
            l2.shape()
        )
    }
    let out = a + b - channels;
    Ok((
        f32_slice(s1, l1, "rows")?,
        f32_slice(s2, l2, "weight")?,
        channels,
        out,
    ))
}

/// The transposed convolution ([`DeconvPanels::apply`]) of `images` of side `side` given one pixel
/// a row, `(images·side², in)`, by a weight `(in, out, 4, 4)`: `(images, out, 2·side,
/// 2·side)`. A convolution's input gradient, from its output's gradient in rows, skipping the
/// zeros the ReLU after it left there.
pub(super) struct RowsUp {
    /// The weight's variable, whose packing a training step keeps ([`held`]).
    pub(super) weight: Option<TensorId>,
    pub(super) images: usize,
    pub(super) side: usize,
    /// Whether the result stays one pixel a row, `(images, 2·side, 2·side, out)`.
    pub(super) rows_out: bool,
}

impl CustomOp2 for RowsUp {
    fn name(&self) -> &'static str {
        "sparse-rows-up"
    }

    fn cpu_fwd(
        &self,
        s1: &CpuStorage,
        l1: &Layout,
        s2: &CpuStorage,
        l2: &Layout,
    ) -> Result<(CpuStorage, Shape)> {
        let (n, plane) = (self.images, self.side * self.side);
        let (rows, w, channels, out) =
            rows_and_weight(self.name(), (s1, l1), (s2, l2), n * plane, |(a, _)| a)?;
        let mut y = vec![0.0f32; n * 4 * plane * out];
        let pixels = SparseRows::from_rows(rows, n * plane, channels);
        held::packed(self.weight, Form::Deconv, || {
            DeconvPanels::new(w, channels, out)
        })
        .apply(&pixels, n, self.side, &mut y);
        let up = 2 * self.side;
        Ok(if self.rows_out {
            (CpuStorage::F32(y), Shape::from((n, up, up, out)))
        } else {
            (
                CpuStorage::F32(block_transpose(&y, n, 4 * plane, out)),
                Shape::from((n, out, up, up)),
            )
        })
    }
}

/// The convolution ([`ConvPanels::apply`]) of `images` of side `side` given one pixel a row,
/// `(images·side², in)`, by a weight `(out, in, 4, 4)`: `(images, out, side/2, side/2)`. A
/// transposed convolution's input gradient, from its output's gradient in rows, skipping the
/// zeros the ReLU after it left there.
pub(super) struct RowsDown {
    /// The weight's variable, whose packing a training step keeps ([`held`]).
    pub(super) weight: Option<TensorId>,
    pub(super) images: usize,
    pub(super) side: usize,
    /// Whether the result stays one pixel a row, `(images, side/2, side/2, out)`.
    pub(super) rows_out: bool,
}

impl CustomOp2 for RowsDown {
    fn name(&self) -> &'static str {
        "sparse-rows-down"
    }

    fn cpu_fwd(
        &self,
        s1: &CpuStorage,
        l1: &Layout,
        s2: &CpuStorage,
        l2: &Layout,
    ) -> Result<(CpuStorage, Shape)> {
        let (n, side, half) = (self.images, self.side, self.side / 2);
        let (rows, w, channels, out) =
            rows_and_weight(self.name(), (s1, l1), (s2, l2), n * side * side, |(_, b)| b)?;
        let mut y = vec![0.0f32; n * half * half * out];
        let pixels = SparseRows::from_rows(rows, n * side * side, channels);
        held::packed(self.weight, Form::Conv, || {
            ConvPanels::new(w, out, channels)
        })
        .apply(&pixels, n, side, &mut y);
        Ok(if self.rows_out {
            (CpuStorage::F32(y), Shape::from((n, half, half, out)))
        } else {
            (
                CpuStorage::F32(block_transpose(&y, n, half * half, out)),
                Shape::from((n, out, half, half)),
            )
        })
    }
}

/// Which layer a [`TapWeightGrad`] is the weight gradient of.
#[derive(Clone, Copy)]
pub(super) enum Layer {
    /// A convolution of images of this side; the gradient comes one output position a row.
    Down { side: usize },
    /// A transposed convolution of images of this side; the gradient comes one output pixel a
    /// row (side `2·side`).
    Up { side: usize },
}

/// A layer's weight gradient from its input's pixels (kept by the forward pass) and its
/// output's gradient, one output position a row.
pub(super) struct TapWeightGrad {
    pub(super) pixels: SparseRows,
    pub(super) images: usize,
    pub(super) layer: Layer,
}

impl CustomOp1 for TapWeightGrad {
    fn name(&self) -> &'static str {
        "sparse-tap-weight-grad"
    }

    fn cpu_fwd(&self, storage: &CpuStorage, layout: &Layout) -> Result<(CpuStorage, Shape)> {
        let g = f32_slice(storage, layout, "output gradient")?;
        let (rows, out) = layout.shape().dims2()?;
        let (n, channels) = (self.images, self.pixels.width());
        let expected = match self.layer {
            Layer::Down { side } => n * side * side / 4,
            Layer::Up { side } => n * 4 * side * side,
        };
        if rows != expected {
            candle_core::bail!(
                "tap weight gradient: {:?} gradient rows for {expected} output positions",
                layout.shape()
            )
        }
        let (grad_w, shape) = match self.layer {
            Layer::Down { side } => (
                conv_weight_grad(&self.pixels, g, n, side),
                (out, channels, 4, 4),
            ),
            Layer::Up { side } => (
                deconv_weight_grad(&self.pixels, g, n, side),
                (channels, out, 4, 4),
            ),
        };
        Ok((CpuStorage::F32(grad_w), Shape::from(shape)))
    }
}
