//! The differentiable ops the convolution layers are built from, each with its own gradient:
//! patch matrices in either layout ([`Im2Col`], [`Col2Im`], each the other's gradient) and a
//! per-channel bias that also reorders ([`AddBias`]); and, for the sparse layers' backward
//! passes, per-image transposes ([`BlockTranspose`]) and a bias's gradient ([`ChannelSums`]).

use candle_core::{CpuStorage, CustomOp1, CustomOp2, Layout, Result, Shape, Tensor};

use crate::ml::cpu_slices::f32_slice;
use crate::ml::kernels::patches::{col2im, col2im_rows, im2col, im2col_rows, Patches};
use crate::ml::kernels::transpose::transpose;

/// Adds a bias per channel to `(images, channels, plane)` values, read either in that order or
/// channel-major, `(channels, images, plane)` (a convolution's product), and written in image
/// order. candle's `broadcast_add` would need a transposed copy first, and its gradient of the
/// bias is a generic reduction over three axes that cost more than the layer's own products.
pub(super) struct AddBias {
    pub(super) images: usize,
    pub(super) channels: usize,
    pub(super) plane: usize,
    pub(super) channel_major: bool,
}

impl AddBias {
    /// Where value (n, c, ·) starts in the input.
    fn input_start(&self, n: usize, c: usize) -> usize {
        if self.channel_major {
            (c * self.images + n) * self.plane
        } else {
            (n * self.channels + c) * self.plane
        }
    }
}

impl CustomOp2 for AddBias {
    fn name(&self) -> &'static str {
        "add-bias-planes"
    }

    fn cpu_fwd(
        &self,
        s1: &CpuStorage,
        l1: &Layout,
        s2: &CpuStorage,
        l2: &Layout,
    ) -> Result<(CpuStorage, Shape)> {
        let y = f32_slice(s1, l1, "the values a bias is added to")?;
        let bias = f32_slice(s2, l2, "the bias")?;
        let (n, c, p) = (self.images, self.channels, self.plane);
        if y.len() != n * c * p || bias.len() != c {
            candle_core::bail!("add-bias: {:?} and a bias {:?}", l1.shape(), l2.shape())
        }
        let mut out = vec![0.0f32; n * c * p];
        for (i, dst) in out.chunks_exact_mut(p).enumerate() {
            let (image, channel) = (i / c, i % c);
            let src = &y[self.input_start(image, channel)..][..p];
            let b = bias[channel];
            for (d, &v) in dst.iter_mut().zip(src) {
                *d = v + b;
            }
        }
        Ok((CpuStorage::F32(out), Shape::from((n, c, p))))
    }

    fn bwd(
        &self,
        y: &Tensor,
        _bias: &Tensor,
        _res: &Tensor,
        grad: &Tensor,
    ) -> Result<(Option<Tensor>, Option<Tensor>)> {
        let (n, c, p) = (self.images, self.channels, self.plane);
        let grad = grad.contiguous()?.flatten_all()?;
        let g = grad.to_vec1::<f32>()?;
        let mut bias_grad = vec![0.0f32; c];
        let mut y_grad = if self.channel_major {
            vec![0.0f32; n * c * p]
        } else {
            Vec::new()
        };
        for (i, src) in g.chunks_exact(p).enumerate() {
            let (image, channel) = (i / c, i % c);
            bias_grad[channel] += src.iter().sum::<f32>();
            if self.channel_major {
                y_grad[self.input_start(image, channel)..][..p].copy_from_slice(src);
            }
        }
        let y_grad = if self.channel_major {
            Tensor::from_vec(y_grad, y.shape(), y.device())?
        } else {
            grad.reshape(y.shape())?
        };
        let bias_grad = Tensor::from_vec(bias_grad, c, y.device())?;
        Ok((Some(y_grad), Some(bias_grad)))
    }
}

/// Transposes each of `blocks` row-major `rows × cols` blocks laid end to end (an image's
/// channels × positions), inside the sparse layers' backward passes. candle's own copy of a
/// transposed view walks it an index at a time.
pub(super) struct BlockTranspose {
    blocks: usize,
    rows: usize,
    cols: usize,
}

impl BlockTranspose {
    pub(super) fn new(blocks: usize, rows: usize, cols: usize) -> Self {
        Self { blocks, rows, cols }
    }
}

impl CustomOp1 for BlockTranspose {
    fn name(&self) -> &'static str {
        "block-transpose"
    }

    fn cpu_fwd(&self, storage: &CpuStorage, layout: &Layout) -> Result<(CpuStorage, Shape)> {
        let x = f32_slice(storage, layout, "the blocks to transpose")?;
        let block = self.rows * self.cols;
        if x.len() != self.blocks * block {
            candle_core::bail!(
                "block transpose: {:?} is not {} blocks of {}×{}",
                layout.shape(),
                self.blocks,
                self.rows,
                self.cols
            )
        }
        let mut out = vec![0.0f32; x.len()];
        for (src, dst) in x.chunks_exact(block).zip(out.chunks_exact_mut(block)) {
            transpose(src, self.rows, self.cols, dst);
        }
        Ok((
            CpuStorage::F32(out),
            Shape::from((self.blocks, self.cols, self.rows)),
        ))
    }
}

/// How a patch matrix is laid out: one patch a column (`(channels·16, positions)`, the left
/// factor `gemm` multiplies by) or one patch a row (its transpose, what the sparse products
/// read).
#[derive(Clone, Copy, Debug)]
pub(super) enum PatchLayout {
    Columns,
    Rows,
}

/// Images → their patch matrix; its gradient is [`Col2Im`].
pub(super) struct Im2Col(pub(super) Patches, pub(super) PatchLayout);

impl CustomOp1 for Im2Col {
    fn name(&self) -> &'static str {
        "im2col-4x4-s2"
    }

    fn cpu_fwd(&self, storage: &CpuStorage, layout: &Layout) -> Result<(CpuStorage, Shape)> {
        let x = f32_slice(storage, layout, "im2col's images")?;
        let p = self.0;
        if x.len() != p.image_len() {
            candle_core::bail!("im2col: {:?} is not {:?}", layout.shape(), p)
        }
        let (rows, cols) = p.matrix_dims();
        Ok(match self.1 {
            PatchLayout::Columns => (CpuStorage::F32(im2col(x, p)), Shape::from((rows, cols))),
            PatchLayout::Rows => (
                CpuStorage::F32(im2col_rows(x, p)),
                Shape::from((cols, rows)),
            ),
        })
    }

    fn bwd(&self, _arg: &Tensor, _res: &Tensor, grad: &Tensor) -> Result<Option<Tensor>> {
        grad.contiguous()?
            .apply_op1_no_bwd(&Col2Im(self.0, self.1))
            .map(Some)
    }
}

/// A patch matrix → the images it adds up to; its gradient is [`Im2Col`].
pub(super) struct Col2Im(pub(super) Patches, pub(super) PatchLayout);

impl CustomOp1 for Col2Im {
    fn name(&self) -> &'static str {
        "col2im-4x4-s2"
    }

    fn cpu_fwd(&self, storage: &CpuStorage, layout: &Layout) -> Result<(CpuStorage, Shape)> {
        let m = f32_slice(storage, layout, "col2im's patch matrix")?;
        let p = self.0;
        let (rows, cols) = p.matrix_dims();
        if m.len() != rows * cols {
            candle_core::bail!(
                "col2im: {:?} is not a patch matrix of {:?}",
                layout.shape(),
                p
            )
        }
        let images = match self.1 {
            PatchLayout::Columns => col2im(m, p),
            PatchLayout::Rows => col2im_rows(m, p),
        };
        Ok((
            CpuStorage::F32(images),
            Shape::from((p.images, p.channels, p.side, p.side)),
        ))
    }

    fn bwd(&self, _arg: &Tensor, _res: &Tensor, grad: &Tensor) -> Result<Option<Tensor>> {
        grad.contiguous()?
            .apply_op1_no_bwd(&Im2Col(self.0, self.1))
            .map(Some)
    }
}

/// Σ per channel of `(images, channels, plane)` values → `channels`: a per-channel bias's
/// gradient (candle's reduction over three axes walks them an index at a time).
pub(super) struct ChannelSums {
    pub(super) channels: usize,
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
