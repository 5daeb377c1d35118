//! The native trainer: the same model core as the browser, on the host CPU.
//!
//! ```text
//! cargo run --release --bin train -- --pretrained            # rebuild assets/pretrained/*
//! cargo run --release --bin train -- --kind mlp-vae --latent 20 --epochs 10 --out my.safetensors
//! cargo run --release --bin train -- --data shapes.dataset.safetensors --kind conv-vae
//! cargo run --release --bin train -- --images photos/ --side 32 --colour --save-data photos.safetensors
//! ```
//!
//! It prints one line per epoch (train loss, test negative ELBO and its parts, samples/s) and,
//! with `--json`, a JSON summary on stdout. Files it writes load in the page like any other.

#[cfg(target_arch = "wasm32")]
fn main() {}

#[cfg(not(target_arch = "wasm32"))]
fn main() {
    if let Err(message) = native::run(std::env::args().skip(1).collect()) {
        eprintln!("train: {message}");
        std::process::exit(2);
    }
}

#[cfg(not(target_arch = "wasm32"))]
mod images;
#[cfg(not(target_arch = "wasm32"))]
mod options;
#[cfg(not(target_arch = "wasm32"))]
mod summary;

#[cfg(not(target_arch = "wasm32"))]
mod native {
    use std::collections::BTreeMap;
    use std::path::{Path, PathBuf};
    use std::time::Instant;

    use latent_lab::ml::checkpoint::{self, Precision};
    use latent_lab::ml::data::{ImageSet, Split, MAGIC};
    use latent_lab::ml::dataset;
    use latent_lab::ml::dataset::fit::FitOptions;
    use latent_lab::ml::dataset::sprites::{self, Factor};
    use latent_lab::ml::eval::evaluate;
    use latent_lab::ml::mig::{self, Mig};
    use latent_lab::ml::model::{Model, ModelConfig};
    use latent_lab::ml::pretrained::{TrainedOn, PRETRAINED};
    use latent_lab::ml::run_notes::{RunNotes, TrainedBy};
    use latent_lab::ml::train::{init_rng, TrainConfig, Trainer};

    use crate::options::{parse, Options, SPRITES};
    use crate::summary::{EpochLine, Summary, TestScores};

    /// What a run trains on: the split, the dataset's name (`None`: the digits) and, for the
    /// sprites, every test picture's factor values.
    struct Data {
        split: Split,
        name: Option<String>,
        factors: Option<Vec<usize>>,
    }

    impl Data {
        fn of_split((split, name): (Split, Option<String>)) -> Self {
            Self {
                split,
                name,
                factors: None,
            }
        }

        /// The generated shapes, drawn.
        fn sprites() -> Self {
            let start = Instant::now();
            let sprites = sprites::subset_split();
            eprintln!("sprites drawn in {:.2} s", start.elapsed().as_secs_f64());
            Self {
                factors: Some(sprites.test.factor_table()),
                split: Split {
                    train: sprites.train.images().clone(),
                    test: sprites.test.images().clone(),
                },
                name: Some(sprites::SUBSET_NAME.to_string()),
            }
        }

        /// The digits asset or a dataset file.
        fn file(path: &Path) -> Result<Self, String> {
            let bytes = std::fs::read(path).map_err(|e| {
                format!(
                    "cannot read the data file {}: {e}; build the digits with `node www/build-digits.mjs`",
                    path.display()
                )
            })?;
            read_data(&bytes)
                .map(Self::of_split)
                .map_err(|e| format!("{}: {e}", path.display()))
        }

        /// A folder of pictures made into a dataset (kept as a file when `save` names one).
        fn images(dir: &Path, options: FitOptions, save: Option<&Path>) -> Result<Self, String> {
            let (set, tally) = crate::images::import(dir, options)?;
            eprintln!("“{}”: {}", set.name(), tally.describe());
            if let Some(out) = save {
                std::fs::write(out, dataset::file::save(&set))
                    .map_err(|e| format!("cannot write {}: {e}", out.display()))?;
                eprintln!("dataset file: {}", out.display());
            }
            if let Some(why) = set.why_no_test_set() {
                eprintln!("{why}: no test scores");
            }
            Ok(Self::of_split((
                set.image_split(),
                Some(set.name().to_string()),
            )))
        }

        fn say(&self) {
            eprintln!(
                "data: {} train, {} test images; {} thread(s) for candle",
                self.split.train.len(),
                self.split.test.len(),
                candle_core::utils::get_num_threads()
            );
        }

        fn parts(&self) -> (&Split, Option<&str>, Option<&[usize]>) {
            (&self.split, self.name.as_deref(), self.factors.as_deref())
        }
    }

    pub fn run(args: Vec<String>) -> Result<(), String> {
        let o = parse(args)?;
        if o.pretrained {
            return pretrained(&o);
        }
        let data = match &o.images {
            Some((dir, options)) => Data::images(dir, *options, o.save_data.as_deref())?,
            None if o.data == Path::new(SPRITES) => Data::sprites(),
            None => Data::file(&o.data)?,
        };
        data.say();
        // The model reads what the data holds: 28×28 grey digits, or a dataset's own shape.
        let config = o.config.of_shape(data.split.train.shape());
        let summary = train_one(
            config,
            o.train,
            o.epochs,
            data.parts(),
            o.out.as_deref(),
            o.precision,
        )?;
        if o.json {
            println!("{}", summary.to_json());
        }
        Ok(())
    }

    /// `--pretrained`: every shipped model (or `--only` one) trained into its file, each on its
    /// own data (the digits are read, and the shapes drawn, only if a model needs them).
    fn pretrained(o: &Options) -> Result<(), String> {
        if let Some(id) = &o.only {
            if !PRETRAINED.iter().any(|p| p.id == id) {
                let ids: Vec<&str> = PRETRAINED.iter().map(|p| p.id).collect();
                return Err(format!(
                    "no pretrained model {id:?}; the list is {}",
                    ids.join(", ")
                ));
            }
        }
        let (mut digits, mut shapes) = (None, None);
        for p in PRETRAINED
            .iter()
            .filter(|p| o.only.as_ref().is_none_or(|id| id == p.id))
        {
            let data = match p.data {
                TrainedOn::Digits => {
                    if digits.is_none() {
                        digits = Some(Data::file(&o.data)?);
                    }
                    digits.as_ref()
                }
                TrainedOn::Sprites => Some(&*shapes.get_or_insert_with(Data::sprites)),
            }
            .expect("the data was just read");
            data.say();
            let out = PathBuf::from(p.path());
            let summary = train_one(
                p.config,
                p.train,
                p.epochs,
                data.parts(),
                Some(&out),
                Precision::Compact,
            )?;
            eprintln!(
                "{}: test -ELBO {:.2} nats, {} bytes",
                p.id,
                summary.last_neg_elbo().unwrap_or(f64::NAN),
                summary.bytes
            );
        }
        Ok(())
    }

    /// MIG of `model`'s code of the test pictures, whose factor values are `factors`.
    fn factor_gaps(model: &Model, test: &ImageSet, factors: &[usize]) -> Result<Mig, String> {
        let means = mig::all_latent_means(model, test, 256).map_err(|e| e.to_string())?;
        mig::mig(&means, model.config().latent, factors, &Factor::counts())
            .map_err(|e| e.to_string())
    }

    /// The digits asset (it starts with its magic) or a dataset file, as a split, with the
    /// dataset's name (`None` for the digits).
    fn read_data(bytes: &[u8]) -> Result<(Split, Option<String>), String> {
        if bytes.starts_with(MAGIC) {
            let digits = ImageSet::parse(bytes).map_err(|e| e.to_string())?;
            return Ok((digits.split(), None));
        }
        let set = dataset::file::load(bytes).map_err(|e| e.to_string())?;
        eprintln!(
            "dataset \"{}\": {} images, {}",
            set.name(),
            set.len(),
            set.shape()
        );
        if let Some(why) = set.why_no_test_set() {
            eprintln!("{why}: no test scores");
        }
        Ok((set.image_split(), Some(set.name().to_string())))
    }

    fn train_one(
        config: ModelConfig,
        train: TrainConfig,
        epochs: usize,
        (split, dataset, factors): (&Split, Option<&str>, Option<&[usize]>),
        out: Option<&Path>,
        precision: Precision,
    ) -> Result<Summary, String> {
        let err = |e: &dyn std::fmt::Display| e.to_string();
        let model = Model::new(config, &mut init_rng(train.seed)).map_err(|e| err(&e))?;
        eprintln!(
            "{config}: {} parameters; lr {}, batch {}, β {}, seed {}",
            model.parameter_count(),
            train.learning_rate,
            train.batch_size,
            train.beta,
            train.seed
        );
        let mut trainer = Trainer::new(model, split.train.clone(), train).map_err(|e| err(&e))?;
        let mut lines = Vec::new();
        for _ in 0..epochs {
            let start = Instant::now();
            let summary = trainer.train_epoch().map_err(|e| err(&e))?;
            let seconds = start.elapsed().as_secs_f64();
            let test = if split.test.is_empty() {
                None
            } else {
                let eval = evaluate(trainer.model(), &split.test).map_err(|e| err(&e))?;
                let mig = match factors {
                    Some(factors) => Some(factor_gaps(trainer.model(), &split.test, factors)?),
                    None => None,
                };
                Some(TestScores {
                    neg_elbo: eval.neg_elbo,
                    recon: eval.recon,
                    kl: eval.kl,
                    active_units: eval.active_units(),
                    mig,
                })
            };
            let line = EpochLine {
                epoch: summary.epoch + 1,
                train_loss: summary.loss.total,
                test,
                samples_per_sec: summary.samples as f64 / seconds,
            };
            let scores = line.test.as_ref().map_or("no test set".to_string(), |t| {
                let mig = t.mig.as_ref().map_or(String::new(), |m| {
                    let winners: Vec<String> = Factor::ALL
                        .iter()
                        .zip(&m.gaps)
                        .enumerate()
                        .map(|(k, (f, g))| {
                            let share = |dim: usize| m.share(dim, k);
                            format!(
                                "{} z{} {:.2}/z{} {:.2}",
                                f.name(),
                                g.best + 1,
                                share(g.best),
                                g.second + 1,
                                share(g.second)
                            )
                        })
                        .collect();
                    format!(" | MIG {:.3} ({})", m.score, winners.join(", "))
                });
                format!(
                    "test -ELBO {:8.3} = recon {:8.3} + KL {:6.3} | active {:>2}{mig}",
                    t.neg_elbo, t.recon, t.kl, t.active_units
                )
            });
            eprintln!(
                "epoch {:>3}: train loss {:8.3} | {scores} | {:7.0} samples/s",
                line.epoch, line.train_loss, line.samples_per_sec
            );
            lines.push(line);
        }
        let mut bytes = 0;
        if let Some(out) = out {
            let mut notes = RunNotes {
                train,
                epochs,
                steps: None,
                dataset: dataset.map(str::to_string),
                test_neg_elbo: lines
                    .last()
                    .and_then(|l| l.test.as_ref().map(|t| t.neg_elbo)),
                trained_by: TrainedBy::Native,
            };
            // The file holds the weights rounded to `precision`: its test −ELBO is theirs.
            let stored = checkpoint::save(trainer.model(), precision, &BTreeMap::new())
                .and_then(|bytes| checkpoint::load(&bytes))
                .map_err(|e| err(&e))?
                .0;
            if precision != Precision::F32 && notes.test_neg_elbo.is_some() {
                let eval = evaluate(&stored, &split.test).map_err(|e| err(&e))?;
                notes.test_neg_elbo = Some(eval.neg_elbo);
            }
            let data =
                checkpoint::save(&stored, precision, &notes.to_metadata()).map_err(|e| err(&e))?;
            if let Some(dir) = out.parent() {
                std::fs::create_dir_all(dir)
                    .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
            }
            std::fs::write(out, &data)
                .map_err(|e| format!("cannot write {}: {e}", out.display()))?;
            eprintln!("wrote {} ({} bytes)", out.display(), data.len());
            bytes = data.len();
        }
        Ok(Summary {
            config,
            train,
            epochs: lines,
            bytes,
        })
    }
}
