//! The right factor of the sparse products, packed: cut into 16-column panels that the
//! kernels walk one or two at a time ([`super::sparse`], [`super::masked`], [`super::sparse_t`],
//! the convolutions), packed from a row-major matrix or from its transpose (a layer's weight as
//! candle's `Linear` holds it), whole or a panel at a time ([`super::panels_in_parts`]).

use super::transpose::{transpose_sixteen_rows, transpose_strided};

/// Columns of `B` per panel: four SIMD registers of accumulators.
pub(super) const PANEL: usize = 16;

/// The right factor `B` (`k × n`) cut into 16-column panels, each stored row after row
/// (`k × 16`, zero-padded past `n`), so that while every output row's columns are built from
/// one or two panels, the rows the non-zeros pick are close at hand instead of scattered over a
/// 1.2 MB matrix (a panel of a 784-row matrix is 50 KB, more than L1's 32 KB:
/// [`super::sparse`] walks it 128 rows at a time).
///
/// Built by [`Panels::from_rows`] and [`Panels::from_transposed`], or zeroed and filled a panel
/// at a time (`panels_in_parts`): `data` always holds `n.div_ceil(16)` panels of `k × 16`
/// values.
#[derive(Debug, Clone, PartialEq)]
pub struct Panels {
    data: Vec<f32>,
    k: usize,
    n: usize,
}

impl Panels {
    /// Panels of the row-major `k × n` matrix `b`.
    pub fn from_rows(b: &[f32], k: usize, n: usize) -> Self {
        assert_eq!(b.len(), k * n, "{k}×{n} matrix");
        let mut panels = Panels::zeroed(k, n);
        for q in 0..n.div_ceil(PANEL) {
            let j0 = q * PANEL;
            let width = PANEL.min(n - j0);
            let panel = &mut panels.data[q * k * PANEL..(q + 1) * k * PANEL];
            for (p, out) in panel.chunks_exact_mut(PANEL).enumerate() {
                out[..width].copy_from_slice(&b[p * n + j0..p * n + j0 + width]);
            }
        }
        panels
    }

    /// Panels of `Wᵀ` (`k × n`) for the row-major `n × k` matrix `w`: a layer's weight as the
    /// right factor of `x·Wᵀ`, transposed and packed in one pass.
    pub fn from_transposed(w: &[f32], n: usize, k: usize) -> Self {
        assert_eq!(w.len(), n * k, "{n}×{k} matrix");
        let mut panels = Panels::zeroed(k, n);
        for (q, panel) in panels.data.chunks_exact_mut(k * PANEL).enumerate() {
            pack_transposed_panel(w, n, k, q, panel);
        }
        panels
    }

    /// Zeros in the shape of the panels of a `k × n` matrix, to be filled.
    pub(super) fn zeroed(k: usize, n: usize) -> Self {
        Panels {
            data: vec![0.0; n.div_ceil(PANEL) * k * PANEL],
            k,
            n,
        }
    }

    /// Rows and columns of the matrix packed.
    pub fn shape(&self) -> (usize, usize) {
        (self.k, self.n)
    }

    /// Panel `q` (columns `16q..16q + 16`): `k` rows of 16 values, zero past the last column.
    pub(super) fn panel(&self, q: usize) -> &[f32] {
        &self.data[q * self.k * PANEL..(q + 1) * self.k * PANEL]
    }

    /// How many values the panels hold.
    pub(super) fn values(&self) -> usize {
        self.data.len()
    }

    /// How many panels there are.
    pub(super) fn count(&self) -> usize {
        self.n.div_ceil(PANEL)
    }

    /// The values of every panel, one after another, for a builder that fills them a panel at a
    /// time (`panels_in_parts`).
    pub(super) fn data_mut(&mut self) -> &mut [f32] {
        &mut self.data
    }
}

/// Writes panel `q` of `Wᵀ` (`k × 16` values: the transpose of rows `16q..16q + 16` of the
/// row-major `n × k` matrix `w`, zero past its last row) into `panel`, every value of it: a
/// panel may be packed into one used before (`panels_in_parts`), and the columns past the
/// matrix must be zero (the masked product multiplies them too).
pub(super) fn pack_transposed_panel(w: &[f32], n: usize, k: usize, q: usize, panel: &mut [f32]) {
    let j0 = q * PANEL;
    let height = PANEL.min(n - j0);
    let rows = &w[j0 * k..(j0 + height) * k];
    if height == PANEL {
        transpose_sixteen_rows(rows, k, k, panel);
    } else {
        panel.fill(0.0);
        transpose_strided(rows, height, k, k, panel, PANEL);
    }
}
