//! The worker's data natively: the built-in digits, a dataset file sent by the page
//! (`Command::UseData`), and back.
#![cfg(not(target_arch = "wasm32"))]

mod common;

use latent_lab::ml::dataset::{file, Channels, Dataset, ImageShape, Labels};
use latent_lab::ml::model::{ModelConfig, ModelKind};
use latent_lab::ml::train::TrainConfig;
use latent_lab::protocol::{Command, Event, ScoredOn};
use latent_lab::worker::runner::{Runner, BUILT_IN_DATA};

fn start(run: u64) -> Command {
    Command::Start {
        run,
        model: ModelConfig::new(ModelKind::MlpVae, 2, 32),
        train: TrainConfig {
            batch_size: 16,
            ..TrainConfig::default()
        },
        epochs: 2,
        initial: None,
        resume: None,
        paused: false,
    }
}

/// A dataset file of `count` 28×28 grey images in two labelled classes.
fn dataset_file(count: usize) -> Vec<u8> {
    let images = (0..count * 784)
        .map(|i| {
            if (i / 784) % 2 == 0 {
                (i % 28 * 9) as u8
            } else {
                0
            }
        })
        .collect();
    let labels = Labels {
        of_image: (0..count).map(|i| (i % 2) as u16).collect(),
        names: vec!["ramp".into(), "dark".into()],
    };
    let set = Dataset::new("ramps", ImageShape::DIGITS, images, Some(labels)).unwrap();
    file::save(&set)
}

fn steps_per_epoch(events: &[Event]) -> usize {
    events
        .iter()
        .find_map(|e| match e {
            Event::Progress(p) => Some(p.steps_per_epoch),
            _ => None,
        })
        .expect("a progress event")
}

#[test]
fn a_dataset_file_replaces_the_digits_ends_the_run_and_none_brings_the_digits_back() {
    let mut runner = Runner::new();
    let ready = runner.set_data(common::bars(160).split());
    assert_eq!(
        ready,
        Event::DataReady {
            dataset: BUILT_IN_DATA.into(),
            train_digits: 128,
            test_digits: 32
        }
    );
    assert_eq!(
        steps_per_epoch(&runner.handle(start(1), 0.0)),
        8,
        "128 / 16"
    );
    assert!(runner.wants_slice());

    let events = runner.handle(
        Command::UseData {
            dataset: Some(dataset_file(60)),
        },
        0.0,
    );
    assert_eq!(
        events,
        [Event::DataReady {
            dataset: "ramps".into(),
            train_digits: 48,
            test_digits: 12
        }]
    );
    assert!(!runner.wants_slice(), "the run on the digits ended");
    assert_eq!(steps_per_epoch(&runner.handle(start(2), 0.0)), 3, "48 / 16");

    let events = runner.handle(Command::UseData { dataset: None }, 0.0);
    assert_eq!(
        events,
        [Event::DataReady {
            dataset: BUILT_IN_DATA.into(),
            train_digits: 128,
            test_digits: 32
        }]
    );
    assert_eq!(steps_per_epoch(&runner.handle(start(3), 0.0)), 8);
}

#[test]
fn a_file_that_is_not_a_dataset_is_refused_in_words_and_the_data_stays() {
    let mut runner = Runner::new();
    runner.set_data(common::bars(160).split());
    runner.handle(start(1), 0.0);
    let events = runner.handle(
        Command::UseData {
            dataset: Some(b"not a dataset at all".to_vec()),
        },
        0.0,
    );
    assert!(
        matches!(&events[..], [Event::Error { run: None, message }]
            if message.en.starts_with("that dataset cannot be trained on") && message.en.contains("not a safetensors file")),
        "{events:?}"
    );
    assert!(runner.wants_slice(), "the run on the digits goes on");
}

#[test]
fn colour_pictures_train_a_model_of_their_shape_and_a_digits_model_is_refused_by_shape() {
    let mut runner = Runner::new();
    runner.set_data(common::bars(160).split());
    let colour = ImageShape::new(Channels::Colour, 32).unwrap();
    let values = (0..60 * colour.values())
        .map(|i| (i * 7 % 256) as u8)
        .collect();
    let photos = Dataset::new("photos", colour, values, None).unwrap();
    let events = runner.handle(
        Command::UseData {
            dataset: Some(file::save(&photos)),
        },
        0.0,
    );
    assert!(
        matches!(
            &events[..],
            [Event::DataReady {
                train_digits: 48,
                ..
            }]
        ),
        "{events:?}"
    );
    let events = runner.handle(start(1), 0.0);
    assert!(
        matches!(&events[..], [Event::Error { run: Some(1), message }]
            if message.en.starts_with("the model reads 28×28 grey images but the data is 32×32 colour")),
        "{events:?}"
    );
    let Command::Start { model, .. } = start(2) else {
        unreachable!()
    };
    let colour_start = Command::Start {
        run: 2,
        model: ModelConfig {
            shape: colour,
            ..model
        },
        train: TrainConfig {
            batch_size: 16,
            ..TrainConfig::default()
        },
        epochs: 1,
        initial: None,
        resume: None,
        paused: false,
    };
    assert_eq!(
        steps_per_epoch(&runner.handle(colour_start, 0.0)),
        3,
        "48 / 16"
    );
}

#[test]
fn going_back_to_the_digits_before_they_load_says_they_are_not_there_yet() {
    let mut runner = Runner::new();
    let events = runner.handle(Command::UseData { dataset: None }, 0.0);
    assert!(
        matches!(&events[..], [Event::Error { message, .. }] if message.en.contains("still loading")),
        "{events:?}"
    );
    // A dataset can be used before the digits arrive, and stays chosen when they do.
    runner.handle(
        Command::UseData {
            dataset: Some(dataset_file(60)),
        },
        0.0,
    );
    runner.set_data(common::bars(160).split());
    assert_eq!(steps_per_epoch(&runner.handle(start(1), 0.0)), 3);
}

#[test]
fn a_set_too_small_for_a_test_split_trains_on_everything_and_is_scored_on_its_training_images() {
    let mut runner = Runner::new();
    runner.set_data(common::bars(160).split());
    let events = runner.handle(
        Command::UseData {
            dataset: Some(dataset_file(20)),
        },
        0.0,
    );
    assert_eq!(
        events,
        [Event::DataReady {
            dataset: "ramps".into(),
            train_digits: 20,
            test_digits: 0
        }]
    );
    assert_eq!(steps_per_epoch(&runner.handle(start(1), 0.0)), 2, "20 / 16");
    let t0 = std::time::Instant::now();
    let clock = move || t0.elapsed().as_secs_f64() * 1000.0;
    let mut reports = Vec::new();
    for _ in 0..1000 {
        if !runner.wants_slice() {
            break;
        }
        for event in runner.slice(&clock, 20.0) {
            match event {
                Event::Epoch { report, .. } => reports.push(report),
                Event::Error { message, .. } => panic!("{message:?}"),
                _ => {}
            }
        }
    }
    assert_eq!(reports.len(), 2, "{reports:?}");
    for report in &reports {
        assert_eq!(report.scored_on, ScoredOn::TrainingImages);
        assert!(
            report.neg_elbo.is_finite() && report.neg_elbo > 0.0,
            "{report:?}"
        );
        assert_eq!(report.kl_per_dim.len(), 2);
    }
}
