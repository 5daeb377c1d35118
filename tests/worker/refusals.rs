//! What the worker refuses or stops on, and how it says why (in both languages).

use super::*;

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
