//! The worker's logic natively: commands in, events out, training in bounded slices.
#![cfg(not(target_arch = "wasm32"))]

use std::time::Instant;

use latent_lab::ml::checkpoint;
use latent_lab::ml::data::Digits;
use latent_lab::ml::model::{ModelConfig, ModelKind};
use latent_lab::ml::train::TrainConfig;
use latent_lab::protocol::{Command, Event, ResumeAt, RunState};
use latent_lab::worker::runner::Runner;

/// 160 synthetic digits (bars at four places), split 128 train / 32 test.
fn runner_with_data() -> Runner {
    let mut grey = Vec::new();
    let mut labels = Vec::new();
    for i in 0..160 {
        for row in 0..28usize {
            for col in 0..28usize {
                let on = match i % 4 {
                    0 => (8..12).contains(&col),
                    1 => (16..20).contains(&col),
                    2 => (8..12).contains(&row),
                    _ => (16..20).contains(&row),
                };
                grey.push(if on { 230u8 } else { 10 });
            }
        }
        labels.push((i % 4) as u8);
    }
    let mut runner = Runner::new();
    runner.set_data(
        Digits::parse(&Digits::encode(&grey, &labels))
            .unwrap()
            .split(),
    );
    runner
}

fn start(epochs: usize, train: TrainConfig) -> Command {
    Command::Start {
        run: 7,
        model: ModelConfig::new(ModelKind::MlpVae, 2, 32),
        train,
        epochs,
        initial: None,
        resume: None,
        paused: false,
    }
}

fn small() -> TrainConfig {
    TrainConfig {
        batch_size: 32,
        learning_rate: 3e-3,
        ..TrainConfig::default()
    }
}

fn clock() -> impl Fn() -> f64 {
    let t0 = Instant::now();
    move || t0.elapsed().as_secs_f64() * 1000.0
}

fn last_progress(events: &[Event]) -> Option<&latent_lab::protocol::Progress> {
    events.iter().rev().find_map(|e| match e {
        Event::Progress(p) => Some(p),
        _ => None,
    })
}

/// The epochs reported (by `Event::Epoch`) among `events`, in order.
fn reported_epochs(events: &[Event]) -> Vec<usize> {
    events
        .iter()
        .filter_map(|e| match e {
            Event::Epoch { report, .. } => Some(report.epoch),
            _ => None,
        })
        .collect()
}

/// Runs slices until the runner wants no more (or `limit` slices), collecting every event.
fn drain(runner: &mut Runner, clock: &dyn Fn() -> f64, limit: usize) -> Vec<Event> {
    let mut events = Vec::new();
    for _ in 0..limit {
        if !runner.wants_slice() {
            break;
        }
        events.extend(runner.slice(clock, 20.0));
    }
    events
}

#[test]
fn a_run_trains_evaluates_each_epoch_and_finishes() {
    let clock = clock();
    let mut runner = runner_with_data();
    let first = runner.handle(start(3, small()), clock());
    assert!(
        matches!(first[0], Event::Progress(ref p) if p.state == RunState::Running && p.step == 0)
    );
    assert!(
        matches!(
            first[1],
            Event::Snapshot {
                run: 7,
                step: 0,
                ..
            }
        ),
        "the untrained weights come at once"
    );

    let events = drain(&mut runner, &clock, 1000);
    let reports: Vec<_> = events
        .iter()
        .filter_map(|e| match e {
            Event::Epoch { report, .. } => Some(report.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(
        reports.iter().map(|r| r.epoch).collect::<Vec<_>>(),
        vec![1, 2, 3]
    );
    assert!(
        reports[2].test_neg_elbo < reports[0].test_neg_elbo,
        "{reports:?}"
    );
    assert_eq!(reports[0].kl_per_dim.len(), 2);
    let progress = last_progress(&events).unwrap();
    assert_eq!(progress.state, RunState::Finished);
    assert_eq!((progress.epochs_done, progress.step), (3, 12));
    let losses: usize = events
        .iter()
        .map(|e| match e {
            Event::Progress(p) => p.losses.len(),
            _ => 0,
        })
        .sum();
    assert_eq!(losses, 12, "every step's loss reaches the page once");
    let last_snapshot = events.iter().rev().find_map(|e| match e {
        Event::Snapshot { weights, step, .. } => Some((weights.clone(), *step)),
        _ => None,
    });
    let (weights, step) = last_snapshot.expect("a snapshot after the last epoch");
    assert_eq!(step, 12);
    let (_, info) = checkpoint::load(&weights).expect("snapshots are valid checkpoints");
    assert_eq!(info.notes.get("epochs").map(String::as_str), Some("3"));
    assert!(!runner.wants_slice());
}

#[test]
fn pause_stops_training_step_does_one_and_resume_continues() {
    let clock = clock();
    let mut runner = runner_with_data();
    runner.handle(start(50, small()), clock());
    runner.slice(&clock, 5.0);
    let paused = runner.handle(Command::Pause, clock());
    let at_pause = last_progress(&paused).unwrap().step;
    assert_eq!(last_progress(&paused).unwrap().state, RunState::Paused);
    assert!(
        paused.iter().any(|e| matches!(e, Event::Snapshot { .. })),
        "pausing sends the weights"
    );
    for _ in 0..5 {
        runner.slice(&clock, 5.0);
    }
    assert!(
        !runner.wants_slice()
            || runner
                .slice(&clock, 5.0)
                .iter()
                .all(|e| !matches!(e, Event::Progress(p) if p.step != at_pause))
    );
    runner.handle(Command::Step, clock());
    let stepped = drain(&mut runner, &clock, 100);
    assert_eq!(last_progress(&stepped).unwrap().step, at_pause + 1);
    assert_eq!(last_progress(&stepped).unwrap().state, RunState::Paused);
    let resumed = runner.handle(Command::Resume, clock());
    assert_eq!(last_progress(&resumed).unwrap().state, RunState::Running);
    assert!(runner.wants_slice());
}

/// A clock that advances `tick` ms each time it is read, so slicing is tested without timing.
fn ticking(tick: f64) -> impl Fn() -> f64 {
    let now = std::cell::Cell::new(0.0);
    move || {
        now.set(now.get() + tick);
        now.get()
    }
}

#[test]
fn a_slice_stops_once_its_budget_is_spent() {
    let clock = ticking(5.0);
    let mut runner = runner_with_data();
    runner.handle(start(1000, small()), clock());
    let mut step = 0;
    for _ in 0..40 {
        let before = clock();
        let events = runner.slice(&clock, 10.0);
        // Reads: the start, one check within budget, one piece of work (two reads around it),
        // the check that ends the loop, and the bookkeeping after it.
        let used = clock() - before;
        assert!(
            used <= 10.0 + 8.0 * 5.0,
            "a 10 ms slice ran on to {used} ms of clock"
        );
        step = last_progress(&events).map_or(step, |p| p.step);
    }
    assert!(
        step >= 5,
        "and it keeps training: {step} steps in 40 slices"
    );
}

#[test]
fn commands_without_a_run_or_without_data_say_what_to_do() {
    let clock = clock();
    let mut runner = runner_with_data();
    for command in [
        Command::Pause,
        Command::Resume,
        Command::Step,
        Command::SaveWeights,
    ] {
        let events = runner.handle(command, clock());
        assert!(
            matches!(&events[..], [Event::Error { message, .. }] if message.contains("press Start")),
            "{events:?}"
        );
    }
    let mut empty = Runner::new();
    empty.set_data_error("assets/digits.bin: the server answered 404".into());
    let events = empty.handle(start(1, small()), clock());
    assert!(
        matches!(&events[..], [Event::Error { message, .. }] if message.contains("404") && message.contains("pretrained")),
        "{events:?}"
    );
}

#[test]
fn bad_settings_are_refused_and_nothing_starts() {
    let clock = clock();
    let mut runner = runner_with_data();
    let events = runner.handle(start(0, small()), clock());
    assert!(matches!(&events[..], [Event::Error { .. }]));
    let events = runner.handle(
        start(
            1,
            TrainConfig {
                learning_rate: 0.0,
                ..small()
            },
        ),
        clock(),
    );
    assert!(
        matches!(&events[..], [Event::Error { message, .. }] if message.contains("learning rate"))
    );
    assert!(!runner.wants_slice());
}

#[test]
fn divergence_pauses_the_run_with_finite_weights_and_advice() {
    let clock = clock();
    let mut runner = runner_with_data();
    runner.handle(
        start(
            1000,
            TrainConfig {
                learning_rate: 10.0,
                beta: 1000.0,
                ..small()
            },
        ),
        clock(),
    );
    let events = drain(&mut runner, &clock, 2000);
    let message = events
        .iter()
        .find_map(|e| match e {
            Event::Error { message, .. } => Some(message.clone()),
            _ => None,
        })
        .expect("learning rate 10 with β = 1000 diverges");
    assert!(message.contains("lower the learning rate"), "{message}");
    assert_eq!(last_progress(&events).unwrap().state, RunState::Diverged);
    let weights = events.iter().rev().find_map(|e| match e {
        Event::Snapshot { weights, .. } => Some(weights.clone()),
        _ => None,
    });
    assert!(
        checkpoint::load(&weights.unwrap()).is_ok(),
        "the restored weights are finite"
    );
    assert!(!runner.wants_slice(), "a diverged run waits for the user");
}

#[test]
fn starting_from_weights_checks_they_fit_the_model() {
    let clock = clock();
    let mut runner = runner_with_data();
    let events = runner.handle(start(1, small()), clock());
    let weights = events
        .iter()
        .find_map(|e| match e {
            Event::Snapshot { weights, .. } => Some(weights.clone()),
            _ => None,
        })
        .unwrap();
    let wrong = Command::Start {
        run: 8,
        model: ModelConfig::new(ModelKind::MlpVae, 3, 32),
        train: small(),
        epochs: 1,
        initial: Some(weights.clone()),
        resume: None,
        paused: false,
    };
    let events = runner.handle(wrong, clock());
    assert!(
        matches!(&events[..], [Event::Error { message, .. }] if message.contains("not a")),
        "{events:?}"
    );
    let right = Command::Start {
        run: 9,
        model: ModelConfig::new(ModelKind::MlpVae, 2, 32),
        train: small(),
        epochs: 1,
        initial: Some(weights),
        resume: None,
        paused: false,
    };
    let events = runner.handle(right, clock());
    assert!(
        matches!(events[0], Event::Progress(ref p) if p.run == 9 && p.state == RunState::Running)
    );
    let events = runner.handle(
        Command::Start {
            run: 10,
            model: ModelConfig::new(ModelKind::MlpVae, 2, 32),
            train: small(),
            epochs: 1,
            initial: Some(b"not weights".to_vec()),
            resume: None,
            paused: false,
        },
        clock(),
    );
    assert!(
        matches!(&events[..], [Event::Error { message, .. }] if message.contains("cannot be used")),
        "{events:?}"
    );
}

#[test]
fn step_after_a_pause_in_the_middle_of_a_batch_finishes_that_batch() {
    // A tiny first piece leaves the batch half done; Step must complete it, not crash.
    let clock = ticking(5.0);
    let mut runner = runner_with_data();
    runner.handle(
        start(
            5,
            TrainConfig {
                batch_size: 32,
                ..small()
            },
        ),
        clock(),
    );
    runner.slice(&clock, 10.0); // one piece on this clock: the first, 8 of 32 digits
    let paused = runner.handle(Command::Pause, clock());
    assert_eq!(
        last_progress(&paused).unwrap().step,
        0,
        "no step completed yet"
    );
    runner.handle(Command::Step, clock());
    let events = drain(&mut runner, &clock, 100);
    let p = last_progress(&events).unwrap();
    assert_eq!((p.step, p.state), (1, RunState::Paused));
    assert!(!runner.wants_slice());
}

#[test]
fn epochs_count_when_their_last_step_completes_even_in_pieces() {
    let clock = ticking(5.0);
    let mut runner = runner_with_data();
    // 128 training digits, batch 32: 4 steps an epoch.
    runner.handle(start(2, small()), clock());
    let mut seen = Vec::new();
    for _ in 0..400 {
        if !runner.wants_slice() {
            break;
        }
        for e in runner.slice(&clock, 10.0) {
            if let Event::Progress(p) = e {
                assert!(p.step_in_epoch < p.steps_per_epoch, "{p:?}");
                assert_eq!(
                    p.step,
                    p.epochs_done * p.steps_per_epoch + p.step_in_epoch,
                    "{p:?}"
                );
                seen.push(p.step);
            }
        }
    }
    assert_eq!(seen.last(), Some(&8));
}

#[test]
fn a_start_that_fails_stops_the_run_it_was_meant_to_replace() {
    let clock = clock();
    let mut runner = runner_with_data();
    runner.handle(start(100, small()), clock());
    assert!(runner.wants_slice());
    let events = runner.handle(start(0, small()), clock());
    assert!(matches!(&events[..], [Event::Error { .. }]));
    assert!(
        !runner.wants_slice(),
        "the old run does not keep training unseen"
    );
    let events = runner.handle(Command::Pause, clock());
    assert!(
        matches!(&events[..], [Event::Error { message, .. }] if message.contains("press Start"))
    );
}

#[test]
fn after_divergence_a_resumed_run_still_evaluates_and_finishes_its_epochs() {
    let clock = clock();
    let mut runner = runner_with_data();
    runner.handle(
        start(
            2,
            TrainConfig {
                learning_rate: 10.0,
                beta: 1000.0,
                ..small()
            },
        ),
        clock(),
    );
    let events = drain(&mut runner, &clock, 2000);
    assert_eq!(last_progress(&events).unwrap().state, RunState::Diverged);
    runner.handle(Command::SetHyperParameters { train: small() }, clock());
    runner.handle(Command::Resume, clock());
    let events = drain(&mut runner, &clock, 2000);
    let epochs = reported_epochs(&events);
    let p = last_progress(&events).unwrap();
    assert_eq!(p.state, RunState::Finished, "{p:?}");
    assert_eq!(epochs.last(), Some(&2), "{epochs:?}");
    assert_eq!(p.step, p.total_steps);
}

#[test]
fn a_run_continued_from_a_snapshot_keeps_its_counters_and_waits_when_paused() {
    let clock = clock();
    let mut runner = runner_with_data();
    runner.handle(start(3, small()), clock());
    let events = drain(&mut runner, &clock, 5000);
    let (steps, weights) = events
        .iter()
        .rev()
        .find_map(|e| match e {
            Event::Snapshot {
                step,
                epochs_done: 3,
                weights,
                ..
            } => Some((*step, weights.clone())),
            _ => None,
        })
        .expect("a snapshot of the finished run");
    // A fresh worker, as after a crash: the run comes back paused at epoch 1 of 3.
    let mut runner = runner_with_data();
    let events = runner.handle(
        Command::Start {
            run: 8,
            model: ModelConfig::new(ModelKind::MlpVae, 2, 32),
            train: small(),
            epochs: 3,
            initial: Some(weights.clone()),
            resume: Some(ResumeAt {
                epochs_done: 1,
                steps: 4,
            }),
            paused: true,
        },
        clock(),
    );
    let p = last_progress(&events).unwrap();
    assert_eq!((p.state, p.epochs_done, p.step), (RunState::Paused, 1, 4));
    assert!(
        !runner.wants_slice(),
        "a paused continuation does not train"
    );
    runner.handle(Command::Resume, clock());
    let events = drain(&mut runner, &clock, 5000);
    let p = last_progress(&events).unwrap();
    assert_eq!(p.state, RunState::Finished);
    assert_eq!(p.epochs_done, 3);
    assert_eq!(p.step, 4 + 2 * p.steps_per_epoch, "{p:?}");
    let epochs = reported_epochs(&events);
    assert_eq!(epochs, [2, 3]);

    // The snapshot of a finished run continues as finished, and nothing continues without
    // weights.
    let finished = Command::Start {
        run: 9,
        model: ModelConfig::new(ModelKind::MlpVae, 2, 32),
        train: small(),
        epochs: 3,
        initial: Some(weights),
        resume: Some(ResumeAt {
            epochs_done: 3,
            steps,
        }),
        paused: false,
    };
    let events = runner.handle(finished, clock());
    assert_eq!(last_progress(&events).unwrap().state, RunState::Finished);
    assert!(!runner.wants_slice());
    let without_weights = Command::Start {
        run: 10,
        model: ModelConfig::new(ModelKind::MlpVae, 2, 32),
        train: small(),
        epochs: 3,
        initial: None,
        resume: Some(ResumeAt {
            epochs_done: 1,
            steps: 4,
        }),
        paused: false,
    };
    let events = runner.handle(without_weights, clock());
    assert!(
        matches!(&events[..], [Event::Error { message, .. }] if message.contains("its weights")),
        "{events:?}"
    );
}

#[test]
fn a_ping_is_answered_with_its_number_with_or_without_a_run() {
    let mut runner = runner_with_data();
    assert_eq!(
        runner.handle(Command::Ping { n: 41 }, 0.0),
        [Event::Pong {
            n: 41,
            memory_bytes: 0
        }]
    );
    runner.handle(start(1, small()), 0.0);
    assert_eq!(
        runner.handle(Command::Ping { n: 42 }, 0.0),
        [Event::Pong {
            n: 42,
            memory_bytes: 0
        }]
    );
}
