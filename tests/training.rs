//! The trainer natively: the loss falls, runs repeat exactly, and divergence is caught and undone.
#![cfg(not(target_arch = "wasm32"))]

mod common;

use latent_lab::ml::data::ImageSet;
use latent_lab::ml::model::{Model, ModelConfig, ModelKind};
use latent_lab::ml::train::{init_rng, TrainConfig, TrainError, Trainer};

/// 128 synthetic digits: bars at four positions and orientations.
fn bars() -> ImageSet {
    common::bars(128)
}

fn trainer(kind: ModelKind, config: TrainConfig) -> Trainer {
    let hidden = if kind == ModelKind::ConvVae { 4 } else { 32 };
    let model = Model::new(
        ModelConfig::new(kind, 2, hidden),
        &mut init_rng(config.seed),
    )
    .unwrap();
    Trainer::new(model, bars(), config).unwrap()
}

use common::{parameters, small_steps as small};

#[test]
fn the_loss_falls_for_every_kind_of_model() {
    for kind in ModelKind::ALL {
        let mut t = trainer(kind, small());
        let first = t.train_epoch().unwrap().loss.total;
        let mut last = first;
        for _ in 0..10 {
            last = t.train_epoch().unwrap().loss.total;
        }
        assert!(
            last < 0.8 * first,
            "{kind:?}: epoch loss went from {first} to {last}"
        );
    }
}

#[test]
fn the_same_seed_repeats_a_run_exactly() {
    let run = |seed| {
        let mut t = trainer(ModelKind::MlpVae, TrainConfig { seed, ..small() });
        (0..6)
            .map(|_| t.step().unwrap().loss.total)
            .collect::<Vec<f32>>()
    };
    assert_eq!(run(1), run(1));
    assert_ne!(run(1), run(2));
}

#[test]
fn an_epoch_reports_its_position_and_sample_count() {
    let mut t = trainer(ModelKind::Autoencoder, small());
    assert_eq!(t.batches_per_epoch(), 4);
    let summary = t.train_epoch().unwrap();
    assert_eq!((summary.epoch, summary.steps, summary.samples), (0, 4, 128));
    assert_eq!(t.epochs(), 1);
    assert_eq!(t.steps(), 4);
    assert!(summary.loss.kl == 0.0, "an autoencoder has no KL term");
}

#[test]
fn a_diverging_run_stops_restores_finite_weights_and_can_resume() {
    let mut t = trainer(
        ModelKind::MlpVae,
        TrainConfig {
            learning_rate: 10.0,
            beta: 1000.0,
            ..small()
        },
    );
    // The weights that gave the last sane loss: those before the last update that went through.
    let mut last_sane: Option<Vec<f32>> = None;
    let mut diverged = None;
    for _ in 0..500 {
        let before = parameters(&t);
        match t.step() {
            Ok(_) => last_sane = Some(before),
            Err(e @ TrainError::Diverged { .. }) => {
                diverged = Some(e);
                break;
            }
            Err(other) => panic!("unexpected error {other}"),
        }
    }
    let error = diverged.expect("learning rate 10 with β = 1000 diverges within 500 steps");
    let message = error.to_string();
    assert!(
        message.contains("restored") && message.contains("lower the learning rate"),
        "{message}"
    );
    let last_sane = last_sane.expect("the first step is sane: an untrained model scores ~550");
    let restored = parameters(&t);
    assert!(
        restored == last_sane,
        "the restored weights are exactly those before the last update ({} of {} differ)",
        restored
            .iter()
            .zip(&last_sane)
            .filter(|(a, b)| a != b)
            .count(),
        restored.len()
    );
    assert!(restored.iter().all(|v| v.is_finite()));

    // The user lowers the learning rate and β; training continues from the restored weights.
    let steps_before = t.steps();
    t.set_hyper_parameters(TrainConfig {
        learning_rate: 1e-4,
        beta: 1.0,
        ..small()
    })
    .unwrap();
    let report = t.step().expect("training resumes after divergence");
    assert!(report.loss.is_finite());
    assert_eq!(t.steps(), steps_before + 1);
}

#[test]
fn a_learning_rate_of_10_is_caught_when_the_loss_explodes_though_it_stays_finite() {
    let mut t = trainer(
        ModelKind::MlpVae,
        TrainConfig {
            learning_rate: 10.0,
            ..small()
        },
    );
    // The weights that gave the last sane loss: those before the last update that went through.
    let mut last_sane = parameters(&t);
    let first = t.step().expect("the first step starts from sane weights");
    assert!(first.loss.total < 1000.0, "{:?}", first.loss);
    let mut error = None;
    for _ in 0..20 {
        let before = parameters(&t);
        match t.step() {
            Ok(_) => last_sane = before,
            Err(e) => {
                error = Some(e);
                break;
            }
        }
    }
    let error = error.expect("the loss explodes within a few steps");
    assert!(matches!(error, TrainError::Diverged { .. }), "{error}");
    let message = error.to_string();
    assert!(
        message.contains("nats per digit")
            || message.contains("NaN")
            || message.contains("infinite"),
        "{message}"
    );
    assert!(
        parameters(&t) == last_sane,
        "restored to exactly the weights before the last update"
    );
    assert!(parameters(&t).iter().all(|v| v.is_finite()));
}

#[test]
fn hyper_parameters_out_of_range_are_refused_with_advice() {
    let model = Model::new(ModelConfig::new(ModelKind::MlpVae, 2, 16), &mut init_rng(0)).unwrap();
    let bad = TrainConfig {
        learning_rate: -1.0,
        ..TrainConfig::default()
    };
    let err = Trainer::new(model, bars(), bad)
        .err()
        .expect("a negative learning rate is refused");
    assert!(err.to_string().contains("1e-3 is a good start"), "{err}");
    let mut t = trainer(ModelKind::MlpVae, small());
    assert!(t
        .set_hyper_parameters(TrainConfig {
            batch_size: 0,
            ..small()
        })
        .is_err());
    assert!(t
        .set_hyper_parameters(TrainConfig {
            beta: f64::NAN,
            ..small()
        })
        .is_err());
}

#[test]
fn a_step_done_in_small_pieces_equals_one_done_at_once() {
    for kind in [ModelKind::MlpVae, ModelKind::ConvVae] {
        let mut whole = trainer(kind, small());
        let mut pieces = trainer(kind, small());
        for _ in 0..3 {
            let a = whole.step().unwrap();
            let mut b = None;
            let mut calls = 0;
            while b.is_none() {
                b = pieces.work(7).unwrap().step;
                calls += 1;
            }
            let b = b.unwrap();
            assert_eq!(calls, 5, "a batch of 32 in pieces of 7 takes 5 calls");
            assert_eq!(
                (a.step, a.samples, a.position.clone()),
                (b.step, b.samples, b.position.clone())
            );
            assert!(
                (a.loss.total - b.loss.total).abs() < 1e-3 * a.loss.total.abs(),
                "{kind:?}: {:?} vs {:?}",
                a.loss,
                b.loss
            );
        }
        let (pa, pb) = (parameters(&whole), parameters(&pieces));
        let worst = pa
            .iter()
            .zip(&pb)
            .map(|(x, y)| (x - y).abs())
            .fold(0f32, f32::max);
        assert!(worst < 1e-4, "{kind:?}: parameters differ by up to {worst}");
    }
}

#[test]
fn a_step_cut_in_pieces_is_cut_into_equal_ones() {
    // A piece's fixed cost (a hand-over to the helper and back, the weight gradients written
    // and summed) is paid for a short last piece as for a whole one.
    let mut t = trainer(ModelKind::MlpVae, small());
    let digits = |t: &mut Trainer, most| t.work(most).unwrap().digits;
    assert_eq!(
        [digits(&mut t, 30), digits(&mut t, 30)],
        [16, 16],
        "a batch of 32 in pieces of at most 30: two of 16, not 30 and 2"
    );
    assert_eq!(
        (0..5).map(|_| digits(&mut t, 7)).collect::<Vec<_>>(),
        [7, 7, 6, 6, 6],
        "in pieces of at most 7: five, as even as they can be"
    );
}

#[test]
fn a_change_of_settings_mid_batch_waits_for_the_next_batch() {
    let mut t = trainer(ModelKind::MlpVae, small());
    assert!(t.work(5).unwrap().step.is_none());
    t.set_hyper_parameters(TrainConfig {
        batch_size: 8,
        ..small()
    })
    .unwrap();
    let mut finished = None;
    while finished.is_none() {
        finished = t.work(5).unwrap().step;
    }
    assert_eq!(
        finished.unwrap().samples,
        32,
        "the batch in progress keeps its size"
    );
    assert_eq!(
        t.step().unwrap().samples,
        8,
        "the next one has the new size"
    );
}

#[test]
fn an_empty_training_set_is_refused() {
    let model = Model::new(ModelConfig::new(ModelKind::MlpVae, 2, 16), &mut init_rng(0)).unwrap();
    let empty = ImageSet::new(Vec::new(), Vec::new());
    assert!(matches!(
        Trainer::new(model, empty, small()),
        Err(TrainError::NoData)
    ));
}

#[test]
fn a_continued_trainer_picks_up_the_counters_and_the_next_epoch() {
    let mut t = trainer(ModelKind::MlpVae, small());
    t.resume_at(2, 9).unwrap();
    assert_eq!((t.epochs(), t.steps(), t.steps_in_epoch()), (2, 9, 0));
    let report = t.step().unwrap();
    assert_eq!(report.step, 10);
    assert_eq!((report.position.epoch, report.position.index), (2, 0));
    assert!(
        matches!(t.resume_at(0, 0), Err(TrainError::AlreadyStarted)),
        "a run under way cannot be moved"
    );
}

#[test]
fn a_kl_warm_up_raises_beta_linearly_to_its_setting() {
    let config = TrainConfig {
        beta: 4.0,
        warmup_epochs: 2,
        ..small()
    };
    let mut t = trainer(ModelKind::MlpVae, config);
    let per_epoch = t.batches_per_epoch();
    let total = 2 * per_epoch;
    assert!(
        (t.current_beta() - 4.0 / total as f64).abs() < 1e-12,
        "first step"
    );
    for _ in 0..per_epoch {
        t.step().unwrap();
    }
    let halfway = 4.0 * (per_epoch + 1) as f64 / total as f64;
    assert!((t.current_beta() - halfway).abs() < 1e-12);
    for _ in 0..2 * per_epoch {
        t.step().unwrap();
    }
    assert_eq!(t.current_beta(), 4.0, "all of β after the warm-up");
    let plain = trainer(
        ModelKind::MlpVae,
        TrainConfig {
            beta: 4.0,
            ..small()
        },
    );
    assert_eq!(plain.current_beta(), 4.0, "no warm-up, no ramp");
    assert!(TrainConfig {
        warmup_epochs: 1001,
        ..small()
    }
    .validate()
    .is_err());
}
