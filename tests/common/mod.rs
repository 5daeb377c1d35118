//! Shared fixtures: a seeded MLP-VAE, a batch of synthetic digits, and an independent f64
//! implementation of its loss, so native and browser tests check candle against the same
//! reference numbers; and a set of synthetic "digits" (bars) small enough to train on in a test.
#![allow(dead_code)] // each test binary uses a different part of this module

pub mod protocol_samples;

use candle_core::{Device, Tensor};
use latent_lab::ml::data::{ImageSet, IMAGE_PIXELS, IMAGE_SIDE};
use latent_lab::ml::model::{Model, ModelConfig, ModelKind};
use latent_lab::ml::rng::Rng;
use latent_lab::ml::train::{StepReport, TrainConfig, TrainError, Trainer};

pub const LATENT: usize = 20;
pub const HIDDEN: usize = 400;
pub const BATCH: usize = 8;

pub struct Fixture {
    pub model: Model,
    pub x: Vec<f32>,
    pub noise: Vec<f32>,
}

impl Fixture {
    pub fn x_tensor(&self) -> Tensor {
        Tensor::from_vec(self.x.clone(), (BATCH, IMAGE_PIXELS), &Device::Cpu).unwrap()
    }

    pub fn noise_tensor(&self) -> Tensor {
        Tensor::from_vec(self.noise.clone(), (BATCH, LATENT), &Device::Cpu).unwrap()
    }
}

/// A reference-sized MLP-VAE (z = 20, hidden 400) with seeded weights, eight synthetic digits
/// (a blurred ring, a different radius each, plus noise, in [0, 1]) and seeded noise ε.
pub fn fixture() -> Fixture {
    let mut rng = Rng::new(42);
    let model = Model::new(
        ModelConfig::new(ModelKind::MlpVae, LATENT, HIDDEN),
        &mut rng,
    )
    .unwrap();
    let mut x = Vec::with_capacity(BATCH * IMAGE_PIXELS);
    for digit in 0..BATCH {
        let radius = 5.0 + digit as f32;
        for row in 0..28 {
            for col in 0..28 {
                let d = ((row as f32 - 13.5).powi(2) + (col as f32 - 13.5).powi(2)).sqrt();
                let ring = (-(d - radius).powi(2) / 4.0).exp();
                x.push((ring + 0.05 * rng.uniform(0.0, 1.0)).clamp(0.0, 1.0));
            }
        }
    }
    let noise = rng.normal_vec(BATCH * LATENT);
    Fixture { model, x, noise }
}

fn param(model: &Model, name: &str) -> (Vec<f64>, Vec<usize>) {
    let (_, t) = model
        .named_parameters()
        .into_iter()
        .find(|(n, _)| n == name)
        .unwrap_or_else(|| panic!("no parameter {name}"));
    let values = t.flatten_all().unwrap().to_vec1::<f32>().unwrap();
    (
        values.into_iter().map(f64::from).collect(),
        t.dims().to_vec(),
    )
}

/// y = W x + b for one input vector, with W stored `(out, in)` row-major.
fn affine(model: &Model, layer: &str, input: &[f64]) -> Vec<f64> {
    let (w, dims) = param(model, &format!("{layer}.weight"));
    let (b, _) = param(model, &format!("{layer}.bias"));
    let (out, inp) = (dims[0], dims[1]);
    assert_eq!(inp, input.len());
    (0..out)
        .map(|o| b[o] + (0..inp).map(|i| w[o * inp + i] * input[i]).sum::<f64>())
        .collect()
}

fn relu(v: Vec<f64>) -> Vec<f64> {
    v.into_iter().map(|x| x.max(0.0)).collect()
}

/// Mean reconstruction BCE and mean KL per digit, computed in f64 with plain loops.
pub fn reference_loss(f: &Fixture) -> (f64, f64) {
    let (mut recon, mut kl) = (0.0, 0.0);
    for n in 0..BATCH {
        let x: Vec<f64> = f.x[n * IMAGE_PIXELS..(n + 1) * IMAGE_PIXELS]
            .iter()
            .map(|&v| v as f64)
            .collect();
        let h = relu(affine(&f.model, "encoder.hidden", &x));
        let mean = affine(&f.model, "encoder.mean", &h);
        let log_var = affine(&f.model, "encoder.log_var", &h);
        let z: Vec<f64> = (0..LATENT)
            .map(|j| mean[j] + (0.5 * log_var[j]).exp() * f.noise[n * LATENT + j] as f64)
            .collect();
        let hd = relu(affine(&f.model, "decoder.hidden", &z));
        let logits = affine(&f.model, "decoder.out", &hd);
        for (l, t) in logits.iter().zip(&x) {
            let p = 1.0 / (1.0 + (-l).exp());
            recon -= t * p.ln() + (1.0 - t) * (1.0 - p).ln();
        }
        for j in 0..LATENT {
            kl += 0.5 * (mean[j].powi(2) + log_var[j].exp() - 1.0 - log_var[j]);
        }
    }
    (recon / BATCH as f64, kl / BATCH as f64)
}

/// candle's loss of the fixture: (recon, kl, total) per digit, β = 1.
pub fn candle_loss(f: &Fixture) -> (f64, f64, f64) {
    let noise = f.noise_tensor();
    let parts = f
        .model
        .terms(&f.x_tensor(), Some(&noise))
        .unwrap()
        .loss(1.0)
        .unwrap();
    let v = parts.values().unwrap();
    (v.recon as f64, v.kl as f64, v.total as f64)
}

pub fn assert_close(what: &str, got: f64, want: f64, rel: f64) {
    assert!(
        (got - want).abs() <= rel * want.abs().max(1.0),
        "{what}: candle gives {got}, the f64 reference {want}"
    );
}

/// `count` synthetic digits: bars at four positions and orientations (label = which), grey
/// levels 230 on 10, through the digits file format.
pub fn bars(count: usize) -> ImageSet {
    let mut grey = Vec::with_capacity(count * IMAGE_PIXELS);
    let mut labels = Vec::with_capacity(count);
    for i in 0..count {
        let kind = i % 4;
        for row in 0..IMAGE_SIDE {
            for col in 0..IMAGE_SIDE {
                let on = match kind {
                    0 => (8..12).contains(&col),
                    1 => (16..20).contains(&col),
                    2 => (8..12).contains(&row),
                    _ => (16..20).contains(&row),
                };
                grey.push(if on { 230u8 } else { 10 });
            }
        }
        labels.push(kind as u8);
    }
    ImageSet::parse(&ImageSet::encode(&grey, &labels)).expect("the bars encode as a digits file")
}

/// Settings that train the bars quickly: batch 32 (four steps an epoch of 128), Adam 3e-3.
pub fn small_steps() -> TrainConfig {
    TrainConfig {
        batch_size: 32,
        learning_rate: 3e-3,
        ..TrainConfig::default()
    }
}

/// The next step of `t`, worked through in pieces of at most `piece` digits.
pub fn step_in_pieces(t: &mut Trainer, piece: usize) -> StepReport {
    loop {
        if let Some(report) = t.work(piece).unwrap().step {
            return report;
        }
    }
}

/// Steps `t` until a loss diverges; the step it diverged at.
pub fn step_until_diverged(t: &mut Trainer) -> usize {
    loop {
        match t.step() {
            Ok(_) => continue,
            Err(TrainError::Diverged { step, .. }) => return step,
            Err(e) => panic!("{e}"),
        }
    }
}

/// Every parameter of a trainer's model, in name order, as one list.
pub fn parameters(t: &Trainer) -> Vec<f32> {
    model_parameters(t.model())
}

/// Every parameter of `model`, in name order, as one list.
pub fn model_parameters(model: &Model) -> Vec<f32> {
    model
        .named_parameters()
        .iter()
        .flat_map(|(_, p)| p.flatten_all().unwrap().to_vec1::<f32>().unwrap())
        .collect()
}

/// The weights of the last snapshot among a worker's `events`.
pub fn last_snapshot(events: &[latent_lab::protocol::Event]) -> Option<Vec<u8>> {
    events.iter().rev().find_map(|e| match e {
        latent_lab::protocol::Event::Snapshot { weights, .. } => Some(weights.clone()),
        _ => None,
    })
}

/// The largest difference between two trainers' parameters.
pub fn largest_difference(a: &Trainer, b: &Trainer) -> f32 {
    let (pa, pb) = (parameters(a), parameters(b));
    assert_eq!(pa.len(), pb.len());
    pa.iter()
        .zip(&pb)
        .map(|(x, y)| (x - y).abs())
        .fold(0f32, f32::max)
}

/// A small MLP-VAE (z = 2, hidden 32) trainer on `count` bars; with `count` one more than a
/// multiple of the batch, each epoch ends with a batch of one digit.
pub fn small_mlp_on_bars(count: usize, train: TrainConfig) -> Trainer {
    let config = ModelConfig::new(ModelKind::MlpVae, 2, 32);
    let model = Model::new(config, &mut latent_lab::ml::train::init_rng(train.seed)).unwrap();
    Trainer::new(model, bars(count), train).unwrap()
}

/// Steps `alone` and `helped` (the same model, data and settings) side by side: they follow
/// one loss curve, step by step, and end at the same parameters, up to rounding.
pub fn follows_alone(alone: &mut Trainer, helped: &mut Trainer, steps: usize) {
    for _ in 0..steps {
        let (a, b) = (alone.step().unwrap(), helped.step().unwrap());
        assert_eq!((a.step, a.samples), (b.step, b.samples));
        assert!(
            close(a.loss.total, b.loss.total),
            "step {}: alone {:?}, helped {:?}",
            a.step,
            a.loss,
            b.loss
        );
    }
    let worst = largest_difference(alone, helped);
    assert!(worst < 1e-4, "parameters differ by up to {worst}");
}

/// Two losses equal up to the rounding of sums done in another order.
pub fn close(a: f32, b: f32) -> bool {
    (a - b).abs() <= 1e-3 * a.abs().max(1.0)
}
