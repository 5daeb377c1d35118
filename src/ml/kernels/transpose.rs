//! Matrix transposes: 4×4 blocks through SIMD registers, in 16×16 tiles that stay in L1. The
//! sparse ops need them to turn a weight into the right factor of `x·Wᵀ` and a gradient built as
//! `xᵀ·g` back into `gᵀ·x`.

use super::lanes::F4;

/// Writes the transpose of the row-major `rows × cols` matrix `src` into `dst` (`cols × rows`).
pub fn transpose(src: &[f32], rows: usize, cols: usize, dst: &mut [f32]) {
    transpose_strided(src, rows, cols, cols, dst, rows);
}

/// `dst[j·dst_stride + i] = src[i·src_stride + j]` for `i < rows`, `j < cols`: 4×4 blocks go
/// through SIMD registers, the ragged edges one value at a time.
pub(super) fn transpose_strided(
    src: &[f32],
    rows: usize,
    cols: usize,
    src_stride: usize,
    dst: &mut [f32],
    dst_stride: usize,
) {
    if rows == 0 || cols == 0 {
        return;
    }
    // The last element read is src[(rows - 1)·src_stride + cols - 1], the last written
    // dst[(cols - 1)·dst_stride + rows - 1]. Checked: on wasm32 a wrapped product would pass a
    // plain comparison and let the unsafe loads below read outside `src`.
    let span = |lines: usize, stride: usize, width: usize| {
        (lines - 1).checked_mul(stride)?.checked_add(width)
    };
    assert!(
        span(rows, src_stride, cols).is_some_and(|n| src.len() >= n)
            && span(cols, dst_stride, rows).is_some_and(|n| dst.len() >= n),
        "transpose of {rows}×{cols} does not fit its buffers"
    );
    let (rows4, cols4) = (rows - rows % 4, cols - cols % 4);
    // Tiles of 16×16 keep the rows read and the rows written in L1.
    const T: usize = 16;
    for i0 in (0..rows4).step_by(T) {
        for j0 in (0..cols4).step_by(T) {
            if i0 + T <= rows4 && j0 + T <= cols4 {
                // SAFETY: the tile's 16 rows of 16 values lie inside `src` and its 16 columns
                // inside `dst`, by the span check above.
                unsafe { transpose_tile(src, i0, j0, src_stride, dst, dst_stride) };
                continue;
            }
            for i in (i0..(i0 + T).min(rows4)).step_by(4) {
                for j in (j0..(j0 + T).min(cols4)).step_by(4) {
                    // SAFETY: i + 3 < rows4 <= rows and j + 3 < cols4 <= cols, so every source
                    // index (i + r)·src_stride + j + c (r, c < 4) is at most
                    // (rows - 1)·src_stride + cols - 1 < src.len(), and every destination index
                    // (j + r)·dst_stride + i + c at most (cols - 1)·dst_stride + rows - 1 <
                    // dst.len(), both checked without overflow above. F4 loads and stores are
                    // unaligned.
                    unsafe {
                        let s = src.as_ptr().add(i * src_stride + j);
                        let block = F4::transpose([
                            F4::load(s),
                            F4::load(s.add(src_stride)),
                            F4::load(s.add(2 * src_stride)),
                            F4::load(s.add(3 * src_stride)),
                        ]);
                        let d = dst.as_mut_ptr().add(j * dst_stride + i);
                        for (r, v) in block.into_iter().enumerate() {
                            v.store(d.add(r * dst_stride));
                        }
                    }
                }
            }
        }
    }
    for i in 0..rows {
        let from = if i < rows4 { cols4 } else { 0 };
        for j in from..cols {
            dst[j * dst_stride + i] = src[i * src_stride + j];
        }
    }
}

/// `dst[j·16 + i] = src[i·src_stride + j]` for the 16 rows `i` of `src` and `j < cols`: sixteen
/// rows transposed into one panel of [`Panels`](super::sparse::Panels), whose rows of 16 values
/// lie one after another. [`transpose_strided`]'s tile holds its 16 rows of 16 values in 64
/// registers, which V8 (15 SIMD registers) spills to the stack; here four rows at a time are
/// read, 16 columns of them in four 4×4 blocks, so at most eight registers are live and each
/// source line is still read whole before the next (see [`transpose_tile`] on why that
/// matters). The weight's packing before every training step took 10.8% of a one-thread,
/// batch-32 MLP-VAE profile through the tile (`profile.mjs`, 2026-12-05).
pub(super) fn transpose_sixteen_rows(src: &[f32], cols: usize, src_stride: usize, dst: &mut [f32]) {
    const ROWS: usize = 16;
    if cols == 0 {
        return;
    }
    assert!(
        src_stride >= cols
            && (ROWS - 1)
                .checked_mul(src_stride)
                .and_then(|n| n.checked_add(cols))
                .is_some_and(|n| src.len() >= n)
            && dst.len() >= cols * ROWS,
        "sixteen rows of {cols} do not fit their buffers"
    );
    let cols4 = cols - cols % 4;
    for j0 in (0..cols4).step_by(16) {
        let width = 16.min(cols4 - j0);
        for g in (0..ROWS).step_by(4) {
            for j in (j0..j0 + width).step_by(4) {
                // SAFETY: rows g..g + 4 < 16 and columns j..j + 4 <= cols4 <= cols, so every
                // source index (g + r)·src_stride + j + c is below 15·src_stride + cols <=
                // src.len(), and every destination index (j + r)·16 + g + c below cols·16 <=
                // dst.len() (both checked above). F4 loads and stores are unaligned.
                unsafe {
                    let s = src.as_ptr().add(g * src_stride + j);
                    let block = F4::transpose([
                        F4::load(s),
                        F4::load(s.add(src_stride)),
                        F4::load(s.add(2 * src_stride)),
                        F4::load(s.add(3 * src_stride)),
                    ]);
                    let d = dst.as_mut_ptr().add(j * ROWS + g);
                    for (r, v) in block.into_iter().enumerate() {
                        v.store(d.add(r * ROWS));
                    }
                }
            }
        }
    }
    for i in 0..ROWS {
        for j in cols4..cols {
            dst[j * ROWS + i] = src[i * src_stride + j];
        }
    }
}

/// One full 16×16 tile at row `i0`, column `j0` of `src`. Its 16 source lines are read whole
/// into registers first and its 16 destination lines then written whole, one after another:
/// with a stride that is a multiple of 4 KB (a 64×64 colour picture's 12,288 values, 48 KB) every
/// line of a tile falls in the same L1 set, and writing them a 4×4 block at a time, back and
/// forth, evicted each line before it was complete (a 64×64 colour MLP-VAE spent a quarter of
/// its step in transposes).
///
/// # Safety
/// Rows `i0..i0 + 16`, columns `j0..j0 + 16` of `src` (stride `src_stride`) and rows
/// `j0..j0 + 16`, columns `i0..i0 + 16` of `dst` (stride `dst_stride`) must be in bounds.
#[inline(always)]
unsafe fn transpose_tile(
    src: &[f32],
    i0: usize,
    j0: usize,
    src_stride: usize,
    dst: &mut [f32],
    dst_stride: usize,
) {
    let row: [[F4; 4]; 16] = std::array::from_fn(|r| {
        // SAFETY: row i0 + r, columns j0..j0 + 16 of `src` are inside it (the caller's contract).
        let s = unsafe { src.as_ptr().add((i0 + r) * src_stride + j0) };
        // SAFETY: four of those sixteen values at a time.
        std::array::from_fn(|c| unsafe { F4::load(s.add(4 * c)) })
    });
    for bj in 0..4 {
        // Columns j0 + 4·bj.. of the sixteen rows, which become rows of `dst`.
        let column_group = row.map(|lanes| lanes[bj]);
        let blocks: [[F4; 4]; 4] = std::array::from_fn(|bi| {
            F4::transpose(std::array::from_fn(|r| column_group[4 * bi + r]))
        });
        for r in 0..4 {
            // SAFETY: row j0 + 4·bj + r, columns i0..i0 + 16 of `dst` are inside it (the
            // caller's contract); each store writes four of them.
            unsafe {
                let d = dst.as_mut_ptr().add((j0 + 4 * bj + r) * dst_stride + i0);
                for (bi, block) in blocks.iter().enumerate() {
                    block[r].store(d.add(4 * bi));
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    #[should_panic(expected = "does not fit its buffers")]
    fn a_stride_whose_product_overflows_is_refused_not_wrapped() {
        let src = vec![0.0f32; 64];
        let mut dst = vec![0.0f32; 64];
        // (rows - 1)·stride wraps to a small number: a plain comparison would let it through.
        transpose_strided(&src, 2, 4, usize::MAX / 2 + 1, &mut dst, 2);
    }

    #[test]
    fn sixteen_rows_go_into_a_panel_as_the_general_transpose_puts_them() {
        // Columns off the 16-column chunks and off the blocks of four; a stride past the width.
        for (cols, stride) in [
            (784, 784),
            (400, 400),
            (35, 40),
            (3, 3),
            (16, 16),
            (50, 4096),
        ] {
            let src: Vec<f32> = (0..15 * stride + cols).map(|v| v as f32).collect();
            let mut general = vec![-1.0; cols * 16];
            transpose_strided(&src, 16, cols, stride, &mut general, 16);
            let mut panel = vec![-1.0; cols * 16];
            transpose_sixteen_rows(&src, cols, stride, &mut panel);
            assert_eq!(panel, general, "{cols} columns, stride {stride}");
        }
    }

    #[test]
    fn transpose_swaps_rows_and_columns() {
        for (rows, cols) in [(6, 35), (400, 784), (3, 2), (17, 4), (48, 4096), (37, 50)] {
            let src: Vec<f32> = (0..rows * cols).map(|v| v as f32).collect();
            let mut dst = vec![0.0; src.len()];
            transpose(&src, rows, cols, &mut dst);
            for i in 0..rows {
                for j in 0..cols {
                    assert_eq!(
                        dst[j * rows + i],
                        src[i * cols + j],
                        "{rows}×{cols} at ({i}, {j})"
                    );
                }
            }
        }
    }
}
