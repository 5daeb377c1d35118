//! The Conv-VAE's 4×4, stride-2, padding-1 convolutions and transposed convolutions as matrix
//! products over patch matrices ([`crate::ml::kernels::patches`]), differentiable.
//!
//! candle's CPU convolution loops over tiles and its transposed convolution over every output
//! channel and kernel offset, and their gradients run further convolutions whose "kernel" is a
//! whole batch of images: in wasm that made a Conv-VAE step 18× slower per sample than an
//! MLP-VAE step for 6× the arithmetic. Here each layer is one product for the whole batch,
//! `W · im2col(x)` down and `col2im(Wᵀ · x)` up, and each gradient is a product too (candle's
//! matmul and its backward), with [`Im2Col`] and [`Col2Im`] each the other's gradient. The
//! weights keep candle-nn's layouts, so every checkpoint reads as before.
//!
//! In wasm the products skip zeros as the MLP's sparse layers do ([`SPARSE_KERNELS`]): every
//! layer's input comes out of a ReLU (or is a picture, mostly background), so about half the
//! patch matrix is zero. Transposed, a layer is `rows · Wᵀ + b` with one patch (down) or one
//! input position (up) a row, the product of the sparse kernels; a layer with 16 channels or
//! more reads each pixel's non-zeros in place instead ([`pixels`]). Each layer is one op
//! ([`sparse`]): forward product, weight gradient and input gradient all skip zeros, and
//! nothing between them becomes a tensor of candle's graph. Natively the `gemm` products stay
//! (the pretrained weights are rebuilt bit for bit on that path).

mod input_grad;
mod ops;
mod pixels;
mod sparse;

use candle_core::{Result, Tensor};

use crate::ml::held;
use crate::ml::kernels::patches::{Patches, KERNEL};
use crate::ml::model::SPARSE_KERNELS;
use crate::ml::relu_op;
use ops::{AddBias, Col2Im, Im2Col, PatchLayout};

/// Fewer images than this take the `gemm` path even in wasm: for one (the page decoding the code
/// under a slider, or encoding a drawing) finding and packing the non-zeros cost more than
/// skipping them saves (decoding one code with the Conv-VAE took 0.215 ms that way, 0.195 ms
/// with `gemm`).
const SPARSE_MIN_IMAGES: usize = 2;

/// Where a layer's activations keep their channels, on its input and on its output: planar,
/// `(n, c, side, side)` as candle's convolutions and the linear layers around them read them,
/// or last, one pixel a row `(n, side, side, c)`, as the sparse kernels read and write them.
/// Between two layers of the sparse path the activations stay channels last
/// ([`keeps_channels_last`]): turned planar after each layer and back before the next, the
/// transposes were 5–6% of a Conv-VAE step.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ChannelsLast {
    pub input: bool,
    pub output: bool,
}

impl ChannelsLast {
    /// `layer` on channel-planar tensors, with `x` and the result laid out as `self` says.
    fn around(self, x: &Tensor, layer: impl FnOnce(&Tensor) -> Result<Tensor>) -> Result<Tensor> {
        let y = if self.input {
            layer(&x.permute((0, 3, 1, 2))?)?
        } else {
            layer(x)?
        };
        if self.output {
            y.permute((0, 2, 3, 1))?.contiguous()
        } else {
            Ok(y)
        }
    }
}

/// Whether a batch of `images` takes the sparse path, whose layers read and write their
/// activations channels last: then a model keeps them so between its layers.
pub fn keeps_channels_last(images: usize) -> bool {
    SPARSE_KERNELS && images >= SPARSE_MIN_IMAGES
}

/// `conv2d(x, weight) + bias`: `x` is `(n, in, side, side)` with an even side, `weight`
/// `(out, in, 4, 4)`, `bias` `(out)`; the result `(n, out, side/2, side/2)`.
pub fn conv_down(x: &Tensor, weight: &Tensor, bias: &Tensor) -> Result<Tensor> {
    conv_down_laid(x, weight, bias, ChannelsLast::default(), false)
}

/// [`conv_down`] with `x` and the result laid out as `layout` says, and then a ReLU if `relu`.
/// The sparse path does the ReLU inside its op: as a tensor of its own in candle's graph, it
/// cost a pass forward, one backward, and a zeroed gradient added into for its input.
pub fn conv_down_laid(
    x: &Tensor,
    weight: &Tensor,
    bias: &Tensor,
    layout: ChannelsLast,
    relu: bool,
) -> Result<Tensor> {
    if keeps_channels_last(x.dim(0)?) {
        conv_down_sparse(x, weight, bias, layout, relu)
    } else {
        let y = layout.around(x, |x| conv_down_dense(x, weight, bias))?;
        if relu {
            relu_op::relu(&y)
        } else {
            Ok(y)
        }
    }
}

/// The patches a convolution reads from `x` (`(n, in, side, side)`), and their matrix in `layout`.
fn patch_matrix(x: &Tensor, layout: PatchLayout) -> Result<(Patches, Tensor)> {
    let (images, channels, side, _) = x.dims4()?;
    let patches = Patches {
        images,
        channels,
        side,
    };
    let matrix = x.contiguous()?.apply_op1(Im2Col(patches, layout))?;
    Ok((patches, matrix))
}

/// [`conv_down`] as `W · im2col(x)` with `gemm`.
fn conv_down_dense(x: &Tensor, weight: &Tensor, bias: &Tensor) -> Result<Tensor> {
    let (patches, matrix) = patch_matrix(x, PatchLayout::Columns)?;
    let Patches {
        images, channels, ..
    } = patches;
    let (out, half) = (weight.dim(0)?, patches.half());
    let y = weight
        .reshape((out, channels * KERNEL * KERNEL))?
        .matmul(&matrix)?;
    // (out, n·half²) → (n, out, half, half), with the bias, in one pass.
    y.apply_op2(
        bias,
        AddBias {
            images,
            channels: out,
            plane: half * half,
            channel_major: true,
        },
    )?
    .reshape((images, out, half, half))
}

/// [`conv_down`] skipping the zeros of the patch matrix ([`sparse::ConvDown`]).
fn conv_down_sparse(
    x: &Tensor,
    weight: &Tensor,
    bias: &Tensor,
    layout: ChannelsLast,
    relu: bool,
) -> Result<Tensor> {
    let (images, a, b, c) = x.dims4()?;
    let (channels, side) = if layout.input { (c, a) } else { (a, b) };
    let patches = Patches {
        images,
        channels,
        side,
    };
    let out = weight.dim(0)?;
    let op = sparse::ConvDown::new(patches, out, layout, relu, held::variable(weight));
    x.contiguous()?
        .apply_op3(&weight.contiguous()?, &bias.contiguous()?, op)
}

/// `conv_transpose2d(x, weight) + bias`: `x` is `(n, in, side, side)`, `weight`
/// `(in, out, 4, 4)`, `bias` `(out)`; the result `(n, out, 2·side, 2·side)`.
pub fn deconv_up(x: &Tensor, weight: &Tensor, bias: &Tensor) -> Result<Tensor> {
    deconv_up_laid(x, weight, bias, ChannelsLast::default(), false)
}

/// [`deconv_up`] with `x` and the result laid out as `layout` says, and then a ReLU if `relu`
/// (inside the op on the sparse path, as [`conv_down_laid`]'s).
pub fn deconv_up_laid(
    x: &Tensor,
    weight: &Tensor,
    bias: &Tensor,
    layout: ChannelsLast,
    relu: bool,
) -> Result<Tensor> {
    if keeps_channels_last(x.dim(0)?) {
        deconv_up_sparse(x, weight, bias, layout, relu)
    } else {
        let y = layout.around(x, |x| deconv_up_dense(x, weight, bias))?;
        if relu {
            relu_op::relu(&y)
        } else {
            Ok(y)
        }
    }
}

/// [`deconv_up`] skipping the input's zeros ([`sparse::DeconvUp`]).
fn deconv_up_sparse(
    x: &Tensor,
    weight: &Tensor,
    bias: &Tensor,
    layout: ChannelsLast,
    relu: bool,
) -> Result<Tensor> {
    let (images, a, b, c) = x.dims4()?;
    let (channels, side) = if layout.input { (c, a) } else { (a, b) };
    let op = sparse::DeconvUp::new(
        images,
        channels,
        side,
        weight.dim(1)?,
        layout,
        relu,
        held::variable(weight),
    );
    x.contiguous()?
        .apply_op3(&weight.contiguous()?, &bias.contiguous()?, op)
}

/// [`deconv_up`] as `col2im(Wᵀ · x)` with `gemm`.
fn deconv_up_dense(x: &Tensor, weight: &Tensor, bias: &Tensor) -> Result<Tensor> {
    let (images, channels, side, _) = x.dims4()?;
    let out = weight.dim(1)?;
    // The batch goes into the columns: (in, n·side²).
    let x = x
        .transpose(0, 1)?
        .contiguous()?
        .reshape((channels, images * side * side))?;
    let matrix = weight
        .reshape((channels, out * KERNEL * KERNEL))?
        .t()?
        .matmul(&x)?;
    let y = matrix.apply_op1(Col2Im(
        Patches {
            images,
            channels: out,
            side: 2 * side,
        },
        PatchLayout::Columns,
    ))?;
    y.apply_op2(
        bias,
        AddBias {
            images,
            channels: out,
            plane: 4 * side * side,
            channel_major: false,
        },
    )?
    .reshape((images, out, 2 * side, 2 * side))
}

#[cfg(test)]
mod tests;
