//! The convolution as one op of the sparse path ([`ConvDown`]).

use std::borrow::Cow;
use std::sync::Mutex;

use candle_core::{CpuStorage, CustomOp3, Layout, Result, Shape, Tensor, TensorId};

use super::{operands, take, Kept};
use crate::ml::conv_op::input_grad::InputGrad;
use crate::ml::conv_op::ops::{BlockTranspose, Col2Im, Im2Col, PatchLayout};
use crate::ml::conv_op::pixels::{
    block_transpose, pixel_rows, Layer, RowsUp, TapWeightGrad, MIN_OUTPUTS,
};
use crate::ml::conv_op::ChannelsLast;
use crate::ml::held::{self, Form};
use crate::ml::kernels::conv::ConvPanels;
use crate::ml::kernels::patches::{im2col_rows, Patches};
use crate::ml::kernels::sparse::{sparse_times_dense, SparseRows};
use crate::ml::model::{ColumnSums, SparseWeightGrad};
use crate::ml::relu_op::{rectified_grad, rectify};

/// `conv2d(x, W) + b`, 4×4, stride 2, padding 1: `x` `(n, in, side, side)`, `W`
/// `(out, in, 4, 4)`, `b` `(out)` → `(n, out, side/2, side/2)`; either side channels last
/// (`(n, side, side, in)`, `(n, side/2, side/2, out)`) as `layout` says.
pub(in crate::ml::conv_op) struct ConvDown {
    patches: Patches,
    out: usize,
    layout: ChannelsLast,
    /// Whether a ReLU follows, done here ([`rectify`]).
    relu: bool,
    /// The weight's variable, whose packings a training step keeps ([`held`]).
    weight: Option<TensorId>,
    kept: Mutex<Option<Kept>>,
}

impl ConvDown {
    pub(in crate::ml::conv_op) fn new(
        patches: Patches,
        out: usize,
        layout: ChannelsLast,
        relu: bool,
        weight: Option<TensorId>,
    ) -> Self {
        Self {
            patches,
            out,
            layout,
            relu,
            weight,
            kept: Mutex::new(None),
        }
    }

    /// The input's non-zeros, one pixel a row.
    fn input_pixels(&self, x: &[f32]) -> SparseRows {
        let p = self.patches;
        let plane = p.side * p.side;
        if self.layout.input {
            SparseRows::from_rows(x, p.images * plane, p.channels)
        } else {
            pixel_rows(x, p.images, p.channels, plane)
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
            let pixels = self.input_pixels(x);
            held::packed(self.weight, Form::Conv, || {
                ConvPanels::new(w, out, p.channels)
            })
            .apply(&pixels, p.images, p.side, &mut y_rows);
            Kept::Pixels(pixels)
        } else {
            // The patch matrix is read from channel-planar images (a layer with few channels:
            // a first one reads pictures, which come planar).
            let planar = if self.layout.input {
                Cow::Owned(block_transpose(x, p.images, p.side * p.side, p.channels))
            } else {
                Cow::Borrowed(x)
            };
            let rows = im2col_rows(&planar, p);
            let non_zeros = SparseRows::from_rows(&rows, count, width);
            let weights = held::transposed_panels(self.weight, w, out, width);
            sparse_times_dense(&non_zeros, &weights, &mut y_rows);
            Kept::Patches { rows, non_zeros }
        };
        *self.kept.lock().unwrap_or_else(|e| e.into_inner()) = Some(kept);
        if self.relu {
            rectify(&mut y_rows);
        }
        let (n, half) = (p.images, p.half());
        Ok(if self.layout.output {
            (CpuStorage::F32(y_rows), Shape::from((n, half, half, out)))
        } else {
            // (n·positions, out) → (n, out, positions).
            let y = block_transpose(&y_rows, n, half * half, out);
            (CpuStorage::F32(y), Shape::from((n, out, half, half)))
        })
    }

    fn bwd(
        &self,
        x: &Tensor,
        w: &Tensor,
        _b: &Tensor,
        res: &Tensor,
        grad: &Tensor,
    ) -> Result<(Option<Tensor>, Option<Tensor>, Option<Tensor>)> {
        let (p, out) = (self.patches, self.out);
        let (width, count) = p.matrix_dims();
        let plane = p.half() * p.half();
        let grad = if self.relu {
            rectified_grad(res, grad)?
        } else {
            grad.contiguous()?
        };
        let g_rows = if self.layout.output {
            grad.reshape((count, out))?
        } else {
            grad.apply_op1_no_bwd(&BlockTranspose::new(p.images, out, plane))?
                .reshape((count, out))?
        };
        let grad_b = g_rows.apply_op1_no_bwd(&ColumnSums)?;
        let kept = take(&self.kept);
        if self.by_pixels() {
            let pixels = match kept {
                Some(Kept::Pixels(pixels)) => pixels,
                _ => self.input_pixels(&x.flatten_all()?.to_vec1()?),
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
                    weight: self.weight,
                    images: p.images,
                    side: p.half(),
                    rows_out: self.layout.input,
                };
                Some(g_rows.apply_op2_no_bwd(w, &up)?)
            } else {
                None
            };
            return Ok((grad_x, Some(grad_w), Some(grad_b)));
        }
        // The patch matrix's path reads and writes channel-planar images.
        let (n, side, channels) = (p.images, p.side, p.channels);
        let (rows, non_zeros) = match kept {
            Some(Kept::Patches { rows, non_zeros }) => (
                Tensor::from_vec(rows, (count, width), x.device())?,
                Some(non_zeros),
            ),
            _ if self.layout.input => (
                x.apply_op1_no_bwd(&BlockTranspose::new(n, side * side, channels))?
                    .reshape((n, channels, side, side))?
                    .apply_op1_no_bwd(&Im2Col(p, PatchLayout::Rows))?,
                None,
            ),
            _ => (x.apply_op1_no_bwd(&Im2Col(p, PatchLayout::Rows))?, None),
        };
        let grad_w = rows
            .apply_op2_no_bwd(&g_rows, &SparseWeightGrad::new(non_zeros))?
            .reshape(w.shape())?;
        let grad_x = if x.track_op() {
            let patch_grads = g_rows.apply_op2_no_bwd(&w.reshape((out, width))?, &InputGrad)?;
            let planar = patch_grads.apply_op1_no_bwd(&Col2Im(p, PatchLayout::Rows))?;
            Some(if self.layout.input {
                planar
                    .apply_op1_no_bwd(&BlockTranspose::new(n, channels, side * side))?
                    .reshape(x.shape())?
            } else {
                planar
            })
        } else {
            None
        };
        Ok((grad_x, Some(grad_w), Some(grad_b)))
    }
}
