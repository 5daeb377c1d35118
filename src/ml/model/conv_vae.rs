//! The convolutional VAE: a strided-convolution encoder and a transposed-convolution
//! ("deconvolution") decoder, with as many stages as the image side needs.
//!
//! ```text
//! 28×28 grey (two stages):
//! encoder: 1×28×28 -conv4x4/2-> c×14×14 -ReLU, conv4x4/2-> 2c×7×7 -ReLU, flatten-> (μ, log σ²)
//! decoder: z -linear, ReLU-> 2c×7×7 -deconv4x4/2, ReLU-> c×14×14 -deconv4x4/2-> 1×28×28 logits
//! 64×64 colour (three stages): 3×64×64 -> c×32×32 -> 2c×16×16 -> 4c×8×8, and back up to 3×64×64
//! ```
//!
//! Each stage halves the side and doubles the channels until the side is 8 or less ([`stages`]:
//! 28 and 32 take two, 64 three), so the code always summarises a small grid of wide features.
//! `c` is the model's `hidden` setting (the width of the first convolution). Convolutions share
//! weights across the image, so the model sees strokes as local patterns wherever they are, and
//! the decoder paints with learned 4×4 brushes instead of one weight per pixel.
//!
//! Parameters are named `encoder.conv1`…`encoder.convK` and `decoder.deconv1`…`decoder.deconvK`
//! (deconv1 is the widest), so a two-stage model has the names it had before other sides.

use candle_core::{Result, Tensor};
use candle_nn::{Linear, VarBuilder};

use super::layers::{conv_down, deconv_up, linear, ConvDown, DeconvUp};
use super::sparse_affine::{affine, heads};
use crate::ml::conv_op::{keeps_channels_last, ChannelsLast};
use crate::ml::dataset::ImageShape;
use crate::ml::relu_op::relu;

/// The side the encoder stops halving at (or below).
const SMALLEST_SIDE: usize = 8;

/// Halvings from `side` down to [`SMALLEST_SIDE`] or less: 28 → 14 → 7 is two, 64 → 8 three.
pub fn stages(side: usize) -> usize {
    let mut side = side;
    let mut stages = 0;
    while side > SMALLEST_SIDE {
        side /= 2;
        stages += 1;
    }
    stages
}

/// The layouts of `stages` layers in a row: with `rows` (the sparse path, whose kernels read and
/// write one pixel a row) the activations between two of them stay channels last; the first
/// layer's input (pictures, or the projection's grid) and the last layer's output (the grid the
/// means layer reads, or the pictures) are channel-planar either way.
fn inner_channels_last(rows: bool, stages: usize) -> impl Iterator<Item = ChannelsLast> {
    (0..stages).map(move |k| ChannelsLast {
        input: rows && k > 0,
        output: rows && k + 1 < stages,
    })
}

#[derive(Debug, Clone)]
pub struct ConvVae {
    shape: ImageShape,
    /// Channels and side of the smallest grid, where the encoder flattens and the decoder starts.
    deep_channels: usize,
    deep_side: usize,
    convs: Vec<ConvDown>,
    mean: Linear,
    log_var: Linear,
    project: Linear,
    deconvs: Vec<DeconvUp>,
}

impl ConvVae {
    pub fn new(latent: usize, channels: usize, shape: ImageShape, vb: VarBuilder) -> Result<Self> {
        let enc = vb.pp(super::ENCODER_PATH);
        let dec = vb.pp(super::DECODER_PATH);
        let stages = stages(shape.side);
        // Channels after stage k (1-based): c, 2c, 4c, …; the image's own before the first.
        let width = |k: usize| match k {
            0 => shape.channels.count(),
            k => channels << (k - 1),
        };
        let deep_channels = width(stages);
        let deep_side = shape.side >> stages;
        let flat = deep_channels * deep_side * deep_side;
        let convs = (1..=stages)
            .map(|k| conv_down(width(k - 1), width(k), enc.pp(format!("conv{k}"))))
            .collect::<Result<_>>()?;
        let deconvs = (1..=stages)
            .map(|k| {
                let from = stages + 1 - k;
                deconv_up(width(from), width(from - 1), dec.pp(format!("deconv{k}")))
            })
            .collect::<Result<_>>()?;
        Ok(Self {
            shape,
            deep_channels,
            deep_side,
            convs,
            mean: linear(flat, latent, enc.pp("mean"))?,
            log_var: linear(flat, latent, enc.pp("log_var"))?,
            project: linear(latent, flat, dec.pp("project"))?,
            deconvs,
        })
    }

    /// μ and log σ² of q(z|x), each `(n, latent)`; `x` is `(n, values)`, channel-planar.
    pub fn encode(&self, x: &Tensor) -> Result<(Tensor, Tensor)> {
        self.encode_laid(x, keeps_channels_last(x.dim(0)?))
    }

    /// [`Self::encode`], the activations between the convolutions channels last if `rows`.
    fn encode_laid(&self, x: &Tensor, rows: bool) -> Result<(Tensor, Tensor)> {
        let n = x.dim(0)?;
        let side = self.shape.side;
        let mut h = x.reshape((n, self.shape.channels.count(), side, side))?;
        for (conv, layout) in self
            .convs
            .iter()
            .zip(inner_channels_last(rows, self.convs.len()))
        {
            h = conv.forward_laid(&h, layout, true)?;
        }
        let h = h.flatten_from(1)?;
        heads(&self.mean, &self.log_var, &h)
    }

    /// The encoder's parts that give the means, for packing them ([`super::PackedEncoder`]):
    /// the convolutions, the smallest grid's channels and side, and the means layer.
    pub(super) fn mean_parts(&self) -> (&[ConvDown], (usize, usize), &Linear) {
        (
            &self.convs,
            (self.deep_channels, self.deep_side),
            &self.mean,
        )
    }

    /// The images' side.
    pub(super) fn side(&self) -> usize {
        self.shape.side
    }

    /// The decoder's parts, for packing it ([`super::PackedDecoder`]): the projection, the
    /// smallest grid's channels and side, and the transposed convolutions, widest first.
    pub(super) fn decoder_parts(&self) -> (&Linear, (usize, usize), &[DeconvUp]) {
        (
            &self.project,
            (self.deep_channels, self.deep_side),
            &self.deconvs,
        )
    }

    /// Logits of every pixel and channel, `(n, values)`, channel-planar.
    pub fn decode(&self, z: &Tensor) -> Result<Tensor> {
        self.decode_laid(z, keeps_channels_last(z.dim(0)?))
    }

    /// [`Self::decode`], the activations between the transposed convolutions channels last if
    /// `rows`.
    fn decode_laid(&self, z: &Tensor, rows: bool) -> Result<Tensor> {
        let n = z.dim(0)?;
        let h = relu(&affine(&self.project, z)?)?;
        let mut h = h.reshape((n, self.deep_channels, self.deep_side, self.deep_side))?;
        let last = self.deconvs.len() - 1;
        let layouts = inner_channels_last(rows, self.deconvs.len());
        for (k, (deconv, layout)) in self.deconvs.iter().zip(layouts).enumerate() {
            h = deconv.forward_laid(&h, layout, k < last)?;
        }
        h.reshape((n, self.shape.values()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ml::dataset::Channels;
    use crate::ml::rng::Rng;
    use crate::ml::tensor_diff::max_abs_diff;
    use candle_core::{DType, Device, Var};
    use candle_nn::VarMap;

    #[test]
    fn activations_kept_channels_last_between_layers_give_the_same_values_and_gradients() {
        // Two stages (28 grey) and three (64 colour): every inner layer reads what the one
        // before it wrote, in either layout.
        for (shape, channels) in [
            (ImageShape::DIGITS, 4),
            (ImageShape::new(Channels::Colour, 64).unwrap(), 2),
        ] {
            let mut rng = Rng::new(3);
            let vars = VarMap::new();
            let vb = VarBuilder::from_varmap(&vars, DType::F32, &Device::Cpu);
            let vae = ConvVae::new(3, channels, shape, vb).unwrap();
            let all: Vec<Var> = vars.all_vars();
            for var in &all {
                let values = rng.normal_vec(var.elem_count());
                let values = values.into_iter().map(|v| v * 0.2).collect();
                var.set(&Tensor::from_vec(values, var.shape(), &Device::Cpu).unwrap())
                    .unwrap();
            }
            let n = 2;
            let pixels = rng.normal_vec(n * shape.values());
            let x = Tensor::from_vec(pixels, (n, shape.values()), &Device::Cpu).unwrap();
            let outputs = |rows: bool| {
                let (mean, log_var) = vae.encode_laid(&x, rows).unwrap();
                let logits = vae.decode_laid(&mean, rows).unwrap();
                let loss = (logits.sqr().unwrap().sum_all().unwrap() + log_var.sum_all().unwrap())
                    .unwrap();
                let grads = loss.backward().unwrap();
                let grads: Vec<Tensor> =
                    all.iter().map(|v| grads.get(v).unwrap().clone()).collect();
                (mean, logits, grads)
            };
            let (planar, last) = (outputs(false), outputs(true));
            assert!(max_abs_diff(&planar.0, &last.0) < 1e-5, "{shape:?}: means");
            assert!(max_abs_diff(&planar.1, &last.1) < 1e-4, "{shape:?}: logits");
            for (a, b) in planar.2.iter().zip(&last.2) {
                assert!(max_abs_diff(a, b) < 1e-3, "{shape:?}: a gradient");
            }
        }
    }

    #[test]
    fn each_side_takes_the_halvings_that_bring_it_to_eight_or_less() {
        assert_eq!([28, 32, 64].map(stages), [2, 2, 3]);
        // Every supported side halves exactly (no pixel is lost to rounding on the way down).
        for side in crate::ml::dataset::SIDES {
            assert_eq!((side >> stages(side)) << stages(side), side, "{side}");
        }
    }
}
