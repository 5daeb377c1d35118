//! The non-zeros of a matrix, row by row: the left factor of every sparse product
//! ([`super::sparse`]) and the pixel lists of the convolutions ([`super::conv`],
//! [`super::tap_grad`]).

/// The non-zero entries of a matrix, row by row (compressed sparse rows).
///
/// Built only by [`SparseRows::from_rows`] (and the functions over it), which keeps the
/// invariants the unsafe kernel relies on: `starts` has `rows + 1` non-decreasing entries ending at
/// `columns.len() == values.len()`, and every column index is below `width`; and those that
/// [`SparseRows::column_blocks`] relies on: each row's column indices strictly ascend.
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
            // SAFETY: `end` counts the non-zeros of the rows before this one, so `end` plus
            // this row's length is at most data.len(), the capacity of both buffers.
            let quads = unsafe { packed_quads(row, end, column_slots, value_slots) };
            end = quads.0;
            for (p, &v) in row.iter().enumerate().skip(quads.1) {
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
        // entry was a non-zero, which is what moved `end` past it (or, four at a time, when
        // `end` was at most j and the entry a kept lane, packed to the front of the store).
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

    /// The rows cut into blocks of `columns_per_block` columns, so that a kernel can walk one
    /// block of the panel rows its entries pick (small enough to stay in L1) with every row
    /// before the next; `None` when the rows are no wider than one block. Found by bisection,
    /// as each row's columns ascend.
    pub(super) fn column_blocks(&self, columns_per_block: usize) -> Option<ColumnBlocks> {
        let blocks = self.width.div_ceil(columns_per_block);
        if blocks <= 1 {
            return None;
        }
        let mut cuts = Vec::with_capacity(self.rows() * (blocks + 1));
        for r in 0..self.rows() {
            let (columns, _) = self.row(r);
            cuts.extend((0..=blocks).map(|b| match b {
                0 => 0,
                _ if b == blocks => columns.len(),
                _ => columns.partition_point(|&p| (p as usize) < b * columns_per_block),
            }));
        }
        Some(ColumnBlocks { blocks, cuts })
    }
}

/// Each row's entries split at every `columns_per_block`-th column
/// ([`SparseRows::column_blocks`]).
pub(super) struct ColumnBlocks {
    blocks: usize,
    /// Row `r`'s entries in block `b` are `cuts[r·(blocks + 1) + b]..` the next, in the row.
    cuts: Vec<usize>,
}

impl ColumnBlocks {
    /// How many blocks each row is cut into.
    pub(super) fn count(&self) -> usize {
        self.blocks
    }

    /// The span, within row `r`'s entries, of those in block `b`.
    pub(super) fn span(&self, r: usize, b: usize) -> std::ops::Range<usize> {
        let at = r * (self.blocks + 1) + b;
        self.cuts[at]..self.cuts[at + 1]
    }
}

/// Writes the non-zeros of `row`'s leading groups of four from slot `end` on, four lanes at a
/// time: a group's non-zero lanes are shuffled to the front of one SIMD register and all four
/// lanes stored, and the end moves on by their count ([`PACK`]). Returns the new end and the
/// entries of `row` done; the rest are left to the caller.
///
/// # Safety
/// Both buffers must hold `end + row.len()` slots.
#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
#[inline(always)]
unsafe fn packed_quads(
    row: &[f32],
    end: usize,
    columns: &mut [std::mem::MaybeUninit<u32>],
    values: &mut [std::mem::MaybeUninit<f32>],
) -> (usize, usize) {
    use core::arch::wasm32::*;
    debug_assert!(columns.len().min(values.len()) >= end + row.len());
    let (columns, values) = (columns.as_mut_ptr(), values.as_mut_ptr());
    let mut end = end;
    let (quads, _) = row.as_chunks::<4>();
    let mut first = u32x4(0, 1, 2, 3);
    for quad in quads {
        // SAFETY: `quad` is four readable f32; `v128_load` needs no alignment.
        let x = unsafe { v128_load(quad.as_ptr() as *const v128) };
        let mask = i32x4_bitmask(f32x4_ne(x, f32x4_splat(0.0))) as usize;
        // SAFETY: `PACK` has 16 rows of 16 bytes and a four-lane mask is below 16.
        let shuffle = unsafe { v128_load(PACK[mask].as_ptr() as *const v128) };
        // SAFETY: `end` is at most the entries of `row` before this quad (each moved it by at
        // most one) plus the caller's `end`, so the four slots from `end` lie within the
        // `end + row.len()` the caller guarantees; `v128_store` needs no alignment.
        unsafe {
            v128_store(values.add(end) as *mut v128, i8x16_swizzle(x, shuffle));
            v128_store(columns.add(end) as *mut v128, i8x16_swizzle(first, shuffle));
        }
        end += mask.count_ones() as usize;
        first = u32x4_add(first, u32x4_splat(4));
    }
    (end, 4 * quads.len())
}

/// Elsewhere the caller does every entry.
///
/// # Safety
/// None needed; the signature matches the SIMD version's.
#[cfg(not(all(target_arch = "wasm32", target_feature = "simd128")))]
#[inline(always)]
unsafe fn packed_quads(
    _row: &[f32],
    end: usize,
    _columns: &mut [std::mem::MaybeUninit<u32>],
    _values: &mut [std::mem::MaybeUninit<f32>],
) -> (usize, usize) {
    (end, 0)
}

/// For each mask of a group of four lanes (bit `i` set when lane `i` is kept), the byte
/// shuffle (`i8x16.swizzle`) that moves the kept lanes to the front in order; the other bytes
/// select nothing (index 0x80 gives zero).
#[cfg_attr(
    not(all(target_arch = "wasm32", target_feature = "simd128")),
    allow(dead_code)
)]
static PACK: [[u8; 16]; 16] = pack_table();

const fn pack_table() -> [[u8; 16]; 16] {
    let mut table = [[0x80u8; 16]; 16];
    let mut mask = 0;
    while mask < 16 {
        let (mut kept, mut lane) = (0, 0);
        while lane < 4 {
            if mask & (1 << lane) != 0 {
                let mut byte = 0;
                while byte < 4 {
                    table[mask][4 * kept + byte] = (4 * lane + byte) as u8;
                    byte += 1;
                }
                kept += 1;
            }
            lane += 1;
        }
        mask += 1;
    }
    table
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_masks_shuffle_moves_its_kept_lanes_to_the_front_in_order() {
        for (mask, shuffle) in PACK.iter().enumerate() {
            // The shuffle applied to four lanes of bytes, as `i8x16.swizzle` does.
            let lanes: [u8; 16] = std::array::from_fn(|b| b as u8);
            let moved = shuffle.map(|i| lanes.get(i as usize).copied());
            let kept: Vec<usize> = (0..4).filter(|lane| mask & (1 << lane) != 0).collect();
            for (slot, lane) in kept.iter().enumerate() {
                let want: Vec<Option<u8>> = (0..4).map(|b| Some((4 * lane + b) as u8)).collect();
                assert_eq!(&moved[4 * slot..4 * slot + 4], &want[..], "mask {mask:04b}");
            }
            assert!(
                moved[4 * kept.len()..].iter().all(Option::is_none),
                "mask {mask:04b}"
            );
        }
    }

    #[test]
    fn column_blocks_split_each_row_where_its_columns_cross_a_block_edge() {
        // Row 0 in every block, row 1 empty, row 2 only past the last edge, row 3 on the edges.
        let width = 10;
        let mut dense = vec![0.0f32; 4 * width];
        for p in [0, 3, 4, 9] {
            dense[p] = 1.0;
        }
        dense[2 * width + 9] = 2.0;
        for p in [3, 4, 7, 8] {
            dense[3 * width + p] = 3.0;
        }
        let s = SparseRows::from_rows(&dense, 4, width);
        let blocks = s.column_blocks(4).expect("three blocks");
        assert_eq!(blocks.count(), 3);
        let spans = |r| (0..3).map(|b| blocks.span(r, b)).collect::<Vec<_>>();
        assert_eq!(spans(0), [0..2, 2..3, 3..4]);
        assert_eq!(spans(1), [0..0, 0..0, 0..0]);
        assert_eq!(spans(2), [0..0, 0..0, 0..1]);
        assert_eq!(spans(3), [0..1, 1..3, 3..4]);
        assert!(s.column_blocks(10).is_none(), "one block is no blocks");
    }
}
