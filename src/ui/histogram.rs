//! The anomaly chapter's figure: a histogram of the test digits' scores with the scored inputs
//! marked on it. Drawn at its own width in CSS pixels (like the training charts), so its labels
//! stay 12 px on a phone.

use leptos::html::Div;
use leptos::prelude::*;

use super::i18n::{use_lang, Lang};
use super::state::use_lab;
use super::visibility::width_of;
use crate::ml::probes::Histogram;
use crate::ui_logic::chart_scale::{labelled_ticks, ticks_that_fit};
use crate::ui_logic::words::Noun;

const FALLBACK_WIDTH: f64 = 640.0;
const HEIGHT: f64 = 180.0;
const LEFT: f64 = 12.0;
const RIGHT: f64 = 12.0;
const TOP: f64 = 24.0;
const BOTTOM: f64 = 34.0;
/// Room for one tick label on the score axis.
const TICK_ROOM: f64 = 70.0;

#[component]
pub fn ScoreHistogram(
    histogram: Histogram,
    /// Each scored input's one-letter mark and score.
    marks: Vec<(char, f32)>,
    /// What the score is, e.g. "−ELBO".
    #[prop(into)]
    what: Signal<&'static str>,
    /// The model that scored them, for the accessible name.
    model: String,
) -> impl IntoView {
    let holder = NodeRef::<Div>::new();
    let width = width_of(holder, FALLBACK_WIDTH);
    // The scores were taken on the data in use when they were made.
    let noun = untrack(|| use_lab().noun());
    // The measure word for counting them in Chinese.
    let measure = match noun {
        Noun::Digit => "个",
        Noun::Picture => "张",
    };
    let lang = use_lang();
    let label = move || {
        let what = what.get();
        lang().text(
            format!(
                "histogram of the test {}' {what} under {model}",
                noun.many()
            ),
            format!("{model} 给出的测试{} {what} 直方图", noun.zh()),
        )
    };
    let drawing = move || {
        let l = lang();
        let what = what.get();
        let width = width.get();
        let h = &histogram;
        let max = h.counts.iter().copied().max().unwrap_or(0).max(1) as f64;
        let (lo, hi) = (h.lo as f64, h.hi as f64);
        let plot_width = width - LEFT - RIGHT;
        let sx = move |v: f64| LEFT + (v.clamp(lo, hi) - lo) / (hi - lo) * plot_width;
        let bar_width = plot_width / h.counts.len().max(1) as f64;
        let base = HEIGHT - BOTTOM;
        let bars = h
            .counts
            .iter()
            .enumerate()
            .map(|(i, &c)| {
                let height = c as f64 / max * (base - TOP);
                view! {
                    <rect class="bin" x=LEFT + i as f64 * bar_width y=base - height
                        width=(bar_width - 1.0).max(0.5) height=height>
                        <title>{l.text(format!("{c} test {}", noun.many()), format!("{c} {measure}测试{}", noun.zh()))}</title>
                    </rect>
                }
            })
            .collect_view();
        let axis = labelled_ticks(lo, hi, ticks_that_fit(plot_width, TICK_ROOM), false)
            .into_iter()
            .map(|(t, label)| view! { <text class="tick" x=sx(t) y=base + 15.0 text-anchor="middle">{label}</text> })
            .collect_view();
        // Marks beyond the axis share its right edge: their labels are stacked down it.
        let mut beyond_count = 0;
        let marks = marks
            .iter()
            .map(|&(mark, score)| {
                let x = sx(score as f64);
                let (text, y, anchor) = if score as f64 > hi {
                    beyond_count += 1;
                    (
                        format!("{mark} →"),
                        TOP + 2.0 + 14.0 * beyond_count as f64,
                        "end",
                    )
                } else {
                    (mark.to_string(), TOP - 8.0, "middle")
                };
                let text_x = if anchor == "end" { x - 4.0 } else { x };
                view! {
                    <g class="mark" data-mark=mark.to_string()>
                        <line x1=x x2=x y1=TOP - 4.0 y2=base></line>
                        <text x=text_x y=y text-anchor=anchor>{text}</text>
                    </g>
                }
            })
            .collect_view();
        view! {
            <line class="axis" x1=LEFT x2=width - RIGHT y1=base y2=base></line>
            {bars}
            {axis}
            {marks}
            <text class="axis-label" x=width - RIGHT y=HEIGHT - 2.0 text-anchor="end">
                {match l {
                    Lang::En => format!("{what}, nats per {} ({} beyond the axis)", noun.one(), h.above),
                    Lang::Zh => format!("{what}，每{measure}{}的奈特数（{} {measure}超出坐标轴）", noun.zh(), h.above),
                }}
            </text>
        }
    };
    view! {
        <div class="chart-box" node_ref=holder>
            <svg class="chart histogram" viewBox=move || format!("0 0 {} {HEIGHT}", width.get())
                role="img" aria-label=label>
                {drawing}
            </svg>
        </div>
    }
}
