//! What a checkpoint says about how it was trained: the notes the worker and the native trainer
//! write beside the weights (one writer for both), and the keys the page reads back.
//!
//! Notes are free-form strings in the safetensors metadata (see [`crate::ml::checkpoint`]); only
//! the model's kind and sizes there are load-bearing. These are for people and for the library.

use std::collections::BTreeMap;

use crate::ml::train::TrainConfig;

/// Epochs trained.
pub const EPOCHS: &str = "epochs";
/// The test negative ELBO after the last epoch, nats per digit, three decimals.
pub const TEST_NEG_ELBO: &str = "test_neg_elbo";
/// The name of the dataset trained on, when it was not the built-in digits.
pub const DATASET: &str = "dataset";

/// Who trained a model.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TrainedBy {
    WebWorker,
    Native,
}

impl TrainedBy {
    fn text(self) -> &'static str {
        match self {
            TrainedBy::WebWorker => "latent-lab web worker",
            TrainedBy::Native => "latent-lab native trainer",
        }
    }
}

/// How a model was trained, as far as its notes tell.
#[derive(Debug, Clone, PartialEq)]
pub struct RunNotes {
    pub train: TrainConfig,
    pub epochs: usize,
    /// Steps taken, when the writer counts them (the worker does; the native trainer's files
    /// leave it out, so the pretrained models stay byte for byte what they were).
    pub steps: Option<usize>,
    pub test_neg_elbo: Option<f64>,
    /// The dataset's name; `None` for the built-in digits (so the shipped files stay as they
    /// were).
    pub dataset: Option<String>,
    pub trained_by: TrainedBy,
}

impl RunNotes {
    /// The notes as checkpoint metadata. The KL warm-up is written only when there was one.
    pub fn to_metadata(&self) -> BTreeMap<String, String> {
        let t = &self.train;
        let mut notes = BTreeMap::from([
            (EPOCHS.to_string(), self.epochs.to_string()),
            ("learning_rate".to_string(), t.learning_rate.to_string()),
            ("batch_size".to_string(), t.batch_size.to_string()),
            ("beta".to_string(), t.beta.to_string()),
            ("seed".to_string(), t.seed.to_string()),
            ("trained_by".to_string(), self.trained_by.text().to_string()),
        ]);
        if t.warmup_epochs > 0 {
            notes.insert("warmup_epochs".to_string(), t.warmup_epochs.to_string());
        }
        if let Some(steps) = self.steps {
            notes.insert("steps".to_string(), steps.to_string());
        }
        if let Some(score) = self.test_neg_elbo {
            notes.insert(TEST_NEG_ELBO.to_string(), format!("{score:.3}"));
        }
        if let Some(name) = &self.dataset {
            notes.insert(DATASET.to_string(), name.clone());
        }
        notes
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn notes_hold_the_settings_and_leave_out_what_is_unknown() {
        let notes = RunNotes {
            train: TrainConfig::default(),
            epochs: 3,
            steps: None,
            test_neg_elbo: Some(122.45678),
            dataset: None,
            trained_by: TrainedBy::Native,
        }
        .to_metadata();
        let keys: Vec<&str> = notes.keys().map(String::as_str).collect();
        assert_eq!(
            keys,
            [
                "batch_size",
                "beta",
                "epochs",
                "learning_rate",
                "seed",
                "test_neg_elbo",
                "trained_by"
            ]
        );
        assert_eq!(notes[TEST_NEG_ELBO], "122.457");
        assert_eq!(notes["learning_rate"], "0.001");
        let worker = RunNotes {
            train: TrainConfig {
                warmup_epochs: 2,
                ..TrainConfig::default()
            },
            epochs: 1,
            steps: Some(63),
            test_neg_elbo: None,
            dataset: Some("my drawings".into()),
            trained_by: TrainedBy::WebWorker,
        }
        .to_metadata();
        assert_eq!(worker["steps"], "63");
        assert_eq!(worker["warmup_epochs"], "2");
        assert_eq!(worker["trained_by"], "latent-lab web worker");
        assert!(!worker.contains_key(TEST_NEG_ELBO));
        assert_eq!(worker[DATASET], "my drawings");
    }
}
