//! The hand-written kernels (sparse products, SIMD transposes, packed decoding) run only in
//! wasm builds; these compare them there with plain candle ops on the same parameters.

use candle_core::{Device, Tensor, Var};
use latent_lab::ml::explore::decode_many;
use latent_lab::ml::rng::Rng;
use wasm_bindgen_test::*;

use super::common;

mod objective;
mod step;

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
        ("decoder's hidden.weight", &h1),
        ("decoder's hidden.bias", &hb1),
        ("hidden.weight", &e),
        ("hidden.bias", &eb),
        ("mean.weight", &mu),
        ("mean.bias", &mub),
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
    use latent_lab::ml::conv_op::{
        conv_down, conv_down_laid, deconv_up, deconv_up_laid, ChannelsLast,
    };
    let mut rng = Rng::new(21);
    let random = |rng: &mut Rng, shape: &[usize]| {
        let n = shape.iter().product();
        Var::from_vec(rng.normal_vec(n), shape, &Device::Cpu).unwrap()
    };
    // The 28×28 Conv-VAE's second stage down and first stage up, small; with 16 channels
    // the convolution's input gradient and the transposed convolution's values are
    // computed without a patch matrix. Each also with the ReLU after it done inside the op,
    // as the Conv-VAE's inner layers do it.
    let planar = ChannelsLast::default();
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
            conv_down_laid(&x, &w, &b, planar, true).unwrap(),
            deconv_up_laid(&u, &v, &bias, planar, true).unwrap(),
        ];
        let [down, up] = [
            x.conv2d(&w, 1, 2, 1, 1)
                .unwrap()
                .broadcast_add(&b.reshape((1, 6, 1, 1)).unwrap())
                .unwrap(),
            u.conv_transpose2d(&v, 1, 0, 2, 1)
                .unwrap()
                .broadcast_add(&bias.reshape((1, c, 1, 1)).unwrap())
                .unwrap(),
        ];
        let theirs = [down.relu().unwrap(), up.relu().unwrap()];
        let theirs = [down, up].into_iter().chain(theirs).collect::<Vec<_>>();
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
                let vars: [&Var; 3] = if k % 2 == 0 {
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

/// A row of the manifold's sheet decoded along its line, and the whole sheet walked down its
/// column and along its rows (`kernels::line`), against candle's decoding of the same codes.
#[wasm_bindgen_test]
fn a_sheet_decoded_along_its_lines_matches_candle() {
    use latent_lab::ml::axis_line::{AxisLine, AxisSheet};
    use latent_lab::ml::explore::grid_codes;
    let f = common::fixture();
    let packed = f.model.packed_decoder().unwrap();
    let base = Rng::new(9).normal_vec(common::LATENT);
    let n = 15;
    let codes = grid_codes(&base, 3, 7, n);
    for row in codes.chunks_exact(n * common::LATENT) {
        let line = AxisLine::through(row, n).unwrap();
        let along = packed.decode_line(line.line()).unwrap();
        let plain = decode_many(&f.model, row, n).unwrap();
        assert!(along.iter().all(|v| v.is_finite()), "not finite");
        let diff = largest_gap(&along, &plain);
        assert!(diff < 1e-5, "off by {diff}");
    }
    let sheet = AxisSheet::through(&codes, n, n).unwrap();
    let walked = packed
        .decode_sheet(sheet.column(), sheet.direction(), &sheet.rows())
        .unwrap();
    let plain = decode_many(&f.model, &codes, n * n).unwrap();
    assert!(walked.iter().all(|v| v.is_finite()), "not finite");
    let diff = largest_gap(&walked, &plain);
    assert!(diff < 1e-5, "the sheet: off by {diff}");
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

/// In wasm a Conv-VAE batch takes the sparse path, its activations channels last between the
/// layers and its fully connected layers (the heads, the projection) one sparse op each once
/// it has 8 images or more; one image alone takes `gemm`'s, channel-planar. The batch's
/// gradient is the mean of its images' own.
#[wasm_bindgen_test]
fn a_conv_vae_batchs_gradient_is_the_mean_of_its_images_own() {
    use latent_lab::ml::data::IMAGE_PIXELS;
    use latent_lab::ml::model::{Model, ModelConfig, ModelKind};
    let latent = 4;
    let config = ModelConfig::new(ModelKind::ConvVae, latent, 16);
    let model = Model::new(config, &mut Rng::new(12)).unwrap();
    let vars = model.vars().all_vars();
    let f = common::fixture();
    let n = common::BATCH;
    let noise = Rng::new(13).normal_vec(n * latent);
    let gradients = |start: usize, count: usize| -> Vec<Tensor> {
        let pixels = f.x[start * IMAGE_PIXELS..(start + count) * IMAGE_PIXELS].to_vec();
        let x = Tensor::from_vec(pixels, (count, IMAGE_PIXELS), &Device::Cpu).unwrap();
        let eps = noise[start * latent..(start + count) * latent].to_vec();
        let eps = Tensor::from_vec(eps, (count, latent), &Device::Cpu).unwrap();
        let total = model
            .terms(&x, Some(&eps))
            .unwrap()
            .loss(1.0)
            .unwrap()
            .total;
        let grads = total.backward().unwrap();
        vars.iter().map(|v| grads.get(v).unwrap().clone()).collect()
    };
    let batch = gradients(0, n);
    let alone: Vec<Vec<Tensor>> = (0..n).map(|i| gradients(i, 1)).collect();
    for (k, g) in batch.iter().enumerate() {
        let sum = alone
            .iter()
            .map(|a| a[k].clone())
            .reduce(|a, b| (a + b).unwrap())
            .unwrap();
        let mean = (sum / n as f64).unwrap();
        let scale = max_abs_diff(&mean, &mean.zeros_like().unwrap()).max(1.0);
        let d = max_abs_diff(g, &mean);
        assert!(
            d < 1e-4 * scale,
            "parameter {k}: off by {d} (largest {scale})"
        );
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

/// Adam's update (its kernel runs in wasm's SIMD lanes) against the plain arithmetic, value by
/// value, bit for bit; a moment decaying below `TINY_MOMENT` comes out zero, not subnormal.
#[wasm_bindgen_test]
fn adams_update_equals_the_plain_arithmetic_and_zeroes_tiny_moments() {
    use latent_lab::ml::optim::{Adam, TINY_MOMENT};
    let lr = 0.01;
    let mut rng = Rng::new(5);
    // 1,027 values: the lanes and a tail of three.
    let n = 1027;
    let mut g = rng.normal_vec(n);
    let mut m = rng.normal_vec(n);
    let mut v: Vec<f32> = rng.normal_vec(n).iter().map(|x| x * x).collect();
    // Moments that decay below the limit in this update, in the lanes and in the tail.
    let decaying = [0, 5, 1025];
    for i in decaying {
        (g[i], m[i], v[i]) = (0.0, 1.01 * TINY_MOMENT, 0.0);
    }
    let theta0 = rng.normal_vec(n);
    let var = Var::from_vec(theta0.clone(), n, &Device::Cpu).unwrap();
    let mut adam = Adam::new(vec![var.clone()], lr).unwrap();
    adam.set_moments(0, &[(m.clone(), v.clone())]).unwrap();
    let grad = Tensor::from_vec(g.clone(), n, &Device::Cpu).unwrap();
    adam.step(|_| Some(grad.clone())).unwrap();
    let theta = var.as_tensor().to_vec1::<f32>().unwrap();
    let [(m1, v1)] = adam.moments(0..1).try_into().unwrap();
    // The first update's scales, as Adam folds them.
    let step = (lr / (1.0 - 0.9f64)) as f32;
    let scale_v = (1.0 / (1.0 - 0.999f64)) as f32;
    let (b1, b2) = (0.9f32, 0.999f32);
    let tiny = |x: f32| if x.abs() < TINY_MOMENT { 0.0 } else { x };
    for i in 0..n {
        let mi = tiny(b1 * m[i] + (1.0 - b1) * g[i]);
        let vi = tiny(b2 * v[i] + (1.0 - b2) * g[i] * g[i]);
        let ti = theta0[i] - step * mi / ((vi * scale_v).sqrt() + 1e-8);
        assert_eq!(
            [m1[i], v1[i], theta[i]].map(f32::to_bits),
            [mi, vi, ti].map(f32::to_bits),
            "value {i}"
        );
    }
    assert!(decaying.iter().all(|&i| m1[i].to_bits() == 0));
}
