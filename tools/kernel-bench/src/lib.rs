//! The MLP-VAE's three sparse kernels, compiled alone to wasm so that `www/bench/kernels.mjs` can
//! time each in a browser in a minute, without building the app and reading a profile.
//!
//! The kernel files are the app's own (`src/ml/kernels/`, included by path), so a variant is
//! timed by editing them and running the tool again. The operands have the reference model's
//! shapes for one thread's half of a batch of 128 (64 digits, 784 → 400 → … → 400 → 784) and
//! the zeros the app sees: ~20% of a digit's pixels are ink, and ~60% of the decoder's hidden
//! units are on once training is under way (both measured natively, 2026-12-05).

#![allow(dead_code)]

// The kernels' files refer to each other as `super::…`: here they are modules of the crate root.
// They hold more than the bench calls, hence `dead_code`.
#[path = "../../../src/ml/kernels/lanes.rs"]
mod lanes;
#[path = "../../../src/ml/kernels/masked.rs"]
mod masked;
#[path = "../../../src/ml/kernels/panels.rs"]
mod panels;
#[path = "../../../src/ml/kernels/sparse.rs"]
mod sparse;
#[path = "../../../src/ml/kernels/sparse_rows.rs"]
mod sparse_rows;
#[path = "../../../src/ml/kernels/sparse_t.rs"]
mod sparse_t;
#[path = "../../../src/ml/kernels/transpose.rs"]
mod transpose;

use masked::masked_times_transposed;
use sparse::{sparse_times_dense, Panels, SparseRows};
use sparse_t::sparse_times_dense_transposed;

/// Digits a thread does of a batch of 128.
const DIGITS: usize = 64;
const PIXELS: usize = 784;
const HIDDEN: usize = 400;
/// Shares of non-zeros: a digit's pixels, the decoder's hidden layer.
const INK: f32 = 0.2;
const ON: f32 = 0.6;

/// A small generator, so the operands are the same on every run.
struct Lcg(u64);

impl Lcg {
    fn uniform(&mut self) -> f32 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 40) as f32 / (1u64 << 24) as f32
    }

    fn dense(&mut self, n: usize) -> Vec<f32> {
        (0..n).map(|_| self.uniform() - 0.5).collect()
    }

    /// About `density` of `n` values non-zero, in [0.1, 1.1).
    fn sparse(&mut self, n: usize, density: f32) -> Vec<f32> {
        (0..n)
            .map(|_| {
                let keep = self.uniform() < density;
                let v = self.uniform() + 0.1;
                if keep {
                    v
                } else {
                    0.0
                }
            })
            .collect()
    }
}

/// Every operand, packed as the app packs it, and the outputs.
pub struct Operands {
    x_rows: SparseRows,
    x_columns: SparseRows,
    h_rows: SparseRows,
    h_columns: SparseRows,
    w1_panels: Panels,
    w2_panels: Panels,
    g1_panels: Panels,
    g2_panels: Panels,
    g2: Vec<f32>,
    hidden_out: Vec<f32>,
    pixels_out: Vec<f32>,
    w1_grad: Vec<f32>,
    w2_grad: Vec<f32>,
    h_grad: Vec<f32>,
}

/// Makes the operands; the handle goes to [`run`].
#[no_mangle]
pub extern "C" fn setup(seed: u32) -> *mut Operands {
    let mut rng = Lcg(u64::from(seed) + 1);
    let x = rng.sparse(DIGITS * PIXELS, INK);
    let h = rng.sparse(DIGITS * HIDDEN, ON);
    let w1 = rng.dense(HIDDEN * PIXELS);
    let w2 = rng.dense(PIXELS * HIDDEN);
    let g1 = rng.dense(DIGITS * HIDDEN);
    let g2 = rng.dense(DIGITS * PIXELS);
    Box::into_raw(Box::new(Operands {
        x_rows: SparseRows::from_rows(&x, DIGITS, PIXELS),
        x_columns: SparseRows::from_columns(&x, DIGITS, PIXELS),
        h_rows: SparseRows::from_rows(&h, DIGITS, HIDDEN),
        h_columns: SparseRows::from_columns(&h, DIGITS, HIDDEN),
        w1_panels: Panels::from_transposed(&w1, HIDDEN, PIXELS),
        w2_panels: Panels::from_transposed(&w2, PIXELS, HIDDEN),
        g1_panels: Panels::from_rows(&g1, DIGITS, HIDDEN),
        g2_panels: Panels::from_rows(&g2, DIGITS, PIXELS),
        g2,
        hidden_out: vec![0.0; DIGITS * HIDDEN],
        pixels_out: vec![0.0; DIGITS * PIXELS],
        w1_grad: vec![0.0; HIDDEN * PIXELS],
        w2_grad: vec![0.0; PIXELS * HIDDEN],
        h_grad: vec![0.0; DIGITS * HIDDEN],
    }))
}

/// Multiply-adds case `case` does: non-zeros times output columns (the masked product's
/// entries times the columns they sum over).
///
/// # Safety
/// `handle` must come from [`setup`] (it is never freed).
#[no_mangle]
pub unsafe extern "C" fn work(handle: *const Operands, case: u32) -> f64 {
    // SAFETY: the caller's contract.
    let o = unsafe { &*handle };
    let (non_zeros, columns) = match case {
        0 | 2 => (o.x_rows.entries(), HIDDEN),
        _ => (o.h_rows.entries(), PIXELS),
    };
    (non_zeros * columns) as f64
}

/// Runs case `case` `times` times and returns a value of its output (so nothing is left out):
/// 0 the first layer's forward `x·W1ᵀ`, 1 the output layer's `h·W2ᵀ`, 2 the first layer's
/// weight gradient written transposed, 3 the output layer's, 4 the output layer's input
/// gradient where `h` is on.
///
/// # Safety
/// `handle` must come from [`setup`] (it is never freed), and no other call may be using it.
#[no_mangle]
pub unsafe extern "C" fn run(handle: *mut Operands, case: u32, times: u32) -> f32 {
    // SAFETY: the caller's contract.
    let o = unsafe { &mut *handle };
    for _ in 0..times {
        match case {
            0 => sparse_times_dense(&o.x_rows, &o.w1_panels, &mut o.hidden_out),
            1 => sparse_times_dense(&o.h_rows, &o.w2_panels, &mut o.pixels_out),
            // As the app does, into a new buffer each time (since 2026-12-06: before, into one
            // kept, so these two are not comparable with figures from before).
            2 => o.w1_grad = sparse_times_dense_transposed(&o.x_columns, &o.g1_panels),
            3 => o.w2_grad = sparse_times_dense_transposed(&o.h_columns, &o.g2_panels),
            _ => masked_times_transposed(&o.h_rows, &o.g2, &o.w2_panels, &mut o.h_grad),
        }
    }
    o.hidden_out[7] + o.pixels_out[9] + o.w1_grad[11] + o.w2_grad[13] + o.h_grad[17]
}
