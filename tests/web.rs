//! Browser tests (wasm-pack test --headless --chrome): the model core computes the same numbers
//! in wasm as natively, and trains there.
#![cfg(target_arch = "wasm32")]

mod common;

use std::collections::BTreeMap;

use latent_lab::ml::checkpoint::{self, Precision};
use latent_lab::ml::data::{Digits, IMAGE_PIXELS};
use latent_lab::ml::model::{Model, ModelConfig, ModelKind};
use latent_lab::ml::train::{init_rng, TrainConfig, Trainer};
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

#[wasm_bindgen_test]
fn candle_loss_in_wasm_matches_the_f64_reference() {
    let f = common::fixture();
    let (recon, kl, total) = common::candle_loss(&f);
    let (want_recon, want_kl) = common::reference_loss(&f);
    common::assert_close("recon", recon, want_recon, 1e-5);
    common::assert_close("kl", kl, want_kl, 1e-5);
    common::assert_close("total", total, want_recon + want_kl, 1e-5);
}

#[wasm_bindgen_test]
fn a_checkpoint_round_trips_in_wasm() {
    let f = common::fixture();
    let bytes = checkpoint::save(&f.model, Precision::F32, &BTreeMap::new()).unwrap();
    let (loaded, info) = checkpoint::load(&bytes).unwrap();
    assert_eq!(info.config, f.model.config());
    let noise = f.noise_tensor();
    let a = f
        .model
        .terms(&f.x_tensor(), Some(&noise))
        .unwrap()
        .loss(1.0)
        .unwrap()
        .values()
        .unwrap();
    let b = loaded
        .terms(&f.x_tensor(), Some(&noise))
        .unwrap()
        .loss(1.0)
        .unwrap()
        .values()
        .unwrap();
    assert_eq!(a, b);
    assert!(checkpoint::load(&bytes[..bytes.len() - 3]).is_err());
}

#[wasm_bindgen_test]
fn training_steps_lower_the_loss_in_wasm() {
    // Two alternating synthetic "digits": a vertical and a horizontal bar.
    let mut grey = Vec::new();
    let mut labels = Vec::new();
    for i in 0..64 {
        for row in 0..28 {
            for col in 0..28 {
                let on = if i % 2 == 0 {
                    (12..16).contains(&col)
                } else {
                    (12..16).contains(&row)
                };
                grey.push(if on { 255u8 } else { 0 });
            }
        }
        labels.push((i % 2) as u8);
    }
    let digits = Digits::parse(&Digits::encode(&grey, &labels)).unwrap();
    assert_eq!(digits.image(1).len(), IMAGE_PIXELS);
    let config = TrainConfig {
        batch_size: 16,
        learning_rate: 3e-3,
        ..TrainConfig::default()
    };
    let model = Model::new(
        ModelConfig::new(ModelKind::MlpVae, 2, 32),
        &mut init_rng(config.seed),
    )
    .unwrap();
    let mut trainer = Trainer::new(model, digits, config).unwrap();
    let first = trainer.step().unwrap().loss.total;
    let mut last = first;
    for _ in 0..40 {
        last = trainer.step().unwrap().loss.total;
    }
    assert!(last < 0.6 * first, "loss went from {first} to {last}");
}
