//! A run continued from a snapshot (of a finished epoch or the middle of one), and pings.

use super::*;

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
