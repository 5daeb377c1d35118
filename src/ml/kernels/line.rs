//! A layer after a ReLU, evaluated at points along a line (`PackedMlp::forward_line`, the rows
//! of the manifold's sheet).
//!
//! Along a line each hidden unit's input is `c + t·s`, so the layer's output at `t` is
//! `bias + A + t·B`, with `A` and `B` the sums of `c·W[k, ..]` and `s·W[k, ..]` over the units on.
//! Taking the points in the order of `t`, each unit turns on or off at most once, and only the
//! units that turn change `A` and `B`. This kernel keeps `A` and `B` for 16 columns in eight SIMD
//! registers while it walks every point: each turning unit's row of the panel is read once for
//! both, and nothing else is written but the outputs. (The same sums through
//! [`super::sparse::sparse_times_dense`], two rows a point, took 2.08 ms natively for a 10×10
//! sheet of the MLP-VAE z=16 against this kernel's 1.46: a sparse product's row-by-row walk
//! costs more than these few non-zeros a row.)

use super::lanes::F4;
use super::panels::{Panels, PANEL};

/// The units that turn at each point of a line, in the order of its points: unit `k` adds
/// `a·W[k, ..]` to `A` and `b·W[k, ..]` to `B` (`c` and `s` when it turns on, `−c` and `−s` when
/// it turns off).
#[derive(Debug)]
pub struct Turns {
    /// Point `j`'s turns are `units[starts[j]..starts[j + 1]]` (and the same in `a`, `b`).
    starts: Vec<usize>,
    units: Vec<u32>,
    a: Vec<f32>,
    b: Vec<f32>,
}

impl Turns {
    pub fn new() -> Self {
        Turns {
            starts: vec![0],
            units: Vec::new(),
            a: Vec::new(),
            b: Vec::new(),
        }
    }

    /// Unit `k` turns at the point being listed.
    pub fn turn(&mut self, k: usize, a: f32, b: f32) {
        debug_assert!(u32::try_from(k).is_ok(), "unit {k}");
        self.units.push(k as u32);
        self.a.push(a);
        self.b.push(b);
    }

    /// The point being listed is complete; the next turns are the next point's.
    pub fn next_point(&mut self) {
        self.starts.push(self.units.len());
    }

    /// Points listed.
    pub fn points(&self) -> usize {
        self.starts.len() - 1
    }
}

/// For each point `j` listed in `turns` (in the order of `t`), with `ts[j]` its `t` and
/// `rows[j]` its row of the row-major `out` (rows of `n` values): applies the point's turns to
/// `A` and `B`, then writes `bias + A + ts[j]·B`. `w` is `k × n` (the layer's `Wᵀ`), `bias` has
/// `n` values.
pub fn along_line(
    turns: &Turns,
    ts: &[f32],
    rows: &[usize],
    w: &Panels,
    bias: &[f32],
    out: &mut [f32],
) {
    let (k, n) = w.shape();
    let points = turns.points();
    assert!(
        ts.len() == points && rows.len() == points && bias.len() == n,
        "{points} points, {} t, {} rows, {} biases for {n} columns",
        ts.len(),
        rows.len(),
        bias.len()
    );
    assert!(
        turns.units.iter().all(|&u| (u as usize) < k),
        "a unit past the {k} rows of W"
    );
    assert!(
        rows.iter().all(|&r| (r + 1) * n <= out.len()),
        "a row past the {} values of the output",
        out.len()
    );
    for q in 0..w.count() {
        let j0 = q * PANEL;
        let width = PANEL.min(n - j0);
        let panel = w.panel(q);
        let mut start = [0.0; PANEL];
        start[..width].copy_from_slice(&bias[j0..j0 + width]);
        // SAFETY: `start` holds 16 values.
        let mut a = unsafe { quad(start.as_ptr()) };
        let mut b = [F4::splat(0.0); 4];
        for (point, (&t, &row)) in ts.iter().zip(rows).enumerate() {
            let span = turns.starts[point]..turns.starts[point + 1];
            for ((&unit, &da), &db) in turns.units[span.clone()]
                .iter()
                .zip(&turns.a[span.clone()])
                .zip(&turns.b[span])
            {
                // SAFETY: `unit < k` (checked above), and a panel holds `k` rows of 16 values.
                let r = unsafe { quad(panel.as_ptr().add(unit as usize * PANEL)) };
                let (da, db) = (F4::splat(da), F4::splat(db));
                for i in 0..4 {
                    a[i] = a[i].mul_add(da, r[i]);
                    b[i] = b[i].mul_add(db, r[i]);
                }
            }
            let t = F4::splat(t);
            let mut values = [0.0; PANEL];
            for i in 0..4 {
                // SAFETY: `values` holds 16 values, four at `4i`.
                unsafe { a[i].mul_add(t, b[i]).store(values.as_mut_ptr().add(4 * i)) };
            }
            out[row * n + j0..row * n + j0 + width].copy_from_slice(&values[..width]);
        }
    }
}

/// Sixteen values as four lanes.
///
/// # Safety
/// `p` must point at 16 readable f32.
#[inline(always)]
unsafe fn quad(p: *const f32) -> [F4; 4] {
    // SAFETY: the caller's contract: 16 readable values.
    unsafe {
        [
            F4::load(p),
            F4::load(p.add(4)),
            F4::load(p.add(8)),
            F4::load(p.add(12)),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ml::rng::Rng;

    #[test]
    fn each_point_gets_the_bias_and_the_sums_of_the_turns_so_far() {
        let mut rng = Rng::new(3);
        // 37 columns: two whole panels and a partial one.
        let (k, n) = (5, 37);
        let w = rng.normal_vec(k * n);
        let bias = rng.normal_vec(n);
        let mut turns = Turns::new();
        turns.turn(1, 0.5, -2.0);
        turns.turn(4, 1.5, 0.25);
        turns.next_point();
        turns.next_point(); // nothing turns at the second point
        turns.turn(1, -0.5, 2.0);
        turns.next_point();
        let (ts, rows) = ([-1.0, 0.5, 2.0], [2, 0, 1]);
        let mut out = vec![f32::NAN; 3 * n];
        along_line(
            &turns,
            &ts,
            &rows,
            &Panels::from_rows(&w, k, n),
            &bias,
            &mut out,
        );
        for j in 0..n {
            let (w1, w4) = (w[n + j], w[4 * n + j]);
            let both = |t: f32| bias[j] + (0.5 + t * -2.0) * w1 + (1.5 + t * 0.25) * w4;
            let expected = [both(0.5), bias[j] + (1.5 + 2.0 * 0.25) * w4, both(-1.0)];
            for (row, e) in expected.into_iter().enumerate() {
                let got = out[row * n + j];
                assert!(
                    (got - e).abs() < 1e-5,
                    "row {row}, column {j}: {got} against {e}"
                );
            }
        }
    }
}
