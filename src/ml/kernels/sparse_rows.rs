//! The non-zeros of a matrix, row by row: the left factor of every sparse product
//! ([`super::sparse`]) and the pixel lists of the convolutions ([`super::conv`],
//! [`super::tap_grad`]).

/// The non-zero entries of a matrix, row by row (compressed sparse rows).
///
/// Built only by [`SparseRows::from_rows`] (and the functions over it), which keeps the
/// invariants the unsafe kernel relies on: `starts` has `rows + 1` non-decreasing entries ending at
/// `columns.len() == values.len()`, and every column index is below `width`.
#[derive(Debug, Clone)]
pub struct SparseRows {
    /// Row `r`'s entries are `columns[starts[r]..starts[r + 1]]` (and the same in `values`).
    starts: Vec<usize>,
    columns: Vec<u32>,
    values: Vec<f32>,
    width: usize,
}

impl SparseRows {
    /// The non-zeros of the row-major `rows × width` matrix `data`.
    pub fn from_rows(data: &[f32], rows: usize, width: usize) -> Self {
        assert_eq!(data.len(), rows * width, "{rows}×{width} matrix");
        // Every entry is written and the end moves on only past a non-zero: no branch to
        // mispredict, which a ReLU's coin-flip zeros would do half the time.
        let mut columns: Vec<u32> = Vec::with_capacity(data.len());
        let mut values: Vec<f32> = Vec::with_capacity(data.len());
        let (column_slots, value_slots) =
            (columns.spare_capacity_mut(), values.spare_capacity_mut());
        let mut starts = Vec::with_capacity(rows + 1);
        let mut end = 0;
        starts.push(0);
        for row in data.chunks_exact(width.max(1)).take(rows) {
            for (p, &v) in row.iter().enumerate() {
                // SAFETY: `end` counts the non-zeros among the entries before this one, so it
                // is below data.len(), the capacity of both buffers.
                unsafe {
                    column_slots.get_unchecked_mut(end).write(p as u32);
                    value_slots.get_unchecked_mut(end).write(v);
                }
                end += usize::from(v != 0.0);
            }
            starts.push(end);
        }
        starts.resize(rows + 1, end);
        // SAFETY: every slot below `end` was written: slot j last when `end` was j and the
        // entry was a non-zero, which is what moved `end` past it.
        unsafe {
            columns.set_len(end);
            values.set_len(end);
        }
        SparseRows {
            starts,
            columns,
            values,
            width,
        }
    }

    /// The non-zeros of the transpose of the row-major `rows × width` matrix `data`: one row per
    /// column of `data`, entries in increasing row order.
    pub fn from_columns(data: &[f32], rows: usize, width: usize) -> Self {
        SparseRows::from_rows(data, rows, width).transposed()
    }

    /// The same entries, column by column: the rows of the transpose.
    pub fn transposed(&self) -> Self {
        // A counting sort of the row lists by column: it touches only the non-zeros.
        let (by_row, rows, width) = (self, self.rows(), self.width);
        let mut starts = vec![0usize; width + 1];
        for &p in &by_row.columns {
            starts[p as usize + 1] += 1;
        }
        for p in 0..width {
            starts[p + 1] += starts[p];
        }
        let mut next = starts.clone();
        let total = by_row.entries();
        let mut columns = vec![0u32; total];
        let mut values = vec![0f32; total];
        for i in 0..rows {
            let span = by_row.starts[i]..by_row.starts[i + 1];
            for (&p, &v) in by_row.columns[span.clone()]
                .iter()
                .zip(&by_row.values[span])
            {
                let slot = &mut next[p as usize];
                columns[*slot] = i as u32;
                values[*slot] = v;
                *slot += 1;
            }
        }
        SparseRows {
            starts,
            columns,
            values,
            width: rows,
        }
    }

    pub fn rows(&self) -> usize {
        self.starts.len() - 1
    }

    /// Columns of the dense matrix these rows came from.
    pub fn width(&self) -> usize {
        self.width
    }

    /// Non-zero entries in all.
    pub fn entries(&self) -> usize {
        self.values.len()
    }

    /// Row `r`'s column indices (each below [`SparseRows::width`]) and values.
    pub(super) fn row(&self, r: usize) -> (&[u32], &[f32]) {
        let span = self.starts[r]..self.starts[r + 1];
        (&self.columns[span.clone()], &self.values[span])
    }
}
