//! The 4×4 patches a stride-2, padding-1 convolution reads, laid out as the columns of a matrix
//! ("im2col"), and their adjoint, which adds columns back into images ("col2im"). With them a
//! convolution is one matrix product and a transposed convolution another, for the whole batch
//! at once: the Conv-VAE's every layer becomes a product that a tuned GEMM does well, instead of
//! candle's generic direct loops (see `ml::conv_op`).
//!
//! Layouts: images are `(images, channels, side, side)`, row-major; the patch matrix is
//! `(channels·16, images·half·half)` with `half = side / 2`: row `c·16 + ky·4 + kx`, column
//! `(n·half + oy)·half + ox` holds pixel `(2·oy + ky − 1, 2·ox + kx − 1)` of channel `c` of image
//! `n`, or 0 where that falls in the padding.

/// The 4×4 kernel's side; a stride of 2 and a padding of 1 go with it.
pub const KERNEL: usize = 4;

/// Which images a patch matrix is taken from (or added back into).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Patches {
    pub images: usize,
    pub channels: usize,
    /// The images' side: even, the output of the convolution has half of it.
    pub side: usize,
}

impl Patches {
    /// The side of the convolution's output.
    pub fn half(&self) -> usize {
        self.side / 2
    }

    /// Values in the images.
    pub fn image_len(&self) -> usize {
        self.images * self.channels * self.side * self.side
    }

    /// Rows and columns of the patch matrix.
    pub fn matrix_dims(&self) -> (usize, usize) {
        let half = self.half();
        (self.channels * KERNEL * KERNEL, self.images * half * half)
    }

    /// For kernel offset `k` (0..4) and output position `o`, the input position, if it is inside
    /// the image.
    #[inline(always)]
    fn source(&self, o: usize, k: usize) -> Option<usize> {
        (2 * o + k).checked_sub(1).filter(|&i| i < self.side)
    }

    /// The kernel offsets `k` whose input `2·o + k − 1` is inside the image, for output
    /// position `o`: all but the first at the start, all but the last at the end.
    #[inline(always)]
    fn kernel_columns(&self, o: usize) -> std::ops::Range<usize> {
        let first = usize::from(o == 0);
        let end = if o + 1 == self.half() {
            KERNEL - 1
        } else {
            KERNEL
        };
        first..end
    }

    /// The output positions whose input `2·o + k − 1` is inside the image, for kernel offset
    /// `k`: all but the first for `k = 0`, all but the last for `k = 3` (the side is even), so
    /// the inner loops run without a test per pixel.
    #[inline(always)]
    fn inside(&self, k: usize) -> std::ops::Range<usize> {
        let half = self.half();
        match k {
            0 => 1..half,
            3 => 0..half.saturating_sub(1),
            _ => 0..half,
        }
    }
}

/// The patch matrix of `images` (see the module's layouts).
pub fn im2col(images: &[f32], p: Patches) -> Vec<f32> {
    assert_eq!(images.len(), p.image_len(), "im2col: images of {p:?}");
    let (rows, cols) = p.matrix_dims();
    let (side, half) = (p.side, p.half());
    let mut out = vec![0.0f32; rows * cols];
    for (row, dst) in out.chunks_exact_mut(cols).enumerate() {
        let (c, ky, kx) = (row / 16, row / 4 % 4, row % 4);
        for n in 0..p.images {
            let plane = &images[(n * p.channels + c) * side * side..][..side * side];
            for oy in 0..half {
                let Some(iy) = p.source(oy, ky) else { continue };
                let src = &plane[iy * side..][..side];
                let dst = &mut dst[(n * half + oy) * half..][..half];
                for ox in p.inside(kx) {
                    dst[ox] = src[2 * ox + kx - 1];
                }
            }
        }
    }
    out
}

/// The patch matrix transposed: one patch a row, `(images·half·half, channels·16)`, row
/// `(n·half + oy)·half + ox`, column `c·16 + ky·4 + kx` (as [`im2col`]'s column and row). Built
/// directly rather than by transposing [`im2col`]'s: the layout the sparse products read
/// (one patch a row, its zeros skipped).
pub fn im2col_rows(images: &[f32], p: Patches) -> Vec<f32> {
    assert_eq!(images.len(), p.image_len(), "im2col_rows: images of {p:?}");
    let (width, count) = p.matrix_dims();
    let (side, half) = (p.side, p.half());
    let mut out = vec![0.0f32; width * count];
    for (i, patch) in out.chunks_exact_mut(width).enumerate() {
        let (n, oy, ox) = (i / (half * half), i / half % half, i % half);
        let kxs = p.kernel_columns(ox);
        for c in 0..p.channels {
            let plane = &images[(n * p.channels + c) * side * side..][..side * side];
            for ky in 0..KERNEL {
                let Some(iy) = p.source(oy, ky) else { continue };
                let src = &plane[iy * side..][..side];
                let dst = &mut patch[c * 16 + ky * KERNEL..][..KERNEL];
                for kx in kxs.clone() {
                    dst[kx] = src[2 * ox + kx - 1];
                }
            }
        }
    }
    out
}

/// The images whose transposed patch matrix (as [`im2col_rows`] lays it out) is `rows`: every
/// entry added back to the pixel it was read from ([`im2col_rows`]'s adjoint).
pub fn col2im_rows(rows: &[f32], p: Patches) -> Vec<f32> {
    let (width, count) = p.matrix_dims();
    assert_eq!(
        rows.len(),
        width * count,
        "col2im_rows: a patch matrix of {p:?}"
    );
    let (side, half) = (p.side, p.half());
    let mut out = vec![0.0f32; p.image_len()];
    for (i, patch) in rows.chunks_exact(width).enumerate() {
        let (n, oy, ox) = (i / (half * half), i / half % half, i % half);
        for c in 0..p.channels {
            let plane = &mut out[(n * p.channels + c) * side * side..][..side * side];
            for ky in 0..KERNEL {
                let Some(iy) = p.source(oy, ky) else { continue };
                let dst = &mut plane[iy * side..][..side];
                let src = &patch[c * 16 + ky * KERNEL..][..KERNEL];
                for kx in p.kernel_columns(ox) {
                    dst[2 * ox + kx - 1] += src[kx];
                }
            }
        }
    }
    out
}

/// The images whose patch matrix, transposed against, gives `matrix`: every entry added back to
/// the pixel it was read from ([`im2col`]'s adjoint).
pub fn col2im(matrix: &[f32], p: Patches) -> Vec<f32> {
    let (rows, cols) = p.matrix_dims();
    assert_eq!(matrix.len(), rows * cols, "col2im: a patch matrix of {p:?}");
    let (side, half) = (p.side, p.half());
    let mut out = vec![0.0f32; p.image_len()];
    for (row, src) in matrix.chunks_exact(cols).enumerate() {
        let (c, ky, kx) = (row / 16, row / 4 % 4, row % 4);
        for n in 0..p.images {
            let plane = &mut out[(n * p.channels + c) * side * side..][..side * side];
            for oy in 0..half {
                let Some(iy) = p.source(oy, ky) else { continue };
                let dst = &mut plane[iy * side..][..side];
                let src = &src[(n * half + oy) * half..][..half];
                for ox in p.inside(kx) {
                    dst[2 * ox + kx - 1] += src[ox];
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ml::kernels::transpose::transpose;
    use crate::ml::rng::Rng;

    #[test]
    fn the_patch_rows_are_the_patch_matrix_transposed_and_add_back_the_same_way() {
        let mut rng = Rng::new(9);
        for p in [
            Patches {
                images: 2,
                channels: 3,
                side: 8,
            },
            Patches {
                images: 3,
                channels: 1,
                side: 28,
            },
            Patches {
                images: 1,
                channels: 2,
                side: 2,
            },
        ] {
            let images = rng.normal_vec(p.image_len());
            let (rows, cols) = p.matrix_dims();
            let mut transposed = vec![0.0; rows * cols];
            transpose(&im2col(&images, p), rows, cols, &mut transposed);
            assert_eq!(im2col_rows(&images, p), transposed, "{p:?}");
            let patch_rows = rng.normal_vec(rows * cols);
            let mut as_matrix = vec![0.0; rows * cols];
            transpose(&patch_rows, cols, rows, &mut as_matrix);
            let (ours, theirs) = (col2im_rows(&patch_rows, p), col2im(&as_matrix, p));
            let most = ours
                .iter()
                .zip(&theirs)
                .map(|(a, b)| (a - b).abs())
                .fold(0.0, f32::max);
            assert!(most < 1e-5, "{p:?}: col2im_rows differs by {most}");
        }
    }

    #[test]
    fn a_patch_holds_the_pixels_under_the_kernel_and_zeros_in_the_padding() {
        // One 4×4 image of one channel: pixel value = 10·y + x.
        let p = Patches {
            images: 1,
            channels: 1,
            side: 4,
        };
        let image: Vec<f32> = (0..16).map(|i| (10 * (i / 4) + i % 4) as f32).collect();
        let m = im2col(&image, p);
        assert_eq!(p.matrix_dims(), (16, 4));
        // Output position (0, 0) reads rows −1..3 and columns −1..3: the first row and column
        // of the kernel fall in the padding.
        let patch: Vec<f32> = (0..16).map(|row| m[row * 4]).collect();
        #[rustfmt::skip]
        assert_eq!(patch, [
            0.0, 0.0, 0.0, 0.0,
            0.0, 0.0, 1.0, 2.0,
            0.0, 10.0, 11.0, 12.0,
            0.0, 20.0, 21.0, 22.0,
        ]);
    }

    #[test]
    fn the_inner_loops_range_is_exactly_where_the_kernel_is_inside_the_image() {
        for side in [4, 8, 14, 28, 64] {
            let p = Patches {
                images: 1,
                channels: 1,
                side,
            };
            for k in 0..KERNEL {
                let inside: Vec<usize> = p.inside(k).collect();
                let by_test: Vec<usize> = (0..p.half())
                    .filter(|&o| p.source(o, k).is_some())
                    .collect();
                assert_eq!(inside, by_test, "side {side}, offset {k}");
            }
        }
    }

    #[test]
    fn col2im_is_the_adjoint_of_im2col() {
        // <im2col(x), m> = <x, col2im(m)> for any x and m: the gradient of one is the other.
        let mut rng = Rng::new(3);
        for p in [
            Patches {
                images: 2,
                channels: 3,
                side: 8,
            },
            Patches {
                images: 1,
                channels: 2,
                side: 14,
            },
        ] {
            let x = rng.normal_vec(p.image_len());
            let (rows, cols) = p.matrix_dims();
            let m = rng.normal_vec(rows * cols);
            let left: f64 = im2col(&x, p)
                .iter()
                .zip(&m)
                .map(|(a, b)| (a * b) as f64)
                .sum();
            let right: f64 = x
                .iter()
                .zip(col2im(&m, p))
                .map(|(a, b)| (a * b) as f64)
                .sum();
            assert!(
                (left - right).abs() < 1e-3 * left.abs().max(1.0),
                "{p:?}: {left} vs {right}"
            );
        }
    }
}
