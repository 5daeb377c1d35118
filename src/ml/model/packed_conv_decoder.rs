//! The Conv-VAE's decoder with its weights packed once for decoding on the page.
//!
//! Through candle a grid of codes went tensor by tensor: the projection, then for each
//! transposed convolution a transpose to one pixel a row, the pixels' non-zeros found, the
//! weights stacked and packed again, the product, a transpose back and the bias added. Here the
//! weights are packed once per shown model and the images stay one pixel a row, channels last,
//! from the projection (whose outputs are reordered for it when packed) to the last layer: each
//! layer is the sparse kernel over the non-zeros of the ReLU before it, and no tensor is
//! allocated. The last layer writes few channels (1 or 3), too few to fill a 16-column panel,
//! so it takes the patch-matrix way the training path takes for it.

use candle_core::Result;

use super::conv_vae::ConvVae;
use crate::ml::fastmath::relu_in_place;
use crate::ml::kernels::deconv::DeconvPanels;
use crate::ml::kernels::patches::{col2im_rows, Patches, KERNEL};
use crate::ml::kernels::sparse::{sparse_times_dense, Panels, SparseRows};

/// z → ReLU(projection) → (transposed convolution, ReLU)… → transposed convolution: the
/// logits of an image, channel-planar, from packed copies of a [`ConvVae`]'s decoder.
#[derive(Debug, Clone)]
pub(crate) struct PackedConvDecoder {
    latent: usize,
    /// Channels and side of the smallest grid, the projection's output.
    deep_channels: usize,
    deep_side: usize,
    /// The projection's `Wᵀ` (latent × grid), its columns in channels-last order.
    project: Panels,
    project_bias: Vec<f32>,
    /// The transposed convolutions but the last, each followed by a ReLU, with their biases.
    inner: Vec<(DeconvPanels, Vec<f32>)>,
    /// The last one's weight as the patch matrix's product takes it (`in × out·16`).
    last: Panels,
    last_bias: Vec<f32>,
}

impl PackedConvDecoder {
    pub(crate) fn new(vae: &ConvVae) -> Result<Self> {
        let (project, (deep_channels, deep_side), deconvs) = vae.decoder_parts();
        let Some((last, inner)) = deconvs.split_last() else {
            candle_core::bail!("a Conv-VAE decoder without a transposed convolution")
        };
        let (grid, latent) = project.weight().dims2()?;
        let plane = deep_side * deep_side;
        if grid != deep_channels * plane {
            candle_core::bail!(
                "the projection gives {grid} values for a {deep_channels}×{deep_side}² grid"
            )
        }
        let weight = project.weight().flatten_all()?.to_vec1::<f32>()?;
        let bias = project
            .bias()
            .expect("layers::linear always has a bias")
            .to_vec1::<f32>()?;
        // Output `c·plane + p` (channel-planar, as the checkpoint has it) becomes `p·channels + c`.
        let (mut reordered, mut project_bias) = (vec![0.0f32; weight.len()], vec![0.0f32; grid]);
        for (c, p) in (0..deep_channels).flat_map(|c| (0..plane).map(move |p| (c, p))) {
            let (from, to) = (c * plane + p, p * deep_channels + c);
            reordered[to * latent..][..latent].copy_from_slice(&weight[from * latent..][..latent]);
            project_bias[to] = bias[from];
        }
        let inner = inner
            .iter()
            .map(|layer| {
                let [w, b] = layer.parameters();
                let (channels, out, _, _) = w.dims4()?;
                let w = w.flatten_all()?.to_vec1::<f32>()?;
                Ok((DeconvPanels::new(&w, channels, out), b.to_vec1::<f32>()?))
            })
            .collect::<Result<_>>()?;
        let [w, b] = last.parameters();
        let (channels, out, _, _) = w.dims4()?;
        let w = w.flatten_all()?.to_vec1::<f32>()?;
        Ok(Self {
            latent,
            deep_channels,
            deep_side,
            project: Panels::from_transposed(&reordered, grid, latent),
            project_bias,
            inner,
            last: Panels::from_rows(&w, channels, out * KERNEL * KERNEL),
            last_bias: b.to_vec1::<f32>()?,
        })
    }

    pub(crate) fn inputs(&self) -> usize {
        self.latent
    }

    /// The logits of `count` codes laid end to end in `zs`, `count × values`, channel-planar.
    pub(crate) fn forward(&self, zs: &[f32], count: usize) -> Result<Vec<f32>> {
        if zs.len() != count * self.latent {
            candle_core::bail!(
                "{count} codes of {} values need {} values, got {}",
                self.latent,
                count * self.latent,
                zs.len()
            )
        }
        let mut grid = self.project_bias.repeat(count);
        sparse_times_dense(
            &SparseRows::from_rows(zs, count, self.latent),
            &self.project,
            &mut grid,
        );
        relu_in_place(&mut grid);
        let (mut side, mut channels) = (self.deep_side, self.deep_channels);
        let mut pixels = SparseRows::from_rows(&grid, count * side * side, channels);
        for (layer, bias) in &self.inner {
            let mut y = bias.repeat(count * 4 * side * side);
            layer.apply(&pixels, count, side, &mut y);
            relu_in_place(&mut y);
            (side, channels) = (2 * side, layer.outputs());
            pixels = SparseRows::from_rows(&y, count * side * side, channels);
        }
        // One input pixel a row times the weight: the patch matrix of the output, one input
        // pixel's 4×4 reach a row, which `col2im_rows` adds up into the images.
        let out = self.last_bias.len();
        let mut patches = vec![0.0f32; count * side * side * out * KERNEL * KERNEL];
        sparse_times_dense(&pixels, &self.last, &mut patches);
        let mut logits = col2im_rows(
            &patches,
            Patches {
                images: count,
                channels: out,
                side: 2 * side,
            },
        );
        let plane = 4 * side * side;
        for (values, &bias) in logits
            .chunks_exact_mut(plane)
            .zip(self.last_bias.iter().cycle())
        {
            values.iter_mut().for_each(|v| *v += bias);
        }
        Ok(logits)
    }
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;
    use crate::ml::dataset::{Channels, ImageShape};
    use crate::ml::rng::Rng;
    use crate::ml::tensor_diff::max_abs_diff_values;
    use candle_core::{DType, Device, Tensor, Var};
    use candle_nn::{VarBuilder, VarMap};

    /// (latent, hidden, channels, side) of the Conv-VAEs the packed paths are checked on: two
    /// stages (28, 32) and three (64); widths that fill panels and that leave them part empty;
    /// grey and colour.
    pub(in crate::ml::model) const SHAPES: [(usize, usize, Channels, usize); 3] = [
        (16, 32, Channels::Grey, 28),
        (3, 5, Channels::Colour, 32),
        (4, 4, Channels::Colour, 64),
    ];

    /// A Conv-VAE with every parameter drawn at random (a fresh one's are zero).
    pub(in crate::ml::model) fn random_vae(
        rng: &mut Rng,
        latent: usize,
        hidden: usize,
        shape: ImageShape,
    ) -> ConvVae {
        let map = VarMap::new();
        let vb = VarBuilder::from_varmap(&map, DType::F32, &Device::Cpu);
        let vae = ConvVae::new(latent, hidden, shape, vb).unwrap();
        for var in map.all_vars() {
            let values = rng.normal_vec(var.elem_count());
            let scaled: Vec<f32> = values.into_iter().map(|v| 0.3 * v).collect();
            let t = Tensor::from_vec(scaled, var.shape(), &Device::Cpu).unwrap();
            Var::set(&var, &t).unwrap();
        }
        vae
    }

    #[test]
    fn packed_conv_decoding_matches_candle_for_every_side_and_colour() {
        let mut rng = Rng::new(21);
        for (latent, hidden, channels, side) in SHAPES {
            let shape = ImageShape { channels, side };
            let vae = random_vae(&mut rng, latent, hidden, shape);
            let packed = PackedConvDecoder::new(&vae).unwrap();
            assert_eq!(packed.inputs(), latent);
            assert!(packed.forward(&[], 0).unwrap().is_empty());
            for count in [1, 3] {
                let zs = rng.normal_vec(count * latent);
                let fast = packed.forward(&zs, count).unwrap();
                let z = Tensor::from_vec(zs, (count, latent), &Device::Cpu).unwrap();
                let plain: Vec<f32> = vae
                    .decode(&z)
                    .unwrap()
                    .flatten_all()
                    .unwrap()
                    .to_vec1()
                    .unwrap();
                assert_eq!(fast.len(), count * shape.values());
                let diff = max_abs_diff_values(&fast, &plain);
                assert!(
                    diff < 1e-3,
                    "{shape:?} c={hidden}, {count} codes: off by {diff}"
                );
            }
        }
    }
}
