//! The settings of the next run, one set of signals owned by [`Training`]: the training panel
//! edits them, and both Start buttons (the panel's and the strip's) start from them.

use std::collections::BTreeSet;

use leptos::prelude::*;

use super::number_field::Invalid;
use super::{DataStatus, Plan, Training};
use crate::ml::dataset::ImageShape;
use crate::ml::model::{ModelConfig, ModelKind};
use crate::ml::presets::Preset;
use crate::ml::train::{TrainConfig, DEFAULT_EPOCHS, EPOCH_RANGE};
use crate::protocol::RunState;
use crate::ui::i18n::Lang;
use crate::ui_logic::pace::{pace_for, Pace};

#[derive(Clone, Copy)]
pub struct Settings {
    pub kind: RwSignal<ModelKind>,
    pub latent: RwSignal<usize>,
    pub hidden: RwSignal<usize>,
    pub beta: RwSignal<f64>,
    pub learning_rate: RwSignal<f64>,
    pub batch: RwSignal<usize>,
    pub epochs: RwSignal<usize>,
    pub seed: RwSignal<u64>,
    pub warmup: RwSignal<usize>,
    /// Fields whose text cannot be used now; Start waits until there are none.
    pub invalid: Invalid,
    /// The batch and epochs the page last chose for the data in use ([`Settings::fit_pace`]);
    /// while the fields still show them, a change of data may choose again.
    pub chosen_pace: StoredValue<Pace>,
}

impl Settings {
    /// The reference run: every default is the core's.
    pub fn new() -> Self {
        let model = ModelConfig::default();
        let train = TrainConfig::default();
        Self {
            kind: RwSignal::new(model.kind),
            latent: RwSignal::new(model.latent),
            hidden: RwSignal::new(model.hidden),
            beta: RwSignal::new(train.beta),
            learning_rate: RwSignal::new(train.learning_rate),
            batch: RwSignal::new(train.batch_size),
            epochs: RwSignal::new(DEFAULT_EPOCHS),
            seed: RwSignal::new(train.seed),
            warmup: RwSignal::new(train.warmup_epochs),
            invalid: RwSignal::new(BTreeSet::new()),
            chosen_pace: StoredValue::new(Self::reference_pace()),
        }
    }

    /// The reference run's batch and epochs, the core's defaults.
    fn reference_pace() -> Pace {
        Pace {
            batch: TrainConfig::default().batch_size,
            epochs: DEFAULT_EPOCHS,
        }
    }

    /// The batch and epochs in the fields now.
    pub fn pace(&self) -> Pace {
        Pace {
            batch: self.batch.get(),
            epochs: self.epochs.get(),
        }
    }

    /// Chooses the batch and epochs for data of `train_images` training pictures (a small set
    /// gets a smaller batch and more epochs, [`pace_for`]), unless the person has set either
    /// field: what they typed is theirs and stays.
    pub fn fit_pace(&self, train_images: usize) {
        if untrack(|| self.pace()) != self.chosen_pace.get_value() {
            return;
        }
        let pace = pace_for(train_images, Self::reference_pace(), EPOCH_RANGE);
        self.batch.set(pace.batch);
        self.epochs.set(pace.epochs);
        self.chosen_pace.set_value(pace);
    }

    /// Whether the fields hold a pace the page chose for a small set (not the reference one),
    /// to say so beside them. Tracks.
    pub fn small_set_pace(&self) -> Option<Pace> {
        let now = self.pace();
        (now == self.chosen_pace.get_value() && now != Self::reference_pace()).then_some(now)
    }

    /// The model the settings describe for images of `shape` (the data's), tracked (for a view
    /// that follows them).
    pub fn model_config_tracked(&self, shape: ImageShape) -> ModelConfig {
        ModelConfig::new(self.kind.get(), self.latent.get(), self.hidden.get()).of_shape(shape)
    }

    /// The model the settings describe for images of `shape`.
    pub fn model_config(&self, shape: ImageShape) -> ModelConfig {
        untrack(|| self.model_config_tracked(shape))
    }

    pub fn train_config(&self) -> TrainConfig {
        TrainConfig {
            learning_rate: self.learning_rate.get_untracked(),
            batch_size: self.batch.get_untracked(),
            beta: self.beta.get_untracked(),
            seed: self.seed.get_untracked(),
            warmup_epochs: self.warmup.get_untracked(),
        }
    }

    /// Fills every field from `preset`; its batch and epochs are the person's choice from now
    /// on (no change of data replaces them).
    pub fn apply(&self, preset: &Preset) {
        self.fill(preset.model, preset.train, preset.epochs);
        self.chosen_pace.set_value(Pace {
            batch: 0,
            epochs: 0,
        });
    }

    /// Every field at once.
    fn fill(&self, model: ModelConfig, train: TrainConfig, epochs: usize) {
        self.kind.set(model.kind);
        self.latent.set(model.latent);
        self.hidden.set(model.hidden);
        self.epochs.set(epochs);
        self.seed.set(train.seed);
        self.beta.set(train.beta);
        self.learning_rate.set(train.learning_rate);
        self.batch.set(train.batch_size);
        self.warmup.set(train.warmup_epochs);
    }

    /// Shows a run's own settings (one brought back after a reload), so that editing one of
    /// them does not send the defaults for the others.
    pub fn show(&self, plan: &Plan) {
        self.fill(plan.model, plan.train, plan.epochs);
        // A run's own batch and epochs, unless they are the pace the page chose (a run just
        // started from it), are the person's: no change of data replaces them, and no hint
        // says the page chose them.
        let run_pace = Pace {
            batch: plan.train.batch_size,
            epochs: plan.epochs,
        };
        if run_pace != self.chosen_pace.get_value() {
            self.chosen_pace.set_value(Pace {
                batch: 0,
                epochs: 0,
            });
        }
    }
}

impl Default for Settings {
    fn default() -> Self {
        Self::new()
    }
}

impl Training {
    /// Whether Start can be pressed now: a worker with the digits, and settings that can be used.
    pub fn can_start(&self) -> bool {
        self.worker_ready.get()
            && self.data.get() == DataStatus::Ready
            && self.settings.invalid.with(BTreeSet::is_empty)
    }

    /// Starts a run with the settings. A run not yet finished is not thrown away by a stray
    /// click: that asks first.
    pub fn start_from_settings(self) {
        if let Some(state @ (RunState::Running | RunState::Paused | RunState::Diverged)) =
            self.state_untracked()
        {
            let lang = self.lab.lang_untracked();
            let at = self
                .progress
                .with_untracked(|p| {
                    p.as_ref().map(|p| {
                        let (epoch, epochs) = ((p.epochs_done + 1).min(p.epochs), p.epochs);
                        lang.text(
                            format!(", epoch {epoch} of {epochs}"),
                            format!("（第 {epoch}/{epochs} 轮）"),
                        )
                    })
                })
                .unwrap_or_default();
            let question = match lang {
                Lang::En => format!(
                    "A run is {}{at}. Start a new one? This run stops here; its model so far \
                     stays in the library.",
                    match state {
                        RunState::Running => "training",
                        RunState::Paused => "paused",
                        RunState::Diverged | RunState::Finished => "stopped",
                    }
                ),
                Lang::Zh => format!(
                    "有一次训练{}{at}。要开始新的训练吗？当前这次会就此停止，它到目前为止的模型仍保留在模型库中。",
                    match state {
                        RunState::Running => "正在进行",
                        RunState::Paused => "已暂停",
                        RunState::Diverged | RunState::Finished => "已停止",
                    }
                ),
            };
            let confirmed = web_sys::window()
                .and_then(|w| w.confirm_with_message(&question).ok())
                .unwrap_or(false);
            if !confirmed {
                return;
            }
        }
        let settings = self.settings;
        self.start(
            settings.model_config(self.lab.data_shape_untracked()),
            settings.train_config(),
            settings.epochs.get_untracked(),
        );
    }
}
