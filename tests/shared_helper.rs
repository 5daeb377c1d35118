//! A helper thread that shares the trainer's very parameters (`ThreadHelper::sharing`, as the
//! worker's threaded build runs it: one memory, nothing copied, each side updating its half in
//! place) trains as a trainer alone does, through a divergence too, and never leaves the
//! trainer waiting for ever.
#![cfg(not(target_arch = "wasm32"))]

mod common;

use std::cell::{Cell, RefCell};
use std::rc::Rc;
use std::sync::mpsc::channel;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use candle_core::Result;
use latent_lab::ml::helper::{
    native_spawner, ShareJob, ShareResult, StepHelper, ThreadHelper, UpdateJob,
};
use latent_lab::ml::model::{Model, ModelConfig, ModelKind};
use latent_lab::ml::train::{init_rng, TrainConfig, TrainError, Trainer};

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
        // Three epochs of four steps, whole or in pieces of at most 7 (the helper takes about
        // half of each).
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

/// Three sane steps (so that the values to go back to are not the initial ones), then a
/// learning rate that makes the loss diverge within a few steps.
fn go_wild(t: &mut Trainer) {
    for _ in 0..3 {
        t.step().unwrap();
    }
    let wild = TrainConfig {
        learning_rate: 10.0,
        ..small()
    };
    t.set_hyper_parameters(wild).unwrap();
}

#[test]
fn a_run_helped_by_a_thread_sharing_its_parameters_that_diverges_goes_back_as_one_alone() {
    let (mut alone, mut shared) = (
        trainer(ModelKind::MlpVae, small()),
        sharing(ModelKind::MlpVae, small()),
    );
    let diverge = |t: &mut Trainer| {
        go_wild(t);
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

/// A sharing helper that fails the share it is working on once `fail` is set (a helper worker
/// that crashed or stopped answering in the middle of a step).
struct LostMidStep {
    inner: ThreadHelper,
    fail: Rc<Cell<bool>>,
}

impl StepHelper for LostMidStep {
    fn begin(&mut self, job: ShareJob<'_>) -> Result<bool> {
        self.inner.begin(job)
    }
    fn finish(&mut self) -> Result<ShareResult> {
        let share = self.inner.finish()?;
        if self.fail.get() {
            candle_core::bail!("the helper stopped answering")
        }
        Ok(share)
    }
    fn update_from(&self) -> Option<usize> {
        self.inner.update_from()
    }
    fn begin_update(&mut self, job: UpdateJob<'_>) -> Result<()> {
        self.inner.begin_update(job)
    }
    fn finish_update(&mut self) -> Result<Vec<Vec<f32>>> {
        self.inner.finish_update()
    }
    fn updates_in_place(&self) -> bool {
        self.inner.updates_in_place()
    }
    fn undo_update(&mut self) -> Result<()> {
        self.inner.undo_update()
    }
}

/// Each of `model`'s parameters' values, in `parameters_by_name` order.
fn values(model: &Model) -> Vec<Vec<f32>> {
    let params = model.parameters_by_name();
    let flat = params.iter().map(|v| v.as_tensor().flatten_all().unwrap());
    flat.map(|t| t.to_vec1::<f32>().unwrap()).collect()
}

#[test]
fn a_divergence_found_in_the_step_that_lost_a_sharing_helper_never_puts_back_stale_values() {
    // The helper made its half of the last update in place and kept the values from before.
    // When it is lost in the very step whose loss diverges, those values are gone with it;
    // this side's backups of that half were last written by `Adam::new` (this side never
    // updated that half), and an undo used to put the initial weights back there. Now that
    // half stays as the last update left it, and this side's half goes back as alone.
    let mut alone = trainer(ModelKind::MlpVae, small());
    go_wild(&mut alone);
    let at = step_until_diverged(&mut alone);
    assert!(at >= 5, "diverged at step {at}: too soon for this test");

    let mut lost = trainer(ModelKind::MlpVae, small());
    let fail = Rc::new(Cell::new(false));
    let inner = ThreadHelper::sharing(lost.model(), native_spawner()).unwrap();
    let from = inner.update_from().unwrap();
    let helper = LostMidStep {
        inner,
        fail: fail.clone(),
    };
    lost.set_helper(Box::new(helper));
    go_wild(&mut lost);
    for _ in 4..at {
        lost.step().unwrap();
    }
    let before = values(lost.model());
    fail.set(true);
    assert!(
        matches!(lost.step(), Err(TrainError::Diverged { .. })),
        "the step that loses the helper finds the divergence"
    );
    let (after, undone) = (values(lost.model()), values(alone.model()));
    let apart = |a: &[Vec<f32>], b: &[Vec<f32>]| {
        let pairs = a.iter().flatten().zip(b.iter().flatten());
        pairs.map(|(x, y)| (x - y).abs()).fold(0f32, f32::max)
    };
    let moved = apart(&after[from..], &before[from..]);
    assert_eq!(
        moved, 0.0,
        "the helper's half stays as the last update left it (moved by up to {moved})"
    );
    let worst = apart(&after[..from], &undone[..from]);
    assert!(
        worst < 1e-3,
        "this side's half goes back as alone (up to {worst})"
    );
}
