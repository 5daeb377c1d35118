//! What the explorer asks of a model, with plain `f32` slices in and out: decode one latent
//! vector or many, encode one image, score one image. The page calls these on every frame, so
//! they take and return flat vectors and never touch a DOM.

use candle_core::{Device, Result, Tensor};

use crate::ml::data::ImageSet;
use crate::ml::eval::evaluate;
use crate::ml::model::Model;
use crate::ml::stats::grid_coordinates;

/// How far the explorer reaches from the origin along each latent dimension: ±3 standard
/// deviations of the prior, where it puts 99.7 % of its mass. The sliders cover this range and
/// a shared link's vector is clamped to it.
pub const EXPLORE_RANGE: f32 = 3.0;

/// How strongly a wandering point is pulled back towards the origin at each step (one step a
/// frame: about a second to forget where it was).
const WANDER_PULL: f32 = 0.02;

/// One step of the explorer's random walk: `z ← (1 − θ)·z + √(2θ − θ²)·ε` with ε from `noise`,
/// an autoregressive (discrete Ornstein–Uhlenbeck) walk whose stationary law is the prior
/// N(0, I) itself, so it roams everywhere the prior puts mass (the root mean square of each
/// dimension tends to 1), clamped to [`EXPLORE_RANGE`].
pub fn wander_step(z: &mut [f32], noise: &[f32]) {
    let keep = 1.0 - WANDER_PULL;
    let spread = (2.0 * WANDER_PULL - WANDER_PULL * WANDER_PULL).sqrt();
    for (v, e) in z.iter_mut().zip(noise) {
        *v = (keep * *v + spread * e).clamp(-EXPLORE_RANGE, EXPLORE_RANGE);
    }
}

/// Decodes `count` latent vectors laid end to end in `zs` to `count × values` values in [0, 1]
/// (each image channel-planar, of the model's shape).
pub fn decode_many(model: &Model, zs: &[f32], count: usize) -> Result<Vec<f32>> {
    let latent = model.config().latent;
    if zs.len() != count * latent {
        candle_core::bail!(
            "{count} codes of {latent} dimensions need {} values, got {}",
            count * latent,
            zs.len()
        )
    }
    if count == 0 {
        return Ok(Vec::new());
    }
    let z = Tensor::from_slice(zs, (count, latent), &Device::Cpu)?;
    model.decode_pixels(&z)?.flatten_all()?.to_vec1()
}

/// Decodes one latent vector to one image's values.
pub fn decode_one(model: &Model, z: &[f32]) -> Result<Vec<f32>> {
    decode_many(model, z, 1)
}

/// The encoder's answer for one image: μ, and σ for a VAE.
#[derive(Debug, Clone, PartialEq)]
pub struct Code {
    pub mean: Vec<f32>,
    /// σ per dimension; `None` for the deterministic autoencoder.
    pub sigma: Option<Vec<f32>>,
}

/// Encodes `count` images (`count × values` values of the model's shape).
pub fn encode_many(model: &Model, images: &[f32], count: usize) -> Result<Vec<Code>> {
    let x = images_tensor(model, images, count)?;
    let posterior = model.encode(&x)?;
    let means: Vec<Vec<f32>> = posterior.mean.to_vec2()?;
    let sigmas: Option<Vec<Vec<f32>>> = match &posterior.log_var {
        Some(lv) => Some((lv * 0.5)?.exp()?.to_vec2()?),
        None => None,
    };
    Ok(means
        .into_iter()
        .enumerate()
        .map(|(i, mean)| Code {
            mean,
            sigma: sigmas.as_ref().map(|s| s[i].clone()),
        })
        .collect())
}

/// The posterior means of `count` images laid end to end (`count × latent`, image by image):
/// what a plot of the codes needs, without the spreads [`encode_many`] also works out.
pub fn encode_means(model: &Model, images: &[f32], count: usize) -> Result<Vec<f32>> {
    let x = images_tensor(model, images, count)?;
    model.encode(&x)?.mean.flatten_all()?.to_vec1()
}

/// `count` images of `model`'s shape laid end to end, as the batch its encoder reads.
fn images_tensor(model: &Model, images: &[f32], count: usize) -> Result<Tensor> {
    let shape = model.config().shape;
    let values = shape.values();
    if images.len() != count * values {
        candle_core::bail!(
            "{count} images of {shape} need {} values, got {}",
            count * values,
            images.len()
        )
    }
    Tensor::from_slice(images, (count, values), &Device::Cpu)
}

/// Encodes one image.
pub fn encode_one(model: &Model, image: &[f32]) -> Result<Code> {
    Ok(encode_many(model, image, 1)?.remove(0))
}

/// The negative ELBO of one image in nats, estimated exactly as the test set is evaluated (one
/// z sample with the evaluation noise), so it can be ranked among the test digits' scores.
pub fn neg_elbo_one(model: &Model, image: &[f32]) -> Result<f32> {
    let shape = model.config().shape;
    if image.len() != shape.values() {
        candle_core::bail!(
            "an image of {shape} has {} values, got {}",
            shape.values(),
            image.len()
        )
    }
    let digits = ImageSet::of_shape(shape, image.to_vec(), vec![0]);
    Ok(evaluate(model, &digits)?.per_digit[0])
}

/// `steps` codes evenly spaced on the straight line from `a` to `b`, both ends included, laid
/// end to end.
pub fn interpolate(a: &[f32], b: &[f32], steps: usize) -> Vec<f32> {
    assert_eq!(a.len(), b.len());
    let mut out = Vec::with_capacity(a.len() * steps);
    for s in 0..steps {
        let t = if steps > 1 {
            s as f32 / (steps - 1) as f32
        } else {
            0.0
        };
        out.extend(a.iter().zip(b).map(|(x, y)| x + t * (y - x)));
    }
    out
}

/// Latent codes for an `n × n` manifold grid, row by row: dimension `dx` varies across, `dy`
/// down (row 0 at the top, where `dy` is largest), both over [`grid_coordinates`]`(n)`; the other
/// dimensions keep their values from `base`.
pub fn grid_codes(base: &[f32], dx: usize, dy: usize, n: usize) -> Vec<f32> {
    grid_codes_at(base, dx, dy, &grid_coordinates(n))
}

/// Latent codes for a grid whose rows and columns sit at `coords` (ascending), row by row:
/// dimension `dx` varies across, `dy` down (row 0 at the top, where `dy` is largest); the other
/// dimensions keep their values from `base`.
pub fn grid_codes_at(base: &[f32], dx: usize, dy: usize, coords: &[f64]) -> Vec<f32> {
    let n = coords.len();
    let mut zs = Vec::with_capacity(n * n * base.len());
    for row in 0..n {
        for col in 0..n {
            let start = zs.len();
            zs.extend_from_slice(base);
            zs[start + dx] = coords[col] as f32;
            zs[start + dy] = coords[n - 1 - row] as f32;
        }
    }
    zs
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ml::dataset::ImageShape;
    use crate::ml::model::{ModelConfig, ModelKind};
    use crate::ml::rng::Rng;

    fn model(kind: ModelKind) -> Model {
        let hidden = if kind == ModelKind::ConvVae { 4 } else { 16 };
        Model::new(ModelConfig::new(kind, 3, hidden), &mut Rng::new(1)).unwrap()
    }

    #[test]
    fn decode_many_matches_decode_one_row_by_row() {
        let m = model(ModelKind::MlpVae);
        let zs = [0.1, -0.2, 0.3, 1.0, 0.0, -1.0];
        let both = decode_many(&m, &zs, 2).unwrap();
        assert_eq!(both.len(), 2 * ImageShape::DIGITS.values());
        let second = decode_one(&m, &zs[3..]).unwrap();
        for (a, b) in both[ImageShape::DIGITS.values()..].iter().zip(&second) {
            assert!((a - b).abs() < 1e-6);
        }
        assert!(both.iter().all(|v| (0.0..=1.0).contains(v)));
        assert!(
            decode_one(&m, &[0.0; 2]).is_err(),
            "a code of the wrong size is an error"
        );
    }

    #[test]
    fn encode_gives_sigma_only_for_variational_models() {
        let image = vec![0.5; ImageShape::DIGITS.values()];
        let vae = encode_one(&model(ModelKind::ConvVae), &image).unwrap();
        assert_eq!(vae.mean.len(), 3);
        assert!(vae.sigma.unwrap().iter().all(|s| *s > 0.0));
        assert!(encode_one(&model(ModelKind::Autoencoder), &image)
            .unwrap()
            .sigma
            .is_none());
    }

    #[test]
    fn the_means_alone_are_the_means_of_the_codes_image_by_image() {
        for kind in [ModelKind::MlpVae, ModelKind::Autoencoder] {
            let m = model(kind);
            let images: Vec<f32> = (0..3 * ImageShape::DIGITS.values())
                .map(|i| (i % 11) as f32 / 11.0)
                .collect();
            let codes = encode_many(&m, &images, 3).unwrap();
            let means = encode_means(&m, &images, 3).unwrap();
            assert_eq!(
                means,
                codes.into_iter().flat_map(|c| c.mean).collect::<Vec<_>>()
            );
            assert!(
                encode_means(&m, &images, 2).is_err(),
                "a wrong count is refused"
            );
        }
    }

    #[test]
    fn neg_elbo_of_one_image_equals_its_test_set_score() {
        let m = model(ModelKind::MlpVae);
        let image: Vec<f32> = (0..ImageShape::DIGITS.values())
            .map(|i| (i % 7) as f32 / 7.0)
            .collect();
        let alone = neg_elbo_one(&m, &image).unwrap();
        let in_a_set = evaluate(&m, &ImageSet::new(image.clone(), vec![3]))
            .unwrap()
            .per_digit[0];
        assert_eq!(alone, in_a_set);
        assert!(alone.is_finite() && alone > 0.0);
    }

    #[test]
    fn grid_codes_vary_the_chosen_dimensions_and_keep_the_rest() {
        let base = [0.5, 0.0, -1.0, 0.0];
        let zs = grid_codes(&base, 1, 3, 3);
        assert_eq!(zs.len(), 9 * 4);
        let cell = |i: usize| &zs[i * 4..(i + 1) * 4];
        assert!(
            cell(0)[1] < 0.0 && cell(0)[3] > 0.0,
            "top left: low x, high y"
        );
        assert!(
            cell(8)[1] > 0.0 && cell(8)[3] < 0.0,
            "bottom right: high x, low y"
        );
        assert_eq!(cell(4)[1], 0.0);
        assert!((0..9).all(|i| cell(i)[0] == 0.5 && cell(i)[2] == -1.0));
    }

    #[test]
    fn interpolation_includes_both_ends() {
        let path = interpolate(&[0.0, 2.0], &[1.0, -2.0], 5);
        assert_eq!(path.len(), 10);
        assert_eq!(&path[..2], &[0.0, 2.0]);
        assert_eq!(&path[4..6], &[0.5, 0.0]);
        assert_eq!(&path[8..], &[1.0, -2.0]);
    }

    #[test]
    fn a_wander_visits_the_prior_not_just_its_centre() {
        let mut rng = Rng::new(11);
        let mut z = vec![0.0f32; 4];
        let (mut sum_sq, mut count) = (0.0f64, 0usize);
        for step in 0..60_000 {
            let noise = rng.normal_vec(4);
            wander_step(&mut z, &noise);
            assert!(z.iter().all(|v| v.abs() <= EXPLORE_RANGE));
            if step >= 1_000 {
                sum_sq += z.iter().map(|&v| (v as f64).powi(2)).sum::<f64>();
                count += 4;
            }
        }
        let rms = (sum_sq / count as f64).sqrt();
        assert!(
            (0.9..1.1).contains(&rms),
            "root mean square {rms}, the prior's is 1"
        );
    }
}
