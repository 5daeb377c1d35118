//! Layer constructors that create zero-filled parameters.
//!
//! candle-nn's own constructors draw their initial values from candle's global random number
//! generator, which cannot be seeded. These build the same candle-nn layers, but with zeros, so
//! that a parameter's value always comes from somewhere we control: either [`super::init`] (a
//! seeded, PyTorch-like initialisation) or a checkpoint.

use candle_core::Result;
use candle_nn::{
    Conv2d, Conv2dConfig, ConvTranspose2d, ConvTranspose2dConfig, Init, Linear, VarBuilder,
};

const ZERO: Init = Init::Const(0.0);

/// A fully connected layer `in_dim -> out_dim` with bias (weight shape `(out_dim, in_dim)`).
pub fn linear(in_dim: usize, out_dim: usize, vb: VarBuilder) -> Result<Linear> {
    let weight = vb.get_with_hints((out_dim, in_dim), "weight", ZERO)?;
    let bias = vb.get_with_hints(out_dim, "bias", ZERO)?;
    Ok(Linear::new(weight, Some(bias)))
}

/// A 4×4, stride-2, padding-1 convolution: halves the height and width (28 -> 14 -> 7).
pub fn conv_down(in_channels: usize, out_channels: usize, vb: VarBuilder) -> Result<Conv2d> {
    let weight = vb.get_with_hints((out_channels, in_channels, 4, 4), "weight", ZERO)?;
    let bias = vb.get_with_hints(out_channels, "bias", ZERO)?;
    let config = Conv2dConfig {
        padding: 1,
        stride: 2,
        ..Default::default()
    };
    Ok(Conv2d::new(weight, Some(bias), config))
}

/// A 4×4, stride-2, padding-1 transposed convolution ("deconvolution"): doubles the height and
/// width (7 -> 14 -> 28). Weight shape `(in_channels, out_channels, 4, 4)`.
pub fn deconv_up(
    in_channels: usize,
    out_channels: usize,
    vb: VarBuilder,
) -> Result<ConvTranspose2d> {
    let weight = vb.get_with_hints((in_channels, out_channels, 4, 4), "weight", ZERO)?;
    let bias = vb.get_with_hints(out_channels, "bias", ZERO)?;
    let config = ConvTranspose2dConfig {
        padding: 1,
        stride: 2,
        ..Default::default()
    };
    Ok(ConvTranspose2d::new(weight, Some(bias), config))
}
