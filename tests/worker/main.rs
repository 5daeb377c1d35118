//! The worker's logic natively: commands in, events out, training in bounded slices. One test
//! binary; its tests are grouped by what they pin, its helpers are here.
#![cfg(not(target_arch = "wasm32"))]

#[path = "../common/mod.rs"]
mod common;
mod late_helper;
mod refusals;
mod resume;
mod slices;

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

/// A clock that advances `tick` ms each time it is read, so slicing is tested without timing.
fn ticking(tick: f64) -> impl Fn() -> f64 {
    let now = std::cell::Cell::new(0.0);
    move || {
        now.set(now.get() + tick);
        now.get()
    }
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
