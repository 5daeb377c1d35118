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

use crate::ml::kernels::patches::{Patches, KERNEL};
use crate::ml::model::SPARSE_KERNELS;
use ops::{AddBias, Col2Im, Im2Col, PatchLayout};

/// Fewer images than this take the `gemm` path even in wasm: for one (the page decoding the code
/// under a slider, or encoding a drawing) finding and packing the non-zeros cost more than
/// skipping them saves (decoding one code with the Conv-VAE took 0.215 ms that way, 0.195 ms
/// with `gemm`).
const SPARSE_MIN_IMAGES: usize = 2;

/// `conv2d(x, weight) + bias`: `x` is `(n, in, side, side)` with an even side, `weight`
/// `(out, in, 4, 4)`, `bias` `(out)`; the result `(n, out, side/2, side/2)`.
pub fn conv_down(x: &Tensor, weight: &Tensor, bias: &Tensor) -> Result<Tensor> {
    pick(x, conv_down_sparse, conv_down_dense)?(x, weight, bias)
}

/// A layer's computation: input, weight, bias → output.
type Layer = fn(&Tensor, &Tensor, &Tensor) -> Result<Tensor>;

/// `sparse` where the products skip zeros (wasm, [`SPARSE_MIN_IMAGES`] or more), else `dense`.
fn pick(x: &Tensor, sparse: Layer, dense: Layer) -> Result<Layer> {
    Ok(if SPARSE_KERNELS && x.dim(0)? >= SPARSE_MIN_IMAGES {
        sparse
    } else {
        dense
    })
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
fn conv_down_sparse(x: &Tensor, weight: &Tensor, bias: &Tensor) -> Result<Tensor> {
    let (images, channels, side, _) = x.dims4()?;
    let patches = Patches {
        images,
        channels,
        side,
    };
    let op = sparse::ConvDown::new(patches, weight.dim(0)?);
    x.contiguous()?
        .apply_op3(&weight.contiguous()?, &bias.contiguous()?, op)
}

/// `conv_transpose2d(x, weight) + bias`: `x` is `(n, in, side, side)`, `weight`
/// `(in, out, 4, 4)`, `bias` `(out)`; the result `(n, out, 2·side, 2·side)`.
pub fn deconv_up(x: &Tensor, weight: &Tensor, bias: &Tensor) -> Result<Tensor> {
    pick(x, deconv_up_sparse, deconv_up_dense)?(x, weight, bias)
}

/// [`deconv_up`] skipping the input's zeros ([`sparse::DeconvUp`]).
fn deconv_up_sparse(x: &Tensor, weight: &Tensor, bias: &Tensor) -> Result<Tensor> {
    let (images, channels, side, _) = x.dims4()?;
    let op = sparse::DeconvUp::new(images, channels, side, weight.dim(1)?);
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
mod tests {
    use super::*;
    use crate::ml::rng::Rng;
    use crate::ml::tensor_diff::max_abs_diff;
    use candle_core::{Device, Var};

    fn random(rng: &mut Rng, shape: &[usize]) -> Var {
        let n = shape.iter().product();
        Var::from_vec(rng.normal_vec(n), shape, &Device::Cpu).unwrap()
    }

    /// Inputs as a layer gets them: out of a ReLU, about half zero (so the sparse products'
    /// skipping, and their sparse weight gradient, are what is compared).
    fn rectified(rng: &mut Rng, shape: &[usize]) -> Var {
        let n = shape.iter().product();
        let values = rng.normal_vec(n).into_iter().map(|v| v.max(0.0)).collect();
        Var::from_vec(values, shape, &Device::Cpu).unwrap()
    }

    /// Values and the gradients of x, weight and bias under a random weighting of the output,
    /// by `ours` and by candle's `reference`.
    fn compare(
        x: &Var,
        w: &Var,
        b: &Var,
        ours: impl Fn(&Tensor, &Tensor, &Tensor) -> Result<Tensor>,
        reference: impl Fn(&Tensor, &Tensor, &Tensor) -> Result<Tensor>,
    ) {
        let mut rng = Rng::new(11);
        let y = ours(x, w, b).unwrap();
        let want = reference(x, w, b).unwrap();
        assert_eq!(y.dims(), want.dims());
        assert!(
            max_abs_diff(&y, &want) < 1e-4,
            "values differ by {}",
            max_abs_diff(&y, &want)
        );
        // Weighted densely, and half by zeros as a ReLU after the layer would weight it (the
        // input's gradient then skips them). The second backward pass over the same graph
        // rebuilds the rows the first one took from the sparse ops.
        for rectify in [false, true] {
            let weighting = rng
                .normal_vec(y.elem_count())
                .into_iter()
                .map(|v| if rectify { v.max(0.0) } else { v })
                .collect();
            let weights = Tensor::from_vec(weighting, y.dims(), &Device::Cpu).unwrap();
            let ours = (&y * &weights)
                .unwrap()
                .sum_all()
                .unwrap()
                .backward()
                .unwrap();
            let theirs = (&want * &weights)
                .unwrap()
                .sum_all()
                .unwrap()
                .backward()
                .unwrap();
            for (what, v) in [("x", x), ("weight", w), ("bias", b)] {
                let (g, r) = (ours.get(v).unwrap(), theirs.get(v).unwrap());
                assert!(
                    max_abs_diff(g, r) < 1e-3,
                    "the gradient of {what} differs by {} (rectified: {rectify})",
                    max_abs_diff(g, r)
                );
            }
        }
    }

    #[test]
    fn a_convolution_matches_candles_in_value_and_every_gradient_on_both_paths() {
        let mut rng = Rng::new(5);
        // The Conv-VAE's first and second stages at 28×28 (sides 28 and 14), small.
        // Sixteen input channels or more take the input gradient without a patch matrix.
        for (n, cin, cout, side) in [(3, 1, 4, 28), (2, 4, 6, 14), (2, 3, 2, 8), (2, 17, 3, 6)] {
            let x = rectified(&mut rng, &[n, cin, side, side]);
            let w = random(&mut rng, &[cout, cin, 4, 4]);
            let b = random(&mut rng, &[cout]);
            for ours in [conv_down_dense, conv_down_sparse] {
                compare(&x, &w, &b, ours, |x, w, b| {
                    x.conv2d(w, 1, 2, 1, 1)?
                        .broadcast_add(&b.reshape((1, cout, 1, 1))?)
                });
            }
        }
    }

    #[test]
    fn a_first_layer_gives_its_pictures_no_gradient_and_its_weights_the_same_one() {
        let mut rng = Rng::new(7);
        let x = rectified(&mut rng, &[2, 1, 8, 8]);
        let w = random(&mut rng, &[3, 1, 4, 4]);
        let b = random(&mut rng, &[3]);
        // The same pictures as a variable (a layer further in) and as plain data (the first).
        let tracked = conv_down_sparse(&x, &w, &b).unwrap().sum_all().unwrap();
        let plain = conv_down_sparse(&x.as_tensor().detach(), &w, &b)
            .unwrap()
            .sum_all()
            .unwrap();
        let (tracked, plain) = (tracked.backward().unwrap(), plain.backward().unwrap());
        assert!(tracked.get(&x).is_some() && plain.get(&x).is_none());
        let diff = max_abs_diff(tracked.get(&w).unwrap(), plain.get(&w).unwrap());
        assert_eq!(diff, 0.0);
    }

    #[test]
    fn a_transposed_convolution_matches_candles_in_value_and_every_gradient_on_both_paths() {
        let mut rng = Rng::new(6);
        // The decoder's stages at 28×28 (7 → 14 → 28), small, and an even start.
        // Sixteen outputs or more are computed without a patch matrix.
        for (n, cin, cout, side) in [(3, 6, 4, 7), (2, 4, 1, 14), (2, 2, 3, 4), (2, 5, 20, 3)] {
            let x = rectified(&mut rng, &[n, cin, side, side]);
            let w = random(&mut rng, &[cin, cout, 4, 4]);
            let b = random(&mut rng, &[cout]);
            for ours in [deconv_up_dense, deconv_up_sparse] {
                compare(&x, &w, &b, ours, |x, w, b| {
                    x.conv_transpose2d(w, 1, 0, 2, 1)?
                        .broadcast_add(&b.reshape((1, cout, 1, 1))?)
                });
            }
        }
    }
}
