//! Two fully connected layers with a ReLU between, their weights packed once: the shape of both
//! MLP halves the page runs on every frame or for a whole set ([`super::PackedDecoder`],
//! [`super::PackedEncoder`]).
//!
//! The weights are transposed and cut into panels once ([`Panels`]) instead of on every
//! product, and each layer skips what is zero in its input: pictures are mostly background, and
//! about half of a ReLU's outputs are zero. No tensor is allocated; many rows are the same loop
//! run for each, while a block of each panel stays in L1. Codes on a line (a row of a sheet)
//! can go through the decoder together, following which hidden units turn on or off, and so
//! can a whole sheet of such rows ([`PackedMlp::forward_sheet`]).

use candle_core::{Result, Tensor};

use super::line::Line;
use crate::ml::fastmath::relu_in_place;
use crate::ml::kernels::line::{along_sheet, SheetRow, Turns};
use crate::ml::kernels::sparse::{sparse_times_dense, Panels, SparseRows};

/// x → ReLU(x·W₁ᵀ + b₁)·W₂ᵀ + b₂, from packed copies of the four parameters.
#[derive(Debug, Clone)]
pub(crate) struct PackedMlp {
    inputs: usize,
    hidden: usize,
    outputs: usize,
    /// `W₁ᵀ`, inputs × hidden.
    first: Panels,
    first_bias: Vec<f32>,
    /// `W₂ᵀ`, hidden × outputs.
    second: Panels,
    second_bias: Vec<f32>,
}

impl PackedMlp {
    /// From `[W₁, b₁, W₂, b₂]`, the weights as candle's `Linear` holds them (out × in).
    pub(crate) fn new([w1, b1, w2, b2]: [&Tensor; 4]) -> Result<Self> {
        let (hidden, inputs) = w1.dims2()?;
        let (outputs, _) = w2.dims2()?;
        let w1 = w1.flatten_all()?.to_vec1::<f32>()?;
        let w2 = w2.flatten_all()?.to_vec1::<f32>()?;
        Ok(Self {
            inputs,
            hidden,
            outputs,
            first: Panels::from_transposed(&w1, hidden, inputs),
            first_bias: b1.to_vec1()?,
            second: Panels::from_transposed(&w2, outputs, hidden),
            second_bias: b2.to_vec1()?,
        })
    }

    pub(crate) fn inputs(&self) -> usize {
        self.inputs
    }

    pub(crate) fn outputs(&self) -> usize {
        self.outputs
    }

    /// The outputs (before any final activation) of `count` rows laid end to end in `x`;
    /// `what` names a row in the error for input of the wrong size ("codes", "images").
    pub(crate) fn forward(&self, x: &[f32], count: usize, what: &str) -> Result<Vec<f32>> {
        if x.len() != count * self.inputs {
            candle_core::bail!(
                "{count} {what} of {} values need {} values, got {}",
                self.inputs,
                count * self.inputs,
                x.len()
            )
        }
        let mut hidden = self.first_bias.repeat(count);
        sparse_times_dense(
            &SparseRows::from_rows(x, count, self.inputs),
            &self.first,
            &mut hidden,
        );
        relu_in_place(&mut hidden);
        let mut out = self.second_bias.repeat(count);
        sparse_times_dense(
            &SparseRows::from_rows(&hidden, count, self.hidden),
            &self.second,
            &mut out,
        );
        Ok(out)
    }

    /// The outputs at the points of `line`, laid end to end in the order of its `ts`: the
    /// values [`Self::forward`] gives for those rows, up to rounding, for a fraction of the work.
    /// A sheet of one row ([`Self::forward_sheet`]), whose column is its first point.
    pub(crate) fn forward_line(&self, line: Line) -> Vec<f32> {
        let Some(first) = line.ts.iter().copied().min_by(f32::total_cmp) else {
            return Vec::new();
        };
        let at_first = line.point(first);
        let column = Line {
            origin: &at_first,
            direction: &vec![0.0; self.inputs],
            ts: &[0.0],
        };
        self.forward_sheet(column, line.direction, &[line])
    }

    /// The outputs at the points of a sheet's rows, laid end to end row after row, each row's
    /// in the order of its `ts`: the values [`Self::forward`] gives for those codes, up to
    /// rounding, for a fraction of the work. The rows go the way of `direction`, and row `r`'s
    /// first point (its smallest `t`) is the point of `column` at `column.ts[r]`, as
    /// `PackedDecoder::decode_sheet` checks; the lines' sizes are asserted.
    ///
    /// Along a row each hidden unit's input is `c + t·s` (`c = W₁·origin + b₁`,
    /// `s = W₁·direction`), so the unit turns on or off at most once. The output at `t` is then
    /// `b₂ + A + t·B`, where `A` and `B` add up the `c` and the `s` of the units that are on,
    /// each times its row of `W₂ᵀ`; from one point to the next (in the order of `t`) only the
    /// units that turned on or off change `A` and `B`. Down the column the same walk gives each
    /// row's `A` and `B` at its first point ([`along_sheet`]). A 10-code row of the pretrained
    /// MLP-VAE z=16's sheet has ~236 of its 400 units on at its first code and ~90 turning
    /// after it: the walk reads ~90 rows of `W₂ᵀ` a row of the sheet (and ~330 once, down the
    /// column), where the ten codes one by one read ~2,360.
    pub(crate) fn forward_sheet(&self, column: Line, direction: &[f32], rows: &[Line]) -> Vec<f32> {
        assert_eq!(column.ts.len(), rows.len(), "a point of the column a row");
        let c = self.first_layer(column.origin, true);
        let s = self.first_layer(column.direction, false);
        let slopes = self.first_layer(direction, false);
        let offsets: Vec<usize> = rows
            .iter()
            .scan(0, |next, row| {
                let at = *next;
                *next += row.ts.len();
                Some(at)
            })
            .collect();
        let mut units = Units::off(self.hidden);
        let mut down = Turns::new();
        let (mut column_ts, mut sheet_rows) = (Vec::new(), Vec::new());
        for i in ascending(column.ts) {
            let t = column.ts[i];
            units.turn_at(&c, &s, t, |k, sign| {
                down.turn(k, [sign * c[k], sign * s[k], sign * slopes[k]]);
            });
            down.next_point();
            column_ts.push(t);
            sheet_rows.push(row_turns(
                rows[i],
                self.first_layer(rows[i].origin, true),
                &slopes,
                &units,
                offsets[i],
            ));
        }
        let count = rows.iter().map(|row| row.ts.len()).sum::<usize>();
        let mut out = vec![0.0; count * self.outputs];
        along_sheet(
            &down,
            &column_ts,
            &sheet_rows,
            &self.second,
            &self.second_bias,
            &mut out,
        );
        out
    }

    /// `W₁·x`, and `b₁` added when `bias`.
    fn first_layer(&self, x: &[f32], bias: bool) -> Vec<f32> {
        assert_eq!(x.len(), self.inputs, "a code of {} values", self.inputs);
        let mut out = if bias {
            self.first_bias.clone()
        } else {
            vec![0.0; self.hidden]
        };
        sparse_times_dense(
            &SparseRows::from_rows(x, 1, self.inputs),
            &self.first,
            &mut out,
        );
        out
    }
}

/// A row of a sheet as [`along_sheet`] takes it: its turns (each unit's input `c + t·slope`)
/// counted from the units `on` at its first point, and its points' output rows from `offset`.
fn row_turns(row: Line, c: Vec<f32>, slopes: &[f32], on: &Units, offset: usize) -> SheetRow {
    let order = ascending(row.ts);
    let mut units = on.clone();
    let mut turns = Turns::new();
    for &i in &order {
        units.turn_at(&c, slopes, row.ts[i], |k, sign| {
            turns.turn(k, [sign * c[k], sign * slopes[k]]);
        });
        turns.next_point();
    }
    SheetRow {
        turns,
        ts: order.iter().map(|&i| row.ts[i]).collect(),
        out_rows: order.iter().map(|&i| offset + i).collect(),
    }
}

/// Which hidden units are on, as a walk along a line finds them.
#[derive(Debug, Clone)]
struct Units {
    on: Vec<bool>,
    /// Scratch: the signs at the point being looked at.
    now: Vec<bool>,
}

impl Units {
    fn off(hidden: usize) -> Self {
        Self {
            on: vec![false; hidden],
            now: vec![false; hidden],
        }
    }

    /// Moves to the point `t` of the line where unit `k`'s input is `c[k] + t·s[k]`: calls
    /// `turn(k, ±1)` for each unit that turns on (+1) or off (−1) there, in the order of `k`.
    /// The signs are taken for all units first, without a branch (the compiler makes the loop
    /// SIMD), and only blocks of 16 with a change are looked at one by one: a row's point turns
    /// a few dozen of 400 units.
    fn turn_at(&mut self, c: &[f32], s: &[f32], t: f32, mut turn: impl FnMut(usize, f32)) {
        for ((now, &c), &s) in self.now.iter_mut().zip(c).zip(s) {
            *now = c + t * s > 0.0;
        }
        const BLOCK: usize = 16;
        for (b, (on, now)) in self
            .on
            .chunks_mut(BLOCK)
            .zip(self.now.chunks(BLOCK))
            .enumerate()
        {
            if on == now {
                continue;
            }
            for (i, (on, &now)) in on.iter_mut().zip(now).enumerate() {
                if *on != now {
                    turn(b * BLOCK + i, if now { 1.0 } else { -1.0 });
                    *on = now;
                }
            }
        }
    }
}

/// The indices of `ts` in ascending order of their values.
fn ascending(ts: &[f32]) -> Vec<usize> {
    let mut order: Vec<usize> = (0..ts.len()).collect();
    order.sort_by(|&a, &b| ts[a].total_cmp(&ts[b]));
    order
}
