//! One slider per latent dimension, with the encoder's σ drawn as a band when a digit was
//! encoded: the band is μ ± 2σ, where the posterior puts 95 % of its mass.

use leptos::prelude::*;

use super::first_steps::{moved_by_hand, Guide};
use super::i18n::tr;
use super::state::use_lab;

/// The range every slider covers.
pub use crate::ml::explore::EXPLORE_RANGE as SLIDER_RANGE;

/// How far an arrow key moves a slider: a change of 0.1 is one a person can see in the digit
/// (the drag resolution, 0.01, would take 600 presses to cross the range)…
const KEY_STEP: f32 = 0.1;
/// …and Page Up / Page Down, one standard deviation of the prior.
const PAGE_STEP: f32 = 1.0;

#[component]
pub fn LatentSliders() -> impl IntoView {
    let lab = use_lab();
    view! {
        <div class="sliders" role="group" aria-label=tr("latent dimensions", "潜在维度")>
            {move || (0..lab.latent()).map(|index| view! { <LatentSlider index /> }).collect_view()}
        </div>
    }
}

/// Percentage position of latent value `v` along a slider.
fn percent(v: f32) -> f32 {
    ((v + SLIDER_RANGE) / (2.0 * SLIDER_RANGE) * 100.0).clamp(0.0, 100.0)
}

#[component]
fn LatentSlider(index: usize) -> impl IntoView {
    let lab = use_lab();
    let guide = use_context::<Guide>();
    let value = move || lab.z.with(|z| z.get(index).copied().unwrap_or(0.0));
    let sigma = move || {
        lab.sigma
            .with(|s| s.as_ref().and_then(|s| s.get(index).copied()))
    };
    let on_input = move |ev: leptos::ev::Event| {
        moved_by_hand(guide);
        if let Ok(v) = event_target_value(&ev).parse::<f32>() {
            lab.z.update(|z| {
                if let Some(slot) = z.get_mut(index) {
                    *slot = v;
                }
            });
        }
    };
    // Arrow keys and Page Up/Down move by steps a person can feel; Home and End keep the
    // browser's meaning (the ends of the range).
    let on_key = move |ev: leptos::ev::KeyboardEvent| {
        let delta = match ev.key().as_str() {
            "ArrowUp" | "ArrowRight" => KEY_STEP,
            "ArrowDown" | "ArrowLeft" => -KEY_STEP,
            "PageUp" => PAGE_STEP,
            "PageDown" => -PAGE_STEP,
            _ => return,
        };
        ev.prevent_default();
        moved_by_hand(guide);
        lab.z.update(|z| {
            if let Some(slot) = z.get_mut(index) {
                let moved = ((*slot + delta) * 100.0).round() / 100.0;
                *slot = moved.clamp(-SLIDER_RANGE, SLIDER_RANGE);
            }
        });
    };
    // Through the CSS object model (`style:`), which the Content-Security-Policy allows.
    let band = move || {
        sigma().map(|s| {
            let (lo, hi) = (percent(value() - 2.0 * s), percent(value() + 2.0 * s));
            (lo, hi - lo)
        })
    };
    let id = format!("z-{}", index + 1);
    view! {
        <div class="slider">
            <label for=id.clone()>{format!("z{}", index + 1)}</label>
            <div class="track">
                <div
                    class="sigma-band"
                    style:display=move || if band().is_some() { "" } else { "none" }
                    style:left=move || band().map(|b| format!("{:.2}%", b.0)).unwrap_or_default()
                    style:width=move || band().map(|b| format!("{:.2}%", b.1)).unwrap_or_default()
                ></div>
                <input
                    type="range"
                    id=id
                    min=-SLIDER_RANGE
                    max=SLIDER_RANGE
                    step="0.01"
                    prop:value=move || value().to_string()
                    on:input=on_input
                    on:keydown=on_key
                    aria-valuetext=move || format!("{:.2}", value())
                />
            </div>
            <output class="value">{move || format!("{:+.2}", value())}</output>
            <span class="sigma-text">{move || sigma().map(|s| format!("σ {s:.2}")).unwrap_or_default()}</span>
        </div>
    }
}
