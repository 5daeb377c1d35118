//! Small SVG charts for the training curves: lines with labelled axes and a hover readout, and
//! bars for the KL of each latent dimension.

use leptos::prelude::*;

use crate::ui_logic::chart_scale::{labelled_ticks, thin, tick_label, Domain};

const WIDTH: f64 = 480.0;
const HEIGHT: f64 = 190.0;
const LEFT: f64 = 48.0;
const RIGHT: f64 = 12.0;
const TOP: f64 = 12.0;
const BOTTOM: f64 = 34.0;

/// One line: its name, a CSS class for its colour, and its points.
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    pub name: &'static str,
    pub class: &'static str,
    pub points: Vec<(f64, f64)>,
}

/// Where data coordinates land in the chart's view box.
trait Plot {
    fn sx(&self, x: f64) -> f64;
    fn sy(&self, y: f64) -> f64;
}

impl Plot for Domain {
    fn sx(&self, x: f64) -> f64 {
        LEFT + (x - self.x0) / (self.x1 - self.x0) * (WIDTH - LEFT - RIGHT)
    }

    fn sy(&self, y: f64) -> f64 {
        TOP + (1.0 - (y - self.y0) / (self.y1 - self.y0)) * (HEIGHT - TOP - BOTTOM)
    }
}

/// Lines over a shared domain, with labelled axes and a readout of the values under the pointer.
#[component]
pub fn LineChart(
    #[prop(into)] series: Signal<Vec<Series>>,
    x_label: &'static str,
    y_label: &'static str,
    /// Accessible summary of the chart.
    title: &'static str,
) -> impl IntoView {
    let (hover, set_hover) = signal(None::<f64>);
    let domain =
        Memo::new(move |_| series.with(|all| Domain::of(all.iter().flat_map(|s| s.points.iter()))));

    let on_move = move |ev: leptos::ev::MouseEvent| {
        let Some(d) = domain.get_untracked() else {
            return;
        };
        let Some(svg) = ev
            .current_target()
            .and_then(|t| wasm_bindgen::JsCast::dyn_into::<web_sys::Element>(t).ok())
        else {
            return;
        };
        let rect = svg.get_bounding_client_rect();
        let px = (ev.client_x() as f64 - rect.left()) / rect.width() * WIDTH;
        let x = d.x0 + (px - LEFT) / (WIDTH - LEFT - RIGHT) * (d.x1 - d.x0);
        set_hover.set(Some(x.clamp(d.x0, d.x1)));
    };
    // The axes depend on the domain alone; only the lines are redrawn as data arrives.
    let axes = move || {
        let Some(d) = domain.get() else {
            return view! { <text class="empty" x=WIDTH / 2.0 y=HEIGHT / 2.0>"no data yet"</text> }
                .into_any();
        };
        view! {
            <g class="axes">
                {labelled_ticks(d.y0, d.y1, 4, false).into_iter().map(|(t, label)| view! {
                    <line class="grid" x1=LEFT x2=WIDTH - RIGHT y1=d.sy(t) y2=d.sy(t)></line>
                    <text class="tick" x=LEFT - 4.0 y=d.sy(t) + 3.0 text-anchor="end">{label}</text>
                }).collect_view()}
                {labelled_ticks(d.x0, d.x1, 5, true).into_iter().map(|(t, label)| view! {
                    <text class="tick" x=d.sx(t) y=HEIGHT - BOTTOM + 13.0 text-anchor="middle">{label}</text>
                }).collect_view()}
                <text class="axis-label" x=(LEFT + WIDTH - RIGHT) / 2.0 y=HEIGHT - 4.0 text-anchor="middle">{x_label}</text>
                <text class="axis-label" transform=format!("translate(11 {}) rotate(-90)", (TOP + HEIGHT - BOTTOM) / 2.0) text-anchor="middle">{y_label}</text>
            </g>
        }
        .into_any()
    };
    // One path per series, created once per series list; only its `d` follows the data.
    let names = Memo::new(move |_| {
        series.with(|all| all.iter().map(|s| (s.name, s.class)).collect::<Vec<_>>())
    });
    let lines = move || {
        names
            .get()
            .into_iter()
            .enumerate()
            .map(|(i, (name, class))| {
                let d = move || {
                    let Some(dom) = domain.get() else {
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
                                            dom.sx(x),
                                            dom.sy(y)
                                        )
                                    })
                                    .collect::<String>()
                            })
                            .unwrap_or_default()
                    })
                };
                let x = LEFT + 8.0 + i as f64 * 120.0;
                view! {
                    <path class=format!("line {class}") d=d></path>
                    <g class=format!("legend {class}")>
                        <rect x=x y=TOP width="10" height="3"></rect>
                        <text x=x + 14.0 y=TOP + 5.0>{name}</text>
                    </g>
                }
            })
            .collect_view()
    };
    let readout = move || {
        let (Some(x), Some(d)) = (hover.get(), domain.get()) else {
            return None;
        };
        let readings: Vec<String> = series.with(|all| {
            all.iter()
                .filter_map(|s| {
                    let nearest = s
                        .points
                        .iter()
                        .min_by(|p, q| (p.0 - x).abs().total_cmp(&(q.0 - x).abs()))?;
                    Some(format!("{} {:.2}", s.name, nearest.1))
                })
                .collect()
        });
        let text = format!(
            "{x_label} {}: {}",
            tick_label(x.round()),
            readings.join(" · ")
        );
        let px = d.sx(x);
        Some(view! {
            <g class="hover">
                <line x1=px x2=px y1=TOP y2=HEIGHT - BOTTOM></line>
                <text class="readout" x=LEFT + 4.0 y=HEIGHT - BOTTOM - 6.0>{text}</text>
            </g>
        })
    };

    view! {
        <svg class="chart" viewBox=format!("0 0 {WIDTH} {HEIGHT}") role="img" aria-label=title
            on:mousemove=on_move on:mouseleave=move |_| set_hover.set(None)>
            {axes}
            {lines}
            {readout}
        </svg>
    }
}

/// One bar per latent dimension: the KL it carries (nats), with a marker at the active-unit
/// threshold.
#[component]
pub fn KlBars(#[prop(into)] kl: Signal<Vec<f64>>, threshold: f64) -> impl IntoView {
    view! {
        <svg class="chart bars" viewBox=format!("0 0 {WIDTH} {HEIGHT}") role="img" aria-label="KL divergence of each latent dimension">
            {move || {
                let values = kl.get();
                if values.is_empty() {
                    return view! { <text class="empty" x=WIDTH / 2.0 y=HEIGHT / 2.0>"after the first epoch"</text> }.into_any();
                }
                let max = values.iter().copied().fold(threshold, f64::max) * 1.1;
                let plot_w = WIDTH - LEFT - RIGHT;
                let plot_h = HEIGHT - TOP - BOTTOM;
                let slot = plot_w / values.len() as f64;
                let y = move |v: f64| TOP + plot_h * (1.0 - v / max);
                let bars = values
                    .iter()
                    .enumerate()
                    .map(|(i, &v)| {
                        let class = if v > threshold { "bar active" } else { "bar inactive" };
                        view! {
                            <rect class=class x=LEFT + i as f64 * slot + slot * 0.15 width=slot * 0.7 y=y(v) height=(TOP + plot_h - y(v)).max(0.0)>
                                <title>{format!("z{}: {v:.3} nats", i + 1)}</title>
                            </rect>
                            <text class="tick" x=LEFT + (i as f64 + 0.5) * slot y=HEIGHT - BOTTOM + 13.0 text-anchor="middle">{format!("{}", i + 1)}</text>
                        }
                    })
                    .collect_view();
                view! {
                    {labelled_ticks(0.0, max, 4, false).into_iter().map(|(t, label)| view! {
                        <line class="grid" x1=LEFT x2=WIDTH - RIGHT y1=y(t) y2=y(t)></line>
                        <text class="tick" x=LEFT - 4.0 y=y(t) + 3.0 text-anchor="end">{label}</text>
                    }).collect_view()}
                    {bars}
                    <text class="axis-label" x=(LEFT + WIDTH - RIGHT) / 2.0 y=HEIGHT - 4.0 text-anchor="middle">"latent dimension"</text>
                    <text class="axis-label" transform=format!("translate(11 {}) rotate(-90)", (TOP + HEIGHT - BOTTOM) / 2.0) text-anchor="middle">"KL (nats)"</text>
                }.into_any()
            }}
        </svg>
    }
}
