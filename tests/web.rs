//! Browser tests (wasm-pack test --headless --chrome): the model core computes the same numbers
//! in wasm as natively, and trains there.
#![cfg(target_arch = "wasm32")]

mod common;

use std::collections::BTreeMap;

use latent_lab::ml::checkpoint::{self, Precision};
use latent_lab::ml::data::{ImageSet, IMAGE_PIXELS};
use latent_lab::ml::eval::{evaluate, Evaluator};
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

/// `count` synthetic "digits" alternating between a vertical and a horizontal bar.
fn bars(count: usize) -> ImageSet {
    let mut grey = Vec::new();
    let mut labels = Vec::new();
    for i in 0..count {
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
    ImageSet::parse(&ImageSet::encode(&grey, &labels)).unwrap()
}

#[wasm_bindgen_test]
fn training_steps_lower_the_loss_in_wasm() {
    let digits = bars(64);
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

/// The trainer keeps its weights' packings while they hold still (`ml::held`); after each update
/// they must be built again. Scored through the trainer after a few updates (held at its
/// version), each digit's loss must be what the model's current weights give outside any hold.
#[wasm_bindgen_test]
fn a_trainers_scores_after_its_updates_are_those_of_its_current_weights() {
    let digits = bars(48);
    let config = TrainConfig {
        batch_size: 16,
        learning_rate: 1e-2,
        ..TrainConfig::default()
    };
    for (kind, hidden) in [(ModelKind::MlpVae, 32), (ModelKind::ConvVae, 16)] {
        let model = Model::new(
            ModelConfig::new(kind, 2, hidden),
            &mut init_rng(config.seed),
        )
        .unwrap();
        let mut trainer = Trainer::new(model, digits.clone(), config).unwrap();
        for _ in 0..3 {
            trainer.step().unwrap();
        }
        let mut evaluator = Evaluator::new(trainer.model());
        while !trainer.evaluate_next(&mut evaluator, &digits, 16).unwrap() {}
        let held = evaluator.finish().per_digit;
        let plain = evaluate(trainer.model(), &digits).unwrap().per_digit;
        assert_eq!(held.len(), plain.len());
        for (i, (h, p)) in held.iter().zip(&plain).enumerate() {
            assert!(
                (h - p).abs() <= 1e-4 * p.abs().max(1.0),
                "{kind:?}: digit {i} scores {h} through the trainer, {p} by its weights"
            );
        }
    }
}

/// The sprites are drawn with IEEE basic arithmetic only (their own sine and cosine), so the
/// page draws the very bytes the native tests check: the first 16 images of the fixed subset
/// against the fingerprint `ml::dataset::sprites`' own test pins (`FIRST_16`).
#[wasm_bindgen_test]
fn sprites_draw_the_same_bytes_in_wasm_as_natively() {
    use latent_lab::ml::dataset::sprites::{fingerprint, render, subset};
    let values: Vec<f32> = subset()[..16].iter().flat_map(|&s| render(s)).collect();
    assert_eq!(fingerprint(&values), 0x29b8_e34b_5385_4abb);
}

/// The hand-written kernels in wasm against plain candle ops (`wasm_kernels/`).
mod wasm_kernels;

mod protocol_round_trips {
    use latent_lab::protocol::Event;
    use wasm_bindgen::JsCast;
    use wasm_bindgen_test::*;

    use super::common::protocol_samples::{commands, events, import_commands, import_events};

    fn round_trip<T>(value: &T) -> T
    where
        T: serde::Serialize + serde::de::DeserializeOwned,
    {
        let js = serde::Serialize::serialize(value, &serde_wasm_bindgen::Serializer::new())
            .expect("serialises");
        serde_wasm_bindgen::from_value(js).expect("deserialises")
    }

    #[wasm_bindgen_test]
    fn every_command_survives_serde_wasm_bindgen() {
        for command in commands() {
            assert_eq!(round_trip(&command), command);
        }
    }

    #[wasm_bindgen_test]
    fn every_event_survives_serde_wasm_bindgen() {
        for event in events() {
            assert_eq!(round_trip(&event), event);
        }
    }

    #[wasm_bindgen_test]
    fn every_import_message_survives_serde_wasm_bindgen() {
        for command in import_commands() {
            assert_eq!(round_trip(&command), command);
        }
        for event in import_events() {
            assert_eq!(round_trip(&event), event);
        }
    }

    #[wasm_bindgen_test]
    fn weights_travel_as_a_transferable_uint8array() {
        let event = Event::Snapshot {
            run: 1,
            step: 2,
            epochs_done: 0,
            step_in_epoch: 2,
            weights: vec![7; 1000],
        };
        let js =
            serde::Serialize::serialize(&event, &serde_wasm_bindgen::Serializer::new()).unwrap();
        let weights = js_sys::Reflect::get(&js, &"weights".into()).unwrap();
        let array = weights
            .dyn_into::<js_sys::Uint8Array>()
            .expect("weights are a Uint8Array");
        assert_eq!(array.length(), 1000);
        let kind = js_sys::Reflect::get(&js, &"type".into()).unwrap();
        assert_eq!(kind.as_string().as_deref(), Some("Snapshot"));
    }
}
