//! Autoencoder against VAEs, side by side: for the same test digits, each model's
//! reconstructions, samples from the prior N(0, I) through each decoder, an interpolation
//! through each latent space, and each model's test reconstruction error, KL and −ELBO. The
//! plain autoencoder reconstructs well but its prior samples are mostly not digits: its codes do
//! not fill N(0, I), so the prior lands in holes. The models are the pretrained ones plus the
//! one being explored, when it is another (a model trained in the page). Made when the chapter
//! scrolls into view and again for another model (not for each snapshot of a run: a pass
//! scores 2,000 digits under five models), or on the button.

use std::sync::Arc;

use leptos::html::Section;
use leptos::prelude::*;

use super::clock::{in_chunks, now_ms};
use super::digit_view::DigitView;
use super::library::{pretrained_id, use_library};
use super::state::{use_lab, ActiveModel};
use super::visibility::{fill_when_shown, test_set_key};
use super::why::Why;
use crate::ml::data::ImageSet;
use crate::ml::dataset::ImageShape;
use crate::ml::eval::{Evaluator, EVAL_CHUNK};
use crate::ml::explore::{encode_many, interpolate};
use crate::ml::pretrained::PRETRAINED;
use crate::ml::rng::Rng;

/// Digits reconstructed, and prior samples drawn, per model.
const SHOWN: usize = 6;
/// Steps of each interpolation.
const STEPS: usize = 8;
/// The comparison is made again for another model at most this often.
const COMPARE_GAP_MS: f64 = 5_000.0;

/// One model's row.
#[derive(Clone)]
struct Row {
    id: String,
    title: String,
    variational: bool,
    reconstructions: Vec<Vec<f32>>,
    samples: Vec<Vec<f32>>,
    walk: Vec<Vec<f32>>,
    recon: f64,
    kl: f64,
    neg_elbo: f64,
}

/// `images` laid end to end, one vector per image of `model`'s shape.
/// Kept models compared on a dataset of one's own, at most (each scores the whole test set).
const KEPT_COMPARED: usize = 4;

fn split(model: &ActiveModel, images: Vec<f32>) -> Vec<Vec<f32>> {
    images
        .chunks_exact(model.shape().values())
        .map(<[f32]>::to_vec)
        .collect()
}

/// Everything for one model's row; the evaluation of the test set is chunked.
async fn row_for(
    model: &ActiveModel,
    test: &ImageSet,
    shown: &[usize],
    ends: (usize, usize),
    seed: u64,
) -> Result<Row, String> {
    let m = &model.model;
    let fail = |e: candle_core::Error| format!("{}: {e}", model.title);
    let images: Vec<f32> = shown
        .iter()
        .flat_map(|&i| test.image(i).iter().copied())
        .collect();
    let codes = encode_many(m, &images, shown.len()).map_err(fail)?;
    let means: Vec<f32> = codes.iter().flat_map(|c| c.mean.iter().copied()).collect();
    let reconstructions = split(model, model.decode_many(&means, shown.len()).map_err(fail)?);
    let latent = model.latent();
    let prior = Rng::new(seed).normal_vec(SHOWN * latent);
    let samples = split(model, model.decode_many(&prior, SHOWN).map_err(fail)?);
    let ends_images: Vec<f32> = [ends.0, ends.1]
        .iter()
        .flat_map(|&i| test.image(i).iter().copied())
        .collect();
    let end_codes = encode_many(m, &ends_images, 2).map_err(fail)?;
    let path = interpolate(&end_codes[0].mean, &end_codes[1].mean, STEPS);
    let walk = split(model, model.decode_many(&path, STEPS).map_err(fail)?);
    let mut evaluator = Evaluator::new(m);
    in_chunks(test.len(), EVAL_CHUNK, |range| {
        evaluator.add(m, test, range.start, range.len())
    })
    .await
    .map_err(fail)?;
    let eval = evaluator.finish();
    Ok(Row {
        id: model.id.clone(),
        title: model.title.clone(),
        variational: m.config().kind.is_variational(),
        reconstructions,
        samples,
        walk,
        recon: eval.recon,
        kl: eval.kl,
        neg_elbo: eval.neg_elbo,
    })
}

fn strip(images: &[Vec<f32>], what: &'static str) -> impl IntoView {
    images
        .iter()
        .enumerate()
        .map(|(i, pixels)| {
            let pixels = Signal::stored(pixels.clone());
            view! { <DigitView pixels label=format!("{what} {}", i + 1) /> }
        })
        .collect_view()
}

#[component]
pub fn ComparePanel() -> impl IntoView {
    let lab = use_lab();
    let library = use_library();
    let rows = RwSignal::new(Vec::<Row>::new());
    let busy = RwSignal::new(false);
    let message = RwSignal::new(None::<String>);
    let rng = StoredValue::new_local(Rng::new(now_ms().to_bits() ^ 0xc0_3fa7e));

    let compare = move || {
        let Some(test) = lab.test.get_untracked() else {
            message.set(Some(format!(
                "The test {} are needed and are not loaded.",
                lab.noun_untracked().many()
            )));
            return;
        };
        let n = test.len();
        let (shown, ends, seed) = rng
            .try_update_value(|r| {
                let shown: Vec<usize> = (0..SHOWN).map(|_| r.below(n)).collect();
                (shown, (r.below(n), r.below(n)), r.next_u64())
            })
            .unwrap_or_else(|| ((0..SHOWN).collect(), (0, 1), 1));
        // The shipped models read the digits; on pictures of another shape, the models kept
        // here that read them (an autoencoder and a VAE trained on them, say) take their place.
        let mut ids: Vec<String> = if test.shape() == ImageShape::DIGITS {
            PRETRAINED.iter().map(|p| pretrained_id(p.id)).collect()
        } else {
            library.kept_of_shape(test.shape(), KEPT_COMPARED)
        };
        let explored = lab.active.get_untracked();
        if let Some(active) = &explored {
            if !ids.contains(&active.id) {
                ids.push(active.id.clone());
            }
        }
        busy.set(true);
        message.set(None);
        rows.set(Vec::new());
        leptos::task::spawn_local(async move {
            // Only models of the test set's pictures can be compared on it (the pretrained ones
            // read 28×28 digits).
            let mut other_shapes = 0;
            for id in ids {
                // The explored model as it is now (a training run's snapshot may not be kept).
                let model: Result<Arc<ActiveModel>, String> =
                    match explored.as_ref().filter(|m| m.id == id) {
                        Some(m) => Ok(m.clone()),
                        None => library.load(&id).await,
                    };
                match model {
                    Ok(model) if model.shape() != test.shape() => other_shapes += 1,
                    Ok(model) => match row_for(&model, &test, &shown, ends, seed).await {
                        Ok(row) => rows.update(|r| r.push(row)),
                        Err(e) => message.set(Some(format!("Could not compare {e}"))),
                    },
                    Err(e) => message.set(Some(format!("Could not load {id}: {e}"))),
                }
            }
            if other_shapes > 0 && message.with_untracked(Option::is_none) {
                let which = if rows.with_untracked(Vec::is_empty) {
                    "no model reads them yet: train one"
                } else {
                    "only the models that read them are compared"
                };
                message.set(Some(format!(
                    "{other_shapes} models read other pictures than these {}; {which}.",
                    test.shape()
                )));
            }
            busy.set(false);
        });
    };

    // Filled when it scrolls into view, and again for another model (not for every snapshot
    // of a run in training: each pass scores 2,000 digits under five models).
    let section = NodeRef::<Section>::new();
    fill_when_shown(
        section,
        COMPARE_GAP_MS,
        move || {
            // Another model, or another test set (a dataset of one's own).
            let test = test_set_key(lab)?;
            let ready = !busy.get();
            ready
                .then(|| {
                    lab.active
                        .with(|m| m.as_ref().map(|m| (m.id.clone(), test)))
                })
                .flatten()
        },
        compare,
    );

    let table = move || {
        let rows = rows.get();
        (!rows.is_empty()).then(|| {
            view! {
                // Scrolls sideways inside the panel if a phone is narrower still than the table.
                <div class="table-scroll">
                <table class="compare-table">
                    <thead>
                        <tr><th>"model"</th><th>"reconstruction (nats)"</th><th>"KL (nats)"</th><th>"−ELBO (nats)"</th></tr>
                    </thead>
                    <tbody>
                        {rows.into_iter().map(|r| view! {
                            <tr data-model=r.id.clone()>
                                <td>{r.title.clone()}</td>
                                <td class="recon">{format!("{:.1}", r.recon)}</td>
                                <td class="kl">{if r.variational { format!("{:.1}", r.kl) } else { "—".to_string() }}</td>
                                <td class="elbo">{if r.variational { format!("{:.1}", r.neg_elbo) } else { "no bound".to_string() }}</td>
                            </tr>
                        }).collect_view()}
                    </tbody>
                </table>
                </div>
            }
        })
    };
    let gallery = move || {
        rows.get()
            .into_iter()
            .map(|r| {
                view! {
                    <div class="compare-row" data-model=r.id.clone()>
                        <h3>{r.title.clone()}</h3>
                        <div class="compare-strips">
                            <figure><div class="digits">{strip(&r.reconstructions, "reconstruction")}</div><figcaption>"reconstructions"</figcaption></figure>
                            <figure><div class="digits">{strip(&r.samples, "sample from the prior")}</div><figcaption>"samples from N(0, I)"</figcaption></figure>
                            <figure><div class="digits">{strip(&r.walk, "interpolation step")}</div><figcaption>"interpolation"</figcaption></figure>
                        </div>
                    </div>
                }
            })
            .collect_view()
    };

    view! {
        <section class="panel compare-panel" aria-labelledby="compare-title" node_ref=section>
            <h2 id="compare-title">"Autoencoder against VAEs, side by side"</h2>
            <p class="caption">{lab.words(move |n| format!("The same {many} through every model: an \
                autoencoder reconstructs well, but only a VAE's prior samples look like {many}.", many = n.many()))}</p>
            <Why>
                <p>{lab.words(move |n| format!("The same test {many} through every model: reconstructions, \
                    samples drawn from the prior N(0, I) and decoded, and a walk between two {many}. \
                    A plain autoencoder reconstructs sharply, but its codes do not fill N(0, I), so \
                    its prior samples fall in holes and rarely look like {many}; a VAE pays a KL \
                    cost to keep its codes where the prior is. The table scores each on the {set} \
                    (the autoencoder has no bound, only its reconstruction error). On pictures of \
                    your own of another shape than the digits', the models kept here that read them \
                    are compared, with the one explored: train an autoencoder and a VAE on them to \
                    see the same.", many = n.many(), set = lab.test_set_words()))}
                </p>
            </Why>
            <div class="buttons">
                <button class="compare-models" on:click=move |_| compare() disabled=move || busy.get() || lab.test.with(Option::is_none)>
                    {move || if busy.get() { "Comparing…".to_string() } else if rows.with(Vec::is_empty) { "Compare the models".to_string() } else { format!("Compare other {}", lab.noun().many()) }}
                </button>
            </div>
            // Its room is kept before it fills, so what is below does not jump.
            <div class="compare-results">
                {table}
                <div class="compare-gallery">{gallery}</div>
            </div>
            <p class="error" role="alert">
                {move || message.get()}
                {move || lab.why_no_test_images().map(|why| format!("No test images to compare on: {why}."))}
            </p>
        </section>
    }
}
