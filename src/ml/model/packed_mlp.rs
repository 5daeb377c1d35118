//! Two fully connected layers with a ReLU between, their weights packed once: the shape of both
//! MLP halves the page runs on every frame or for a whole set ([`super::PackedDecoder`],
//! [`super::PackedEncoder`]).
//!
//! The weights are transposed and cut into panels once ([`Panels`]) instead of on every
//! product, and each layer skips what is zero in its input: pictures are mostly background, and
//! about half of a ReLU's outputs are zero. No tensor is allocated; many rows are the same loop
//! run for each, while a block of each panel stays in L1.

use candle_core::{Result, Tensor};

use crate::ml::fastmath::relu_in_place;
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
}
