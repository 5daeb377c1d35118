//! The plain (deterministic) autoencoder, the VAE's point of comparison: the same MLP shape as
//! [`super::mlp_vae::MlpVae`], but the encoder gives one code z per digit and the loss is the
//! reconstruction alone. Nothing pulls its codes towards N(0, I), so its latent space has holes:
//! decoding a draw from the prior often gives no digit at all.

use candle_core::{Result, Tensor};
use candle_nn::{Linear, Module, VarBuilder};

use super::input_linear::InputLinear;
use super::layers::linear;
use super::mlp_vae::MlpDecoder;
use crate::ml::relu_op::relu;

#[derive(Debug, Clone)]
pub struct Autoencoder {
    hidden: InputLinear,
    code: Linear,
    decoder: MlpDecoder,
}

impl Autoencoder {
    /// A model of images of `values` values each.
    pub fn new(latent: usize, hidden: usize, values: usize, vb: VarBuilder) -> Result<Self> {
        let enc = vb.pp(super::ENCODER_PATH);
        Ok(Self {
            hidden: InputLinear::new(values, hidden, enc.pp("hidden"))?,
            code: linear(hidden, latent, enc.pp("code"))?,
            decoder: MlpDecoder::new(latent, hidden, values, vb.pp(super::DECODER_PATH))?,
        })
    }

    /// `[W₁, b₁, W_z, b_z]`: the encoder's hidden layer and its code layer.
    pub fn code_parameters(&self) -> [&Tensor; 4] {
        let [w1, b1] = self.hidden.parameters();
        [
            w1,
            b1,
            self.code.weight(),
            self.code.bias().expect("layers::linear always has a bias"),
        ]
    }

    /// The code z, `(n, latent)`.
    pub fn encode(&self, x: &Tensor) -> Result<Tensor> {
        self.code.forward(&relu(&self.hidden.forward(x)?)?)
    }

    pub fn decode(&self, z: &Tensor) -> Result<Tensor> {
        self.decoder.forward(z)
    }

    pub fn decoder(&self) -> &MlpDecoder {
        &self.decoder
    }
}
