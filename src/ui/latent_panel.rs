//! The latent-space panel: a large decoded digit that follows the sliders, and buttons to sample
//! from the prior, go back to the origin, or wander.

use leptos::prelude::*;

use super::clock::now_ms;
use super::digit_view::DigitView;
use super::share::CopyLink;
use super::sliders::LatentSliders;
use super::state::{use_lab, Lab};
use super::why::Why;
use crate::ml::dataset::ImageShape;
use crate::ml::explore::wander_step;
use crate::ml::rng::Rng;

/// With reduced motion asked for, the wander shows a new point once a second rather than a
/// moving one: the steps of a second's frames taken at once, so it visits the same places.
const REDUCED_MOTION_INTERVAL: std::time::Duration = std::time::Duration::from_secs(1);
const FRAMES_A_SECOND: usize = 60;

/// Whether the person asked their system for less motion (`prefers-reduced-motion`).
fn prefers_reduced_motion() -> bool {
    web_sys::window()
        .and_then(|w| {
            w.match_media("(prefers-reduced-motion: reduce)")
                .ok()
                .flatten()
        })
        .is_some_and(|query| query.matches())
}

/// One frame of the wander animation: a step of a random walk whose long-run spread is the
/// prior's ([`wander_step`]), so it visits where the prior puts its mass.
fn wander_frame(lab: Lab, running: RwSignal<bool>, rng: StoredValue<Rng, LocalStorage>) {
    if !running.get_untracked() {
        return;
    }
    let reduced = prefers_reduced_motion();
    let steps = if reduced { FRAMES_A_SECOND } else { 1 };
    let n = lab.z.with_untracked(Vec::len);
    let noise = rng
        .try_update_value(|r| r.normal_vec(n * steps))
        .unwrap_or_default();
    lab.z.update(|z| {
        for step in noise.chunks_exact(n.max(1)) {
            wander_step(z, step);
        }
    });
    let next = move || wander_frame(lab, running, rng);
    if reduced {
        set_timeout(next, REDUCED_MOTION_INTERVAL);
    } else {
        request_animation_frame(next);
    }
}

#[component]
pub fn LatentPanel() -> impl IntoView {
    let lab = use_lab();
    let pixels = Memo::new(move |_| {
        let decoded = lab.active.with(|m| {
            let m = m.as_ref()?;
            lab.z.with(|z| {
                if z.len() != m.latent() {
                    return None;
                }
                let start = now_ms();
                let out = m.decode_one(z).ok();
                lab.readouts.decode_ms.set(Some(now_ms() - start));
                out
            })
        });
        decoded.unwrap_or_else(|| vec![0.0; ImageShape::DIGITS.values()])
    });

    let wandering = RwSignal::new(false);
    let rng = StoredValue::new_local(Rng::new(now_ms().to_bits()));
    let toggle_wander = move |_| {
        let start = !wandering.get_untracked();
        wandering.set(start);
        if start {
            lab.sigma.set(None);
            request_animation_frame(move || wander_frame(lab, wandering, rng));
        }
    };
    on_cleanup(move || wandering.set(false));
    let sample = move |_| {
        let n = lab.z.with_untracked(Vec::len);
        let z = rng
            .try_update_value(|r| r.normal_vec(n))
            .unwrap_or_default();
        lab.sigma.set(None);
        lab.z.set(z);
    };
    let reset = move |_| {
        lab.sigma.set(None);
        lab.z.update(|z| z.iter_mut().for_each(|v| *v = 0.0));
    };

    view! {
        <section class="panel latent-panel" aria-labelledby="latent-title">
            <h2 id="latent-title">{lab.words(move |n| format!("Output: the {one} at the point", one = n.one()))}</h2>
            <p class="caption">{lab.words(move |n| format!("The decoder turns the point z into this {one}, \
                again on every move.", one = n.one()))}</p>
            <Why>
                <p>{lab.words(move |n| format!("Each slider moves z along one dimension; the {one} is decoded \
                    in this page, in a fraction of a millisecond, as you drag. A VAE is trained so \
                    that its codes follow the prior ", one = n.one()))}
                    <i>"p(z) = N(0, I)"</i>{lab.words(move |n| format!(": every dimension a standard normal, \
                        so ±3 covers almost all of it, and a point drawn from the prior decodes to a \
                        {one}. A plain autoencoder has no prior: its codes leave holes, and points \
                        in them decode to smudges.", one = n.one()))}
                </p>
            </Why>
            <div class="latent-layout">
                <figure class="big-digit">
                    <DigitView pixels=pixels label=Signal::derive(move || {
                        // The code itself, so that a screen reader hears what a slider changed.
                        let z = lab.z.with(|z| z.iter().map(|v| format!("{v:.1}")).collect::<Vec<_>>().join(", "));
                        format!("the {} decoded from the sliders' z = ({z})", lab.noun().one())
                    }) />
                    <figcaption>{lab.words(move |n| format!("the {one} at the point z", one = n.one()))}</figcaption>
                </figure>
                <div class="latent-controls">
                    <div class="buttons">
                        <button on:click=sample>"Sample from the prior"</button>
                        <button on:click=reset>"Reset to 0"</button>
                        <button on:click=toggle_wander aria-pressed=move || wandering.get().to_string()>
                            {move || if wandering.get() { "Stop wandering" } else { "Wander" }}
                        </button>
                    </div>
                    <p class="hint">{lab.words(move |n| format!("Sampling draws z from N(0, I), the prior: a \
                        VAE decodes almost every such z to a {one}, a plain autoencoder often does \
                        not. Wander takes a slow random walk.", one = n.one()))}
                    </p>
                </div>
            </div>
            <LatentSliders />
            <CopyLink />
        </section>
    }
}
