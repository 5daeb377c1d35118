//! What the model shown knows about the sprites' factors: its code of every test picture, its
//! MIG and per-dimension information (`ml::mig`), and latent traversals, read again whenever the
//! model changes (once an epoch while a run is followed, not at every snapshot). Shared by the
//! factors chapter and the training panel's β figures, and read only while the data in use has
//! known factors (the generated sprites), so other data costs nothing.

use std::sync::Arc;

use leptos::prelude::*;

use super::active_model::ActiveModel;
use super::clock::{in_chunks, now_ms, yield_to_browser};
use super::state::Lab;
use super::training::Training;
use super::visibility::{fill_when, shown_weights, SameSet};
use crate::ml::data::ImageSet;
use crate::ml::dataset::sprites::{Factor, Shape};
use crate::ml::eval::EVAL_CHUNK;
use crate::ml::mig::{mig, CodeSummary, Mig};
use crate::protocol::RunState;
use crate::ui_logic::error_words::Worded;
use crate::ui_logic::said::Said;

/// Where a traversal sweeps a dimension: from −3 to +3, where the prior N(0, 1) puts 99.7% of
/// its mass.
pub const STEPS: [f32; 7] = [-3.0, -2.0, -1.0, 0.0, 1.0, 2.0, 3.0];

/// One reading of a model's code of the test pictures.
pub struct Reading {
    /// The model read (so a view can say which).
    pub model: Arc<ActiveModel>,
    /// The epoch of the run it came from, when it is a followed run's.
    pub epoch: Option<usize>,
    pub mig: Mig,
    /// KL per dimension per picture (`None` for an autoencoder).
    pub kl: Option<Vec<f64>>,
    /// The dimensions, most used first: the order of the table and the traversals.
    pub order: Vec<usize>,
    /// The seed pictures' indices in the test set: one of each shape.
    pub seeds: Vec<usize>,
    /// Per seed, per dimension of `order`: the [`STEPS`] pictures, end to end.
    pub traversals: Vec<Vec<Vec<f32>>>,
    /// Test pictures read.
    pub pictures: usize,
    /// How long the reading took, in milliseconds of the page's time (painting in between
    /// included): its cost beside a run's epochs.
    pub took_ms: f64,
}

/// The shared reading: the last one, and whether one is being taken.
#[derive(Clone, Copy)]
pub struct FactorReading {
    pub last: RwSignal<Option<Arc<Reading>>>,
    pub busy: RwSignal<bool>,
    /// Why the last reading failed, if it did.
    pub problem: RwSignal<Option<Said>>,
}

pub fn use_factor_reading() -> Option<FactorReading> {
    use_context::<FactorReading>()
}

/// What a reading depends on: the model shown (or, while a followed run trains, its epoch) and
/// the test set.
#[derive(Clone, PartialEq)]
enum Key {
    Model(usize, SameSet),
    Epoch(u64, usize, SameSet),
}

impl FactorReading {
    /// Provides the reading, taken whenever the data in use has known factors and what it
    /// depends on changes.
    pub fn provide(lab: Lab, training: Training) {
        let this = Self {
            last: RwSignal::new(None),
            busy: RwSignal::new(false),
            problem: RwSignal::new(None),
        };
        provide_context(this);
        let wanted = Signal::derive(move || {
            lab.own_data
                .with(|d| d.as_ref().is_some_and(|d| d.factors.is_some()))
        });
        let key = move || {
            let (model, test) = shown_weights(lab, this.busy)?;
            let fits = lab.active.with(|m| {
                m.as_ref()
                    .is_some_and(|m| m.shape() == lab.data_shape_untracked())
            });
            if !fits {
                return None;
            }
            let running = training.follow.get()
                && training.state() == Some(RunState::Running)
                && training.plan.with(Option::is_some);
            if running {
                let run = training.plan.with(|p| p.as_ref().map_or(0, |p| p.run));
                Some(Key::Epoch(run, training.reports.with(Vec::len), test))
            } else {
                Some(Key::Model(model, test))
            }
        };
        fill_when(wanted, 300.0, key, move || {
            leptos::task::spawn_local(this.read(lab, training));
        });
        // Other data: nothing to show.
        Effect::new(move |_| {
            if !wanted.get() {
                this.last.set(None);
                this.problem.set(None);
            }
        });
    }

    async fn read(self, lab: Lab, training: Training) {
        let model = lab.active.get_untracked();
        let test = lab.test.get_untracked();
        let factors = lab
            .own_data
            .with_untracked(|d| d.as_ref().and_then(|d| d.factors.clone()));
        let (Some(model), Some(test), Some(factors)) = (model, test, factors) else {
            return;
        };
        self.busy.set(true);
        let epoch = training
            .reports
            .with_untracked(|r| r.last().map(|r| r.epoch));
        // A run under way, followed: the model shown is its newest; once it has finished (or
        // another model is chosen) the reading is of a model, named by its settings.
        let following = training.follow.get_untracked()
            && untrack(|| training.state()) == Some(RunState::Running);
        let started = now_ms();
        match take_reading(model, &test, &factors).await {
            Ok(mut reading) => {
                reading.epoch = epoch.filter(|_| following);
                reading.took_ms = now_ms() - started;
                self.last.set(Some(Arc::new(reading)));
                self.problem.set(None);
            }
            Err(e) => self.problem.set(Some(e)),
        }
        self.busy.set(false);
    }
}

/// Encodes `test` (whose factor values are `factors`), measures MIG and decodes the traversals,
/// letting the page paint between chunks.
async fn take_reading(
    model: Arc<ActiveModel>,
    test: &Arc<ImageSet>,
    factors: &[usize],
) -> Result<Reading, Said> {
    let dims = model.latent();
    let mut code = CodeSummary::new(dims);
    in_chunks(test.len(), EVAL_CHUNK / 2, |range| {
        code.add(&model.model, test, range)
    })
    .await
    .map_err(|e| Said::plain(e.to_string()))?;
    let mig = mig(&code.means, dims, factors, &Factor::counts()).map_err(|e| e.said())?;
    let order = code.dims_by_use();
    // One seed of each shape: the first test picture of it.
    let seeds: Vec<usize> = Shape::ALL
        .iter()
        .filter_map(|shape| (0..test.len()).find(|&i| test.label(i) as usize == shape.index()))
        .collect();
    let mut traversals = Vec::with_capacity(seeds.len());
    for &seed in &seeds {
        let mean = &code.means[seed * dims..(seed + 1) * dims];
        let mut rows = Vec::with_capacity(dims);
        for &dim in &order {
            let zs: Vec<f32> = STEPS
                .iter()
                .flat_map(|&step| {
                    let mut z = mean.to_vec();
                    z[dim] = step;
                    z
                })
                .collect();
            rows.push(
                model
                    .decode_row(&zs, STEPS.len())
                    .map_err(|e| Said::plain(e.to_string()))?,
            );
        }
        traversals.push(rows);
        yield_to_browser().await;
    }
    Ok(Reading {
        kl: code.kl_per_dim(),
        pictures: code.pictures(),
        model,
        epoch: None,
        mig,
        order,
        seeds,
        traversals,
        took_ms: 0.0,
    })
}
