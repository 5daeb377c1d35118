//! The Conv-VAE encoder's means with its weights packed once: what the page plots for a
//! Conv-VAE.
//!
//! As [`super::PackedEncoder`] does for the MLPs: through candle each piece of images went
//! tensor by tensor (a transpose to one pixel a row and back around every convolution, the
//! weights stacked and packed again, log σ² beside the means for nothing). Here the weights are
//! packed once per shown model. The first convolution reads the pictures through their patch
//! matrix (1 or 3 channels are too few to fill the kernels' 16-column panels one pixel a row),
//! the others read the pixel lists the one before left, channels last; the means layer's
//! columns are reordered for that order when packed.

use candle_core::Result;

use super::conv_vae::ConvVae;
use crate::ml::fastmath::relu_in_place;
use crate::ml::kernels::conv::ConvPanels;
use crate::ml::kernels::patches::{im2col_rows, Patches, KERNEL};
use crate::ml::kernels::sparse::{sparse_times_dense, Panels, SparseRows};

/// x → (convolution, ReLU)… → μ, from packed copies of a [`ConvVae`]'s encoder.
#[derive(Debug, Clone)]
pub(crate) struct PackedConvEncoder {
    /// The images' channels and side.
    channels: usize,
    side: usize,
    /// The first convolution's `Wᵀ` (`in·16 × out`) for its patch matrix, and its bias.
    first: Panels,
    first_bias: Vec<f32>,
    /// The other convolutions, each followed by a ReLU, with their biases.
    rest: Vec<(ConvPanels, Vec<f32>)>,
    /// The means layer's `Wᵀ` (grid × latent), its rows in channels-last order.
    mean: Panels,
    mean_bias: Vec<f32>,
}

impl PackedConvEncoder {
    pub(crate) fn new(vae: &ConvVae) -> Result<Self> {
        let (convs, (deep_channels, deep_side), mean) = vae.mean_parts();
        let Some((first, rest)) = convs.split_first() else {
            candle_core::bail!("a Conv-VAE encoder without a convolution")
        };
        let [w, b] = first.parameters();
        let (out, channels, _, _) = w.dims4()?;
        let first = Panels::from_transposed(
            &w.flatten_all()?.to_vec1::<f32>()?,
            out,
            channels * KERNEL * KERNEL,
        );
        let first_bias = b.to_vec1::<f32>()?;
        let rest = rest
            .iter()
            .map(|layer| {
                let [w, b] = layer.parameters();
                let (out, inputs, _, _) = w.dims4()?;
                let w = w.flatten_all()?.to_vec1::<f32>()?;
                Ok((ConvPanels::new(&w, out, inputs), b.to_vec1::<f32>()?))
            })
            .collect::<Result<_>>()?;
        let (latent, grid) = mean.weight().dims2()?;
        let plane = deep_side * deep_side;
        if grid != deep_channels * plane {
            candle_core::bail!(
                "the means layer reads {grid} values of a {deep_channels}×{deep_side}² grid"
            )
        }
        // Input `c·plane + p` (channel-planar, as the checkpoint has it) becomes
        // `p·channels + c`: the order the convolutions leave.
        let weight = mean.weight().flatten_all()?.to_vec1::<f32>()?;
        let mut reordered = vec![0.0f32; weight.len()];
        for (row, from) in reordered
            .chunks_exact_mut(grid)
            .zip(weight.chunks_exact(grid))
        {
            for (c, p) in (0..deep_channels).flat_map(|c| (0..plane).map(move |p| (c, p))) {
                row[p * deep_channels + c] = from[c * plane + p];
            }
        }
        Ok(Self {
            channels,
            side: vae.side(),
            first,
            first_bias,
            rest,
            mean: Panels::from_transposed(&reordered, latent, grid),
            mean_bias: mean
                .bias()
                .expect("layers::linear always has a bias")
                .to_vec1::<f32>()?,
        })
    }

    pub(crate) fn latent(&self) -> usize {
        self.mean_bias.len()
    }

    /// The means of `count` images laid end to end in `images` (channel-planar), `count ×
    /// latent` values.
    pub(crate) fn forward(&self, images: &[f32], count: usize) -> Result<Vec<f32>> {
        let values = self.channels * self.side * self.side;
        if images.len() != count * values {
            candle_core::bail!(
                "{count} images of {values} values need {} values, got {}",
                count * values,
                images.len()
            )
        }
        let patches = Patches {
            images: count,
            channels: self.channels,
            side: self.side,
        };
        // One patch a row: the first convolution's output one position a row, channels last.
        let rows = im2col_rows(images, patches);
        let mut side = patches.half();
        let mut y = self.first_bias.repeat(count * side * side);
        sparse_times_dense(
            &SparseRows::from_rows(&rows, count * side * side, self.channels * KERNEL * KERNEL),
            &self.first,
            &mut y,
        );
        relu_in_place(&mut y);
        let mut channels = self.first_bias.len();
        for (layer, bias) in &self.rest {
            let pixels = SparseRows::from_rows(&y, count * side * side, channels);
            let mut next = bias.repeat(count * (side / 2) * (side / 2));
            layer.apply(&pixels, count, side, &mut next);
            relu_in_place(&mut next);
            (y, side, channels) = (next, side / 2, layer.outputs());
        }
        let mut means = self.mean_bias.repeat(count);
        sparse_times_dense(
            &SparseRows::from_rows(&y, count, channels * side * side),
            &self.mean,
            &mut means,
        );
        Ok(means)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ml::dataset::ImageShape;
    use crate::ml::model::packed_conv_decoder::tests::{random_vae, SHAPES};
    use crate::ml::rng::Rng;
    use crate::ml::tensor_diff::max_abs_diff_values;
    use candle_core::{Device, Tensor};

    #[test]
    fn packed_conv_means_match_candle_for_every_side_and_colour() {
        let mut rng = Rng::new(22);
        for (latent, hidden, channels, side) in SHAPES {
            let shape = ImageShape { channels, side };
            let vae = random_vae(&mut rng, latent, hidden, shape);
            let packed = PackedConvEncoder::new(&vae).unwrap();
            assert_eq!(packed.latent(), latent);
            assert!(packed.forward(&[], 0).unwrap().is_empty());
            assert!(packed.forward(&[0.5; 3], 1).is_err());
            for count in [1, 3] {
                // Pictures as the page has them: mostly background (zeros).
                let images: Vec<f32> = (0..count * shape.values())
                    .map(|_| rng.uniform(0.0, 1.0))
                    .map(|u| if u < 0.7 { 0.0 } else { u })
                    .collect();
                let fast = packed.forward(&images, count).unwrap();
                let x = Tensor::from_vec(images, (count, shape.values()), &Device::Cpu).unwrap();
                let plain: Vec<f32> = vae
                    .encode(&x)
                    .unwrap()
                    .0
                    .flatten_all()
                    .unwrap()
                    .to_vec1()
                    .unwrap();
                let diff = max_abs_diff_values(&fast, &plain);
                assert!(
                    diff < 1e-3,
                    "{shape:?} c={hidden}, {count} images: off by {diff}"
                );
            }
        }
    }
}
