//! The training strip: a compact bar that stays at the top of the screen while the page
//! scrolls, so a run can be started, paused and watched beside the latent plane and the digits
//! it changes: what trains, the buttons, where the run is, a sparkline of its loss, its speed,
//! and a link to the full settings and charts.

use leptos::html::Div;
use leptos::prelude::*;
use wasm_bindgen::JsCast;

use super::{Training, TRAINING_TITLE_ID};
use crate::protocol::RunState;
use crate::ui::i18n::{tr, use_lang};
use crate::ui::later::ChapterLink;
use crate::ui::visibility::height_of;
use crate::ui_logic::chart_scale::{smooth, sparkline_path, thin};
use crate::ui_logic::words::{config_words, epochs_words};

const SPARK_WIDTH: f64 = 120.0;
const SPARK_HEIGHT: f64 = 22.0;

/// The strip's height before it is laid out: one line of it.
const ONE_LINE_PX: f64 = 40.0;

/// The stylesheet's own `scroll-padding-top` (3rem): room for one line of the strip.
const STYLESHEET_PADDING_PX: f64 = 48.0;

/// Room kept between the strip and what the page scrolls to.
const GAP_PX: f64 = 8.0;

/// Keeps what the page scrolls to (a link's target, a control reached by Tab) below the strip
/// rather than under it, however many lines the strip wraps onto: the root's
/// `scroll-padding-top` follows the strip's height. Set on the root itself, not through an
/// inherited custom property, whose change would restyle the whole page.
fn keep_scroll_targets_below(strip: NodeRef<Div>) {
    let height = height_of(strip, ONE_LINE_PX);
    Effect::new(move |set_before: Option<bool>| {
        let padding = height.get() + GAP_PX;
        // While the stylesheet's room is enough, nothing is set: a change of the root's style
        // at start-up would cost the page a style pass in its busiest moment.
        if set_before != Some(true) && padding <= STYLESHEET_PADDING_PX {
            return false;
        }
        let padding = format!("{padding}px");
        if let Some(root) = web_sys::window()
            .and_then(|w| w.document())
            .and_then(|d| d.document_element())
            .and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok())
        {
            // The style object, not a `style` attribute: the page's Content-Security-Policy
            // allows the one and refuses the other.
            let _ = root.style().set_property("scroll-padding-top", &padding);
        }
        true
    });
}

#[component]
pub fn TrainingStrip(training: Training) -> impl IntoView {
    let state = move || training.state();
    let lab = training.lab;
    let lang = use_lang();
    let what = move || {
        let l = lang();
        // Named only when it is not the digits.
        let on = lab.own_data.with(|d| {
            d.as_ref().map_or(String::new(), |d| {
                l.text(format!(" on “{}”", d.name), format!("，数据：“{}”", d.name))
            })
        });
        let epochs = |n: usize| epochs_words(n, l);
        training.plan.with(|p| match p {
            Some(plan) => format!(
                "{} · {}{on}",
                config_words(&plan.model, l),
                epochs(plan.epochs)
            ),
            None => format!(
                "{}{} · {}{on}",
                l.text("next: ", "下一次："),
                config_words(&training.settings.model_config_tracked(lab.data_shape()), l),
                epochs(training.settings.epochs.get())
            ),
        })
    };
    let where_ = move || {
        let l = lang();
        training.progress.with(|p| {
            p.as_ref().map(|p| {
                let state = match p.state {
                    RunState::Running => l.text("training", "训练中"),
                    RunState::Paused => l.text("paused", "已暂停"),
                    RunState::Diverged => l.text("diverged", "已发散"),
                    RunState::Finished => l.text("finished", "已完成"),
                };
                let epoch = (p.epochs_done + 1).min(p.epochs);
                l.text(
                    format!("{state} · epoch {epoch} of {} · step {}", p.epochs, p.step),
                    format!("{state} · 第 {epoch}/{} 轮 · 第 {} 步", p.epochs, p.step),
                )
            })
        })
    };
    let rate = move || {
        let l = lang();
        training.progress.with(|p| {
            p.as_ref()
                .filter(|p| p.state == RunState::Running && p.samples_per_sec > 0.0)
                .map(|p| {
                    l.text(
                        format!("{:.0} samples/s", p.samples_per_sec),
                        format!("{:.0} 样本/秒", p.samples_per_sec),
                    )
                })
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
    let strip = NodeRef::<Div>::new();
    keep_scroll_targets_below(strip);
    view! {
        <div class="training-strip" node_ref=strip role="region" aria-label=tr("training", "训练")
            data-state=move || state().map_or("idle".to_string(), |s| format!("{s:?}").to_lowercase())>
            <span class="strip-what">{what}</span>
            <span class="strip-buttons">
                <button class="strip-start" on:click=move |_| training.start_from_settings()
                    disabled=move || !training.can_start()>{tr("Train", "训练")}</button>
                <button class="strip-pause" on:click=move |_| training.pause()
                    disabled=move || state() != Some(RunState::Running)>{tr("Pause", "暂停")}</button>
                <button class="strip-resume" on:click=move |_| training.resume()
                    disabled=move || !paused()>{tr("Resume", "继续")}</button>
            </span>
            <span class="strip-where">{where_}</span>
            <svg class="sparkline" viewBox=format!("0 0 {SPARK_WIDTH} {SPARK_HEIGHT}") role="img"
                aria-label=tr("training loss so far, smoothed", "到目前为止的训练损失（已平滑）")>
                <path d=spark></path>
            </svg>
            <span class="strip-rate">{rate}</span>
            <ChapterLink anchor=TRAINING_TITLE_ID class="strip-more">{tr("settings and charts", "设置与图表")}</ChapterLink>
        </div>
    }
}
