//! What the native trainer reports of a run: one line per epoch on stderr, and with `--json` the
//! whole run as one JSON object on stdout (which `tools/bench` and the tests read).

use latent_lab::ml::mig::Mig;
use latent_lab::ml::model::ModelConfig;
use latent_lab::ml::train::TrainConfig;

/// The test set's scores after an epoch (none without a test set).
pub(crate) struct TestScores {
    pub neg_elbo: f64,
    pub recon: f64,
    pub kl: f64,
    pub active_units: usize,
    /// MIG and its parts, for a dataset whose factors are known.
    pub mig: Option<Mig>,
}

/// One epoch of a run, as the trainer prints it.
pub(crate) struct EpochLine {
    pub epoch: usize,
    pub train_loss: f32,
    pub test: Option<TestScores>,
    pub samples_per_sec: f64,
}

/// A whole run: its settings, its epochs and the size of the file written.
pub(crate) struct Summary {
    pub config: ModelConfig,
    pub train: TrainConfig,
    pub epochs: Vec<EpochLine>,
    pub bytes: usize,
}

impl Summary {
    pub fn last_neg_elbo(&self) -> Option<f64> {
        self.epochs.last()?.test.as_ref().map(|t| t.neg_elbo)
    }

    /// The run as one JSON object (`--json`).
    pub fn to_json(&self) -> String {
        let epochs: Vec<String> = self
            .epochs
            .iter()
            .map(|e| {
                let test = e.test.as_ref().map_or(
                    r#""test_neg_elbo":null,"test_recon":null,"test_kl":null,"active_units":null,"mig":null"#.to_string(),
                    |t| format!(
                        r#""test_neg_elbo":{:.4},"test_recon":{:.4},"test_kl":{:.4},"active_units":{},"mig":{}"#,
                        t.neg_elbo, t.recon, t.kl, t.active_units,
                        t.mig.as_ref().map_or("null".to_string(), |m| format!("{:.4}", m.score))
                    ),
                );
                format!(
                    r#"{{"epoch":{},"train_loss":{:.4},{test},"samples_per_sec":{:.1}}}"#,
                    e.epoch, e.train_loss, e.samples_per_sec
                )
            })
            .collect();
        let mut rates: Vec<f64> = self.epochs.iter().map(|e| e.samples_per_sec).collect();
        rates.sort_by(f64::total_cmp);
        let median = rates.get(rates.len() / 2).copied().unwrap_or(f64::NAN);
        format!(
            r#"{{"kind":"{}","latent":{},"hidden":{},"shape":"{}","batch_size":{},"learning_rate":{},"beta":{},"seed":{},"threads":{},"median_samples_per_sec":{:.1},"epochs":[{}]}}"#,
            self.config.kind.id(),
            self.config.latent,
            self.config.hidden,
            self.config.shape.id(),
            self.train.batch_size,
            self.train.learning_rate,
            self.train.beta,
            self.train.seed,
            candle_core::utils::get_num_threads(),
            median,
            epochs.join(",")
        )
    }
}
