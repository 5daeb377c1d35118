//! Where a picture lands when it is fitted to a square, and which of its pixels each pixel of
//! the square averages ([`super::fit`]'s resampling): exact coverage along each axis, so a large
//! picture shrinks without aliasing and a small one grows in crisp blocks.

use super::fit::Fit;

/// A rectangle: `x, y` and its lengths, in source pixels (fractional) or target pixels.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct Span<T> {
    pub x: T,
    pub y: T,
    pub len_x: T,
    pub len_y: T,
}

/// Which part of the source goes where in the `side × side` square.
pub(super) fn placement(
    width: usize,
    height: usize,
    side: usize,
    fit: Fit,
) -> (Span<f64>, Span<usize>) {
    let (w, h) = (width as f64, height as f64);
    let whole = Span {
        x: 0.0,
        y: 0.0,
        len_x: w,
        len_y: h,
    };
    let full = Span {
        x: 0,
        y: 0,
        len_x: side,
        len_y: side,
    };
    match fit {
        Fit::Stretch => (whole, full),
        Fit::CentreCrop => {
            let s = w.min(h);
            let crop = Span {
                x: (w - s) / 2.0,
                y: (h - s) / 2.0,
                len_x: s,
                len_y: s,
            };
            (crop, full)
        }
        Fit::Pad => {
            let scale = side as f64 / w.max(h);
            let len_x = ((w * scale).round() as usize).clamp(1, side);
            let len_y = ((h * scale).round() as usize).clamp(1, side);
            let inner = Span {
                x: (side - len_x) / 2,
                y: (side - len_y) / 2,
                len_x,
                len_y,
            };
            (whole, inner)
        }
    }
}

/// For each of `count` target pixels, the source pixels under it and their weights (the share
/// of the target pixel each covers), along one axis: together they cover the source from
/// `start` to `start + len`.
pub(super) fn coverage(
    start: f64,
    len: f64,
    count: usize,
    source_len: usize,
) -> Vec<Vec<(usize, f32)>> {
    let step = len / count as f64;
    (0..count)
        .map(|t| {
            let (a, b) = (start + t as f64 * step, start + (t + 1) as f64 * step);
            let first = a.floor() as usize;
            let last = (b.ceil() as usize).min(source_len).max(first + 1);
            (first..last)
                .filter_map(|s| {
                    let overlap = (b.min(s as f64 + 1.0) - a.max(s as f64)).max(0.0);
                    (overlap > 0.0).then(|| (s.min(source_len - 1), (overlap / step) as f32))
                })
                .collect()
        })
        .collect()
}
