//! A layer after a ReLU, evaluated at the points of a sheet: rows that are lines going one way,
//! whose first points lie on one line, the sheet's column (the manifold's sheet,
//! `PackedMlp::forward_sheet`). A single line is a sheet of one row.
//!
//! Along a row each hidden unit's input is `c + t·s`, so the layer's output at `t` is
//! `bias + A + t·B`, with `A` and `B` the sums of `c·W[k, ..]` and `s·W[k, ..]` over the units on.
//! Taking the points in the order of `t`, each unit turns on or off at most once, and only the
//! units that turn change `A` and `B`. Down the column it is the same, with a third sum: the
//! column's own `c'` and `s'` give the output at each row's first point, and the rows' `s` gives
//! that row's `B` there, so no row has to add up the units already on at its first point.
//!
//! The kernel walks the whole sheet, column and rows, one 16-column panel of `W` at a time, its
//! sums in SIMD registers: each turning unit's row of the panel is read once for all its sums,
//! and the panel (400 rows of 64 bytes for the MLPs' hidden layer) stays in L1 for the whole
//! sheet. (A row at a time, the sheet's rows each read the whole 1.25 MB `W₂ᵀ` from beyond L2
//! again: natively the loads of the panel's rows were a third of the kernel's time, and
//! skipping a row's first sums saved nothing. Before that, the same sums through
//! [`super::sparse::sparse_times_dense`], two rows a point, took 2.08 ms for a 10×10 sheet of
//! the MLP-VAE z=16 against a line kernel's 1.46.)

use super::lanes::F4;
use super::panels::{Panels, PANEL};

/// The units that turn at each point of a line, in the order of its points: unit `k` adds its
/// `N` coefficients times `W[k, ..]` to the `N` sums (`c`, `s`, … when it turns on, their
/// negatives when it turns off).
#[derive(Debug)]
pub struct Turns<const N: usize> {
    /// Point `j`'s turns are `units[starts[j]..starts[j + 1]]` (and the same in `coefficients`).
    starts: Vec<usize>,
    units: Vec<u32>,
    coefficients: Vec<[f32; N]>,
}

impl<const N: usize> Turns<N> {
    pub fn new() -> Self {
        Turns {
            starts: vec![0],
            units: Vec::new(),
            coefficients: Vec::new(),
        }
    }

    /// Unit `k` turns at the point being listed.
    pub fn turn(&mut self, k: usize, coefficients: [f32; N]) {
        debug_assert!(u32::try_from(k).is_ok(), "unit {k}");
        self.units.push(k as u32);
        self.coefficients.push(coefficients);
    }

    /// The point being listed is complete; the next turns are the next point's.
    pub fn next_point(&mut self) {
        self.starts.push(self.units.len());
    }

    /// Points listed.
    fn points(&self) -> usize {
        self.starts.len() - 1
    }

    /// Point `j`'s turns.
    fn at(&self, j: usize) -> impl Iterator<Item = (usize, [f32; N])> + '_ {
        let span = self.starts[j]..self.starts[j + 1];
        self.units[span.clone()]
            .iter()
            .map(|&u| u as usize)
            .zip(self.coefficients[span].iter().copied())
    }

    /// Every unit turning is below `k`.
    fn within(&self, k: usize) -> bool {
        self.units.iter().all(|&u| (u as usize) < k)
    }
}

impl<const N: usize> Default for Turns<N> {
    fn default() -> Self {
        Self::new()
    }
}

/// One row of a sheet: the turns at its points in the order of `t` (each unit's `c` and `s`
/// along the row), counted from the units on at its first point as the column found them;
/// those `t`; and the row of the output each point goes to.
#[derive(Debug)]
pub struct SheetRow {
    pub turns: Turns<2>,
    pub ts: Vec<f32>,
    pub out_rows: Vec<usize>,
}

/// Writes `bias + A + t·B` at every point of a sheet into the row-major `out` (rows of `n`
/// values). `w` is `k × n` (the layer's `Wᵀ`), `bias` has `n` values. `column` lists the turns
/// down the column, one point a row (each unit's `c'` and `s'` along the column and its `s`
/// along the rows), `column_ts` the column's `t` at each row's first point, and `rows` the rows
/// in that order.
pub fn along_sheet(
    column: &Turns<3>,
    column_ts: &[f32],
    rows: &[SheetRow],
    w: &Panels,
    bias: &[f32],
    out: &mut [f32],
) {
    let (k, n) = w.shape();
    assert!(
        column.points() == rows.len() && column_ts.len() == rows.len() && bias.len() == n,
        "{} column points and {} t for {} rows, {} biases for {n} columns",
        column.points(),
        column_ts.len(),
        rows.len(),
        bias.len()
    );
    assert!(
        column.within(k) && rows.iter().all(|r| r.turns.within(k)),
        "a unit past the {k} rows of W"
    );
    for row in rows {
        assert!(
            row.turns.points() == row.ts.len() && row.out_rows.len() == row.ts.len(),
            "{} points, {} t, {} output rows",
            row.turns.points(),
            row.ts.len(),
            row.out_rows.len()
        );
        assert!(
            row.out_rows.iter().all(|&r| (r + 1) * n <= out.len()),
            "a row past the {} values of the output",
            out.len()
        );
    }
    for q in 0..w.count() {
        let j0 = q * PANEL;
        let width = PANEL.min(n - j0);
        let panel = w.panel(q);
        let line = |unit: usize| {
            // SAFETY: every unit turning is below `k` (checked above), and a panel holds `k`
            // rows of 16 values.
            unsafe { quad(panel.as_ptr().add(unit * PANEL)) }
        };
        // Down the column: the output at the column's `t' = 0` (the bias included), its slope
        // along the column, and the rows' `B`.
        let mut value = padded(&bias[j0..j0 + width]);
        let (mut down, mut across) = ([F4::splat(0.0); 4], [F4::splat(0.0); 4]);
        for (i, row) in rows.iter().enumerate() {
            for (unit, [c, s, along]) in column.at(i) {
                let r = line(unit);
                let (c, s, along) = (F4::splat(c), F4::splat(s), F4::splat(along));
                for l in 0..4 {
                    value[l] = value[l].mul_add(c, r[l]);
                    down[l] = down[l].mul_add(s, r[l]);
                    across[l] = across[l].mul_add(along, r[l]);
                }
            }
            let Some(&first) = row.ts.first() else {
                continue;
            };
            // `bias + A` of this row (at its `t = 0`): the output at its first point, which is
            // the column's at `column_ts[i]`, less `first·B` there.
            let (tc, first) = (F4::splat(column_ts[i]), F4::splat(-first));
            let mut a = [F4::splat(0.0); 4];
            let mut b = across;
            for l in 0..4 {
                a[l] = value[l].mul_add(tc, down[l]).mul_add(first, across[l]);
            }
            for (j, (&t, &out_row)) in row.ts.iter().zip(&row.out_rows).enumerate() {
                for (unit, [c, s]) in row.turns.at(j) {
                    let r = line(unit);
                    let (c, s) = (F4::splat(c), F4::splat(s));
                    for l in 0..4 {
                        a[l] = a[l].mul_add(c, r[l]);
                        b[l] = b[l].mul_add(s, r[l]);
                    }
                }
                let t = F4::splat(t);
                let mut values = [0.0; PANEL];
                for l in 0..4 {
                    // SAFETY: `values` holds 16 values, four at `4l`.
                    unsafe { a[l].mul_add(t, b[l]).store(values.as_mut_ptr().add(4 * l)) };
                }
                out[out_row * n + j0..out_row * n + j0 + width].copy_from_slice(&values[..width]);
            }
        }
    }
}

/// Up to 16 values as four lanes, zeros after them.
fn padded(values: &[f32]) -> [F4; 4] {
    let mut all = [0.0; PANEL];
    all[..values.len()].copy_from_slice(values);
    // SAFETY: `all` holds 16 values.
    unsafe { quad(all.as_ptr()) }
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
    fn each_point_gets_the_sums_of_the_units_turned_down_the_column_and_along_its_row() {
        let mut rng = Rng::new(3);
        // 37 columns: two whole panels and a partial one.
        let (k, n) = (5, 37);
        let w = rng.normal_vec(k * n);
        let bias = rng.normal_vec(n);
        // Down the column: unit 2 on at the first row, unit 3 too at the second.
        let mut column = Turns::new();
        column.turn(2, [0.5, 1.0, -1.5]);
        column.next_point();
        column.turn(3, [-2.0, 0.25, 0.75]);
        column.next_point();
        // The first row: unit 1 and 4 turn on at its first point (t = −1), nothing at its
        // second, unit 1 off at its third; it goes to output rows 2, 0, 1.
        let mut first = Turns::new();
        first.turn(1, [0.5, -2.0]);
        first.turn(4, [1.5, 0.25]);
        first.next_point();
        first.next_point();
        first.turn(1, [-0.5, 2.0]);
        first.next_point();
        // The second: unit 2 off at its only point (t = 0.5), output row 3.
        let mut second = Turns::new();
        second.turn(2, [-0.25, 1.5]);
        second.next_point();
        let rows = [
            SheetRow {
                turns: first,
                ts: vec![-1.0, 0.5, 2.0],
                out_rows: vec![2, 0, 1],
            },
            SheetRow {
                turns: second,
                ts: vec![0.5],
                out_rows: vec![3],
            },
        ];
        let column_ts = [0.2, -0.4];
        let mut out = vec![f32::NAN; 4 * n];
        along_sheet(
            &column,
            &column_ts,
            &rows,
            &Panels::from_rows(&w, k, n),
            &bias,
            &mut out,
        );
        for j in 0..n {
            let wk = |unit: usize| w[unit * n + j];
            // Row 1 starts at the column's t' = 0.2 with unit 2 on: the output there is
            // (0.5 + 0.2·1)·w₂, and its slope along the row −1.5·w₂.
            let start = |t: f32| bias[j] + (0.5 + 0.2 * 1.0) * wk(2) + (t - -1.0) * -1.5 * wk(2);
            let both = |t: f32| start(t) + (0.5 + t * -2.0) * wk(1) + (1.5 + t * 0.25) * wk(4);
            // Row 2 starts at t' = −0.4 with units 2 and 3 on, at t = 0.5, and unit 2 turns
            // off there, `c + t·s` of its own row.
            let second = bias[j]
                + (0.5 + -0.4 * 1.0) * wk(2)
                + (-2.0 + -0.4 * 0.25) * wk(3)
                + (-0.25 + 0.5 * 1.5) * wk(2);
            let expected = [
                (0, both(0.5)),
                (1, start(2.0) + (1.5 + 2.0 * 0.25) * wk(4)),
                (2, both(-1.0)),
                (3, second),
            ];
            for (row, e) in expected {
                let got = out[row * n + j];
                assert!(
                    (got - e).abs() < 1e-5,
                    "row {row}, column {j}: {got} against {e}"
                );
            }
        }
    }
}
