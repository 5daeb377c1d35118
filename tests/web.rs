//! Browser tests (wasm-pack test --headless --chrome): the model core computes the same numbers
//! in wasm as natively, and trains there.
#![cfg(target_arch = "wasm32")]

mod common;

use std::collections::BTreeMap;

use latent_lab::ml::checkpoint::{self, Precision};
use latent_lab::ml::data::{ImageSet, IMAGE_PIXELS};
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
    let digits = ImageSet::parse(&ImageSet::encode(&grey, &labels)).unwrap();
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

/// The sprites are drawn with IEEE basic arithmetic only (their own sine and cosine), so the
/// page draws the very bytes the native tests check: the first 16 images of the fixed subset
/// against the fingerprint `ml::dataset::sprites`' own test pins (`FIRST_16`).
#[wasm_bindgen_test]
fn sprites_draw_the_same_bytes_in_wasm_as_natively() {
    use latent_lab::ml::dataset::sprites::{fingerprint, render, subset};
    let values: Vec<f32> = subset()[..16].iter().flat_map(|&s| render(s)).collect();
    assert_eq!(fingerprint(&values), 0x29b8_e34b_5385_4abb);
}

/// The hand-written kernels (sparse products, SIMD transposes, packed decoding) run only in
/// wasm builds; these compare them there with plain candle ops on the same parameters.
mod wasm_kernels {
    use candle_core::{Device, Tensor, Var};
    use latent_lab::ml::explore::decode_many;
    use latent_lab::ml::rng::Rng;
    use wasm_bindgen_test::*;

    use super::common;

    fn var(model: &latent_lab::ml::model::Model, name: &str) -> Var {
        model.vars().data().lock().unwrap()[name].clone()
    }

    /// `x·Wᵀ + b` with plain candle ops.
    fn plain_affine(x: &Tensor, w: &Var, b: &Var) -> Tensor {
        x.matmul(&w.as_tensor().t().unwrap())
            .unwrap()
            .broadcast_add(b.as_tensor())
            .unwrap()
    }

    fn max_abs_diff(a: &Tensor, b: &Tensor) -> f32 {
        (a - b)
            .unwrap()
            .abs()
            .unwrap()
            .flatten_all()
            .unwrap()
            .max(0)
            .unwrap()
            .to_scalar::<f32>()
            .unwrap()
    }

    #[wasm_bindgen_test]
    fn sparse_layers_give_the_plain_values_and_gradients() {
        let f = common::fixture();
        // Digits (mostly zeros) and the same lifted off zero, as dense as a colour photograph
        // (every value a non-zero the kernels must carry): both must be the plain layer.
        for x in [f.x_tensor(), (f.x_tensor() + 0.25).unwrap()] {
            sparse_layers_match_on(&f, &x);
        }
    }

    fn sparse_layers_match_on(f: &common::Fixture, x: &Tensor) {
        let m = &f.model;
        let x = x.clone();
        let z = Var::from_vec(
            Rng::new(5).normal_vec(common::BATCH * common::LATENT),
            (common::BATCH, common::LATENT),
            &Device::Cpu,
        )
        .unwrap();
        let weights = Tensor::from_vec(
            Rng::new(6).normal_vec(common::BATCH * 784),
            (common::BATCH, 784),
            &Device::Cpu,
        )
        .unwrap();
        let enc_weights = Tensor::from_vec(
            Rng::new(7).normal_vec(common::BATCH * common::LATENT),
            (common::BATCH, common::LATENT),
            &Device::Cpu,
        )
        .unwrap();
        let ours = ((m.decode(z.as_tensor()).unwrap() * &weights)
            .unwrap()
            .sum_all()
            .unwrap()
            + (m.encode(&x).unwrap().mean * &enc_weights)
                .unwrap()
                .sum_all()
                .unwrap())
        .unwrap();
        let (h1, hb1) = (
            var(m, "decoder.hidden.weight"),
            var(m, "decoder.hidden.bias"),
        );
        let (o, ob) = (var(m, "decoder.out.weight"), var(m, "decoder.out.bias"));
        let (e, eb) = (
            var(m, "encoder.hidden.weight"),
            var(m, "encoder.hidden.bias"),
        );
        let (mu, mub) = (var(m, "encoder.mean.weight"), var(m, "encoder.mean.bias"));
        let hidden = plain_affine(z.as_tensor(), &h1, &hb1).relu().unwrap();
        let logits = plain_affine(&hidden, &o, &ob);
        let mean = plain_affine(&plain_affine(&x, &e, &eb).relu().unwrap(), &mu, &mub);
        let plain = ((logits * &weights).unwrap().sum_all().unwrap()
            + (mean * &enc_weights).unwrap().sum_all().unwrap())
        .unwrap();
        let (a, b) = (
            ours.to_scalar::<f32>().unwrap(),
            plain.to_scalar::<f32>().unwrap(),
        );
        assert!((a - b).abs() <= 1e-4 * b.abs().max(1.0), "{a} against {b}");
        let (g1, g2) = (ours.backward().unwrap(), plain.backward().unwrap());
        for (name, v) in [
            ("z", &z),
            ("out.weight", &o),
            ("out.bias", &ob),
            ("hidden.weight", &e),
            ("hidden.bias", &eb),
        ] {
            let diff = max_abs_diff(g1.get(v).unwrap(), g2.get(v).unwrap());
            assert!(diff < 1e-4, "gradient of {name} off by {diff}");
        }
    }

    /// The sum of `y` weighted by `weights`, and the gradients of `vars` under it.
    fn weighted_gradients(y: &Tensor, weights: &Tensor, vars: &[&Var]) -> Vec<Tensor> {
        let grads = (y * weights)
            .unwrap()
            .sum_all()
            .unwrap()
            .backward()
            .unwrap();
        vars.iter().map(|v| grads.get(v).unwrap().clone()).collect()
    }

    #[wasm_bindgen_test]
    fn matrix_convolutions_give_candles_values_and_gradients() {
        use latent_lab::ml::conv_op::{conv_down, deconv_up};
        let mut rng = Rng::new(21);
        let random = |rng: &mut Rng, shape: &[usize]| {
            let n = shape.iter().product();
            Var::from_vec(rng.normal_vec(n), shape, &Device::Cpu).unwrap()
        };
        // The 28×28 Conv-VAE's second stage down and first stage up, small; with 16 channels
        // the convolution's input gradient and the transposed convolution's values are
        // computed without a patch matrix.
        for c in [4, 16] {
            let (x, w, b) = (
                random(&mut rng, &[3, c, 14, 14]),
                random(&mut rng, &[6, c, 4, 4]),
                random(&mut rng, &[6]),
            );
            let (u, v, bias) = (
                random(&mut rng, &[3, 6, 7, 7]),
                random(&mut rng, &[6, c, 4, 4]),
                random(&mut rng, &[c]),
            );
            let ours = [
                conv_down(&x, &w, &b).unwrap(),
                deconv_up(&u, &v, &bias).unwrap(),
            ];
            let theirs = [
                x.conv2d(&w, 1, 2, 1, 1)
                    .unwrap()
                    .broadcast_add(&b.reshape((1, 6, 1, 1)).unwrap())
                    .unwrap(),
                u.conv_transpose2d(&v, 1, 0, 2, 1)
                    .unwrap()
                    .broadcast_add(&bias.reshape((1, c, 1, 1)).unwrap())
                    .unwrap(),
            ];
            for (k, (mine, want)) in ours.iter().zip(&theirs).enumerate() {
                assert_eq!(mine.dims(), want.dims());
                let d = max_abs_diff(mine, want);
                assert!(d < 1e-4, "layer {k} ({c} channels): values differ by {d}");
                // Weighted densely, and half by zeros as a ReLU after the layer would weight
                // it (the sparse path's input gradient then skips them). The second backward
                // pass over the same graph rebuilds the rows the first one took.
                for rectify in [false, true] {
                    let weighting = rng
                        .normal_vec(mine.elem_count())
                        .into_iter()
                        .map(|v| if rectify { v.max(0.0) } else { v })
                        .collect();
                    let weights = Tensor::from_vec(weighting, mine.dims(), &Device::Cpu).unwrap();
                    let vars: [&Var; 3] = if k == 0 {
                        [&x, &w, &b]
                    } else {
                        [&u, &v, &bias]
                    };
                    let g_mine = weighted_gradients(mine, &weights, &vars);
                    let g_want = weighted_gradients(want, &weights, &vars);
                    for (i, (a, b)) in g_mine.iter().zip(&g_want).enumerate() {
                        let d = max_abs_diff(a, b);
                        assert!(
                            d < 1e-3,
                            "layer {k} ({c} channels), gradient {i}: differs by {d} \
                             (rectified: {rectify})"
                        );
                    }
                }
            }
        }
    }

    /// The largest difference between two results of one length.
    fn largest_gap(a: &[f32], b: &[f32]) -> f32 {
        assert_eq!(a.len(), b.len());
        a.iter()
            .zip(b)
            .map(|(x, y)| (x - y).abs())
            .fold(0.0, f32::max)
    }

    #[wasm_bindgen_test]
    fn packed_decoding_matches_candle() {
        let f = common::fixture();
        let packed = f.model.packed_decoder().unwrap();
        let zs = Rng::new(8).normal_vec(37 * common::LATENT);
        let fast = packed.decode_pixels(&zs, 37).unwrap();
        let plain = decode_many(&f.model, &zs, 37).unwrap();
        let diff = largest_gap(&fast, &plain);
        assert!(diff < 1e-5, "off by {diff}");
    }

    #[wasm_bindgen_test]
    fn packed_conv_decoding_and_means_match_candles_sparse_ops() {
        use latent_lab::ml::data::IMAGE_PIXELS;
        use latent_lab::ml::explore::encode_means;
        use latent_lab::ml::model::{Model, ModelConfig, ModelKind};
        // 16 channels: the inner layers fill a panel, and candle's path takes the pixel lists
        // for them too.
        let config = ModelConfig::new(ModelKind::ConvVae, 8, 16);
        let model = Model::new(config, &mut Rng::new(9)).unwrap();
        let (decoder, encoder) = (
            model.packed_decoder().unwrap(),
            model.packed_encoder().unwrap(),
        );
        let f = common::fixture();
        for count in [1, common::BATCH] {
            let zs = Rng::new(10).normal_vec(count * 8);
            let fast = decoder.decode_pixels(&zs, count).unwrap();
            let plain = decode_many(&model, &zs, count).unwrap();
            let diff = largest_gap(&fast, &plain);
            assert!(diff < 1e-5, "{count} codes: off by {diff}");
            let images = &f.x[..count * IMAGE_PIXELS];
            let fast = encoder.encode_means(images, count).unwrap();
            let plain = encode_means(&model, images, count).unwrap();
            let diff = largest_gap(&fast, &plain);
            assert!(diff < 1e-4, "{count} images: off by {diff}");
        }
    }

    #[wasm_bindgen_test]
    fn packed_means_match_candle() {
        let f = common::fixture();
        let m = &f.model;
        let packed = m.packed_encoder().unwrap();
        let fast = packed.encode_means(&f.x, common::BATCH).unwrap();
        let (e, eb) = (
            var(m, "encoder.hidden.weight"),
            var(m, "encoder.hidden.bias"),
        );
        let (mu, mub) = (var(m, "encoder.mean.weight"), var(m, "encoder.mean.bias"));
        let hidden = plain_affine(&f.x_tensor(), &e, &eb).relu().unwrap();
        let plain = plain_affine(&hidden, &mu, &mub);
        let fast = Tensor::from_vec(fast, (common::BATCH, common::LATENT), &Device::Cpu).unwrap();
        let diff = max_abs_diff(&fast, &plain);
        assert!(diff < 1e-4, "off by {diff}");
    }
}

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
