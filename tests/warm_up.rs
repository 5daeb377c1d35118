//! The worker's warm-up natively: throwaway training before the first Start that nobody sees,
//! that any command but a ping ends, and that leaves the runs after it as they would have been.
#![cfg(not(target_arch = "wasm32"))]

mod common;

use std::cell::Cell;

use latent_lab::ml::checkpoint;
use latent_lab::ml::model::{ModelConfig, ModelKind};
use latent_lab::ml::train::TrainConfig;
use latent_lab::protocol::{Command, Event};
use latent_lab::worker::runner::Runner;

fn runner_with_data() -> Runner {
    let mut runner = Runner::new();
    runner.set_data(common::bars(160).split());
    runner
}

/// A clock that moves one millisecond each time it is read, so that two runners read the same
/// way see the same times.
fn ticking() -> impl Fn() -> f64 {
    let now = Cell::new(0.0);
    move || {
        now.set(now.get() + 1.0);
        now.get()
    }
}

fn start() -> Command {
    Command::Start {
        run: 3,
        model: ModelConfig::new(ModelKind::MlpVae, 2, 32),
        train: common::small_steps(),
        epochs: 2,
        initial: None,
        resume: None,
        paused: false,
    }
}

#[test]
fn the_warm_up_trains_unseen_for_a_bounded_time_then_ends() {
    let clock = ticking();
    let mut runner = runner_with_data();
    assert!(!runner.wants_slice(), "an idle worker has nothing to do");
    runner.warm_up();
    let mut slices = 0;
    while runner.wants_slice() {
        assert!(
            runner.slice(&clock, 20.0).is_empty(),
            "the warm-up tells the page nothing"
        );
        slices += 1;
        assert!(slices < 1000, "the warm-up ends by itself");
    }
    assert!(
        slices >= 2,
        "the warm-up spans several slices, each within its budget ({slices})"
    );
}

#[test]
fn any_command_but_a_ping_ends_the_warm_up() {
    let clock = ticking();
    let mut runner = runner_with_data();
    runner.warm_up();
    runner.slice(&clock, 5.0);
    runner.handle(Command::Ping { n: 1 }, clock());
    assert!(runner.wants_slice(), "a ping leaves the warm-up going");
    runner.handle(Command::Pause, clock());
    assert!(!runner.wants_slice(), "any other command ends it");
}

/// The epochs' test scores and the final weights of a run started (and trained to its end)
/// on `runner`.
fn run_to_the_end(runner: &mut Runner, clock: &dyn Fn() -> f64) -> (Vec<f64>, Vec<f32>) {
    let mut events = runner.handle(start(), clock());
    while runner.wants_slice() {
        events.extend(runner.slice(clock, 20.0));
    }
    let scores = events
        .iter()
        .filter_map(|e| match e {
            Event::Epoch { report, .. } => Some(report.neg_elbo),
            _ => None,
        })
        .collect();
    let weights = common::last_snapshot(&events).expect("the finished run's weights");
    let (model, _) = checkpoint::load(&weights).expect("a valid checkpoint");
    (scores, common::model_parameters(&model))
}

#[test]
fn a_run_started_during_the_warm_up_is_the_run_started_without_it() {
    let (clock_a, clock_b) = (ticking(), ticking());
    let mut warmed = runner_with_data();
    warmed.warm_up();
    // Into the warm-up's second part (its small model), past 300 ms.
    for _ in 0..20 {
        warmed.slice(&clock_a, 20.0);
    }
    // From Start on, both clocks are read the same way (a run looks only at time differences).
    let mut cold = runner_with_data();
    let (warm_scores, warm_weights) = run_to_the_end(&mut warmed, &clock_a);
    let (cold_scores, cold_weights) = run_to_the_end(&mut cold, &clock_b);
    assert_eq!(warm_scores.len(), 2, "both epochs scored");
    assert_eq!(warm_scores, cold_scores);
    assert_eq!(warm_weights, cold_weights);
}

/// The steps a run has completed, as a pause reports them.
fn steps_done(runner: &mut Runner, clock: &dyn Fn() -> f64) -> usize {
    let events = runner.handle(Command::Pause, clock());
    let progress = events.iter().find_map(|e| match e {
        Event::Progress(p) => Some(p.step),
        _ => None,
    });
    progress.expect("a pause reports progress")
}

#[test]
fn after_the_warm_up_a_run_of_the_default_model_does_its_first_step_whole() {
    let start_default = |run| Command::Start {
        run,
        model: ModelConfig::default(),
        train: TrainConfig::default(),
        epochs: 2,
        initial: None,
        resume: None,
        paused: false,
    };
    // A budget the ticking clock lets one piece of a step into.
    const ONE_PIECE_MS: f64 = 1.5;
    let clock = ticking();
    let mut warmed = runner_with_data();
    warmed.warm_up();
    while warmed.wants_slice() {
        warmed.slice(&clock, 20.0);
    }
    warmed.handle(start_default(1), clock());
    warmed.slice(&clock, ONE_PIECE_MS);
    assert_eq!(
        steps_done(&mut warmed, &clock),
        1,
        "the warm-up timed the default model: its first piece is the whole batch"
    );
    let mut cold = runner_with_data();
    cold.handle(start_default(2), clock());
    cold.slice(&clock, ONE_PIECE_MS);
    assert_eq!(
        steps_done(&mut cold, &clock),
        0,
        "untimed, a run starts with a small piece of its first step"
    );
}
