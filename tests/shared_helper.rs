//! A helper thread that shares the trainer's very parameters (`ThreadHelper::sharing`, as the
//! worker's threaded build runs it: one memory, nothing copied, each side updating its half in
//! place) trains as a trainer alone does, through a divergence too, and never leaves the
//! trainer waiting for ever.
#![cfg(not(target_arch = "wasm32"))]

mod common;

use std::cell::RefCell;
use std::rc::Rc;
use std::sync::mpsc::channel;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use latent_lab::ml::helper::{native_spawner, ThreadHelper};
use latent_lab::ml::model::{Model, ModelConfig, ModelKind};
use latent_lab::ml::train::{init_rng, TrainConfig, Trainer};

use common::{
    close, largest_difference, small_steps as small, step_in_pieces, step_until_diverged,
};

fn trainer(kind: ModelKind, train: TrainConfig) -> Trainer {
    let hidden = if kind == ModelKind::ConvVae { 4 } else { 32 };
    let model = Model::new(ModelConfig::new(kind, 2, hidden), &mut init_rng(train.seed)).unwrap();
    Trainer::new(model, common::bars(128), train).unwrap()
}

fn sharing(kind: ModelKind, train: TrainConfig) -> Trainer {
    let mut t = trainer(kind, train);
    let helper = ThreadHelper::sharing(t.model(), native_spawner()).unwrap();
    t.set_helper(Box::new(helper));
    t
}

#[test]
fn a_run_helped_by_a_thread_sharing_its_parameters_follows_the_loss_curve_of_one_alone() {
    for kind in ModelKind::ALL {
        let (mut alone, mut shared) = (trainer(kind, small()), sharing(kind, small()));
        // Three epochs of four steps, whole or in pieces of 7 (the helper takes 4 of each).
        for i in 0..12 {
            let a = alone.step().unwrap();
            let b = if i % 2 == 0 {
                shared.step().unwrap()
            } else {
                step_in_pieces(&mut shared, 7)
            };
            assert_eq!((a.step, a.samples), (b.step, b.samples));
            assert!(
                close(a.loss.total, b.loss.total) && close(a.loss.kl, b.loss.kl),
                "{kind:?} step {}: alone {:?}, shared {:?}",
                a.step,
                a.loss,
                b.loss
            );
        }
        let worst = largest_difference(&alone, &shared);
        assert!(worst < 1e-4, "{kind:?}: parameters differ by up to {worst}");
    }
}

#[test]
fn a_run_helped_by_a_thread_sharing_its_parameters_that_diverges_goes_back_as_one_alone() {
    let (mut alone, mut shared) = (
        trainer(ModelKind::MlpVae, small()),
        sharing(ModelKind::MlpVae, small()),
    );
    let wild = TrainConfig {
        learning_rate: 10.0,
        ..small()
    };
    // A few sane steps first, so that the values to go back to are not the initial ones.
    let diverge = |t: &mut Trainer| {
        for _ in 0..3 {
            t.step().unwrap();
        }
        t.set_hyper_parameters(wild).unwrap();
        step_until_diverged(t)
    };
    let (a, b) = (diverge(&mut alone), diverge(&mut shared));
    assert_eq!(a, b, "both diverge at the same step");
    assert!(
        a >= 4,
        "diverged at step {a}: too soon to tell an undo from a start"
    );
    // The helper updated its half in place: it puts that half back itself.
    let worst = largest_difference(&alone, &shared);
    assert!(
        worst < 1e-3,
        "both go back to the same parameters (up to {worst})"
    );
    shared.set_hyper_parameters(small()).unwrap();
    assert!(shared.step().unwrap().loss.is_finite());
}

#[test]
fn runs_helped_by_a_thread_sharing_their_parameters_never_wait_for_ever() {
    // Many short runs, each with a new helper thread (as each run in the worker gets one),
    // dropped at any point of a step: a lost wake-up or a lock held across a wait would hang
    // one of them. A watchdog turns a hang into a failure.
    let (done, finished) = channel();
    std::thread::spawn(move || {
        for run in 0..60 {
            let mut t = sharing(ModelKind::MlpVae, small());
            for _ in 0..(run % 5) {
                t.work(1 + run % 9).unwrap();
            }
        }
        done.send(()).unwrap();
    });
    assert!(
        finished.recv_timeout(Duration::from_secs(120)).is_ok(),
        "a run with a sharing helper waited for ever"
    );
}

#[test]
fn a_run_sharing_its_parameters_whose_epochs_end_with_a_batch_of_one_digit_follows_one_alone() {
    // The helper updates its half in place, and holds those moments, also after a batch of
    // one digit that it had no share of (`tests/helper.rs`, the same with copies).
    let mut alone = common::small_mlp_on_bars(129, small());
    let mut shared = common::small_mlp_on_bars(129, small());
    let helper = ThreadHelper::sharing(shared.model(), native_spawner()).unwrap();
    shared.set_helper(Box::new(helper));
    common::follows_alone(&mut alone, &mut shared, 15);
    assert_eq!(shared.epochs(), 3);
}

/// A helper's loop, as a `Spawner` is handed it.
type HelperLoop = Box<dyn FnOnce() + Send>;

#[test]
fn a_helper_thread_that_never_takes_its_work_is_given_up_and_the_run_goes_on_as_one_alone() {
    // A helper whose loop does not run (in the browser: a helper worker that never got to
    // it). The trainer gives its first job up after a few seconds, says so once, and trains
    // on alone; the loop, run late, ends (that it does not take the job given up is
    // `wait.rs`'s unit test).
    // A watchdog turns a trainer that waits for ever into a failure.
    let (done, finished) = channel();
    std::thread::spawn(move || {
        let mut alone = trainer(ModelKind::MlpVae, small());
        let mut t = trainer(ModelKind::MlpVae, small());
        let late: Arc<Mutex<Option<HelperLoop>>> = Arc::default();
        let kept = late.clone();
        let never_run = Box::new(move |work| {
            *kept.lock().unwrap() = Some(work);
            None
        });
        let lost = Rc::new(RefCell::new(Vec::new()));
        let told = lost.clone();
        let helper = ThreadHelper::sharing(t.model(), never_run)
            .unwrap()
            .when_lost(Box::new(move |why| told.borrow_mut().push(why.to_string())));
        t.set_helper(Box::new(helper));
        for _ in 0..3 {
            let (a, b) = (alone.step().unwrap(), t.step().unwrap());
            assert!(close(a.loss.total, b.loss.total), "{a:?} vs {b:?}");
        }
        let lost = lost.borrow();
        assert_eq!(
            lost.len(),
            1,
            "the trainer said once that it let the helper go"
        );
        let why = &lost[0];
        assert!(
            why.contains("loop had not started") && why.contains("had not taken job 0"),
            "the trainer says what it knows of where the helper was: {why}"
        );
        let work = late
            .lock()
            .unwrap()
            .take()
            .expect("the loop was handed over");
        std::thread::spawn(work).join().unwrap();
        let worst = largest_difference(&alone, &t);
        assert!(worst < 1e-4, "parameters differ by up to {worst}");
        done.send(()).unwrap();
    });
    assert!(
        finished.recv_timeout(Duration::from_secs(60)).is_ok(),
        "the trainer waited for ever for a helper whose loop never ran (or the test failed)"
    );
}
