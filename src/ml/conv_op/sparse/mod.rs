//! The wasm path of both convolution layers, each as one differentiable op that skips zeros
//! ([`ConvDown`], [`DeconvUp`]).
//!
//! Built from candle ops (patch matrix, product, transposes, bias) a layer left a chain of
//! intermediate tensors, and candle's backward pass gives each of them a zeroed gradient before
//! adding into it: for the Conv-VAE's wide layer that meant three extra passes over a 6 MB patch
//! matrix per step, 7% of a step in all. One op per layer keeps those intermediates inside it:
//! what the backward pass needs from the forward one (the input's non-zeros, and on the patch
//! matrix's path its rows) is kept by the op itself, as [`sparse_affine`](crate::ml::model::sparse_affine)
//! keeps its input's non-zeros.
//!
//! Every layer's input comes out of a ReLU (or is a picture, mostly background), and so does
//! the output gradient of every layer but the last. A layer with 16 channels or more on the
//! side its products run along (the Conv-VAE's inner layers) reads its input one pixel a row,
//! each pixel's non-zeros listed once ([`super::pixels`]), and its products read those lists in
//! place: no patch matrix is written, scanned or sorted. A layer with fewer (a first
//! convolution of 1 or 3 channels, a last transposed one) keeps the patch matrix, whose
//! `16·channels` columns fill the kernels' panels instead: transposed, a convolution is
//! `rows · Wᵀ + b` with one patch a row, a transposed convolution `rows · W` with one input
//! position a row. The input's gradient is computed only when something upstream learns from
//! it.
//!
//! Either side of an op may be channels last ([`super::ChannelsLast`]): the pixel lists and the
//! kernels' outputs are one pixel a row, so between two inner layers the activations (and their
//! gradients) are not turned channel-planar and back. The patch matrix's path reads and writes
//! channel-planar images and transposes where asked otherwise.

mod down;
mod up;

use std::sync::Mutex;

use candle_core::{CpuStorage, Layout, Result};

use crate::ml::cpu_slices::f32_slice;
use crate::ml::kernels::patches::KERNEL;
use crate::ml::kernels::sparse::SparseRows;

pub(super) use down::ConvDown;
pub(super) use up::DeconvUp;

/// Weights a kernel has per input and output channel.
const TAPS: usize = KERNEL * KERNEL;

/// What the forward pass built that the backward pass reads again.
enum Kept {
    /// The patch matrix's path: the layer's rows (one patch, or one input position, a row) and
    /// their non-zeros.
    Patches {
        rows: Vec<f32>,
        non_zeros: SparseRows,
    },
    /// The pixel path ([`super::pixels`]): the input's non-zeros, one pixel a row.
    Pixels(SparseRows),
}

/// Takes what `kept` holds, or `None` if a backward pass took it already (candle runs `bwd` once
/// per backward pass; a second pass over the same graph rebuilds what it needs).
fn take(kept: &Mutex<Option<Kept>>) -> Option<Kept> {
    kept.lock().unwrap_or_else(|e| e.into_inner()).take()
}

/// The slices of a layer's three operands, their lengths checked against what the op expects.
fn operands<'a>(
    name: &str,
    (s1, l1): (&'a CpuStorage, &Layout),
    (s2, l2): (&'a CpuStorage, &Layout),
    (s3, l3): (&'a CpuStorage, &Layout),
    lens: [usize; 3],
) -> Result<[&'a [f32]; 3]> {
    let slices = [
        f32_slice(s1, l1, "input")?,
        f32_slice(s2, l2, "weight")?,
        f32_slice(s3, l3, "bias")?,
    ];
    if slices.map(<[f32]>::len) != lens {
        candle_core::bail!(
            "{name}: input {:?}, weight {:?} and bias {:?} are not {lens:?} values",
            l1.shape(),
            l2.shape(),
            l3.shape()
        )
    }
    Ok(slices)
}
