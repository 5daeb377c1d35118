//! Σ over the rows of a matrix: a fully connected or convolutional layer's bias gradient, as one
//! candle op.

use candle_core::{CpuStorage, CustomOp1, Layout, Result, Shape};

use crate::ml::cpu_slices::f32_slice;

/// Σ over the rows of an n×m matrix → m: the bias gradient. candle's `sum(0)` walks the
/// columns with a stride; this adds whole rows, which vectorises.
pub(crate) struct ColumnSums;

impl CustomOp1 for ColumnSums {
    fn name(&self) -> &'static str {
        "column-sums"
    }

    fn cpu_fwd(&self, storage: &CpuStorage, layout: &Layout) -> Result<(CpuStorage, Shape)> {
        let (_, m) = layout.shape().dims2()?;
        let g = f32_slice(storage, layout, "output gradient")?;
        let mut sums = vec![0.0f32; m];
        for row in g.chunks_exact(m.max(1)) {
            for (s, &v) in sums.iter_mut().zip(row) {
                *s += v;
            }
        }
        Ok((CpuStorage::F32(sums), Shape::from(m)))
    }
}
