//! Draw → encode → reconstruct. The drawing is preprocessed like MNIST, encoded (the sliders jump
//! to the posterior mean and show σ), decoded again, and scored: its negative ELBO, ranked among
//! the test digits' scores, says how digit-like the model finds it.

use leptos::prelude::*;

use super::clock::now_ms;
use super::digit_view::DigitView;
use super::sketch::{SketchPad, PAD_SIDE};
use super::state::{use_lab, Drawing};
use super::why::Why;
use crate::ml::data::IMAGE_PIXELS;
use crate::ml::explore::{encode_one, neg_elbo_one, Code};
use crate::ml::preprocess::{mnist_like, PreprocessError};
use crate::ml::stats::percentile_rank;

/// What the model makes of the drawing.
#[derive(Debug, Clone, PartialEq)]
struct Analysis {
    code: Code,
    reconstruction: Vec<f32>,
    neg_elbo: f32,
    variational: bool,
    /// Encode + decode + score, in milliseconds.
    ms: f64,
}

#[component]
pub fn DrawPanel() -> impl IntoView {
    let lab = use_lab();
    let (notice, set_notice) = signal(None::<String>);
    let on_ink = Callback::new(move |ink: Option<Vec<f32>>| {
        match ink.map(|ink| mnist_like(&ink, PAD_SIDE, PAD_SIDE)) {
            None | Some(Err(PreprocessError::Blank)) => {
                lab.drawing.set(None);
                set_notice.set(None);
            }
            Some(Err(e)) => set_notice.set(Some(e.to_string())),
            Some(Ok(done)) => {
                set_notice.set(None);
                lab.drawing.set(Some(Drawing {
                    pixels: done.pixels,
                }));
            }
        }
    });

    let analysis = Memo::new(move |_| {
        let drawing = lab.drawing.get()?;
        let active = lab.active.get()?;
        let start = now_ms();
        let code = encode_one(&active.model, &drawing.pixels).ok()?;
        let reconstruction = active.decode_one(&code.mean).ok()?;
        let neg_elbo = neg_elbo_one(&active.model, &drawing.pixels).ok()?;
        Some(Analysis {
            code,
            reconstruction,
            neg_elbo,
            variational: active.model.config().kind.is_variational(),
            ms: now_ms() - start,
        })
    });
    Effect::new(move |_| {
        lab.readouts
            .draw_ms
            .set(analysis.with(|a| a.as_ref().map(|a| a.ms)))
    });
    // A new drawing (or a new model) moves the sliders to the drawing's code.
    Effect::new(move |_| {
        let code = analysis.with(|a| a.as_ref().map(|a| a.code.clone()));
        if let Some(code) = &code {
            lab.z.set(code.mean.clone());
            lab.sigma.set(code.sigma.clone());
        }
        lab.encoded.set(code);
    });
    // Rank among the test digits: score them once per model, in the background, when needed.
    let scores_ready = RwSignal::new(0u32);
    Effect::new(move |_| {
        let (Some(active), Some(test)) = (lab.active.get(), lab.test.get()) else {
            return;
        };
        if analysis.with(Option::is_none) || active.test_scores.get().is_some() {
            return;
        }
        leptos::task::spawn_local(async move {
            if active.ensure_test_scores(&test).await {
                scores_ready.update(|n| *n += 1);
            }
        });
    });
    let score_text = move || {
        scores_ready.track();
        let a = analysis.get()?;
        let what = if a.variational {
            "−ELBO"
        } else {
            "reconstruction error (an autoencoder has no ELBO)"
        };
        let rank = lab.active.with(|m| {
            m.as_ref()
                .and_then(|m| m.test_scores.get().map(|s| percentile_rank(s, a.neg_elbo)))
        });
        let context = match (rank, lab.test_error.get()) {
            (Some(rank), _) if rank < 0.5 => ": more digit-like than every test digit".to_string(),
            (Some(rank), _) if rank > 99.5 => ": less digit-like than every test digit".to_string(),
            (Some(rank), _) => format!(
                ": more digit-like than {:.0}% of the test digits",
                100.0 - rank
            ),
            (None, Some(_)) => {
                " (the test digits are unavailable, so there is nothing to compare with)"
                    .to_string()
            }
            (None, None) => " (ranking it among the test digits…)".to_string(),
        };
        Some(format!("{what} {:.1} nats{context}", a.neg_elbo))
    };
    let drawn = Signal::derive(move || {
        lab.drawing.with(|d| {
            d.as_ref()
                .map_or(vec![0.0; IMAGE_PIXELS], |d| d.pixels.clone())
        })
    });
    let reconstruction = Signal::derive(move || {
        analysis.with(|a| {
            a.as_ref()
                .map_or(vec![0.0; IMAGE_PIXELS], |a| a.reconstruction.clone())
        })
    });

    view! {
        <section class="panel draw-panel" aria-labelledby="draw-title">
            <h2 id="draw-title">"Data: draw a digit"</h2>
            <p class="caption">"Draw with a mouse, pen or finger; the encoder finds where your digit lives in the latent space."</p>
            <Why>
                <p>
                    "When you lift the pen, the drawing is cropped, scaled into a 20×20 box and centred by its centre of "
                    "mass, as MNIST's digits were. The encoder does not give one point but a Gaussian, "
                    <i>"q(z|x) = N(μ, σ²)"</i>": the point jumps to its mean μ, the ellipse on the plane and the bands on the "
                    "sliders show μ ± 2σ, how unsure it is. Training draws z = μ + σ·ε with ε from N(0, I) (the "
                    "reparameterisation), so the encoder learns from its gradient."
                </p>
                <p>
                    "The score is the negative ELBO, in nats (natural-log units of information): "
                    <i>"−ELBO = reconstruction error + KL(q(z|x) ‖ N(0, I))"</i>", the cost of redrawing your digit from "
                    "its code plus the cost of a code that strays from the prior. Lower means more digit-like."
                </p>
            </Why>
            <div class="draw-layout">
                <SketchPad on_ink />
                <div class="draw-results">
                    <figure class="drawn">
                        <DigitView pixels=drawn label="your drawing after MNIST preprocessing" />
                        <figcaption>"your digit, 28×28"</figcaption>
                    </figure>
                    <figure class="reconstruction">
                        <DigitView pixels=reconstruction label="the model's reconstruction of your drawing" />
                        <figcaption>"reconstruction"</figcaption>
                    </figure>
                </div>
            </div>
            <p class="score" aria-live="polite">
                {move || score_text().unwrap_or_else(|| "Draw a digit to see how the model reads it.".to_string())}
            </p>
            <p class="error" role="alert">{move || notice.get()}</p>
        </section>
    }
}
