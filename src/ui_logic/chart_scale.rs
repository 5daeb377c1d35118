//! The arithmetic of the page's charts: smoothing a noisy curve, round tick values, their labels,
//! thinning a long line, and an axis domain that changes only now and then as a line grows.

/// Lines are drawn from at most this many points (evenly thinned).
pub const MAX_POINTS: usize = 600;

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

/// A value's label: thousands as "12k", whole numbers plainly, others to two decimals (for a
/// readout, where there are no neighbours to tell apart).
pub fn tick_label(v: f64) -> String {
    if v.abs() >= 1000.0 {
        format!("{:.0}k", v / 1000.0)
    } else if v.abs() >= 10.0 || (v - v.round()).abs() < 1e-9 {
        format!("{v:.0}")
    } else {
        format!("{v:.2}")
    }
}

/// `v` labelled as a tick `step` apart from its neighbours: just the decimals the step needs, so
/// neighbours never print alike (551.2, 551.4, not "551" five times), thousands as "12k" or
/// "12.5k" when the step is that coarse.
pub fn step_label(v: f64, step: f64) -> String {
    let decimals = |unit: f64| -> usize {
        let ratio = step / unit;
        if ratio >= 1.0 || ratio <= 0.0 || !ratio.is_finite() {
            0
        } else {
            ((-ratio.log10()).ceil() as usize).min(6)
        }
    };
    if v.abs() >= 1000.0 && step >= 100.0 {
        format!("{:.*}k", decimals(1000.0), v / 1000.0)
    } else {
        // Rounding first keeps "-0" off the axis.
        let d = decimals(1.0);
        let scale = 10f64.powi(d as i32);
        format!("{:.*}", d, (v * scale).round() / scale + 0.0)
    }
}

/// How many labelled ticks an axis `length` pixels long has room for, each label needing
/// `room` pixels: from 2 (the ends) to 6 (more is clutter).
pub fn ticks_that_fit(length: f64, room: f64) -> usize {
    (length / room).clamp(2.0, 6.0) as usize
}

/// [`ticks`] with their labels ([`step_label`]).
pub fn labelled_ticks(lo: f64, hi: f64, count: usize, whole: bool) -> Vec<(f64, String)> {
    let t = ticks(lo, hi, count, whole);
    let step = if t.len() >= 2 { t[1] - t[0] } else { 1.0 };
    t.into_iter().map(|v| (v, step_label(v, step))).collect()
}

/// At most about [`MAX_POINTS`] of `points`, evenly spaced, always with the last one.
pub fn thin(points: &[(f64, f64)]) -> Vec<(f64, f64)> {
    let every = points.len().div_ceil(MAX_POINTS).max(1);
    let mut out: Vec<_> = points.iter().step_by(every).copied().collect();
    if let (Some(last), Some(kept)) = (points.last(), out.last()) {
        if last != kept {
            out.push(*last);
        }
    }
    out
}

/// An SVG path drawing `points` as a sparkline `width × height` units: the x range stretched
/// across, the y range (larger values up) over the height; empty without two distinct x values.
pub fn sparkline_path(points: &[(f64, f64)], width: f64, height: f64) -> String {
    let finite: Vec<(f64, f64)> = points
        .iter()
        .copied()
        .filter(|(x, y)| x.is_finite() && y.is_finite())
        .collect();
    let (Some(first), Some(last)) = (finite.first(), finite.last()) else {
        return String::new();
    };
    let (x0, x1) = (first.0, last.0);
    if x1 <= x0 {
        return String::new();
    }
    let (y0, y1) = finite
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &(_, y)| {
            (lo.min(y), hi.max(y))
        });
    let span = (y1 - y0).max(1e-9);
    finite
        .iter()
        .enumerate()
        .map(|(i, &(x, y))| {
            format!(
                "{}{:.1},{:.1}",
                if i == 0 { "M" } else { "L" },
                (x - x0) / (x1 - x0) * width,
                (1.0 - (y - y0) / span) * height
            )
        })
        .collect()
}

/// The axes' domain: the data's extent widened to whole tick steps, so it (and the axes drawn
/// from it) changes only now and then while the lines grow.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Domain {
    pub x0: f64,
    pub x1: f64,
    pub y0: f64,
    pub y1: f64,
}

impl Domain {
    /// The domain of the finite `points`; `None` when there are none.
    pub fn of<'a>(points: impl Iterator<Item = &'a (f64, f64)>) -> Option<Self> {
        let (mut x0, mut x1, mut y0, mut y1) = (
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::INFINITY,
            f64::NEG_INFINITY,
        );
        for &(x, y) in points {
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
            // A single value (one epoch so far) gets room around it, so the axis is not a
            // sliver of rounding.
            let (lo, hi) = if hi > lo {
                (lo, hi)
            } else {
                let pad = (lo.abs() * 0.05).max(0.5);
                (lo - pad, lo + pad)
            };
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
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_narrow_axis_keeps_its_ends_and_a_wide_one_stops_at_six_ticks() {
        assert_eq!(super::ticks_that_fit(100.0, 80.0), 2);
        assert_eq!(super::ticks_that_fit(330.0, 80.0), 4);
        assert_eq!(super::ticks_that_fit(2000.0, 80.0), 6);
    }

    use super::*;

    #[test]
    fn ticks_are_round_numbers_and_whole_for_steps() {
        assert_eq!(
            ticks(0.0, 100.0, 5, false),
            vec![0.0, 20.0, 40.0, 60.0, 80.0, 100.0]
        );
        assert_eq!(
            ticks(1.0, 2.0, 5, true),
            vec![1.0, 2.0],
            "epochs 1 and 2, not 1.2, 1.4…"
        );
        let t = ticks(97.3, 203.9, 4, false);
        assert!(
            t.first().unwrap() >= &97.3 && t.last().unwrap() <= &203.9 && t.len() >= 3,
            "{t:?}"
        );
        assert_eq!(ticks(5.0, 5.0, 4, false), vec![5.0]);
        assert_eq!(ticks(f64::NAN, 1.0, 4, false).len(), 1);
    }

    #[test]
    fn smoothing_is_an_exponential_moving_average() {
        let s = smooth([(0.0, 10.0), (1.0, 0.0), (2.0, 0.0)].into_iter(), 0.5);
        assert_eq!(s, vec![(0.0, 10.0), (1.0, 5.0), (2.0, 2.5)]);
    }

    #[test]
    fn labels_are_short() {
        assert_eq!(tick_label(12_000.0), "12k");
        assert_eq!(tick_label(150.0), "150");
        assert_eq!(tick_label(2.0), "2");
        assert_eq!(tick_label(0.25), "0.25");
    }

    #[test]
    fn neighbouring_ticks_never_share_a_label() {
        for (lo, hi) in [
            (551.0, 552.0),
            (0.0, 0.003),
            (97.3, 203.9),
            (12_000.0, 13_000.0),
            (-1.0, 1.0),
            (0.0, 250_000.0),
        ] {
            let labels: Vec<String> = labelled_ticks(lo, hi, 4, false)
                .into_iter()
                .map(|(_, l)| l)
                .collect();
            let mut unique = labels.clone();
            unique.dedup();
            assert_eq!(unique, labels, "{lo}..{hi}: {labels:?}");
        }
        assert_eq!(step_label(551.2, 0.2), "551.2");
        assert_eq!(step_label(12_500.0, 500.0), "12.5k");
        assert_eq!(step_label(12_000.0, 1000.0), "12k");
        assert_eq!(step_label(-0.0001, 0.5), "0.0");
        assert_eq!(step_label(140.0, 20.0), "140");
    }

    #[test]
    fn a_sparkline_spans_its_box_with_larger_values_up() {
        let d = sparkline_path(&[(0.0, 10.0), (1.0, 5.0), (2.0, 0.0)], 100.0, 20.0);
        assert_eq!(d, "M0.0,0.0L50.0,10.0L100.0,20.0");
        assert_eq!(sparkline_path(&[(3.0, 1.0)], 100.0, 20.0), "");
        assert_eq!(sparkline_path(&[], 100.0, 20.0), "");
        let flat = sparkline_path(&[(0.0, 2.0), (1.0, 2.0)], 10.0, 4.0);
        assert_eq!(flat, "M0.0,4.0L10.0,4.0");
    }

    #[test]
    fn thinning_keeps_the_shape_and_the_last_point() {
        let points: Vec<(f64, f64)> = (0..1_801).map(|i| (i as f64, i as f64)).collect();
        let thinned = thin(&points);
        assert!(thinned.len() <= MAX_POINTS + 1, "{}", thinned.len());
        assert_eq!(thinned.first(), points.first());
        assert_eq!(thinned.last(), points.last());
        assert_eq!(thin(&points[..10]), points[..10].to_vec());
    }

    #[test]
    fn a_domain_covers_its_points_in_whole_tick_steps_and_skips_what_is_not_finite() {
        let points = [(1.0, 97.3), (37.0, 203.9), (2.0, f64::NAN)];
        let d = Domain::of(points.iter()).unwrap();
        assert!(d.x0 <= 1.0 && d.x1 >= 37.0, "{d:?}");
        assert!(d.y0 <= 97.3 && d.y1 >= 203.9, "{d:?}");
        assert_eq!(d.y0 % 50.0, 0.0, "{d:?}");
        let one = Domain::of([(1.0, 551.0)].iter()).unwrap();
        assert!(
            one.x0 <= 1.0 && one.x1 >= 1.0 && one.x1 - one.x0 >= 1.0,
            "{one:?}"
        );
        assert!(
            one.y0 < 540.0 && one.y1 > 560.0,
            "room around one value: {one:?}"
        );
        assert_eq!(Domain::of([].iter()), None);
    }
}
