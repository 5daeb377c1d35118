//! The messages between the page and the training worker: the one contract between them.
//!
//! The page sends [`Command`]s; the worker answers with [`Event`]s. Both cross `postMessage` as
//! plain JavaScript objects through serde-wasm-bindgen, tagged by a `type` field; the events of
//! one slice of training (or of one command's answer) travel together, as an array of them, so
//! that the page draws them in one frame, and [`Event::Ready`] always alone. Weights travel
//! as safetensors bytes, which serde-wasm-bindgen turns into a `Uint8Array` whose buffer is
//! transferred, not copied. Plain serde types with no web dependency, so the core's types can be
//! used directly.

use serde::{Deserialize, Serialize};

use crate::ml::loss::LossValues;
use crate::ml::model::ModelConfig;
use crate::ml::train::TrainConfig;
use crate::ui_logic::said::Said;

pub(crate) mod bytes;
mod import;

pub use import::{ImportCommand, ImportEvent, ImportRequest};

/// Changes whenever a message changes shape, or the way they travel (since 12, the training
/// worker posts a slice's events together, as one array); the worker reports it in
/// [`Event::Ready`], which always travels alone.
pub const PROTOCOL_VERSION: u32 = 12;

/// The worker binary is started as an import worker by the loader's address saying
/// `role=IMPORT_ROLE` (`worker_loader.js?role=import`); without a role it trains.
pub const IMPORT_ROLE: &str = "import";

/// The training worker starts its helper (a second thread for training, `worker/helper_link.rs`)
/// as the same loader with `role=HELPER_ROLE`.
pub const HELPER_ROLE: &str = "helper";

/// What the page asks of the worker.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type")]
pub enum Command {
    /// Starts a new run (replacing any other) and trains until `epochs` epochs are done.
    /// With `initial` weights (a checkpoint of the same configuration) it continues from them;
    /// `resume` then says how far the run that made them had come (after a worker crash or a
    /// reload). With `paused` the run waits for Resume or Step.
    Start {
        run: u64,
        model: ModelConfig,
        train: TrainConfig,
        epochs: usize,
        #[serde(with = "bytes::optional", default)]
        initial: Option<Vec<u8>>,
        #[serde(default)]
        resume: Option<ResumeAt>,
        #[serde(default)]
        paused: bool,
    },
    Pause,
    Resume,
    /// Trains one step, then stays paused.
    Step,
    /// Ends the run; the worker forgets it.
    Reset,
    /// New learning rate, β and batch size, from the next step on.
    SetHyperParameters {
        train: TrainConfig,
    },
    /// Asks for the current weights now (answered by [`Event::Snapshot`]).
    SaveWeights,
    /// Trains the runs that follow on this dataset file (`crate::ml::dataset::file`; 28×28 grey
    /// for now), or with `None` on the built-in digits again. Ends any run. Answered by
    /// [`Event::DataReady`], or by [`Event::Error`] with the data left as it was.
    UseData {
        #[serde(with = "bytes::optional", default)]
        dataset: Option<Vec<u8>>,
    },
    /// Asks whether the worker is alive (answered by [`Event::Pong`]); a worker that was closed
    /// sends no error, so the page notices it by the missing answer.
    Ping {
        n: u64,
    },
}

/// How far a run had come when the snapshot it continues from was taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResumeAt {
    pub epochs_done: usize,
    /// Steps at the start of the epoch the run goes on with (see [`Event::Snapshot`]).
    pub steps: usize,
}

/// Where a run stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum RunState {
    Running,
    Paused,
    /// Stopped by itself at a non-finite loss; the last good weights were restored.
    Diverged,
    Finished,
}

/// One training step's loss, for the live chart.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct StepLoss {
    pub step: usize,
    pub loss: LossValues,
}

/// Which images an epoch's figures were measured on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum ScoredOn {
    /// The test split: images the model never trained on.
    #[default]
    TestImages,
    /// The training images, for a dataset too small to keep any back for testing
    /// (`ml::dataset::MIN_FOR_TEST_SPLIT`): how well the model fits them, not how it generalises.
    TrainingImages,
}

/// Figures after an epoch (see `ml::eval::Evaluation`), measured on the test images, or on the
/// training images when the dataset has no test split.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EpochReport {
    /// 1-based number of the epoch just finished.
    pub epoch: usize,
    /// Mean training loss over the epoch.
    pub train: LossValues,
    // Runs kept in IndexedDB before protocol 6 hold reports with the old names and no
    // `scored_on` (they were all scored on test images): they still read.
    #[serde(default)]
    pub scored_on: ScoredOn,
    #[serde(alias = "test_neg_elbo")]
    pub neg_elbo: f64,
    #[serde(alias = "test_recon")]
    pub recon: f64,
    #[serde(alias = "test_kl")]
    pub kl: f64,
    pub kl_per_dim: Vec<f64>,
    pub active_units: usize,
}

/// How far a run is.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Progress {
    pub run: u64,
    pub state: RunState,
    /// Epochs completed.
    pub epochs_done: usize,
    pub epochs: usize,
    /// Steps completed in all.
    pub step: usize,
    /// Steps the run will have taken when done (an estimate if the batch size changed).
    pub total_steps: usize,
    pub steps_per_epoch: usize,
    /// Steps completed in the current epoch.
    pub step_in_epoch: usize,
    /// Training throughput over the recent past.
    pub samples_per_sec: f64,
    /// Estimated seconds to the last epoch's end, once there is a rate to estimate from.
    pub eta_seconds: Option<f64>,
    /// The β of the next step (below the setting during a KL warm-up).
    #[serde(default)]
    pub beta: f64,
    /// Every step's loss since the previous progress event.
    pub losses: Vec<StepLoss>,
}

/// What the worker tells the page.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type")]
pub enum Event {
    /// The worker is listening. Commands sent before this are lost.
    Ready {
        version: u32,
    },
    /// How many threads train (the worker and its helper, or the worker alone), and when it
    /// is one on a machine with more cores, why. Sent after [`Event::Ready`] and again if the
    /// helper stops.
    Threads {
        threads: u32,
        why_one: Option<Said>,
    },
    /// The data is loaded (the built-in digits, or a dataset after [`Command::UseData`]):
    /// training can start.
    DataReady {
        /// The dataset's name.
        dataset: String,
        train_digits: usize,
        test_digits: usize,
    },
    /// The digits asset could not be loaded: training is impossible, decoding is not affected.
    DataUnavailable {
        message: Said,
    },
    /// The built-in digits' test split, as a digits file of its own
    /// ([`ImageSet::test_split_file`](crate::ml::data::ImageSet::test_split_file)), sent once
    /// the worker has loaded the asset: the page shows test digits (the plane's dots, the
    /// chapters' examples) without downloading the 7.9 MB asset a second time.
    TestDigits {
        #[serde(with = "bytes")]
        file: Vec<u8>,
    },
    Progress(Progress),
    /// An epoch ended and the model was evaluated (see [`EpochReport::scored_on`]).
    Epoch {
        run: u64,
        report: EpochReport,
    },
    /// Where the model of an epoch's end puts each test image: the codes (posterior means) its
    /// evaluation computed, `latent` f32 numbers an image in the test split's order, as
    /// little-endian bytes. Sent after [`Event::Epoch`] when the epoch was scored on the test
    /// images, so the page draws the test set during a run without encoding it again (for a
    /// Conv-VAE that took a sixth of a core from the training threads).
    TestCodes {
        run: u64,
        epoch: usize,
        latent: usize,
        #[serde(with = "bytes")]
        codes: Vec<u8>,
    },
    /// The current weights as a checkpoint (safetensors bytes).
    Snapshot {
        run: u64,
        step: usize,
        epochs_done: usize,
        /// Steps of the epoch under way already in these weights. A run continued from them
        /// starts that epoch over (its batch order is not in the snapshot), so it continues from
        /// step `step - step_in_epoch`.
        step_in_epoch: usize,
        #[serde(with = "bytes")]
        weights: Vec<u8>,
    },
    /// A command could not be carried out, or training stopped; `message` says why and what to do.
    Error {
        run: Option<u64>,
        message: Said,
    },
    /// The answer to [`Command::Ping`], with the size of the worker's WebAssembly memory (which
    /// only grows: the soak benchmark watches it for leaks).
    Pong {
        n: u64,
        memory_bytes: u64,
    },
}

impl Event {
    /// The field whose bytes are transferred to the page rather than copied, if the event
    /// carries any.
    pub fn transferred_field(&self) -> Option<&'static str> {
        match self {
            Event::Snapshot { .. } => Some("weights"),
            Event::TestDigits { .. } => Some("file"),
            Event::TestCodes { .. } => Some("codes"),
            Event::Ready { .. }
            | Event::Threads { .. }
            | Event::DataReady { .. }
            | Event::DataUnavailable { .. }
            | Event::Progress(_)
            | Event::Epoch { .. }
            | Event::Error { .. }
            | Event::Pong { .. } => None,
        }
    }
}

/// Bytes of this module's WebAssembly linear memory (0 natively, where there is none to speak
/// of). It never shrinks, so a leak shows as steady growth.
pub fn wasm_memory_bytes() -> u64 {
    #[cfg(target_arch = "wasm32")]
    {
        core::arch::wasm32::memory_size::<0>() as u64 * 65_536
    }
    #[cfg(not(target_arch = "wasm32"))]
    {
        0
    }
}

/// Every `k`-th step loss so that at most `max` remain, always keeping the newest: how a long
/// run's curve is stored without losing its shape.
pub fn thin_losses(losses: &[StepLoss], max: usize) -> Vec<StepLoss> {
    if losses.len() <= max.max(1) {
        return losses.to_vec();
    }
    let k = losses.len().div_ceil(max.max(1));
    let last = losses.len() - 1;
    losses
        .iter()
        .enumerate()
        .filter(|(i, _)| (last - i).is_multiple_of(k))
        .map(|(_, l)| *l)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn losses(n: usize) -> Vec<StepLoss> {
        (1..=n)
            .map(|step| StepLoss {
                step,
                loss: LossValues {
                    total: step as f32,
                    recon: 0.0,
                    kl: 0.0,
                },
            })
            .collect()
    }

    #[test]
    fn thinning_keeps_at_most_the_limit_evenly_and_the_newest_step() {
        let thinned = thin_losses(&losses(4_999), 2_000);
        assert!(
            (1_600..=2_000).contains(&thinned.len()),
            "{}",
            thinned.len()
        );
        assert_eq!(thinned.last().unwrap().step, 4_999);
        let gaps: Vec<usize> = thinned.windows(2).map(|w| w[1].step - w[0].step).collect();
        assert!(gaps.iter().all(|&g| g == gaps[0]), "even spacing");
        assert_eq!(thin_losses(&losses(10), 2_000), losses(10));
        assert_eq!(thin_losses(&losses(3), 0).len(), 1);
    }
}
