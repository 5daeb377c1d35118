//! A run from Start to finished: its epochs, its slices within their budget, Pause, Step and
//! Resume, and a start that fails.

use super::*;

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
    let (model, info) = checkpoint::load(&weights).expect("snapshots are valid checkpoints");
    assert_eq!(info.notes.get("epochs").map(String::as_str), Some("3"));
    assert!(!runner.wants_slice());

    // Each epoch's evaluation also sends where the model put every test image, and the last
    // one is where the finished model puts them.
    let codes: Vec<_> = events
        .iter()
        .filter_map(|e| match e {
            Event::TestCodes {
                run: 7,
                epoch,
                latent,
                codes,
            } => Some((*epoch, *latent, codes.clone())),
            _ => None,
        })
        .collect();
    assert_eq!(
        codes.iter().map(|c| (c.0, c.1)).collect::<Vec<_>>(),
        vec![(1, 2), (2, 2), (3, 2)]
    );
    let test = common::bars(160).split().test;
    let last: Vec<f32> = codes[2]
        .2
        .chunks_exact(4)
        .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
        .collect();
    let expected: Vec<f32> = model
        .encode(&test.range(0, test.len()).unwrap())
        .unwrap()
        .mean
        .flatten_all()
        .unwrap()
        .to_vec1()
        .unwrap();
    assert_eq!(last.len(), test.len() * 2);
    for (a, b) in last.iter().zip(&expected) {
        assert!((a - b).abs() < 1e-4, "{a} vs {b}");
    }
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
            Event::Epoch { .. } | Event::TestCodes { .. } => {}
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

/// A runner training in batches of one digit (every piece of work is one step), started at
/// `clock`'s time for 1,000 epochs.
fn one_digit_steps(clock: &dyn Fn() -> f64) -> Runner {
    let mut runner = runner_with_data();
    let one_at_a_time = TrainConfig {
        batch_size: 1,
        ..small()
    };
    runner.handle(start(1000, one_at_a_time), clock());
    runner
}

#[test]
fn a_slice_stops_once_its_budget_is_spent() {
    // Batches of one digit make every piece of work exactly one step. A slice must look at the
    // clock at least once per piece to know its budget is spent, and this clock moves 1 ms at
    // each look: so a 10 ms slice takes at most 11 steps, however it reads the clock.
    let clock = ticking(1.0);
    let mut runner = one_digit_steps(&clock);
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
fn a_model_whose_snapshots_cost_much_sends_them_less_often() {
    // Snapshots over the same stretch of training (300 slices of 20 ms on a clock that moves
    // 4 ms at each look: an epoch, 128 one-digit steps of about three looks each, outlasts the
    // snapshots' interval several times over), when posting one costs the host nothing and 1 s.
    // An epoch's end sends one either way; the interval adds the rest.
    let snapshots_and_epochs = |posting_ms: f64| {
        let clock = ticking(4.0);
        let mut runner = one_digit_steps(&clock);
        let (mut snapshots, mut epochs) = (0, 0);
        for _ in 0..300 {
            for event in runner.slice(&clock, 20.0) {
                match event {
                    Event::Snapshot { .. } => {
                        runner.snapshot_posted(posting_ms);
                        snapshots += 1;
                    }
                    Event::Epoch { .. } => epochs += 1,
                    _ => {}
                }
            }
        }
        (snapshots, epochs)
    };
    let (cheap, cheap_epochs) = snapshots_and_epochs(0.0);
    let (costly, costly_epochs) = snapshots_and_epochs(1000.0);
    assert!(
        cheap >= cheap_epochs + 5,
        "{cheap} snapshots in {cheap_epochs} epochs every 500 ms"
    );
    // At 2% of the time, a 1 s snapshot comes once in 50 s: after the first, only the epochs'.
    assert!(
        costly <= costly_epochs + 1,
        "{costly} snapshots costing 1 s each in {costly_epochs} epochs"
    );
}

#[test]
fn a_snapshot_goes_out_with_a_progress_event_so_the_page_draws_both_in_one_frame() {
    // Each message at a moment of its own cost the page a frame; a snapshot waits for the next
    // progress event instead, and comes after it (the page reads the run's state from the last
    // progress). The clock moves 4 ms at each look (a piece reads it about three times), so that
    // an epoch of 128 one-digit steps outlasts the snapshots' interval several times over.
    let clock = ticking(4.0);
    let mut runner = one_digit_steps(&clock);
    let (mut timed, mut progress_only) = (0, 0);
    for _ in 0..300 {
        let events = runner.slice(&clock, 20.0);
        let at = |want: fn(&Event) -> bool| events.iter().position(want);
        let progress = at(|e| matches!(e, Event::Progress(_)));
        let snapshot = at(|e| matches!(e, Event::Snapshot { .. }));
        let epoch = at(|e| matches!(e, Event::Epoch { .. }));
        match (progress, snapshot) {
            (Some(p), Some(s)) => assert!(p < s, "the snapshot before its progress event"),
            (None, Some(_)) => panic!("a slice sent a snapshot without a progress event"),
            _ => {}
        }
        timed += usize::from(snapshot.is_some() && epoch.is_none());
        progress_only += usize::from(progress.is_some() && snapshot.is_none());
    }
    assert!(timed >= 5, "{timed} snapshots between the epochs' ends");
    assert!(
        progress_only >= timed,
        "progress goes out between snapshots too: {progress_only} without one, {timed} timed"
    );
}
