//! The convolutional VAE: a strided-convolution encoder and a transposed-convolution
//! ("deconvolution") decoder.
//!
//! ```text
//! encoder: 1×28×28 -conv4x4/2-> c×14×14 -ReLU, conv4x4/2-> 2c×7×7 -ReLU, flatten-> (μ, log σ²)
//! decoder: z -linear, ReLU-> 2c×7×7 -deconv4x4/2, ReLU-> c×14×14 -deconv4x4/2-> 1×28×28 logits
//! ```
//!
//! `c` is the model's `hidden` setting (the width of the first convolution). Convolutions share
//! weights across the image, so the model sees strokes as local patterns wherever they are, and
//! the decoder paints with learned 4×4 brushes instead of 784 independent pixel weights.

use candle_core::{Result, Tensor};
use candle_nn::{Conv2d, ConvTranspose2d, Linear, Module, VarBuilder};

use super::layers::{conv_down, deconv_up, linear};
use crate::ml::data::{IMAGE_PIXELS, IMAGE_SIDE};
use crate::ml::relu_op::relu;

const SMALL_SIDE: usize = IMAGE_SIDE / 4;

#[derive(Debug, Clone)]
pub struct ConvVae {
    channels: usize,
    conv1: Conv2d,
    conv2: Conv2d,
    mean: Linear,
    log_var: Linear,
    project: Linear,
    deconv1: ConvTranspose2d,
    deconv2: ConvTranspose2d,
}

impl ConvVae {
    pub fn new(latent: usize, channels: usize, vb: VarBuilder) -> Result<Self> {
        let enc = vb.pp("encoder");
        let dec = vb.pp("decoder");
        let flat = 2 * channels * SMALL_SIDE * SMALL_SIDE;
        Ok(Self {
            channels,
            conv1: conv_down(1, channels, enc.pp("conv1"))?,
            conv2: conv_down(channels, 2 * channels, enc.pp("conv2"))?,
            mean: linear(flat, latent, enc.pp("mean"))?,
            log_var: linear(flat, latent, enc.pp("log_var"))?,
            project: linear(latent, flat, dec.pp("project"))?,
            deconv1: deconv_up(2 * channels, channels, dec.pp("deconv1"))?,
            deconv2: deconv_up(channels, 1, dec.pp("deconv2"))?,
        })
    }

    /// μ and log σ² of q(z|x), each `(n, latent)`; `x` is `(n, 784)`.
    pub fn encode(&self, x: &Tensor) -> Result<(Tensor, Tensor)> {
        let n = x.dim(0)?;
        let images = x.reshape((n, 1, IMAGE_SIDE, IMAGE_SIDE))?;
        let h = relu(&self.conv1.forward(&images)?)?;
        let h = relu(&self.conv2.forward(&h)?)?.flatten_from(1)?;
        Ok((self.mean.forward(&h)?, self.log_var.forward(&h)?))
    }

    /// Pixel logits, `(n, 784)`.
    pub fn decode(&self, z: &Tensor) -> Result<Tensor> {
        let n = z.dim(0)?;
        let h = relu(&self.project.forward(z)?)?;
        let h = h.reshape((n, 2 * self.channels, SMALL_SIDE, SMALL_SIDE))?;
        let h = relu(&self.deconv1.forward(&h)?)?;
        self.deconv2.forward(&h)?.reshape((n, IMAGE_PIXELS))
    }
}
