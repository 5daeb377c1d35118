//! The MLP variational autoencoder: pixels → hidden → (μ, log σ²) ∈ ℝᶻ, and z → hidden → pixel
//! logits, on flattened images (784 values for a 28×28 grey digit, 3 × 32 × 32 for a colour
//! picture: every pixel and channel is one input and one output).
//!
//! This is the model of Kingma & Welling's paper and of PyTorch's `examples/vae`, the reference
//! this project measures its training quality against.

use candle_core::{Result, Tensor};
use candle_nn::{Linear, Module, VarBuilder};

use super::input_linear::InputLinear;
use super::layers::linear;
use super::sparse_affine::{affine, affine_after_relu, heads};
use crate::ml::relu_op::relu;

/// The decoder shared by the MLP-VAE and the plain autoencoder: z → ReLU(hidden) → `values` logits.
#[derive(Debug, Clone)]
pub struct MlpDecoder {
    hidden: Linear,
    out: Linear,
}

impl MlpDecoder {
    pub fn new(latent: usize, hidden: usize, values: usize, vb: VarBuilder) -> Result<Self> {
        Ok(Self {
            hidden: linear(latent, hidden, vb.pp("hidden"))?,
            out: linear(hidden, values, vb.pp("out"))?,
        })
    }

    /// `[W₁, b₁, W₂, b₂]`: the hidden layer's weight (hidden × latent) and bias, then the output
    /// layer's (values × hidden).
    pub fn parameters(&self) -> [&Tensor; 4] {
        [
            self.hidden.weight(),
            self.hidden
                .bias()
                .expect("layers::linear always has a bias"),
            self.out.weight(),
            self.out.bias().expect("layers::linear always has a bias"),
        ]
    }

    /// Pixel logits, shape `(n, values)`.
    pub fn forward(&self, z: &Tensor) -> Result<Tensor> {
        // About half of a ReLU's outputs are zero; in wasm the output layer's op skips them,
        // forward and backward.
        let hidden = relu(&affine(&self.hidden, z)?)?;
        affine_after_relu(&self.out, &hidden)
    }
}

#[derive(Debug, Clone)]
pub struct MlpVae {
    pub(super) hidden: InputLinear,
    pub(super) mean: Linear,
    pub(super) log_var: Linear,
    pub(super) decoder: MlpDecoder,
}

impl MlpVae {
    /// A model of images of `values` values each.
    pub fn new(latent: usize, hidden: usize, values: usize, vb: VarBuilder) -> Result<Self> {
        let enc = vb.pp(super::ENCODER_PATH);
        Ok(Self {
            hidden: InputLinear::new(values, hidden, enc.pp("hidden"))?,
            mean: linear(hidden, latent, enc.pp("mean"))?,
            log_var: linear(hidden, latent, enc.pp("log_var"))?,
            decoder: MlpDecoder::new(latent, hidden, values, vb.pp(super::DECODER_PATH))?,
        })
    }

    /// `[W₁, b₁, W_μ, b_μ]`: the encoder's hidden layer and its means layer.
    pub fn mean_parameters(&self) -> [&Tensor; 4] {
        let [w1, b1] = self.hidden.parameters();
        [
            w1,
            b1,
            self.mean.weight(),
            self.mean.bias().expect("layers::linear always has a bias"),
        ]
    }

    /// μ and log σ² of q(z|x), each `(n, latent)`.
    pub fn encode(&self, x: &Tensor) -> Result<(Tensor, Tensor)> {
        let h = relu(&self.hidden.forward(x)?)?;
        heads(&self.mean, &self.log_var, &h)
    }

    pub fn decode(&self, z: &Tensor) -> Result<Tensor> {
        self.decoder.forward(z)
    }

    pub fn decoder(&self) -> &MlpDecoder {
        &self.decoder
    }
}
