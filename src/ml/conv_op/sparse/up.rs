//! The transposed convolution as one op of the sparse path ([`DeconvUp`]).

use std::borrow::Cow;
use std::sync::Mutex;

use candle_core::{CpuStorage, CustomOp3, Layout, Result, Shape, Tensor, TensorId};

use super::{operands, take, Kept, TAPS};
use crate::ml::conv_op::input_grad::InputGrad;
use crate::ml::conv_op::ops::{BlockTranspose, ChannelSums, Im2Col, PatchLayout};
use crate::ml::conv_op::pixels::{block_transpose, Layer, RowsDown, TapWeightGrad, MIN_OUTPUTS};
use crate::ml::conv_op::ChannelsLast;
use crate::ml::held::{self, Form};
use crate::ml::kernels::deconv::DeconvPanels;
use crate::ml::kernels::patches::{col2im_rows, Patches};
use crate::ml::kernels::sparse::{sparse_times_dense, Panels, SparseRows};
use crate::ml::model::{ColumnSums, SparseWeightGrad};
use crate::ml::relu_op::{rectified_grad, rectify};

/// `conv_transpose2d(x, W) + b`, 4×4, stride 2, padding 1: `x` `(n, in, side, side)`, `W`
/// `(in, out, 4, 4)`, `b` `(out)` → `(n, out, 2·side, 2·side)`; either side channels last as
/// `layout` says.
pub(in crate::ml::conv_op) struct DeconvUp {
    images: usize,
    channels: usize,
    side: usize,
    out: usize,
    layout: ChannelsLast,
    /// Whether a ReLU follows, done here ([`rectify`]).
    relu: bool,
    /// The weight's variable, whose packings a training step keeps ([`held`]).
    weight: Option<TensorId>,
    kept: Mutex<Option<Kept>>,
}

impl DeconvUp {
    pub(in crate::ml::conv_op) fn new(
        images: usize,
        channels: usize,
        side: usize,
        out: usize,
        layout: ChannelsLast,
        relu: bool,
        weight: Option<TensorId>,
    ) -> Self {
        Self {
            images,
            channels,
            side,
            out,
            layout,
            relu,
            weight,
            kept: Mutex::new(None),
        }
    }

    /// The input one position a row, `(n·side², in)`.
    fn input_rows<'a>(&self, x: &'a [f32]) -> Cow<'a, [f32]> {
        if self.layout.input {
            Cow::Borrowed(x)
        } else {
            let plane = self.side * self.side;
            Cow::Owned(block_transpose(x, self.images, self.channels, plane))
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
        let rows = self.input_rows(x);
        let non_zeros = SparseRows::from_rows(&rows, n * plane, channels);
        // The pixel path writes the output one pixel a row, the patch matrix's channel-planar.
        let (y, kept, y_rows) = if self.by_pixels() {
            let mut y = b.repeat(n * 4 * plane);
            held::packed(self.weight, Form::Deconv, || {
                DeconvPanels::new(w, channels, out)
            })
            .apply(&non_zeros, n, self.side, &mut y);
            (y, Kept::Pixels(non_zeros), true)
        } else {
            let mut patch_rows = vec![0.0f32; n * plane * width];
            let weights = held::packed(self.weight, Form::Rows, || {
                Panels::from_rows(w, channels, width)
            });
            sparse_times_dense(&non_zeros, &weights, &mut patch_rows);
            let mut y = col2im_rows(&patch_rows, self.output_patches());
            for (values, &bias) in y.chunks_exact_mut(4 * plane).zip(b.iter().cycle()) {
                values.iter_mut().for_each(|v| *v += bias);
            }
            let rows = rows.into_owned();
            (y, Kept::Patches { rows, non_zeros }, false)
        };
        *self.kept.lock().unwrap_or_else(|e| e.into_inner()) = Some(kept);
        let mut y = y;
        if self.relu {
            rectify(&mut y);
        }
        let side = 2 * self.side;
        let y = match (y_rows, self.layout.output) {
            (true, false) => block_transpose(&y, n, 4 * plane, out),
            (false, true) => block_transpose(&y, n, out, 4 * plane),
            _ => y,
        };
        let shape = if self.layout.output {
            (n, side, side, out)
        } else {
            (n, out, side, side)
        };
        Ok((CpuStorage::F32(y), Shape::from(shape)))
    }

    fn bwd(
        &self,
        x: &Tensor,
        w: &Tensor,
        _b: &Tensor,
        res: &Tensor,
        grad: &Tensor,
    ) -> Result<(Option<Tensor>, Option<Tensor>, Option<Tensor>)> {
        let (n, channels, out) = (self.images, self.channels, self.out);
        let plane = self.side * self.side;
        let width = out * TAPS;
        let grad = if self.relu {
            rectified_grad(res, grad)?
        } else {
            grad.contiguous()?
        };
        // The output's gradient one output pixel a row, and channel-planar.
        let pixel_rows_of = |grad: &Tensor| -> Result<Tensor> {
            if self.layout.output {
                grad.reshape((n * 4 * plane, out))
            } else {
                grad.apply_op1_no_bwd(&BlockTranspose::new(n, out, 4 * plane))?
                    .reshape((n * 4 * plane, out))
            }
        };
        let up = 2 * self.side;
        let planar_of = |grad: &Tensor| -> Result<Tensor> {
            if self.layout.output {
                grad.apply_op1_no_bwd(&BlockTranspose::new(n, 4 * plane, out))?
                    .reshape((n, out, up, up))
            } else {
                Ok(grad.clone())
            }
        };
        let grad_b = if self.layout.output {
            pixel_rows_of(&grad)?.apply_op1_no_bwd(&ColumnSums)?
        } else {
            grad.apply_op1_no_bwd(&ChannelSums { channels: out })?
        };
        let kept = take(&self.kept);
        if self.by_pixels() {
            let pixels = match kept {
                Some(Kept::Pixels(pixels)) => pixels,
                _ => {
                    let x = x.flatten_all()?.to_vec1()?;
                    SparseRows::from_rows(&self.input_rows(&x), n * plane, channels)
                }
            };
            let g_rows = pixel_rows_of(&grad)?;
            let grad_w = g_rows.apply_op1_no_bwd(&TapWeightGrad {
                pixels,
                images: n,
                layer: Layer::Up { side: self.side },
            })?;
            // The input's gradient is the output's gradient convolved by the same weights,
            // read as a convolution's `(out, in, 4, 4)`.
            let grad_x = if x.track_op() {
                let down = RowsDown {
                    weight: self.weight,
                    images: n,
                    side: 2 * self.side,
                    rows_out: self.layout.input,
                };
                Some(g_rows.apply_op2_no_bwd(w, &down)?)
            } else {
                None
            };
            return Ok((grad_x, Some(grad_w), Some(grad_b)));
        }
        let g_rows = planar_of(&grad)?
            .apply_op1_no_bwd(&Im2Col(self.output_patches(), PatchLayout::Rows))?;
        let (rows, non_zeros) = match kept {
            Some(Kept::Patches { rows, non_zeros }) => (rows, Some(non_zeros)),
            _ => (
                self.input_rows(&x.flatten_all()?.to_vec1()?).into_owned(),
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
            Some(if self.layout.input {
                position_grads.reshape(x.shape())?
            } else {
                position_grads
                    .apply_op1_no_bwd(&BlockTranspose::new(n, plane, channels))?
                    .reshape(x.shape())?
            })
        } else {
            None
        };
        Ok((grad_x, Some(grad_w), Some(grad_b)))
    }
}
