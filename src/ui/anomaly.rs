//! Anomaly detection: how unusual is an input to this model? The 2,000 test digits' negative
//! ELBOs make a histogram; a test digit, the same digit with noise, the same digit rotated,
//! pure noise and the user's drawing are scored by the same model and marked on it, each with
//! its percentile. Scores are taken when the chapter scrolls into view and again, against the
//! same digit, when the model changes (a run in training: at most every 3 s, so it does not keep
//! the page busy re-scoring); the button draws another digit.

use std::sync::Arc;

use leptos::html::Section;
use leptos::prelude::*;

use super::clock::now_ms;
use super::digit_view::DigitView;
use super::histogram::ScoreHistogram;
use super::picture_file;
use super::state::{use_lab, ActiveModel};
use super::visibility::{fill_when_shown, shown_weights, SameSet};
use super::why::Why;
use crate::ml::explore::neg_elbo_one;
use crate::ml::probes::{pure_noise, rotated_quarter, with_noise, Histogram};
use crate::ml::rng::Rng;
use crate::ml::stats::percentile_rank;
use crate::ui_logic::words::Noun;

/// One scored input.
#[derive(Debug, Clone, PartialEq)]
struct Probe {
    /// What it is, e.g. "test digit 1200 with noise".
    name: String,
    /// A one-letter mark for the histogram.
    mark: char,
    pixels: Vec<f32>,
    score: f32,
    /// Share of test digits scoring lower (more digit-like), 0–100.
    rank: f64,
}

/// The histogram and the probes, as scored by one model.
#[derive(Clone)]
struct Scored {
    model: String,
    variational: bool,
    histogram: Histogram,
    probes: Vec<Probe>,
}

const BINS: usize = 40;
/// The scores are taken again for a changed model at most this often.
const REFILL_GAP_MS: f64 = 3_000.0;

fn rank_text(rank: f64, noun: Noun) -> String {
    if rank >= 99.95 {
        format!("more unusual than every test {}", noun.one())
    } else {
        format!("more unusual than {rank:.1}% of the test {}", noun.many())
    }
}

/// Scores the probes for `model`; `None` if a score fails (a model that cannot score inputs).
fn score_all(
    model: &ActiveModel,
    scores: &[f32],
    inputs: Vec<(String, char, Vec<f32>)>,
) -> Option<Vec<Probe>> {
    inputs
        .into_iter()
        .map(|(name, mark, pixels)| {
            let score = neg_elbo_one(&model.model, &pixels).ok()?;
            Some(Probe {
                name,
                mark,
                rank: percentile_rank(scores, score),
                score,
                pixels,
            })
        })
        .collect()
}

#[component]
pub fn AnomalyPanel() -> impl IntoView {
    let lab = use_lab();
    let scored = RwSignal::new(None::<Scored>);
    let busy = RwSignal::new(false);
    let message = RwSignal::new(None::<String>);
    let rng = StoredValue::new_local(Rng::new(now_ms().to_bits() ^ 0xa11a));
    // An image the user chose, scored with the others: (file name, its values at the model's
    // shape).
    let uploaded = StoredValue::new_local(None::<(String, Vec<f32>)>);

    // A test digit and its altered versions (A–D): drawn anew by "Score another digit", kept
    // when only an image is added, so that adding one does not change what it is compared with.
    let altered = StoredValue::new_local(None::<Vec<(String, char, Vec<f32>)>>);
    // The test set they were drawn from: another set (a dataset of one's own) draws anew.
    let altered_from = StoredValue::new(None::<SameSet>);
    let run = move |another_digit: bool| {
        let (Some(active), Some(test)) = (lab.active.get_untracked(), lab.test.get_untracked())
        else {
            message.set(Some(format!(
                "The test {} are needed for the comparison and are not loaded.",
                lab.noun_untracked().many()
            )));
            return;
        };
        let same_set = altered_from.with_value(|from| from.as_ref() == Some(&SameSet::of(&test)));
        if another_digit || altered.with_value(Option::is_none) || !same_set {
            altered_from.set_value(Some(SameSet::of(&test)));
            let index = rng.try_update_value(|r| r.below(test.len())).unwrap_or(0);
            let digit = test.image(index).to_vec();
            let one = lab.noun_untracked().one();
            altered.set_value(Some(vec![
                (format!("test {one} {index}"), 'A', digit.clone()),
                (
                    format!("test {one} {index} with noise (±0.5)"),
                    'B',
                    rng.try_update_value(|r| with_noise(&digit, 0.5, r))
                        .unwrap_or_else(|| digit.clone()),
                ),
                (
                    format!("test {one} {index} turned a quarter"),
                    'C',
                    rotated_quarter(&digit, test.shape()),
                ),
                (
                    "pure noise".to_string(),
                    'D',
                    rng.try_update_value(|r| pure_noise(test.shape(), r))
                        .unwrap_or_default(),
                ),
            ]));
        }
        let mut inputs = altered.get_value().unwrap_or_default();
        if let Some(drawing) = lab.drawing.get_untracked() {
            inputs.push(("your drawing".to_string(), 'E', drawing.pixels));
        }
        if let Some((name, pixels)) = uploaded.get_value() {
            inputs.push((format!("your image “{name}”"), 'F', pixels));
        }
        busy.set(true);
        message.set(None);
        leptos::task::spawn_local(async move {
            let model: Arc<ActiveModel> = active;
            // The test digits' scores, once per model, in chunks that let the page paint.
            model.ensure_test_scores(&test).await;
            busy.set(false);
            let Some(scores) = model.test_scores(&test) else {
                message.set(Some(
                    "The test set could not be scored with this model.".to_string(),
                ));
                return;
            };
            let (Some(histogram), Some(probes)) = (
                Histogram::of_sorted(&scores, BINS, 99.5),
                score_all(&model, &scores, inputs),
            ) else {
                message.set(Some("These inputs could not be scored.".to_string()));
                return;
            };
            scored.set(Some(Scored {
                model: model.title.clone(),
                variational: model.model.config().kind.is_variational(),
                histogram,
                probes,
            }));
        });
    };

    // Scored when it scrolls into view, and again, against the same digit, when the model
    // changes (a run in training: at most every few seconds).
    let section = NodeRef::<Section>::new();
    fill_when_shown(
        section,
        REFILL_GAP_MS,
        move || shown_weights(lab, busy),
        move || run(false),
    );

    let on_image = move |ev: leptos::ev::Event| {
        let Some(file) = picture_file::take_files(&ev).into_iter().next() else {
            return;
        };
        // Read at the shape of the model that scores it.
        let shape = lab.model_shape_untracked();
        leptos::task::spawn_local(async move {
            let name = file.name();
            match picture_file::picture_for_model(file, shape, lab.grey_as_untracked()).await {
                Ok(pixels) => {
                    uploaded.set_value(Some((name, pixels)));
                    run(false);
                }
                Err(e) => message.set(Some(format!("{e}; nothing was scored."))),
            }
        });
    };

    let chart = move || {
        scored.with(|s| {
            s.as_ref().map(|s| {
                let marks = s.probes.iter().map(|p| (p.mark, p.score)).collect::<Vec<_>>();
                let what = if s.variational { "−ELBO" } else { "reconstruction error" };
                view! { <ScoreHistogram histogram=s.histogram.clone() marks what model=s.model.clone() /> }
            })
        })
    };

    let cards = move || {
        scored.get().map(|s| {
            s.probes
                .into_iter()
                .map(|p| {
                    let pixels = Signal::stored(p.pixels.clone());
                    view! {
                        <figure class="probe" data-mark=p.mark.to_string() data-rank=format!("{:.2}", p.rank)>
                            <DigitView pixels label=p.name.clone() />
                            <figcaption>
                                <strong>{p.mark.to_string()}</strong>" "{p.name.clone()}<br />
                                {format!("{:.1} nats · {}", p.score, rank_text(p.rank, lab.noun()))}
                            </figcaption>
                        </figure>
                    }
                })
                .collect_view()
        })
    };

    view! {
        <section class="panel anomaly-panel" aria-labelledby="anomaly-title" node_ref=section>
            <h2 id="anomaly-title">"Anomaly score: how unusual is this input?"</h2>
            <p class="caption">{lab.words(move |n| format!("How unusual is an input? Its −ELBO, marked among \
                the test {many}' scores.", many = n.many()))}</p>
            <Why>
                <p>
                    {lab.words(move |n| {
                        let how_read = match n {
                            Noun::Digit => "it is read like a drawing, its strokes cropped, scaled into 20×20 and \
                                centred, and inverted when dark on light, as MNIST digits are light on dark",
                            Noun::Picture => "it is fitted to the model's shape the way the data was imported",
                        };
                        format!("A VAE gives every input a score, its negative ELBO: how many nats it costs to \
                            describe the input with the model. Inputs like the training {many} score low; anything \
                            else scores high. The bars are the {set}; the marks are a test {one}, the same {one} \
                            with noise, turned a quarter, pure noise, your drawing if there is one, and a picture of \
                            yours if you choose one (any size: {how_read}). The percentile says how many test {many} \
                            score lower: a detector flags inputs above, say, the 99th.",
                            one = n.one(), many = n.many(), set = lab.test_set_words())
                    })}
                </p>
            </Why>
            <div class="buttons">
                <button class="score-probes" on:click=move |_| run(true) disabled=move || busy.get() || lab.test.with(Option::is_none)>
                    {move || if scored.with(Option::is_some) { format!("Score another {}", lab.noun().one()) } else { "Score the inputs".to_string() }}
                </button>
                <label class="button file-button" title=lab.words(|n| match n {
                    Noun::Digit => "Score a picture of a digit: any size, dark on light or light on dark",
                    Noun::Picture => "Score a picture of your own: any size",
                }.to_string())>
                    "Score an image…"
                    <input type="file" class="probe-image" accept="image/*" on:change=on_image disabled=move || busy.get() />
                </label>
                <span class="timing">{move || scored.with(|s| s.as_ref().map(|s| format!("scored with {}", s.model)))}</span>
            </div>
            // Its room is kept before it fills, so what is below does not jump.
            <div class="anomaly-results">
                {chart}
                <div class="probes">{cards}</div>
            </div>
            <p class="error" role="alert">
                {move || message.get()}
                {move || lab.why_no_test_images().map(|why| format!("No test images to score: {why}."))}
            </p>
        </section>
    }
}
