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

use candle_core::{CpuStorage, CustomOp1, CustomOp2, Layout, Result, Shape, Tensor};

use crate::ml::cpu_slices::f32_slice;
use crate::ml::kernels::patches::{col2im, im2col, Patches, KERNEL};

/// `conv2d(x, weight) + bias`: `x` is `(n, in, side, side)` with an even side, `weight`
/// `(out, in, 4, 4)`, `bias` `(out)`; the result `(n, out, side/2, side/2)`.
pub fn conv_down(x: &Tensor, weight: &Tensor, bias: &Tensor) -> Result<Tensor> {
    let (images, channels, side, _) = x.dims4()?;
    let out = weight.dim(0)?;
    let patches = Patches {
        images,
        channels,
        side,
    };
    let half = patches.half();
    let matrix = x.contiguous()?.apply_op1(Im2Col(patches))?;
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

/// `conv_transpose2d(x, weight) + bias`: `x` is `(n, in, side, side)`, `weight`
/// `(in, out, 4, 4)`, `bias` `(out)`; the result `(n, out, 2·side, 2·side)`.
pub fn deconv_up(x: &Tensor, weight: &Tensor, bias: &Tensor) -> Result<Tensor> {
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
    let y = matrix.apply_op1(Col2Im(Patches {
        images,
        channels: out,
        side: 2 * side,
    }))?;
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

/// Adds a bias per channel to `(images, channels, plane)` values, read either in that order or
/// channel-major, `(channels, images, plane)` (a convolution's product), and written in image
/// order. candle's `broadcast_add` would need a transposed copy first, and its gradient of the
/// bias is a generic reduction over three axes that cost more than the layer's own products.
struct AddBias {
    images: usize,
    channels: usize,
    plane: usize,
    channel_major: bool,
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

/// Images → their patch matrix; its gradient is [`Col2Im`].
struct Im2Col(Patches);

impl CustomOp1 for Im2Col {
    fn name(&self) -> &'static str {
        "im2col-4x4-s2"
    }

    fn cpu_fwd(&self, storage: &CpuStorage, layout: &Layout) -> Result<(CpuStorage, Shape)> {
        let x = f32_slice(storage, layout, "im2col's images")?;
        if x.len() != self.0.image_len() {
            candle_core::bail!("im2col: {:?} is not {:?}", layout.shape(), self.0)
        }
        Ok((
            CpuStorage::F32(im2col(x, self.0)),
            Shape::from(self.0.matrix_dims()),
        ))
    }

    fn bwd(&self, _arg: &Tensor, _res: &Tensor, grad: &Tensor) -> Result<Option<Tensor>> {
        grad.contiguous()?
            .apply_op1_no_bwd(&Col2Im(self.0))
            .map(Some)
    }
}

/// A patch matrix → the images it adds up to; its gradient is [`Im2Col`].
struct Col2Im(Patches);

impl CustomOp1 for Col2Im {
    fn name(&self) -> &'static str {
        "col2im-4x4-s2"
    }

    fn cpu_fwd(&self, storage: &CpuStorage, layout: &Layout) -> Result<(CpuStorage, Shape)> {
        let m = f32_slice(storage, layout, "col2im's patch matrix")?;
        let (rows, cols) = self.0.matrix_dims();
        if m.len() != rows * cols {
            candle_core::bail!(
                "col2im: {:?} is not a patch matrix of {:?}",
                layout.shape(),
                self.0
            )
        }
        let p = self.0;
        Ok((
            CpuStorage::F32(col2im(m, p)),
            Shape::from((p.images, p.channels, p.side, p.side)),
        ))
    }

    fn bwd(&self, _arg: &Tensor, _res: &Tensor, grad: &Tensor) -> Result<Option<Tensor>> {
        grad.contiguous()?
            .apply_op1_no_bwd(&Im2Col(self.0))
            .map(Some)
    }
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
        let weights =
            Tensor::from_vec(rng.normal_vec(y.elem_count()), y.dims(), &Device::Cpu).unwrap();
        let ours = (y * &weights)
            .unwrap()
            .sum_all()
            .unwrap()
            .backward()
            .unwrap();
        let theirs = (want * &weights)
            .unwrap()
            .sum_all()
            .unwrap()
            .backward()
            .unwrap();
        for (what, v) in [("x", x), ("weight", w), ("bias", b)] {
            let (g, r) = (ours.get(v).unwrap(), theirs.get(v).unwrap());
            assert!(
                max_abs_diff(g, r) < 1e-3,
                "the gradient of {what} differs by {}",
                max_abs_diff(g, r)
            );
        }
    }

    #[test]
    fn a_convolution_matches_candles_in_value_and_every_gradient() {
        let mut rng = Rng::new(5);
        // The Conv-VAE's first and second stages at 28×28 (sides 28 and 14), small.
        for (n, cin, cout, side) in [(3, 1, 4, 28), (2, 4, 6, 14), (2, 3, 2, 8)] {
            let x = random(&mut rng, &[n, cin, side, side]);
            let w = random(&mut rng, &[cout, cin, 4, 4]);
            let b = random(&mut rng, &[cout]);
            compare(&x, &w, &b, conv_down, |x, w, b| {
                x.conv2d(w, 1, 2, 1, 1)?
                    .broadcast_add(&b.reshape((1, cout, 1, 1))?)
            });
        }
    }

    #[test]
    fn a_transposed_convolution_matches_candles_in_value_and_every_gradient() {
        let mut rng = Rng::new(6);
        // The decoder's stages at 28×28 (7 → 14 → 28), small, and an even start.
        for (n, cin, cout, side) in [(3, 6, 4, 7), (2, 4, 1, 14), (2, 2, 3, 4)] {
            let x = random(&mut rng, &[n, cin, side, side]);
            let w = random(&mut rng, &[cin, cout, 4, 4]);
            let b = random(&mut rng, &[cout]);
            compare(&x, &w, &b, deconv_up, |x, w, b| {
                x.conv_transpose2d(w, 1, 0, 2, 1)?
                    .broadcast_add(&b.reshape((1, cout, 1, 1))?)
            });
        }
    }
}
