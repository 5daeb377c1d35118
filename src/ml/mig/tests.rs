//! MIG against codes whose answer is known: one dimension a factor, noise, a factor told twice,
//! a hand-counted case, a factor of one value, and inputs that do not fit together.

use super::*;
use crate::ml::rng::Rng;

/// `n` images' factors, each value drawn uniformly and independently.
fn draw_factors(n: usize, counts: &[usize], rng: &mut Rng) -> Vec<usize> {
    (0..n * counts.len())
        .map(|i| rng.below(counts[i % counts.len()]))
        .collect()
}

/// A code of `dims` dimensions for images of 3 factors: `dim(d, the image's factors)`.
fn code(factors: &[usize], dims: usize, mut dim: impl FnMut(usize, &[usize]) -> f32) -> Vec<f32> {
    let mut latents = Vec::new();
    for v in factors.chunks_exact(3) {
        latents.extend((0..dims).map(|d| dim(d, v)));
    }
    latents
}

/// Every information is in [0, H(factor)].
fn assert_bounded(m: &Mig) {
    for dim in 0..m.dims {
        for (f, &h) in m.entropies.iter().enumerate() {
            let mi = m.mi(dim, f);
            assert!((0.0..=h).contains(&mi), "I(z{dim}; v{f}) = {mi}, H = {h}");
        }
    }
}

const COUNTS: [usize; 3] = [4, 10, 16];

#[test]
fn a_code_that_gives_each_factor_its_own_dimension_scores_near_one() {
    let mut rng = Rng::new(1);
    let factors = draw_factors(6_000, &COUNTS, &mut rng);
    // Factor 0 in dimension 2, 1 in 4, 2 in 1 (each a different affine map), the rest noise.
    let latents = code(&factors, 5, |d, v| match d {
        2 => v[0] as f32,
        4 => v[1] as f32 * -0.5 + 3.0,
        1 => v[2] as f32 * 0.3,
        _ => rng.normal(),
    });
    let m = mig(&latents, 5, &factors, &COUNTS).unwrap();
    assert_bounded(&m);
    let best: Vec<usize> = m.gaps.iter().map(|g| g.best).collect();
    assert_eq!(best, [2, 4, 1]);
    for (f, g) in m.gaps.iter().enumerate() {
        // 16 or fewer values fall in 20 bins one to a bin: all there is to know is known.
        assert!((m.mi(g.best, f) - m.entropies[f]).abs() < 1e-12);
        assert!(g.gap.unwrap() > 0.97, "factor {f}: {g:?}");
    }
    assert!(m.score > 0.97, "MIG {}", m.score);
    assert!((m.entropies[2] - 16f64.ln()).abs() < 0.01, "near uniform");
}

#[test]
fn a_code_that_ignores_the_factors_scores_near_zero() {
    let mut rng = Rng::new(2);
    let factors = draw_factors(6_000, &COUNTS, &mut rng);
    let latents = code(&factors, 6, |_, _| rng.normal());
    let m = mig(&latents, 6, &factors, &COUNTS).unwrap();
    assert_bounded(&m);
    assert!(m.score < 0.02, "MIG {}", m.score);
    assert!(m.mutual_information.iter().all(|&mi| mi < 0.05));
}

#[test]
fn a_factor_copied_into_two_dimensions_has_no_gap() {
    let mut rng = Rng::new(3);
    let factors = draw_factors(6_000, &COUNTS, &mut rng);
    let latents = code(&factors, 5, |d, v| match d {
        0 => v[0] as f32,
        3 => v[0] as f32 * 2.0 - 1.0,
        1 => v[1] as f32,
        2 => v[2] as f32,
        _ => rng.normal(),
    });
    let m = mig(&latents, 5, &factors, &COUNTS).unwrap();
    assert_bounded(&m);
    let copied = m.gaps[0];
    assert_eq!((copied.best, copied.second), (0, 3), "the lower first");
    assert!(copied.gap.unwrap().abs() < 1e-12, "{copied:?}");
    assert!(m.gaps[1].gap.unwrap() > 0.97 && m.gaps[2].gap.unwrap() > 0.97);
    assert!((m.score - 2.0 / 3.0).abs() < 0.02, "MIG {}", m.score);
}

#[test]
fn four_images_give_exact_information() {
    // Factor 0 is dimension 0, factor 1 dimension 1: each dimension knows one bit of one.
    let factors = [0, 0, 0, 1, 1, 0, 1, 1];
    let latents = [0.0, 5.0, 0.0, 6.0, 1.0, 5.0, 1.0, 6.0];
    let m = mig(&latents, 2, &factors, &[2, 2]).unwrap();
    let ln2 = 2f64.ln();
    assert_eq!(m.entropies, [ln2, ln2]);
    assert_eq!(m.mutual_information, [ln2, 0.0, 0.0, ln2]);
    assert_eq!(m.score, 1.0);
}

#[test]
fn a_factor_of_one_value_is_left_out_not_divided_by() {
    let factors: Vec<usize> = (0..40).flat_map(|i| [0, i % 4]).collect();
    let latents: Vec<f32> = (0..40).flat_map(|i| [(i % 4) as f32, 0.0]).collect();
    let m = mig(&latents, 2, &factors, &[3, 4]).unwrap();
    assert_eq!(m.entropies[0], 0.0);
    assert_eq!(m.gaps[0].gap, None);
    assert_eq!(Some(m.score), m.gaps[1].gap);
    assert_eq!(m.score, 1.0);
    let constant: Vec<usize> = vec![0; 80];
    assert_eq!(
        mig(&latents, 2, &constant, &[1, 1]),
        Err(MigError::NothingVaries)
    );
}

#[test]
fn inputs_that_do_not_fit_together_are_refused_by_what_is_wrong() {
    let (z, v, counts) = ([0.0; 6], [0, 1, 1, 0, 2, 1], [3, 2]);
    let refused =
        |z: &[f32], dims, v: &[usize], c: &[usize]| mig(z, dims, v, c).unwrap_err().to_string();
    for (message, want) in [
        (refused(&z, 2, &v, &[]), "at least one factor"),
        (refused(&[], 2, &[], &counts), "at least one image"),
        (refused(&z[..3], 1, &v, &counts), "at least two; it has 1"),
        (
            refused(&z, 2, &v[..5], &counts),
            "5 values, not a whole number of rows of 2",
        ),
        (
            refused(&z[..5], 2, &v, &counts),
            "5 latent values for 3 images of 2",
        ),
        (
            refused(&z, 2, &v, &[2, 2]),
            "image 2 has value 2 of factor 0, which takes only 2",
        ),
    ] {
        assert!(message.contains(want), "{message}");
    }
    let mut bad = z;
    bad[3] = f32::NAN;
    let error = mig(&bad, 2, &v, &counts).unwrap_err();
    assert!(
        matches!(
            error,
            MigError::NotFinite {
                image: 1,
                dim: 1,
                ..
            }
        ),
        "{error}"
    );
}

mod code {
    use super::super::{all_latent_means, latent_means, CodeSummary};
    use crate::ml::data::ImageSet;
    use crate::ml::model::{Model, ModelConfig, ModelKind};
    use crate::ml::rng::Rng;

    fn pictures(n: usize) -> ImageSet {
        let mut rng = Rng::new(7);
        let images = (0..n * 784).map(|_| rng.uniform(0.0, 1.0)).collect();
        ImageSet::new(images, vec![0; n])
    }

    fn model(kind: ModelKind) -> Model {
        let config = ModelConfig {
            kind,
            latent: 3,
            hidden: 16,
            ..ModelConfig::default()
        };
        Model::new(config, &mut Rng::new(1)).unwrap()
    }

    #[test]
    fn a_code_gathered_in_chunks_is_the_encoders_means_and_its_kl_per_dimension() {
        let (model, set) = (model(ModelKind::MlpVae), pictures(11));
        let x = set.range(0, 11).unwrap();
        let want: Vec<f32> = model
            .encode(&x)
            .unwrap()
            .mean
            .flatten_all()
            .unwrap()
            .to_vec1()
            .unwrap();
        assert_eq!(all_latent_means(&model, &set, 4).unwrap(), want);
        assert_eq!(latent_means(&model, &set, 2..5).unwrap(), want[6..15]);
        let mut code = CodeSummary::new(3);
        code.add(&model, &set, 0..6).unwrap();
        code.add(&model, &set, 6..6).unwrap();
        code.add(&model, &set, 6..11).unwrap();
        assert_eq!((code.pictures(), code.dims()), (11, 3));
        let kl = model.terms(&x, None).unwrap().kl.unwrap();
        let want_kl: Vec<f32> = (kl.sum(0).unwrap() / 11.0).unwrap().to_vec1().unwrap();
        for (got, want) in code.kl_per_dim().unwrap().iter().zip(want_kl) {
            assert!((got - f64::from(want)).abs() < 1e-5, "{got} vs {want}");
        }
        let order = code.dims_by_use();
        let kl = code.kl_per_dim().unwrap();
        assert!(kl[order[0]] >= kl[order[1]] && kl[order[1]] >= kl[order[2]]);
    }

    #[test]
    fn an_autoencoders_dimensions_are_ordered_by_how_much_they_move() {
        let (model, set) = (model(ModelKind::Autoencoder), pictures(9));
        let mut code = CodeSummary::new(3);
        code.add(&model, &set, 0..9).unwrap();
        assert_eq!(code.kl_per_dim(), None);
        let spread = code.spread_per_dim();
        let order = code.dims_by_use();
        assert!(spread[order[0]] >= spread[order[1]] && spread[order[1]] >= spread[order[2]]);
        assert!(spread.iter().all(|&s| s > 0.0), "{spread:?}");
    }
}

#[test]
fn most_first_orders_by_value_and_keeps_ties_in_order() {
    assert_eq!(most_first(&[0.1, 0.5, 0.1, 0.9, 0.5]), vec![3, 1, 4, 0, 2]);
    assert_eq!(most_first(&[]), Vec::<usize>::new());
    assert_eq!(most_first(&[2.0]), vec![0]);
}
