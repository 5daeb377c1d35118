//! A run started before its helper could be had (in the threaded build: before the helper
//! worker said it listens) takes the helper as soon as it can, instead of training alone to
//! its end.

use std::cell::Cell;
use std::rc::Rc;

use latent_lab::ml::helper::ThreadHelper;

use super::*;

#[test]
fn a_run_started_before_its_helper_listens_takes_the_helper_once_it_does() {
    // A clock that moves as it is read: a slice does the same few steps on any machine.
    let clock = ticking(5.0);
    let mut runner = runner_with_data();
    // The link has no helper to give until `listening` is set, then gives one each time asked.
    let (listening, asked, given) = (
        Rc::new(Cell::new(false)),
        Rc::new(Cell::new(0)),
        Rc::new(Cell::new(0)),
    );
    let link = {
        let (listening, asked, given) = (listening.clone(), asked.clone(), given.clone());
        Box::new(move |model: &latent_lab::ml::model::Model, _batch: usize| {
            asked.set(asked.get() + 1);
            if !listening.get() {
                return None;
            }
            given.set(given.get() + 1);
            let helper = ThreadHelper::new(model.config()).unwrap();
            Some(Box::new(helper) as Box<dyn latent_lab::ml::helper::StepHelper>)
        })
    };
    runner.set_helper_link(link);
    runner.handle(start(3, small()), clock());
    assert_eq!(
        (asked.get(), given.get()),
        (1, 0),
        "the start asked once, in vain"
    );
    let mut events = runner.slice(&clock, 20.0);
    assert_eq!(given.get(), 0);
    assert!(
        asked.get() >= 2,
        "each slice asks again ({} asks)",
        asked.get()
    );
    listening.set(true);
    events.extend(drain(&mut runner, &clock, 1000));
    assert_eq!(given.get(), 1, "the run took a helper, once");
    let asks = asked.get();
    drain(&mut runner, &clock, 10);
    assert_eq!(asked.get(), asks, "and asked no more");
    let progress = last_progress(&events).unwrap();
    assert_eq!(progress.state, RunState::Finished);
    assert_eq!(reported_epochs(&events), vec![1, 2, 3]);

    // It ends where a run trained alone ends, up to rounding.
    let clock = ticking(5.0);
    let mut alone = runner_with_data();
    alone.handle(start(3, small()), clock());
    let alone_events = drain(&mut alone, &clock, 1000);
    let (a, b) = (last_neg_elbo(&alone_events), last_neg_elbo(&events));
    assert!(
        common::close(a, b),
        "test −ELBO alone {a}, helped from a slice on {b}"
    );
}

/// The test −ELBO of the last epoch reported among `events`.
fn last_neg_elbo(events: &[Event]) -> f32 {
    let mut elbos = events.iter().filter_map(|e| match e {
        Event::Epoch { report, .. } => Some(report.neg_elbo as f32),
        _ => None,
    });
    elbos.next_back().expect("an epoch was reported")
}
