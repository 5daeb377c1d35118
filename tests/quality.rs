//! Model quality on the real digits: the reference MLP-VAE (z = 20, hidden 400, Adam 1e-3,
//! batch 128) trained 10 epochs on the fixed split reaches a test negative ELBO of at most 122.5
//! nats. For comparison on this split and model: PyTorch 122.1, TensorFlow.js 120.8.
//!
//! One run's result depends on its seed by about ±1 nat (seeds 0..3 gave 122.55, 122.53, 120.75
//! and 121.45), so a single seed would sit on the bar and flip with any change in floating-point
//! rounding. The test therefore trains four seeds and holds their mean to the bar, and every
//! single run to the bar plus that spread.
//!
//! Needs `assets/digits.bin` (`node www/build-digits.mjs`; the README's test command builds it).
#![cfg(not(target_arch = "wasm32"))]

use std::path::Path;

use latent_lab::ml::data::ImageSet;
use latent_lab::ml::eval::{evaluate, Evaluation};
use latent_lab::ml::model::{Model, ModelConfig, ModelKind};
use latent_lab::ml::train::{init_rng, TrainConfig, Trainer};

fn digits() -> ImageSet {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/digits.bin");
    let bytes = std::fs::read(&path).unwrap_or_else(|e| {
        panic!(
            "{} is missing ({e}): build it with `node www/build-digits.mjs` or run tools/test",
            path.display()
        )
    });
    ImageSet::parse(&bytes).expect("the digits asset parses")
}

#[test]
fn the_asset_holds_the_fixed_split_of_10000_digits() {
    let digits = digits();
    assert_eq!(digits.len(), 10_000);
    let split = digits.split();
    assert_eq!((split.train.len(), split.test.len()), (8_000, 2_000));
    // Files 0..9 in order: the first digit is a 0 and the last a 9.
    assert_eq!(digits.label(0), 0);
    assert_eq!(digits.label(9_999), 9);
    let mean_ink: f32 = digits.image(0).iter().sum::<f32>() / 784.0;
    assert!((0.05..0.4).contains(&mean_ink), "mean grey {mean_ink}");
}

/// Trains the reference model for 10 epochs with `seed`; the test negative ELBO after each epoch.
fn reference_run(split: &latent_lab::ml::data::Split, seed: u64) -> Vec<Evaluation> {
    let config = TrainConfig {
        seed,
        ..TrainConfig::default()
    };
    let model = Model::new(
        ModelConfig::new(ModelKind::MlpVae, 20, 400),
        &mut init_rng(seed),
    )
    .unwrap();
    let mut trainer = Trainer::new(model, split.train.clone(), config).unwrap();
    (0..10)
        .map(|_| {
            trainer.train_epoch().unwrap();
            evaluate(trainer.model(), &split.test).unwrap()
        })
        .collect()
}

#[test]
fn reference_mlp_vae_reaches_122_5_nats_after_10_epochs() {
    let split = digits().split();
    let mut finals = Vec::new();
    for seed in 0..4 {
        let curve = reference_run(&split, seed);
        let text: Vec<String> = curve.iter().map(|e| format!("{:.2}", e.neg_elbo)).collect();
        eprintln!("seed {seed}: test -ELBO per epoch: {}", text.join(", "));
        let first = curve[0].neg_elbo;
        let last = curve.last().unwrap();
        assert!(
            first < 215.0,
            "seed {seed}, after 1 epoch: {first:.2} nats (references: 203 and 198)"
        );
        assert!(
            last.neg_elbo <= 124.0,
            "seed {seed}, after 10 epochs: {:.2} nats",
            last.neg_elbo
        );
        assert_eq!(
            last.active_units(),
            20,
            "with β = 1 every dimension of z = 20 is in use"
        );
        assert_eq!(last.per_digit.len(), 2_000);
        finals.push(last.neg_elbo);
    }
    let mean = finals.iter().sum::<f64>() / finals.len() as f64;
    eprintln!("mean over seeds 0..3 after 10 epochs: {mean:.2} nats");
    assert!(
        mean <= 122.5,
        "mean test -ELBO after 10 epochs {mean:.2} nats (runs {finals:?}); the bar is 122.5"
    );
}
