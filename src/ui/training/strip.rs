//! The training strip: a compact bar that stays at the top of the screen while the page
//! scrolls, so a run can be started, paused and watched beside the latent plane and the digits
//! it changes: what trains, the buttons, where the run is, a sparkline of its loss, its speed,
//! and a link to the full settings and charts.

use leptos::prelude::*;

use super::Training;
use crate::protocol::RunState;
use crate::ui_logic::chart_scale::{smooth, sparkline_path, thin};

const SPARK_WIDTH: f64 = 120.0;
const SPARK_HEIGHT: f64 = 22.0;

#[component]
pub fn TrainingStrip(training: Training) -> impl IntoView {
    let state = move || training.state();
    let lab = training.lab;
    let what = move || {
        // Named only when it is not the digits.
        let on = lab.own_data.with(|d| {
            d.as_ref()
                .map_or(String::new(), |d| format!(" on “{}”", d.name))
        });
        training.plan.with(|p| match p {
            Some(plan) => format!("{} · {} epochs{on}", plan.model, plan.epochs),
            None => format!(
                "next: {} · {} epochs{on}",
                training.settings.model_config_tracked(lab.data_shape()),
                training.settings.epochs.get()
            ),
        })
    };
    let where_ = move || {
        training.progress.with(|p| {
            p.as_ref().map(|p| {
                let state = match p.state {
                    RunState::Running => "training",
                    RunState::Paused => "paused",
                    RunState::Diverged => "diverged",
                    RunState::Finished => "finished",
                };
                format!(
                    "{state} · epoch {} of {} · step {}",
                    (p.epochs_done + 1).min(p.epochs),
                    p.epochs,
                    p.step
                )
            })
        })
    };
    let rate = move || {
        training.progress.with(|p| {
            p.as_ref()
                .filter(|p| p.state == RunState::Running && p.samples_per_sec > 0.0)
                .map(|p| format!("{:.0} samples/s", p.samples_per_sec))
        })
    };
    let spark = move || {
        training.losses.with(|losses| {
            let smoothed = smooth(
                losses.iter().map(|l| (l.step as f64, l.loss.total as f64)),
                0.1,
            );
            // The first steps' loss (~550 nats) would flatten the rest: start after a few.
            let skip = (smoothed.len() / 20).min(20);
            sparkline_path(&thin(&smoothed[skip..]), SPARK_WIDTH, SPARK_HEIGHT)
        })
    };
    let paused = move || matches!(state(), Some(RunState::Paused | RunState::Diverged));
    view! {
        <div class="training-strip" role="region" aria-label="training"
            data-state=move || state().map_or("idle".to_string(), |s| format!("{s:?}").to_lowercase())>
            <span class="strip-what">{what}</span>
            <span class="strip-buttons">
                <button class="strip-start" on:click=move |_| training.start_from_settings()
                    disabled=move || !training.can_start()>"Train"</button>
                <button class="strip-pause" on:click=move |_| training.pause()
                    disabled=move || state() != Some(RunState::Running)>"Pause"</button>
                <button class="strip-resume" on:click=move |_| training.resume()
                    disabled=move || !paused()>"Resume"</button>
            </span>
            <span class="strip-where">{where_}</span>
            <svg class="sparkline" viewBox=format!("0 0 {SPARK_WIDTH} {SPARK_HEIGHT}") role="img"
                aria-label="training loss so far, smoothed">
                <path d=spark></path>
            </svg>
            <span class="strip-rate">{rate}</span>
            <a class="strip-more" href="#training-title">"settings and charts"</a>
        </div>
    }
}
