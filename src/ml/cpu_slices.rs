//! Access to a candle CPU tensor's data as a plain `f32` slice, for the hand-written ops
//! (`bce_op`, `fastmath`, `optim`, the first layer). They all want contiguous f32 storage and
//! say so, naming the operand, when it is not.

use std::cell::RefCell;

use candle_core::{CpuStorage, InplaceOp1, Layout, Result, Tensor};

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

/// Runs `f` over `tensor`'s own data, without a copy: the way to move a parameter's values to
/// or from memory candle does not own (the shared buffer a helper worker reads). Goes through a
/// candle in-place op, the one public door to a tensor's storage; `f` must not keep the slice.
pub fn with_f32_data<R>(
    tensor: &Tensor,
    what: &'static str,
    f: impl FnOnce(&mut [f32]) -> R,
) -> Result<R> {
    struct Visit<F, R> {
        what: &'static str,
        f: RefCell<Option<F>>,
        out: RefCell<Option<R>>,
    }
    impl<F: FnOnce(&mut [f32]) -> R, R> InplaceOp1 for Visit<F, R> {
        fn name(&self) -> &'static str {
            "visit-f32-data"
        }
        fn cpu_fwd(&self, storage: &mut CpuStorage, layout: &Layout) -> Result<()> {
            let data = f32_slice_mut(storage, layout, self.what)?;
            if let Some(f) = self.f.borrow_mut().take() {
                *self.out.borrow_mut() = Some(f(data));
            }
            Ok(())
        }
    }
    let visit = Visit {
        what,
        f: RefCell::new(Some(f)),
        out: RefCell::new(None),
    };
    tensor.inplace_op1(&visit)?;
    match visit.out.into_inner() {
        Some(out) => Ok(out),
        None => candle_core::bail!("{what}: the data was not reached"),
    }
}

#[cfg(test)]
mod tests {
    use candle_core::{Device, Tensor};

    use super::with_f32_data;

    #[test]
    fn with_f32_data_reads_and_writes_a_tensor_in_place() {
        let t = Tensor::new(&[[1f32, 2.0], [3.0, 4.0]], &Device::Cpu).unwrap();
        let sum = with_f32_data(&t, "t", |data| {
            data[3] = 10.0;
            data.iter().sum::<f32>()
        })
        .unwrap();
        assert_eq!(sum, 16.0);
        assert_eq!(t.to_vec2::<f32>().unwrap(), [[1.0, 2.0], [3.0, 10.0]]);
        let right_column = t.narrow(1, 1, 1).unwrap();
        assert!(
            with_f32_data(&right_column, "a column", |_| ()).is_err(),
            "a strided view is refused"
        );
    }
}
