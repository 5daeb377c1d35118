//! Native benchmarks: training throughput (the reference models, and every model at every
//! picture shape a dataset can have) and decode latency on the host CPU with the same code as the
//! browser, and the reference model's test negative ELBO after 1, 5 and 10 epochs.
//!
//! `cargo run --profile test-opt --bin bench` prints one JSON object on stdout and a table on stderr.
//! Part of `tools/bench`, which adds the browser's figures. It measures; it never judges.

#[cfg(target_arch = "wasm32")]
fn main() {}

#[cfg(not(target_arch = "wasm32"))]
fn main() {
    if let Err(message) = native::run() {
        eprintln!("bench: {message}");
        std::process::exit(2);
    }
}

#[cfg(not(target_arch = "wasm32"))]
mod native {
    use std::time::Instant;

    use latent_lab::ml::data::{ImageSet, Split};
    use latent_lab::ml::dataset::{Channels, ImageShape};
    use latent_lab::ml::eval::evaluate;
    use latent_lab::ml::explore::{decode_many, grid_codes};
    use latent_lab::ml::model::{Model, ModelConfig, ModelKind};
    use latent_lab::ml::rng::Rng;
    use latent_lab::ml::train::{init_rng, TrainConfig, Trainer};

    fn median(mut v: Vec<f64>) -> f64 {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    }

    /// Samples/s of `config` at batch 128: `rounds` timed rounds of `steps` steps after a warm-up.
    fn throughput(
        split: &Split,
        config: ModelConfig,
        steps: usize,
        rounds: usize,
    ) -> Result<(f64, f64, f64), String> {
        let train = TrainConfig::default();
        let model = Model::new(config, &mut init_rng(0)).map_err(|e| e.to_string())?;
        let mut trainer =
            Trainer::new(model, split.train.clone(), train).map_err(|e| e.to_string())?;
        for _ in 0..3 {
            trainer.step().map_err(|e| e.to_string())?;
        }
        let mut rates = Vec::new();
        for _ in 0..rounds {
            let start = Instant::now();
            let mut samples = 0;
            for _ in 0..steps {
                samples += trainer.step().map_err(|e| e.to_string())?.samples;
            }
            rates.push(samples as f64 / start.elapsed().as_secs_f64());
        }
        let (lo, hi) = rates
            .iter()
            .fold((f64::MAX, 0f64), |(lo, hi), &r| (lo.min(r), hi.max(r)));
        Ok((median(rates), lo, hi))
    }

    /// Training samples/s of each model at each image shape a dataset can have (batch 128, on
    /// 1,024 random pictures of the shape: the cost of a step does not depend on what is in
    /// them). Returns the table's rows as JSON fields.
    fn shapes_throughput() -> Result<Vec<String>, String> {
        let mut rows = Vec::new();
        eprintln!("native training by picture shape, batch 128:");
        for (channels, side) in [
            (Channels::Grey, 28),
            (Channels::Colour, 32),
            (Channels::Grey, 64),
            (Channels::Colour, 64),
        ] {
            let shape = ImageShape::new(channels, side).map_err(|e| e.to_string())?;
            let mut rng = Rng::new(3);
            let count = 1024;
            let values = (0..count * shape.values())
                .map(|_| rng.uniform(0.0, 1.0))
                .collect();
            let set = ImageSet::of_shape(shape, values, vec![0; count]);
            let split = Split {
                train: set.clone(),
                test: set,
            };
            for (config, steps, rounds) in [
                (ModelConfig::new(ModelKind::MlpVae, 20, 400), 6, 3),
                (ModelConfig::new(ModelKind::ConvVae, 16, 32), 1, 3),
            ] {
                let config = config.of_shape(shape);
                let (rate, lo, hi) = throughput(&split, config, steps, rounds)?;
                eprintln!("  {config:<58} {rate:8.0} samples/s (min {lo:.0}, max {hi:.0})");
                rows.push(format!(
                    r#""{}_{}":{{"samples_per_sec_median":{rate:.1},"min":{lo:.1},"max":{hi:.1}}}"#,
                    config.kind.id(),
                    shape.id()
                ));
            }
        }
        Ok(rows)
    }

    /// A way to decode `count` codes to pixels.
    type DecodeFn<'a> = &'a dyn Fn(&[f32], usize) -> candle_core::Result<Vec<f32>>;

    fn time_ms(runs: usize, mut f: impl FnMut()) -> f64 {
        f();
        median(
            (0..runs)
                .map(|_| {
                    let start = Instant::now();
                    f();
                    start.elapsed().as_secs_f64() * 1000.0
                })
                .collect(),
        )
    }

    pub fn run() -> Result<(), String> {
        let bytes = std::fs::read("assets/digits.bin").map_err(|e| {
            format!("assets/digits.bin: {e}; build it with `node www/build-digits.mjs`")
        })?;
        let split = ImageSet::parse(&bytes).map_err(|e| e.to_string())?.split();
        let threads = candle_core::utils::get_num_threads();

        let mlp = ModelConfig::new(ModelKind::MlpVae, 20, 400);
        let conv = ModelConfig::new(ModelKind::ConvVae, 16, 32);
        let (mlp_rate, mlp_lo, mlp_hi) = throughput(&split, mlp, 20, 5)?;
        let (conv_rate, conv_lo, conv_hi) = throughput(&split, conv, 4, 3)?;
        eprintln!("native training ({threads} thread(s)), batch 128:");
        eprintln!(
            "  mlp-vae z=20 h=400   {mlp_rate:8.0} samples/s (min {mlp_lo:.0}, max {mlp_hi:.0})"
        );
        eprintln!(
            "  conv-vae z=16 c=32   {conv_rate:8.0} samples/s (min {conv_lo:.0}, max {conv_hi:.0})"
        );

        let shapes = shapes_throughput()?;

        let model = Model::new(mlp, &mut Rng::new(1)).map_err(|e| e.to_string())?;
        let packed = model.packed_decoder().map_err(|e| e.to_string())?;
        let z = Rng::new(2).normal_vec(20);
        let hundred_codes = grid_codes(&z, 0, 1, 10);
        let grid_codes15 = grid_codes(&z, 0, 1, 15);
        let err = |e: candle_core::Error| e.to_string();
        // The page's path (packed weights), then candle's, for the ratio.
        let decode_times = |decode: DecodeFn| {
            [
                (500, &z, 1),
                (100, &hundred_codes, 100),
                (50, &grid_codes15, 225),
            ]
            .map(|(runs, codes, count)| {
                time_ms(runs, || {
                    decode(codes, count).map_err(err).unwrap();
                })
            })
        };
        let [one, hundred, grid15] = decode_times(&|zs, n| packed.decode_pixels(zs, n));
        let [one_c, hundred_c, grid15_c] = decode_times(&|zs, n| decode_many(&model, zs, n));
        eprintln!("native decode (mlp-vae z=20), packed: 1 in {one:.4} ms, 100 in {hundred:.3} ms, 15x15 in {grid15:.3} ms");
        eprintln!("                            candle: 1 in {one_c:.4} ms, 100 in {hundred_c:.3} ms, 15x15 in {grid15_c:.3} ms");

        // Quality: the reference run, seed 0, evaluated after epochs 1, 5 and 10.
        let model = Model::new(mlp, &mut init_rng(0)).map_err(|e| e.to_string())?;
        let mut trainer = Trainer::new(model, split.train.clone(), TrainConfig::default())
            .map_err(|e| e.to_string())?;
        let mut quality = Vec::new();
        for epoch in 1..=10 {
            trainer.train_epoch().map_err(|e| e.to_string())?;
            if [1, 5, 10].contains(&epoch) {
                let eval = evaluate(trainer.model(), &split.test).map_err(|e| e.to_string())?;
                quality.push(format!(r#""epoch_{epoch}":{:.3}"#, eval.neg_elbo));
                eprintln!(
                    "reference mlp-vae, seed 0: test -ELBO after {epoch:>2} epoch(s) {:.3} nats",
                    eval.neg_elbo
                );
            }
        }

        println!(
            r#"{{"native":{{"threads":{threads},"training":{{"mlp_vae_z20_b128":{{"samples_per_sec_median":{mlp_rate:.1},"min":{mlp_lo:.1},"max":{mlp_hi:.1}}},"conv_vae_z16_b128":{{"samples_per_sec_median":{conv_rate:.1},"min":{conv_lo:.1},"max":{conv_hi:.1}}}}},"decode_mlp_vae_z20_ms":{{"one":{one:.4},"hundred":{hundred:.4},"grid_15x15":{grid15:.4}}},"decode_mlp_vae_z20_candle_ms":{{"one":{one_c:.4},"hundred":{hundred_c:.4},"grid_15x15":{grid15_c:.4}}},"test_neg_elbo_seed0":{{{}}},"training_by_shape":{{{}}}}}}}"#,
            quality.join(","),
            shapes.join(",")
        );
        Ok(())
    }
}
