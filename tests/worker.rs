//! The worker's logic natively: commands in, events out, training in bounded slices.
#![cfg(not(target_arch = "wasm32"))]

mod common;

use std::time::Instant;

use latent_lab::ml::checkpoint;
use latent_lab::ml::model::{ModelConfig, ModelKind};
use latent_lab::ml::train::TrainConfig;
use latent_lab::protocol::{Command, Event, ResumeAt, RunState};
use latent_lab::ui_logic::said::Said;
use latent_lab::worker::runner::{DigitsProblem, Runner};

/// 160 synthetic digits (bars at four places), split 128 train / 32 test.
fn runner_with_data() -> Runner {
    let mut runner = Runner::new();
    runner.set_data(common::bars(160).split());
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

use common::small_steps as small;

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
    assert!(reports[2].neg_elbo < reports[0].neg_elbo, "{reports:?}");
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
    // Train until some steps are done, so a pause has something to stop.
    let mut trained = Vec::new();
    while last_progress(&trained).is_none_or(|p| p.step < 3) {
        trained.extend(runner.slice(&clock, 5.0));
    }
    let paused = runner.handle(Command::Pause, clock());
    let at_pause = last_progress(&paused).unwrap().step;
    assert!(at_pause >= 3);
    assert_eq!(last_progress(&paused).unwrap().state, RunState::Paused);
    assert!(
        paused.iter().any(|e| matches!(e, Event::Snapshot { .. })),
        "pausing sends the weights"
    );
    // After a pause the slices do no training: an epoch's evaluation under way may finish (and
    // report), but no step is taken and no loss is sent, and the worker soon wants no slices.
    let mut after = Vec::new();
    for _ in 0..20 {
        if !runner.wants_slice() {
            break;
        }
        after.extend(runner.slice(&clock, 5.0));
    }
    assert!(
        !runner.wants_slice(),
        "a paused run asks for no more slices"
    );
    for event in &after {
        match event {
            Event::Progress(p) => {
                assert_eq!((p.step, p.state), (at_pause, RunState::Paused), "{p:?}");
                assert!(p.losses.is_empty(), "no step's loss after the pause");
            }
            Event::Snapshot { step, .. } => assert_eq!(*step, at_pause),
            Event::Epoch { .. } => {}
            other => panic!("unexpected while paused: {other:?}"),
        }
    }

    runner.handle(Command::Step, clock());
    let stepped = drain(&mut runner, &clock, 100);
    let progress = last_progress(&stepped).unwrap();
    assert_eq!(
        (progress.step, progress.state),
        (at_pause + 1, RunState::Paused)
    );
    let losses: Vec<usize> = stepped
        .iter()
        .flat_map(|e| match e {
            Event::Progress(p) => p.losses.iter().map(|l| l.step).collect(),
            _ => Vec::new(),
        })
        .collect();
    assert_eq!(losses, vec![at_pause + 1], "exactly one step's loss");
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
    // Batches of one digit make every piece of work exactly one step. A slice must look at the
    // clock at least once per piece to know its budget is spent, and this clock moves 1 ms at
    // each look: so a 10 ms slice takes at most 11 steps, however it reads the clock.
    let clock = ticking(1.0);
    let mut runner = runner_with_data();
    let one_at_a_time = TrainConfig {
        batch_size: 1,
        ..small()
    };
    runner.handle(start(1000, one_at_a_time), clock());
    // The step count after each slice, from a snapshot (handling a command reads no clock).
    let steps_now = |runner: &mut Runner| match &runner.handle(Command::SaveWeights, 0.0)[..] {
        [Event::Snapshot { step, .. }] => *step,
        other => panic!("{other:?}"),
    };
    let mut step = 0;
    for _ in 0..40 {
        runner.slice(&clock, 10.0);
        let now = steps_now(&mut runner);
        assert!(
            now - step <= 11,
            "a 10 ms slice took {} steps of at least 1 ms",
            now - step
        );
        step = now;
    }
    assert!(
        step >= 40,
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
            matches!(&events[..], [Event::Error { message, .. }] if message.en.contains("press Start")),
            "{events:?}"
        );
    }
    let mut empty = Runner::new();
    empty.set_data_error(DigitsProblem::Refused {
        url: "assets/digits.bin".into(),
        status: 404,
    });
    let events = empty.handle(start(1, small()), clock());
    assert!(
        matches!(&events[..], [Event::Error { message, .. }] if message.en.contains("404") && message.en.contains("pretrained")),
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
        matches!(&events[..], [Event::Error { message, .. }] if message.en.contains("learning rate"))
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
    assert!(
        message.en.contains("lower the learning rate"),
        "{message:?}"
    );
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
        matches!(&events[..], [Event::Error { message, .. }] if message.en.contains("not a")),
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
        matches!(&events[..], [Event::Error { message, .. }] if message.en.contains("cannot be used")),
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
        matches!(&events[..], [Event::Error { message, .. }] if message.en.contains("press Start"))
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
        matches!(&events[..], [Event::Error { message, .. }] if message.en.contains("its weights")),
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

#[test]
fn a_run_continued_from_the_middle_of_an_epoch_keeps_its_planned_total_of_steps() {
    let clock = clock();
    let mut runner = runner_with_data();
    runner.handle(
        Command::Start {
            run: 7,
            model: ModelConfig::new(ModelKind::MlpVae, 2, 32),
            train: small(),
            epochs: 3,
            initial: None,
            resume: None,
            paused: true,
        },
        clock(),
    );
    // Step into the second epoch (4 steps an epoch) one step at a time, so the snapshot is
    // mid-epoch whatever the machine's speed (a timed slice could finish the epoch).
    let mut events = Vec::new();
    for _ in 0..6 {
        runner.handle(Command::Step, clock());
        events.extend(drain(&mut runner, &clock, 100));
    }
    let planned = last_progress(&events).unwrap().total_steps;
    assert_eq!(last_progress(&events).unwrap().step, 6, "six single steps");
    let paused = runner.handle(Command::Pause, clock());
    let (weights, at) = paused
        .iter()
        .find_map(|e| match e {
            Event::Snapshot {
                step,
                epochs_done,
                step_in_epoch,
                weights,
                ..
            } => {
                assert!(*step_in_epoch > 0, "paused in the middle of an epoch");
                Some((
                    weights.clone(),
                    ResumeAt {
                        epochs_done: *epochs_done,
                        steps: step - step_in_epoch,
                    },
                ))
            }
            _ => None,
        })
        .expect("pausing sends the weights");
    assert_eq!(
        at.steps,
        at.epochs_done * 4,
        "the step at the epoch's start"
    );

    // As the page does after a crash or a reload: that epoch is trained again from its start.
    let mut fresh = runner_with_data();
    let events = fresh.handle(
        Command::Start {
            run: 8,
            model: ModelConfig::new(ModelKind::MlpVae, 2, 32),
            train: small(),
            epochs: 3,
            initial: Some(weights),
            resume: Some(at),
            paused: true,
        },
        clock(),
    );
    let p = last_progress(&events).unwrap();
    assert_eq!((p.step, p.total_steps), (at.steps, planned), "{p:?}");
}

/// The message of the only event, an error.
fn error_message(events: &[Event]) -> &Said {
    match events {
        [Event::Error { message, .. }] => message,
        other => panic!("expected one error, got {other:?}"),
    }
}

#[test]
fn every_message_comes_in_both_languages_so_the_page_can_switch_after_it_came() {
    let clock = clock();
    let mut runner = runner_with_data();
    let none = runner.handle(Command::Pause, clock());
    assert_eq!(
        error_message(&none),
        &Said::new(
            "there is no training run: press Start first",
            "现在没有在进行的训练：请先按“开始”"
        )
    );
    let bad = TrainConfig {
        learning_rate: 0.0,
        ..small()
    };
    let refused = runner.handle(start(1, bad), clock());
    let refused = error_message(&refused);
    assert!(refused.zh.starts_with("学习率 0 无法使用"), "{refused:?}");
    assert!(refused.en.contains("learning rate"), "{refused:?}");

    // A run's own messages too: its divergence.
    let diverging = TrainConfig {
        learning_rate: 10.0,
        beta: 1000.0,
        ..small()
    };
    runner.handle(start(1000, diverging), clock());
    let events = drain(&mut runner, &clock, 2000);
    let diverged = events
        .iter()
        .find_map(|e| match e {
            Event::Error { message, .. } => Some(message.clone()),
            _ => None,
        })
        .expect("learning rate 10 with β = 1000 diverges");
    assert!(
        diverged.zh.starts_with("训练在第") && diverged.zh.contains("请调低学习率"),
        "{diverged:?}"
    );
    assert!(
        diverged.en.contains("lower the learning rate"),
        "{diverged:?}"
    );
}

#[test]
fn missing_digits_are_explained_in_both_languages() {
    let clock = clock();
    let mut runner = Runner::new();
    let unavailable = runner.set_data_error(DigitsProblem::Refused {
        url: "assets/digits.bin".into(),
        status: 404,
    });
    assert_eq!(
        unavailable,
        Event::DataUnavailable {
            message: Said::new(
                "assets/digits.bin: the server answered 404",
                "assets/digits.bin：服务器返回了 404"
            )
        }
    );
    let events = runner.handle(start(1, small()), clock());
    assert_eq!(
        error_message(&events),
        &Said::new(
            "training needs the digits, and they are not available (assets/digits.bin: the \
             server answered 404); the pretrained models still work",
            "训练需要数字数据，但它们无法使用（assets/digits.bin：服务器返回了 404）；预训练模型仍可使用"
        )
    );
}
