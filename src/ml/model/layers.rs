//! Layer constructors that create zero-filled parameters.
//!
//! candle-nn's own constructors draw their initial values from candle's global random number
//! generator, which cannot be seeded. These build candle-nn's `Linear` and this project's
//! convolutions ([`ConvDown`], [`DeconvUp`]: candle-nn's parameter layouts, computed as matrix
//! products by [`conv_op`]) with zeros, so that a parameter's value always comes from somewhere
//! we control: either [`super::init`] (a seeded, PyTorch-like initialisation) or a checkpoint.

use candle_core::{Module, Result, Tensor};
use candle_nn::{Init, Linear, VarBuilder};

use crate::ml::conv_op::{self, ChannelsLast};

const ZERO: Init = Init::Const(0.0);

/// A fully connected layer `in_dim -> out_dim` with bias (weight shape `(out_dim, in_dim)`).
pub fn linear(in_dim: usize, out_dim: usize, vb: VarBuilder) -> Result<Linear> {
    let weight = vb.get_with_hints((out_dim, in_dim), "weight", ZERO)?;
    let bias = vb.get_with_hints(out_dim, "bias", ZERO)?;
    Ok(Linear::new(weight, Some(bias)))
}

/// A 4×4, stride-2, padding-1 convolution: halves the height and width (28 -> 14 -> 7).
/// Weight `(out_channels, in_channels, 4, 4)` and bias, as candle-nn's `Conv2d` keeps them;
/// computed as one matrix product for the batch ([`conv_op::conv_down`]).
#[derive(Debug, Clone)]
pub struct ConvDown {
    weight: Tensor,
    bias: Tensor,
}

pub fn conv_down(in_channels: usize, out_channels: usize, vb: VarBuilder) -> Result<ConvDown> {
    Ok(ConvDown {
        weight: vb.get_with_hints((out_channels, in_channels, 4, 4), "weight", ZERO)?,
        bias: vb.get_with_hints(out_channels, "bias", ZERO)?,
    })
}

impl ConvDown {
    /// The weight `(out, in, 4, 4)` and the bias `(out)`.
    pub fn parameters(&self) -> [&Tensor; 2] {
        [&self.weight, &self.bias]
    }

    /// The layer with its input and output laid out as `layout` says, then a ReLU if `relu`.
    pub fn forward_laid(&self, x: &Tensor, layout: ChannelsLast, relu: bool) -> Result<Tensor> {
        conv_op::conv_down_laid(x, &self.weight, &self.bias, layout, relu)
    }
}

impl Module for ConvDown {
    fn forward(&self, x: &Tensor) -> Result<Tensor> {
        conv_op::conv_down(x, &self.weight, &self.bias)
    }
}

/// A 4×4, stride-2, padding-1 transposed convolution ("deconvolution"): doubles the height and
/// width (7 -> 14 -> 28). Weight `(in_channels, out_channels, 4, 4)` and bias, as candle-nn's
/// `ConvTranspose2d` keeps them; computed as one matrix product ([`conv_op::deconv_up`]).
#[derive(Debug, Clone)]
pub struct DeconvUp {
    weight: Tensor,
    bias: Tensor,
}

pub fn deconv_up(in_channels: usize, out_channels: usize, vb: VarBuilder) -> Result<DeconvUp> {
    Ok(DeconvUp {
        weight: vb.get_with_hints((in_channels, out_channels, 4, 4), "weight", ZERO)?,
        bias: vb.get_with_hints(out_channels, "bias", ZERO)?,
    })
}

impl DeconvUp {
    /// The weight `(in, out, 4, 4)` and the bias `(out)`.
    pub fn parameters(&self) -> [&Tensor; 2] {
        [&self.weight, &self.bias]
    }

    /// The layer with its input and output laid out as `layout` says, then a ReLU if `relu`.
    pub fn forward_laid(&self, x: &Tensor, layout: ChannelsLast, relu: bool) -> Result<Tensor> {
        conv_op::deconv_up_laid(x, &self.weight, &self.bias, layout, relu)
    }
}

impl Module for DeconvUp {
    fn forward(&self, x: &Tensor) -> Result<Tensor> {
        conv_op::deconv_up(x, &self.weight, &self.bias)
    }
}
