//! One of every message between page and worker, with every optional part both present and
//! absent: what the round-trip tests (tests/web.rs) and the protocol's pinned shape
//! (tests/protocol.rs) are checked on. A new message cannot be forgotten here: `command_name` and
//! `event_name` match every variant, and the tests check each name has a sample.

use latent_lab::ml::dataset::fit::Fit;
use latent_lab::ml::dataset::import::{Passed, Tally};
use latent_lab::ml::dataset::{Channels, ImageShape};
use latent_lab::ml::loss::LossValues;
use latent_lab::ml::model::{ModelConfig, ModelKind};
use latent_lab::ml::train::TrainConfig;
use latent_lab::protocol::{
    Command, EpochReport, Event, ImportCommand, ImportEvent, ImportRequest, Progress, ResumeAt,
    RunState, ScoredOn, StepLoss, PROTOCOL_VERSION,
};
use latent_lab::ui_logic::said::Said;

fn loss(total: f32) -> LossValues {
    LossValues {
        total,
        recon: total - 20.0,
        kl: 20.0,
    }
}

pub fn commands() -> Vec<Command> {
    let model = ModelConfig::new(ModelKind::ConvVae, 16, 32);
    let train = TrainConfig {
        learning_rate: 3e-4,
        batch_size: 64,
        beta: 4.0,
        seed: 9,
        warmup_epochs: 3,
    };
    vec![
        Command::Start {
            run: 3,
            model,
            train,
            epochs: 12,
            initial: None,
            resume: None,
            paused: false,
        },
        Command::Start {
            run: 4,
            model: model.of_shape(ImageShape::new(Channels::Colour, 64).unwrap()),
            train,
            epochs: 1,
            initial: Some(vec![0, 1, 2, 255]),
            resume: Some(ResumeAt {
                epochs_done: 2,
                steps: 130,
            }),
            paused: true,
        },
        Command::Pause,
        Command::Resume,
        Command::Step,
        Command::Reset,
        Command::SetHyperParameters { train },
        Command::SaveWeights,
        Command::UseData {
            dataset: Some(vec![7, 0, 255]),
        },
        Command::UseData { dataset: None },
        Command::Ping {
            n: u64::from(u32::MAX) + 5,
        },
    ]
}

pub fn events() -> Vec<Event> {
    vec![
        Event::Ready {
            version: PROTOCOL_VERSION,
        },
        Event::Threads {
            threads: 2,
            why_one: None,
        },
        Event::Threads {
            threads: 1,
            why_one: Some(Said::new(
                "this device reports a single core",
                "这台设备只报告了一个处理器核心",
            )),
        },
        Event::DataReady {
            dataset: "MNIST digits".into(),
            train_digits: 8000,
            test_digits: 2000,
        },
        Event::DataUnavailable {
            message: Said::plain("assets/digits.bin: 404"),
        },
        Event::TestDigits {
            file: (0..=255).rev().collect(),
        },
        Event::Progress(Progress {
            run: 3,
            state: RunState::Diverged,
            epochs_done: 2,
            epochs: 10,
            step: 130,
            total_steps: 630,
            steps_per_epoch: 63,
            step_in_epoch: 4,
            samples_per_sec: 3912.5,
            eta_seconds: Some(12.5),
            beta: 0.25,
            losses: vec![
                StepLoss {
                    step: 129,
                    loss: loss(140.0),
                },
                StepLoss {
                    step: 130,
                    loss: loss(139.5),
                },
            ],
        }),
        Event::Epoch {
            run: 3,
            report: EpochReport {
                epoch: 2,
                train: loss(150.0),
                scored_on: ScoredOn::TestImages,
                neg_elbo: 145.2,
                recon: 125.0,
                kl: 20.2,
                kl_per_dim: vec![1.5, 0.001, 2.25],
                active_units: 2,
            },
        },
        Event::Epoch {
            run: 4,
            report: EpochReport {
                epoch: 1,
                train: loss(180.0),
                scored_on: ScoredOn::TrainingImages,
                neg_elbo: 170.5,
                recon: 160.0,
                kl: 10.5,
                kl_per_dim: vec![10.5],
                active_units: 1,
            },
        },
        Event::TestCodes {
            run: 3,
            epoch: 2,
            latent: 2,
            codes: [0.5f32, -1.25, 3.0, 0.0]
                .iter()
                .flat_map(|v| v.to_le_bytes())
                .collect(),
        },
        Event::Snapshot {
            run: 3,
            step: 130,
            epochs_done: 2,
            step_in_epoch: 4,
            weights: (0..=255).collect(),
        },
        Event::Error {
            run: None,
            message: Said::new("training diverged", "训练发散了"),
        },
        Event::Error {
            run: Some(3),
            message: Said::plain("x"),
        },
        Event::Pong {
            n: 17,
            memory_bytes: 3 << 30,
        },
    ]
}

/// An import worker's request (its files follow, outside serde).
fn import_request() -> ImportRequest {
    ImportRequest {
        name: "shapes".to_string(),
        channels: Channels::Colour,
        side: 32,
        fit: Fit::CentreCrop,
        invert_dark_on_light: false,
        paths: vec!["shapes/discs/1.png".to_string(), "notes.txt".to_string()],
    }
}

/// One of every message to an import worker.
pub fn import_commands() -> Vec<ImportCommand> {
    vec![
        ImportCommand::Import(import_request()),
        ImportCommand::ImportFiles { from: 100 },
    ]
}

/// Each import command's name; the samples hold every one.
pub fn import_command_name(command: &ImportCommand) -> &'static str {
    match command {
        ImportCommand::Import(_) => "Import",
        ImportCommand::ImportFiles { .. } => "ImportFiles",
    }
}

pub fn import_events() -> Vec<ImportEvent> {
    vec![
        ImportEvent::ImportReady {
            version: PROTOCOL_VERSION,
        },
        ImportEvent::ImportProgress { done: 3, total: 10 },
        ImportEvent::Imported {
            dataset: vec![1, 2, 3],
            tally: Tally {
                kept: 7,
                not_pictures: 1,
                unreadable: 1,
                duplicates: 1,
                over_the_cap: 0,
                examples: vec![(Passed::Duplicate, "shapes/discs/2.png".to_string())],
            },
        },
        ImportEvent::ImportFailed {
            message: Said::new("None of the 2 files could be used", "这 2 个文件都无法使用"),
        },
    ]
}

/// Each import event's name; the samples hold every one.
pub fn import_event_name(event: &ImportEvent) -> &'static str {
    match event {
        ImportEvent::ImportReady { .. } => "ImportReady",
        ImportEvent::ImportProgress { .. } => "ImportProgress",
        ImportEvent::Imported { .. } => "Imported",
        ImportEvent::ImportFailed { .. } => "ImportFailed",
    }
}

/// Each command's name; the samples hold every one.
pub fn command_name(command: &Command) -> &'static str {
    match command {
        Command::Start { .. } => "Start",
        Command::Pause => "Pause",
        Command::Resume => "Resume",
        Command::Step => "Step",
        Command::Reset => "Reset",
        Command::SetHyperParameters { .. } => "SetHyperParameters",
        Command::SaveWeights => "SaveWeights",
        Command::UseData { .. } => "UseData",
        Command::Ping { .. } => "Ping",
    }
}

/// Each event's name; the samples hold every one.
pub fn event_name(event: &Event) -> &'static str {
    match event {
        Event::Ready { .. } => "Ready",
        Event::DataReady { .. } => "DataReady",
        Event::DataUnavailable { .. } => "DataUnavailable",
        Event::Progress(_) => "Progress",
        Event::Epoch { .. } => "Epoch",
        Event::Snapshot { .. } => "Snapshot",
        Event::Error { .. } => "Error",
        Event::Pong { .. } => "Pong",
        Event::Threads { .. } => "Threads",
        Event::TestDigits { .. } => "TestDigits",
        Event::TestCodes { .. } => "TestCodes",
    }
}
