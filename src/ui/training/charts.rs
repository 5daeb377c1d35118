//! Small SVG charts for the training curves: lines with labelled axes and a hover readout, and
//! bars for the KL of each latent dimension.

use leptos::prelude::*;

const WIDTH: f64 = 480.0;
const HEIGHT: f64 = 190.0;
const LEFT: f64 = 48.0;
const RIGHT: f64 = 12.0;
const TOP: f64 = 12.0;
const BOTTOM: f64 = 34.0;
/// Lines are drawn from at most this many points (evenly thinned).
const MAX_POINTS: usize = 600;

/// One line: its name, a CSS class for its colour, and its points.
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    pub name: &'static str,
    pub class: &'static str,
    pub points: Vec<(f64, f64)>,
}

/// Exponential moving average of `values`, the smoothing of the per-step loss curves.
pub fn smooth(values: impl Iterator<Item = (f64, f64)>, alpha: f64) -> Vec<(f64, f64)> {
    let mut ema = None;
    values
        .map(|(x, y)| {
            let next = match ema {
                None => y,
                Some(prev) => prev + alpha * (y - prev),
            };
            ema = Some(next);
            (x, next)
        })
        .collect()
}

/// "Nice" tick positions covering [lo, hi]: steps of 1, 2 or 5 × 10^k, about `count` of them
/// (whole numbers only when `whole` is set, as for steps and epochs).
pub fn ticks(lo: f64, hi: f64, count: usize, whole: bool) -> Vec<f64> {
    if !(lo.is_finite() && hi.is_finite()) || hi <= lo {
        return vec![lo];
    }
    let raw = (hi - lo) / count.max(1) as f64;
    let raw = if whole { raw.max(1.0) } else { raw };
    let magnitude = 10f64.powf(raw.log10().floor());
    let step = [1.0, 2.0, 5.0, 10.0]
        .iter()
        .map(|m| m * magnitude)
        .find(|s| *s >= raw)
        .unwrap_or(10.0 * magnitude);
    let first = (lo / step).ceil() * step;
    (0..=count * 2 + 2)
        .map(|i| first + i as f64 * step)
        .take_while(|t| *t <= hi + step * 1e-9)
        .collect()
}

fn label(v: f64) -> String {
    if v.abs() >= 1000.0 {
        format!("{:.0}k", v / 1000.0)
    } else if v.abs() >= 10.0 || (v - v.round()).abs() < 1e-9 {
        format!("{v:.0}")
    } else {
        format!("{v:.2}")
    }
}

fn thin(points: &[(f64, f64)]) -> Vec<(f64, f64)> {
    let every = points.len().div_ceil(MAX_POINTS).max(1);
    let mut out: Vec<_> = points.iter().step_by(every).copied().collect();
    if let (Some(last), Some(kept)) = (points.last(), out.last()) {
        if last != kept {
            out.push(*last);
        }
    }
    out
}

/// The axes' domain: the data's extent widened to whole tick steps, so it (and the axes drawn
/// from it) changes only now and then while the lines grow.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Domain {
    x0: f64,
    x1: f64,
    y0: f64,
    y1: f64,
}

impl Domain {
    fn of(series: &[Series]) -> Option<Self> {
        let (mut x0, mut x1, mut y0, mut y1) = (
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::INFINITY,
            f64::NEG_INFINITY,
        );
        for &(x, y) in series.iter().flat_map(|s| s.points.iter()) {
            if x.is_finite() && y.is_finite() {
                x0 = x0.min(x);
                x1 = x1.max(x);
                y0 = y0.min(y);
                y1 = y1.max(y);
            }
        }
        if x0 > x1 {
            return None;
        }
        let widen = |lo: f64, hi: f64, whole: bool| {
            let hi = if hi > lo { hi } else { lo + 1.0 };
            let t = ticks(lo, hi, 4, whole);
            let step = if t.len() >= 2 {
                t[1] - t[0]
            } else {
                (hi - lo).max(1.0)
            };
            ((lo / step).floor() * step, (hi / step).ceil() * step)
        };
        let (x0, x1) = widen(x0, x1, true);
        let (y0, y1) = widen(y0, y1, false);
        Some(Self { x0, x1, y0, y1 })
    }

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
    let domain = Memo::new(move |_| series.with(|all| Domain::of(all)));

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
                {ticks(d.y0, d.y1, 4, false).into_iter().map(|t| view! {
                    <line class="grid" x1=LEFT x2=WIDTH - RIGHT y1=d.sy(t) y2=d.sy(t)></line>
                    <text class="tick" x=LEFT - 4.0 y=d.sy(t) + 3.0 text-anchor="end">{label(t)}</text>
                }).collect_view()}
                {ticks(d.x0, d.x1, 5, true).into_iter().map(|t| view! {
                    <text class="tick" x=d.sx(t) y=HEIGHT - BOTTOM + 13.0 text-anchor="middle">{label(t)}</text>
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
        let text = format!("{x_label} {}: {}", label(x.round()), readings.join(" · "));
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
                    {ticks(0.0, max, 4, false).into_iter().map(|t| view! {
                        <line class="grid" x1=LEFT x2=WIDTH - RIGHT y1=y(t) y2=y(t)></line>
                        <text class="tick" x=LEFT - 4.0 y=y(t) + 3.0 text-anchor="end">{label(t)}</text>
                    }).collect_view()}
                    {bars}
                    <text class="axis-label" x=(LEFT + WIDTH - RIGHT) / 2.0 y=HEIGHT - 4.0 text-anchor="middle">"latent dimension"</text>
                    <text class="axis-label" transform=format!("translate(11 {}) rotate(-90)", (TOP + HEIGHT - BOTTOM) / 2.0) text-anchor="middle">"KL (nats)"</text>
                }.into_any()
            }}
        </svg>
    }
}
