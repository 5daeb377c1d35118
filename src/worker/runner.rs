//! The worker as a state machine: commands in, events out, work done in slices of bounded length
//! (by the one [`Run`] it holds) so the worker can answer the page between them.
//!
//! No web API in here (the clock is passed in), so the whole protocol behaviour is tested
//! natively; `host.rs` is the thin wasm glue around it. Every message is in both of the page's
//! languages ([`Said`]), so the page shows it in the one in use at every moment.

use std::sync::Arc;

use super::pieces::DigitCost;
use super::run::Run;
use super::warm_up::WarmUp;
pub use super::words::DigitsProblem;
use crate::ml::checkpoint;
use crate::ml::data::Split;
use crate::ml::dataset;
use crate::ml::helper::StepHelper;
use crate::ml::model::{Model, ModelConfig};
use crate::ml::train::{check_epochs, init_rng, TrainConfig, Trainer};
use crate::protocol::{Command, Event, ResumeAt, RunState};
use crate::ui_logic::error_words::Worded;
use crate::ui_logic::said::Said;
use crate::ui_logic::words::config_words;

/// The name of the built-in data, as [`Event::DataReady`] gives it.
pub const BUILT_IN_DATA: &str = "MNIST digits";

/// Makes a helper for a run of this model at batches of up to this many digits, or `None` while
/// there is none to be had (the threaded build's helper has not started yet).
pub type HelperLink = Box<dyn Fn(&Model, usize) -> Option<Box<dyn StepHelper>>>;

/// The worker's whole state: the data runs train on (the built-in digits, once loaded, or a
/// dataset the page sent), at most one run, and a second thread to help it when there is one.
#[derive(Default)]
pub struct Runner {
    /// The built-in digits, kept to go back to.
    built_in: Option<Arc<Split>>,
    /// What runs train on, and its name.
    data: Option<(String, Arc<Split>)>,
    data_error: Option<DigitsProblem>,
    run: Option<Run>,
    helper: Option<HelperLink>,
    /// The run got no helper when it started (the threaded build's helper had not yet said it
    /// listens): each slice asks again, so that it does not train alone to its end.
    helper_wanted: bool,
    /// A throwaway run while the worker waits for the first Start (see [`WarmUp`]).
    warm_up: Option<WarmUp>,
    /// What a digit last cost (in the warm-up or a run), to size the pieces of the next run of
    /// that model from its first step.
    digit_cost: Option<DigitCost>,
}

impl Runner {
    pub fn new() -> Self {
        Self::default()
    }

    /// The built-in digits, loaded: runs train on them unless a dataset was chosen meanwhile.
    /// Returns the event that says so.
    pub fn set_data(&mut self, data: Split) -> Event {
        let data = Arc::new(data);
        self.built_in = Some(data.clone());
        self.data_error = None;
        if self.data.is_none() {
            self.data = Some((BUILT_IN_DATA.to_string(), data));
        }
        self.data_ready()
    }

    fn data_ready(&self) -> Event {
        match &self.data {
            Some((name, split)) => Event::DataReady {
                dataset: name.clone(),
                train_digits: split.train.len(),
                test_digits: split.test.len(),
            },
            None => Event::Error {
                run: None,
                message: Said::new("the digits are still loading", "数字数据还在加载中"),
            },
        }
    }

    /// Why the built-in digits are not there, in words: what the runner knows of it.
    fn digits_missing(&self) -> Said {
        match &self.data_error {
            Some(problem) => Said::of(|l| problem.words(l)),
            None => Said::new("they are still loading", "它们还在加载中"),
        }
    }

    /// [`Command::UseData`]: the dataset in `bytes`, or the built-in digits again.
    fn use_data(&mut self, bytes: Option<Vec<u8>>) -> Vec<Event> {
        let chosen = match bytes {
            None => match &self.built_in {
                Some(split) => (BUILT_IN_DATA.to_string(), split.clone()),
                None => {
                    let why = self.digits_missing();
                    return vec![Event::Error {
                        run: None,
                        message: why.within(
                            |why| format!("the built-in digits are not available ({why})"),
                            |why| format!("内置的数字数据无法使用（{why}）"),
                        ),
                    }];
                }
            },
            Some(bytes) => {
                let read = dataset::file::load(&bytes)
                    .map(|set| (set.name().to_string(), set.image_split()));
                match read {
                    Ok((name, split)) if split.train.is_empty() => {
                        return vec![Event::Error {
                            run: None,
                            message: Said::new(
                                format!("the dataset “{name}” has no images to train on"),
                                format!("数据集“{name}”里没有可以用来训练的图片"),
                            ),
                        }]
                    }
                    Ok((name, split)) => (name, Arc::new(split)),
                    Err(e) => {
                        return vec![Event::Error {
                            run: None,
                            message: e.said().within(
                                |why| format!("that dataset cannot be trained on: {why}"),
                                |why| format!("无法用这个数据集训练：{why}"),
                            ),
                        }];
                    }
                }
            }
        };
        // A run's batches and test set are its data's: it ends with them.
        self.end_run();
        self.data = Some(chosen);
        vec![self.data_ready()]
    }

    /// Ends the run, if there is one, keeping what its digits cost.
    fn end_run(&mut self) {
        self.helper_wanted = false;
        if let Some(cost) = self.run.take().and_then(|run| run.digit_cost()) {
            self.digit_cost = Some(cost);
        }
    }

    /// Ends the warm-up, if it is going, keeping what its digits cost.
    fn end_warm_up(&mut self) {
        if let Some(cost) = self.warm_up.take().and_then(|w| w.digit_cost()) {
            self.digit_cost = Some(cost);
        }
    }

    /// Every run from now on trains with a helper made by `link`.
    pub fn set_helper_link(&mut self, link: HelperLink) {
        self.helper = Some(link);
    }

    /// Starts the warm-up: a moment of throwaway training of the default model on the data,
    /// with the helper, so that the first run starts at full speed. Slices do it while nothing
    /// else is going on; the next command but a ping ends it.
    pub fn warm_up(&mut self) {
        if self.run.is_some() {
            return;
        }
        if let Some((_, data)) = &self.data {
            self.warm_up = WarmUp::new(data, self.helper.as_ref());
        }
    }

    /// The built-in digits could not be loaded: runs cannot start on them, and say why.
    /// Returns the event that tells the page.
    pub fn set_data_error(&mut self, problem: DigitsProblem) -> Event {
        let message = Said::of(|l| problem.words(l));
        self.data_error = Some(problem);
        Event::DataUnavailable { message }
    }

    /// Whether there is work for another slice.
    pub fn wants_slice(&self) -> bool {
        self.run.as_ref().is_some_and(Run::is_busy) || self.warm_up.is_some()
    }

    /// Carries out one command at time `now_ms`; returns the events that answer it.
    pub fn handle(&mut self, command: Command, now_ms: f64) -> Vec<Event> {
        // A ping is no work the warm-up would be in the way of.
        if !matches!(command, Command::Ping { .. }) {
            self.end_warm_up();
        }
        match command {
            Command::Start {
                run,
                model,
                train,
                epochs,
                initial,
                resume,
                paused,
            } => {
                let mut events = self.start(run, model, train, epochs, initial, resume, now_ms);
                if paused {
                    if let Some(run) = self.run.as_mut().filter(|r| r.state() == RunState::Running)
                    {
                        events = run.pause();
                    }
                }
                events
            }
            Command::Reset => {
                self.end_run();
                Vec::new()
            }
            Command::UseData { dataset } => self.use_data(dataset),
            Command::Ping { n } => vec![Event::Pong {
                n,
                memory_bytes: crate::protocol::wasm_memory_bytes(),
            }],
            Command::Pause => self.with_run(Run::pause),
            Command::Resume => self.with_run(|run| run.resume(now_ms)),
            Command::Step => self.with_run(Run::step),
            Command::SetHyperParameters { train } => {
                self.with_run(|run| run.set_hyper_parameters(train))
            }
            Command::SaveWeights => self.with_run(|run| vec![run.snapshot_or_error()]),
        }
    }

    /// `act` on the run, or the advice to start one when there is none.
    fn with_run(&mut self, act: impl FnOnce(&mut Run) -> Vec<Event>) -> Vec<Event> {
        match self.run.as_mut() {
            Some(run) => act(run),
            None => vec![Event::Error {
                run: None,
                message: Said::new(
                    "there is no training run: press Start first",
                    "现在没有在进行的训练：请先按“开始”",
                ),
            }],
        }
    }

    #[allow(clippy::too_many_arguments)] // the fields of `Command::Start`
    fn start(
        &mut self,
        id: u64,
        config: ModelConfig,
        train: TrainConfig,
        epochs: usize,
        initial: Option<Vec<u8>>,
        resume: Option<ResumeAt>,
        now_ms: f64,
    ) -> Vec<Event> {
        // A new run replaces the old one even if it cannot start: nothing keeps training unseen.
        self.end_run();
        let fail = |message: Said| {
            vec![Event::Error {
                run: Some(id),
                message,
            }]
        };
        let Some((data_name, data)) = &self.data else {
            let why = self.digits_missing();
            return fail(why.within(|why| format!("training needs the digits, and they are not available ({why}); the pretrained models still work"), |why| format!("训练需要数字数据，但它们无法使用（{why}）；预训练模型仍可使用")));
        };
        if let Err(e) = check_epochs(epochs) {
            return fail(e.said());
        }
        if let Err(e) = config.validate() {
            return fail(e.said());
        }
        let has_initial = initial.is_some();
        let model = match initial {
            Some(bytes) => match checkpoint::load(&bytes) {
                Ok((model, info)) if info.config == config => model,
                Ok((_, info)) => {
                    return fail(Said::of(|l| {
                        let (found, wanted) =
                            (config_words(&info.config, l), config_words(&config, l));
                        l.text(
                            format!("the starting weights are a {found}, not a {wanted}"),
                            format!(
                                "起始权重是另一个模型的（{found}），不是这个模型的（{wanted}）"
                            ),
                        )
                    }));
                }
                Err(e) => {
                    return fail(e.said().within(
                        |why| format!("the starting weights cannot be used: {why}"),
                        |why| format!("起始权重无法使用：{why}"),
                    ));
                }
            },
            None => match Model::new(config, &mut init_rng(train.seed)) {
                Ok(m) => m,
                Err(e) => {
                    return fail(Said::new(
                        format!("could not build the model: {e}"),
                        format!("无法构建模型：{e}"),
                    ))
                }
            },
        };
        let mut trainer = match Trainer::new(model, data.train.clone(), train) {
            Ok(t) => t,
            Err(e) => return fail(e.said()),
        };
        let helper = self.helper.as_ref();
        match helper.map(|link| link(trainer.model(), train.batch_size)) {
            Some(Some(helper)) => trainer.set_helper(helper),
            Some(None) => self.helper_wanted = true,
            None => {}
        }
        if let Some(at) = resume {
            if !has_initial {
                return fail(Said::new(
                    "a run can only be continued from its weights",
                    "一次训练只能从它自己的权重接着进行",
                ));
            }
            if at.epochs_done > epochs {
                let done = at.epochs_done;
                return fail(Said::new(
                    format!("the snapshot is {done} epochs in, more than the {epochs} planned"),
                    format!("快照已训练了 {done} 轮，超过了计划的 {epochs} 轮"),
                ));
            }
            if let Err(e) = trainer.resume_at(at.epochs_done, at.steps) {
                return fail(e.said());
            }
        }
        let built_in = self.built_in.as_ref().is_some_and(|b| Arc::ptr_eq(b, data));
        let dataset = (!built_in).then(|| data_name.clone());
        let mut run = Run::new(id, trainer, dataset, epochs, now_ms, self.digit_cost);
        let events = vec![run.progress(), run.snapshot_or_error()];
        self.run = Some(run);
        events
    }

    /// The host took `ms` to post a snapshot of the current run (see [`Run::snapshot_posted`]).
    pub fn snapshot_posted(&mut self, ms: f64) {
        if let Some(run) = self.run.as_mut() {
            run.snapshot_posted(ms);
        }
    }

    /// Trains (or evaluates) until `budget_ms` has passed on `clock`, then returns the events
    /// to post: progress, epoch reports, snapshots, errors.
    pub fn slice(&mut self, clock: &dyn Fn() -> f64, budget_ms: f64) -> Vec<Event> {
        if let (true, Some(link), Some(run)) = (self.helper_wanted, &self.helper, &mut self.run) {
            self.helper_wanted = !run.take_helper(link);
        }
        match (&self.data, self.run.as_mut()) {
            (Some((_, data)), Some(run)) => run.slice(data, clock, budget_ms),
            _ => {
                let helper = self.helper.as_ref();
                let over = self
                    .warm_up
                    .as_mut()
                    .is_some_and(|w| w.slice(clock, budget_ms, helper));
                if over {
                    self.end_warm_up();
                }
                Vec::new()
            }
        }
    }
}
