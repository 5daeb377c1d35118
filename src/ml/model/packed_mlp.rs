//! Two fully connected layers with a ReLU between, their weights packed once: the shape of both
//! MLP halves the page runs on every frame or for a whole set ([`super::PackedDecoder`],
//! [`super::PackedEncoder`]).
//!
//! The weights are transposed and cut into panels once ([`Panels`]) instead of on every
//! product, and each layer skips what is zero in its input: pictures are mostly background, and
//! about half of a ReLU's outputs are zero. No tensor is allocated; many rows are the same loop
//! run for each, while a block of each panel stays in L1. Codes on a line (a row of a sheet)
//! can go through the decoder together, following which hidden units turn on or off
//! ([`PackedMlp::forward_line`]).

use candle_core::{Result, Tensor};

use super::packed_decoder::Line;
use crate::ml::fastmath::relu_in_place;
use crate::ml::kernels::line::{along_line, Turns};
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
    ///
    /// Along a line each hidden unit's input is `c + t·s` (`c = W₁·origin + b₁`,
    /// `s = W₁·direction`), so the unit turns on or off at most once. The output at `t` is then
    /// `b₂ + A + t·B`, where `A` and `B` add up the `c` and the `s` of the units that are on,
    /// each times its row of `W₂ᵀ`; from one point to the next (in the order of `t`) only the
    /// units that turned on or off change `A` and `B` ([`along_line`]). A 10-code row of the
    /// pretrained MLP-VAE z=16's sheet has ~236 of its 400 units on at its first code and ~90
    /// turning after it: 326 rows of `W₂ᵀ` read (each for both sums), where the ten codes one
    /// by one read ~2,360.
    pub(crate) fn forward_line(&self, line: Line) -> Result<Vec<f32>> {
        let Line {
            origin,
            direction,
            ts,
        } = line;
        if origin.len() != self.inputs || direction.len() != self.inputs {
            candle_core::bail!(
                "a line of codes of {} values needs an origin and a direction of that size, got {} and {}",
                self.inputs,
                origin.len(),
                direction.len()
            )
        }
        let (count, hidden, outputs) = (ts.len(), self.hidden, self.outputs);
        let mut ends = self.first_bias.clone();
        ends.resize(2 * hidden, 0.0);
        sparse_times_dense(
            &SparseRows::from_rows(&[origin, direction].concat(), 2, self.inputs),
            &self.first,
            &mut ends,
        );
        let (c, s) = ends.split_at(hidden);

        let mut order: Vec<usize> = (0..count).collect();
        order.sort_by(|&a, &b| ts[a].total_cmp(&ts[b]));
        let mut turns = Turns::new();
        let mut on = vec![false; hidden];
        for &i in &order {
            for (k, on) in on.iter_mut().enumerate() {
                let now = c[k] + ts[i] * s[k] > 0.0;
                if now != *on {
                    let sign = if now { 1.0 } else { -1.0 };
                    turns.turn(k, sign * c[k], sign * s[k]);
                    *on = now;
                }
            }
            turns.next_point();
        }
        let sorted: Vec<f32> = order.iter().map(|&i| ts[i]).collect();
        let mut out = vec![0.0; count * outputs];
        along_line(
            &turns,
            &sorted,
            &order,
            &self.second,
            &self.second_bias,
            &mut out,
        );
        Ok(out)
    }
}
