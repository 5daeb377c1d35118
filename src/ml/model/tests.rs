//! The models natively: every kind's shapes, seeds, initial values, ids and refusals.

use super::*;
use crate::ml::data::IMAGE_PIXELS;

fn batch(n: usize) -> Tensor {
    let mut rng = Rng::new(5);
    let values: Vec<f32> = (0..n * IMAGE_PIXELS)
        .map(|_| rng.uniform(0.0, 1.0))
        .collect();
    Tensor::from_vec(values, (n, IMAGE_PIXELS), &Device::Cpu).unwrap()
}

#[test]
fn every_kind_encodes_and_decodes_with_the_right_shapes() {
    for kind in ModelKind::ALL {
        let hidden = if kind == ModelKind::ConvVae { 8 } else { 32 };
        let model = Model::new(ModelConfig::new(kind, 3, hidden), &mut Rng::new(1)).unwrap();
        let x = batch(4);
        let posterior = model.encode(&x).unwrap();
        assert_eq!(posterior.mean.dims(), &[4, 3], "{kind:?}");
        assert_eq!(posterior.log_var.is_some(), kind.is_variational());
        let logits = model.decode(&posterior.mean).unwrap();
        assert_eq!(logits.dims(), &[4, IMAGE_PIXELS], "{kind:?}");
        let terms = model.terms(&x, None).unwrap();
        assert_eq!(terms.recon.dims(), &[4]);
        assert_eq!(
            terms.kl.as_ref().map(|k| k.dims().to_vec()),
            kind.is_variational().then(|| vec![4, 3])
        );
    }
}

#[test]
fn every_kind_reads_and_draws_images_of_every_shape() {
    use crate::ml::dataset::{Channels, ImageShape, SIDES};
    for kind in ModelKind::ALL {
        for channels in Channels::ALL {
            for side in SIDES {
                let shape = ImageShape::new(channels, side).unwrap();
                let hidden = if kind == ModelKind::ConvVae { 4 } else { 16 };
                let config = ModelConfig::new(kind, 2, hidden).of_shape(shape);
                let model = Model::new(config, &mut Rng::new(1)).unwrap();
                let x = Tensor::full(0.5f32, (3, shape.values()), &Device::Cpu).unwrap();
                let terms = model.terms(&x, None).unwrap();
                assert_eq!(terms.recon.dims(), &[3], "{config}");
                let z = Tensor::zeros((3, 2), DType::F32, &Device::Cpu).unwrap();
                assert_eq!(model.decode(&z).unwrap().dims(), &[3, shape.values()]);
            }
        }
    }
    // A 64×64 Conv-VAE takes a third stage, with the names a two-stage one has and one more.
    let shape = ImageShape::new(Channels::Colour, 64).unwrap();
    let model = Model::zeroed(ModelConfig::new(ModelKind::ConvVae, 2, 4).of_shape(shape));
    let names: Vec<String> = model
        .unwrap()
        .named_parameters()
        .into_iter()
        .map(|p| p.0)
        .collect();
    for name in ["encoder.conv3.weight", "decoder.deconv3.weight"] {
        assert!(names.contains(&name.to_string()), "{names:?}");
    }
}

#[test]
fn the_same_seed_gives_the_same_parameters() {
    let config = ModelConfig::new(ModelKind::MlpVae, 2, 16);
    let a = Model::new(config, &mut Rng::new(9)).unwrap();
    let b = Model::new(config, &mut Rng::new(9)).unwrap();
    let c = Model::new(config, &mut Rng::new(10)).unwrap();
    let flat = |m: &Model| -> Vec<f32> {
        m.named_parameters()
            .iter()
            .flat_map(|(_, t)| t.flatten_all().unwrap().to_vec1::<f32>().unwrap())
            .collect()
    };
    assert_eq!(flat(&a), flat(&b));
    assert_ne!(flat(&a), flat(&c));
}

#[test]
fn initial_weights_are_bounded_by_one_over_root_fan_in() {
    let model = Model::new(ModelConfig::new(ModelKind::ConvVae, 4, 8), &mut Rng::new(2)).unwrap();
    for (name, t) in model.named_parameters() {
        let fan_in = match name.as_str() {
            n if n.starts_with("encoder.conv1") => 16,
            n if n.starts_with("encoder.conv2") => 8 * 16,
            n if n.starts_with("encoder.mean") || n.starts_with("encoder.log_var") => 16 * 49,
            n if n.starts_with("decoder.project") => 4,
            // a transposed convolution's fan-in counts its output channels, as in PyTorch
            n if n.starts_with("decoder.deconv1") => 8 * 16,
            n if n.starts_with("decoder.deconv2") => 16,
            other => panic!("unexpected parameter {other}"),
        };
        let bound = 1.0 / (fan_in as f32).sqrt();
        let max = t
            .abs()
            .unwrap()
            .max_all()
            .unwrap()
            .to_scalar::<f32>()
            .unwrap();
        assert!(max <= bound, "{name}: max {max}, bound {bound}");
        if name.ends_with("weight") {
            assert!(
                max > 0.9 * bound,
                "{name}: max {max} should come near {bound}"
            );
        }
    }
}

#[test]
fn every_kind_has_an_id_that_reads_back_and_a_default_width_in_range() {
    for kind in ModelKind::ALL {
        assert_eq!(ModelKind::from_id(kind.id()), Some(kind));
        let config = ModelConfig::with_default_hidden(kind, 2);
        assert!(config.validate().is_ok(), "{config}");
        assert!(config.to_string().contains(kind.width_name()), "{config}");
    }
    assert_eq!(ModelKind::ids_text("or"), "mlp-vae, conv-vae or ae");
    assert_eq!(
        ModelConfig::default().to_string(),
        "MLP-VAE z=20 hidden=400"
    );
}

#[test]
fn invalid_sizes_are_refused_with_the_allowed_range() {
    let err = ModelConfig::new(ModelKind::MlpVae, 0, 400)
        .validate()
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "a latent size of 0 is out of range: choose 1 to 64"
    );
    let err = ModelConfig::new(ModelKind::ConvVae, 8, 400)
        .validate()
        .unwrap_err();
    assert!(err.to_string().contains("choose 4 to 128"), "{err}");
    assert!(Model::zeroed(ModelConfig::new(ModelKind::MlpVae, 65, 400)).is_err());
}
