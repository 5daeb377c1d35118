//! Small SVG charts for the training curves: lines with labelled axes, an HTML legend and a
//! hover readout, and bars for the KL of each latent dimension. A chart's view box is its own
//! size in CSS pixels, so its text is as large on a phone as on a desktop (12 px), and the
//! number of ticks follows the width.

use leptos::html::Div;
use leptos::prelude::*;

use crate::protocol::{EpochReport, ScoredOn};
use crate::ui::i18n::{tr, use_lang, Lang};
use crate::ui::visibility::width_of;
use crate::ui_logic::chart_scale::{labelled_ticks, thin, tick_label, ticks_that_fit, Domain};

/// The width a chart is drawn at before it is laid out.
const FALLBACK_WIDTH: f64 = 480.0;
/// The tallest a chart is drawn; a narrow one is shorter, down to `MIN_HEIGHT`.
const MAX_HEIGHT: f64 = 190.0;
const MIN_HEIGHT: f64 = 150.0;
const LEFT: f64 = 50.0;
const RIGHT: f64 = 12.0;
const TOP: f64 = 10.0;
const BOTTOM: f64 = 36.0;
/// Room for one x tick label.
const TICK_ROOM: f64 = 80.0;

/// One line: its name (English, for `data-name`), the name shown (in the language in use), a
/// CSS class for its colour, and its points.
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    pub name: &'static str,
    pub label: &'static str,
    pub class: &'static str,
    pub points: Vec<(f64, f64)>,
}

/// A chart's height for its width: about half as tall as wide, within bounds.
fn height_for(width: f64) -> f64 {
    (width * 0.5).clamp(MIN_HEIGHT, MAX_HEIGHT)
}

/// Where data coordinates land in a chart `width` pixels wide.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Frame {
    domain: Domain,
    width: f64,
}

impl Frame {
    fn height(&self) -> f64 {
        height_for(self.width)
    }

    fn sx(&self, x: f64) -> f64 {
        let d = &self.domain;
        LEFT + (x - d.x0) / (d.x1 - d.x0) * (self.width - LEFT - RIGHT)
    }

    fn sy(&self, y: f64) -> f64 {
        let d = &self.domain;
        TOP + (1.0 - (y - d.y0) / (d.y1 - d.y0)) * (self.height() - TOP - BOTTOM)
    }

    /// The data x under the view-box x `px`.
    fn x_at(&self, px: f64) -> f64 {
        let d = &self.domain;
        d.x0 + (px - LEFT) / (self.width - LEFT - RIGHT) * (d.x1 - d.x0)
    }

    /// How many x ticks fit.
    fn x_ticks(&self) -> usize {
        ticks_that_fit(self.width - LEFT - RIGHT, TICK_ROOM)
    }
}

/// The axis titles, shared by the line and bar charts.
fn axis_labels(
    width: f64,
    x_label: Signal<&'static str>,
    y_label: Signal<&'static str>,
) -> impl IntoView {
    let height = height_for(width);
    view! {
        <text class="axis-label" x=(LEFT + width - RIGHT) / 2.0 y=height - 4.0 text-anchor="middle">{x_label}</text>
        <text class="axis-label" transform=format!("translate(13 {}) rotate(-90)", (TOP + height - BOTTOM) / 2.0) text-anchor="middle">{y_label}</text>
    }
}

/// Lines over a shared domain, with labelled axes and a readout of the values under the pointer.
#[component]
pub fn LineChart(
    #[prop(into)] series: Signal<Vec<Series>>,
    #[prop(into)] x_label: Signal<&'static str>,
    #[prop(into)] y_label: Signal<&'static str>,
    /// Accessible summary of the chart.
    #[prop(into)]
    title: Signal<&'static str>,
) -> impl IntoView {
    let no_data = tr("no data yet", "暂无数据");
    let (hover, set_hover) = signal(None::<f64>);
    let holder = NodeRef::<Div>::new();
    let width = width_of(holder, FALLBACK_WIDTH);
    let frame = Memo::new(move |_| {
        let domain = series.with(|all| Domain::of(all.iter().flat_map(|s| s.points.iter())))?;
        Some(Frame {
            domain,
            width: width.get(),
        })
    });

    let on_move = move |ev: leptos::ev::MouseEvent| {
        let Some(f) = frame.get_untracked() else {
            return;
        };
        let Some(svg) = ev
            .current_target()
            .and_then(|t| wasm_bindgen::JsCast::dyn_into::<web_sys::Element>(t).ok())
        else {
            return;
        };
        let rect = svg.get_bounding_client_rect();
        let px = (ev.client_x() as f64 - rect.left()) / rect.width() * f.width;
        let d = &f.domain;
        set_hover.set(Some(f.x_at(px).clamp(d.x0, d.x1)));
    };
    // The axes depend on the domain and size alone; only the lines are redrawn as data arrives.
    let axes = move || {
        let Some(f) = frame.get() else {
            let w = width.get();
            return view! { <text class="empty" x=w / 2.0 y=height_for(w) / 2.0>{no_data}</text> }
                .into_any();
        };
        let d = f.domain;
        view! {
            <g class="axes">
                {labelled_ticks(d.y0, d.y1, 4, false).into_iter().map(|(t, label)| view! {
                    <line class="grid" x1=LEFT x2=f.width - RIGHT y1=f.sy(t) y2=f.sy(t)></line>
                    <text class="tick" x=LEFT - 4.0 y=f.sy(t) + 4.0 text-anchor="end">{label}</text>
                }).collect_view()}
                {labelled_ticks(d.x0, d.x1, f.x_ticks(), true).into_iter().map(|(t, label)| view! {
                    <text class="tick" x=f.sx(t) y=f.height() - BOTTOM + 15.0 text-anchor="middle">{label}</text>
                }).collect_view()}
                {axis_labels(f.width, x_label, y_label)}
            </g>
        }
        .into_any()
    };
    // One path per series, created once per series list; only its `d` follows the data.
    let names = Memo::new(move |_| {
        series.with(|all| {
            all.iter()
                .map(|s| (s.name, s.label, s.class))
                .collect::<Vec<_>>()
        })
    });
    let lines = move || {
        names
            .get()
            .into_iter()
            .enumerate()
            .map(|(i, (name, _, class))| {
                let d = move || {
                    let Some(f) = frame.get() else {
                        return String::new();
                    };
                    series.with(|all| {
                        all.get(i)
                            .map(|s| {
                                let mut points = thin(&s.points);
                                // One point (after the first epoch) is drawn as a dot: a
                                // zero-length segment with round caps.
                                if points.len() == 1 {
                                    points.push(points[0]);
                                }
                                points
                                    .iter()
                                    .enumerate()
                                    .map(|(k, &(x, y))| {
                                        format!(
                                            "{}{:.1},{:.1}",
                                            if k == 0 { "M" } else { "L" },
                                            f.sx(x),
                                            f.sy(y)
                                        )
                                    })
                                    .collect::<String>()
                            })
                            .unwrap_or_default()
                    })
                };
                view! { <path class=format!("line {class}") data-name=name d=d></path> }
            })
            .collect_view()
    };
    let legend = move || {
        names
            .get()
            .into_iter()
            .map(|(_, label, class)| view! { <li class=class><span class="swatch"></span>{label}</li> })
            .collect_view()
    };
    let readout = move || {
        let (Some(x), Some(f)) = (hover.get(), frame.get()) else {
            return None;
        };
        let readings: Vec<String> = series.with(|all| {
            all.iter()
                .filter_map(|s| {
                    let nearest = s
                        .points
                        .iter()
                        .min_by(|p, q| (p.0 - x).abs().total_cmp(&(q.0 - x).abs()))?;
                    Some(format!("{} {:.2}", s.label, nearest.1))
                })
                .collect()
        });
        let text = format!(
            "{} {}: {}",
            x_label.get(),
            tick_label(x.round()),
            readings.join(" · ")
        );
        let px = f.sx(x);
        Some(view! {
            <g class="hover">
                <line x1=px x2=px y1=TOP y2=f.height() - BOTTOM></line>
                <text class="readout" x=LEFT + 4.0 y=f.height() - BOTTOM - 6.0>{text}</text>
            </g>
        })
    };

    view! {
        <div class="chart-box" node_ref=holder>
            <ul class="chart-legend" aria-hidden="true">{legend}</ul>
            <svg class="chart" viewBox=move || { let w = width.get(); format!("0 0 {w} {}", height_for(w)) } role="img" aria-label=title
                on:mousemove=on_move on:mouseleave=move |_| set_hover.set(None)>
                {axes}
                {lines}
                {readout}
            </svg>
        </div>
    }
}

/// One bar per latent dimension: the KL it carries (nats), with a marker at the active-unit
/// threshold.
#[component]
pub fn KlBars(#[prop(into)] kl: Signal<Vec<f64>>, threshold: f64) -> impl IntoView {
    let holder = NodeRef::<Div>::new();
    let width = width_of(holder, FALLBACK_WIDTH);
    let lang = use_lang();
    let empty = tr("after the first epoch", "第一轮结束后显示");
    let (x_label, y_label) = (
        tr("latent dimension", "潜在维度"),
        tr("KL (nats)", "KL（奈特）"),
    );
    view! {
        <div class="chart-box" node_ref=holder>
        <svg class="chart bars" viewBox=move || { let w = width.get(); format!("0 0 {w} {}", height_for(w)) } role="img" aria-label=tr("KL divergence of each latent dimension", "每个潜在维度的 KL 散度")>
            {move || {
                let width = width.get();
                let height = height_for(width);
                let l = lang();
                let values = kl.get();
                if values.is_empty() {
                    return view! { <text class="empty" x=width / 2.0 y=height / 2.0>{empty}</text> }.into_any();
                }
                let max = values.iter().copied().fold(threshold, f64::max) * 1.1;
                let plot_w = width - LEFT - RIGHT;
                let plot_h = height - TOP - BOTTOM;
                let slot = plot_w / values.len() as f64;
                // Every dimension's number when they fit, else every second or fifth.
                let every = [1, 2, 5, 10].into_iter().find(|&k| slot * k as f64 >= 22.0).unwrap_or(20);
                let y = move |v: f64| TOP + plot_h * (1.0 - v / max);
                let bars = values
                    .iter()
                    .enumerate()
                    .map(|(i, &v)| {
                        let class = if v > threshold { "bar active" } else { "bar inactive" };
                        let number = ((i + 1) % every == 0 || i == 0).then(|| view! {
                            <text class="tick" x=LEFT + (i as f64 + 0.5) * slot y=height - BOTTOM + 15.0 text-anchor="middle">{format!("{}", i + 1)}</text>
                        });
                        view! {
                            <rect class=class x=LEFT + i as f64 * slot + slot * 0.15 width=slot * 0.7 y=y(v) height=(TOP + plot_h - y(v)).max(0.0)>
                                <title>{l.text(format!("z{}: {v:.3} nats", i + 1), format!("z{}：{v:.3} 奈特", i + 1))}</title>
                            </rect>
                            {number}
                        }
                    })
                    .collect_view();
                view! {
                    {labelled_ticks(0.0, max, 4, false).into_iter().map(|(t, label)| view! {
                        <line class="grid" x1=LEFT x2=width - RIGHT y1=y(t) y2=y(t)></line>
                        <text class="tick" x=LEFT - 4.0 y=y(t) + 4.0 text-anchor="end">{label}</text>
                    }).collect_view()}
                    {bars}
                    {axis_labels(width, x_label, y_label)}
                }.into_any()
            }}
        </svg>
        </div>
    }
}

/// The per-epoch chart's caption: what the epochs are scored on and, once there is one, what the
/// last epoch scored, in words: the numbers a person compares runs by.
pub fn epoch_caption(last: Option<&EpochReport>, lang: Lang) -> String {
    let Some(last) = last else {
        return lang
            .text("test set, per epoch", "测试集，每轮一次")
            .to_string();
    };
    let on = match last.scored_on {
        ScoredOn::TrainingImages => lang.text(
            "training images, per epoch (the set is too small to keep test images back)",
            "训练图片，每轮一次（数据集太小，留不出测试图片）",
        ),
        ScoredOn::TestImages => lang.text("test set, per epoch", "测试集，每轮一次"),
    };
    lang.text(
        format!(
            "{on}; after epoch {}: −ELBO {:.1} = reconstruction {:.1} + KL {:.1} nats",
            last.epoch, last.neg_elbo, last.recon, last.kl
        ),
        format!(
            "{on}；第 {} 轮后：−ELBO {:.1} = 重建 {:.1} + KL {:.1} 奈特",
            last.epoch, last.neg_elbo, last.recon, last.kl
        ),
    )
}
