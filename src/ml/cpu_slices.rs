//! Access to a candle CPU tensor's data as a plain `f32` slice, for the hand-written ops
//! (`bce_op`, `fastmath`, `optim`, the first layer). They all want contiguous f32 storage and
//! say so, naming the operand, when it is not.

use candle_core::{CpuStorage, Layout, Result};

/// The elements `layout` covers in `storage`, which must be f32 and contiguous.
pub fn f32_slice<'a>(storage: &'a CpuStorage, layout: &Layout, what: &str) -> Result<&'a [f32]> {
    let CpuStorage::F32(data) = storage else {
        candle_core::bail!("{what} must be f32")
    };
    match layout.contiguous_offsets() {
        Some((start, end)) => Ok(&data[start..end]),
        None => candle_core::bail!("{what} must be contiguous"),
    }
}

/// The same, mutably, for ops that work in place.
pub fn f32_slice_mut<'a>(
    storage: &'a mut CpuStorage,
    layout: &Layout,
    what: &str,
) -> Result<&'a mut [f32]> {
    let CpuStorage::F32(data) = storage else {
        candle_core::bail!("{what} must be f32")
    };
    match layout.contiguous_offsets() {
        Some((start, end)) => Ok(&mut data[start..end]),
        None => candle_core::bail!("{what} must be contiguous"),
    }
}
