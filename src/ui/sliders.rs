//! One slider per latent dimension, with the encoder's σ drawn as a band when a digit was
//! encoded: the band is μ ± 2σ, where the posterior puts 95 % of its mass.

use leptos::prelude::*;

use super::state::use_lab;

/// The range every slider covers.
pub use crate::ml::explore::EXPLORE_RANGE as SLIDER_RANGE;

#[component]
pub fn LatentSliders() -> impl IntoView {
    let lab = use_lab();
    view! {
        <div class="sliders" role="group" aria-label="latent dimensions">
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
    let value = move || lab.z.with(|z| z.get(index).copied().unwrap_or(0.0));
    let sigma = move || {
        lab.sigma
            .with(|s| s.as_ref().and_then(|s| s.get(index).copied()))
    };
    let on_input = move |ev: leptos::ev::Event| {
        if let Ok(v) = event_target_value(&ev).parse::<f32>() {
            lab.z.update(|z| {
                if let Some(slot) = z.get_mut(index) {
                    *slot = v;
                }
            });
        }
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
                    aria-valuetext=move || format!("{:.2}", value())
                />
            </div>
            <output class="value">{move || format!("{:+.2}", value())}</output>
            <span class="sigma-text">{move || sigma().map(|s| format!("σ {s:.2}")).unwrap_or_default()}</span>
        </div>
    }
}
