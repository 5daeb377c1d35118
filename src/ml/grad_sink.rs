//! Weight gradients kept out of candle's `GradStore` during a backward pass.
//!
//! candle's backward adds whatever gradient an op returns for an input into that input's entry
//! of its store, and an entry starts as a fresh tensor of zeros: for each of the MLP-VAE's two
//! 314k-value weights, a zeroed allocation and a whole extra pass every share of every step
//! (`zeros_impl` and candle's binary ops, ~8% of a one-thread, batch-32 profile). An op that
//! knows its weight is a variable ([`held::variable`](crate::ml::held::variable)) hands the
//! gradient to the sink [`open`]ed around the pass instead ([`give`]), and whoever opened it
//! takes the gradients out afterwards ([`Sink::into_gradients`]) beside the store's. Without an
//! open sink (a plain `backward()`, the tests against candle) ops return gradients as before.
//!
//! Every sum of gradients in training goes through [`add`], one small op, rather than candle's
//! generic `+`.

use std::cell::RefCell;
use std::collections::HashMap;
use std::marker::PhantomData;
use std::rc::Rc;

use candle_core::{Result, Tensor, TensorId, Var};

use crate::ml::objective_ops::Zip2;

thread_local! {
    static SINK: RefCell<Option<HashMap<TensorId, Tensor>>> = const { RefCell::new(None) };
}

/// While alive, weight gradients on this thread go to it ([`give`]); dropped without
/// [`Sink::into_gradients`] (a failed pass), what it holds is dropped too.
#[must_use = "gradients are kept only while the sink lives"]
pub(crate) struct Sink {
    /// A sink belongs to the thread whose ops fill it.
    _on_this_thread: PhantomData<Rc<()>>,
}

/// Opens this thread's sink. Sinks do not nest: opening one inside another is a bug, and panics.
pub(crate) fn open() -> Sink {
    SINK.with(|sink| {
        let mut sink = sink.borrow_mut();
        assert!(sink.is_none(), "a gradient sink opened inside another");
        *sink = Some(HashMap::new());
    });
    Sink {
        _on_this_thread: PhantomData,
    }
}

impl Sink {
    /// The gradients given while the sink was open, by variable.
    pub(crate) fn into_gradients(self) -> HashMap<TensorId, Tensor> {
        SINK.with(|sink| sink.borrow_mut().take())
            .unwrap_or_default()
    }
}

impl Drop for Sink {
    fn drop(&mut self) {
        SINK.with(|sink| sink.borrow_mut().take());
    }
}

/// `grad`, the gradient of the variable `weight` (`None`: not a variable), kept in the open sink
/// (added to one given earlier for the same variable) and `None` returned for candle; or, with no
/// sink open or no variable, `grad` returned for candle's store.
pub(crate) fn give(weight: Option<TensorId>, grad: Tensor) -> Result<Option<Tensor>> {
    let Some(id) = weight else {
        return Ok(Some(grad));
    };
    SINK.with(|sink| {
        let mut sink = sink.borrow_mut();
        let Some(kept) = sink.as_mut() else {
            return Ok(Some(grad));
        };
        let sum = match kept.remove(&id) {
            Some(earlier) => add(&earlier, &grad)?,
            None => grad,
        };
        kept.insert(id, sum);
        Ok(None)
    })
}

/// `a + b` for two gradients of one shape, element by element: the same values as candle's `+`,
/// through one small op. candle's `+` is its generic binary op (every dtype, every layout), and
/// the engine's optimising tier spent ~150 ms of a core compiling it during the first second of
/// a run started at once, for the few sums a step makes (2-core AMD EPYC, `tiering.mjs`,
/// 2026-12-07).
pub(crate) fn add(a: &Tensor, b: &Tensor) -> Result<Tensor> {
    let sum = Zip2 {
        name: "gradient-sum",
        f: |a: f32, b: f32| a + b,
    };
    a.contiguous()?.apply_op2_no_bwd(&b.contiguous()?, &sum)
}

/// The gradient of `loss` for each of `params`, in their order: candle's backward with a sink
/// open, each parameter's gradient taken from the sink or candle's store (summed when both have
/// one). A parameter the loss does not reach gets zeros.
pub(crate) fn gradients(loss: &Tensor, params: &[Var]) -> Result<Vec<Tensor>> {
    let sink = open();
    let store = loss.backward()?;
    let mut sunk = sink.into_gradients();
    params
        .iter()
        .map(|var| match (sunk.remove(&var.id()), store.get(var)) {
            (Some(kept), Some(g)) => add(&kept, g),
            (Some(kept), None) => Ok(kept),
            (None, Some(g)) => Ok(g.clone()),
            (None, None) => var.zeros_like(),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use candle_core::{Device, Var};

    #[test]
    fn gradients_add_as_candles_plus_does_and_only_in_one_shape() {
        let device = Device::Cpu;
        let a = Tensor::new(&[[1f32, -2.5], [3.0, 1e-30]], &device).unwrap();
        let b = Tensor::new(&[[0.1f32, 2.5], [-7.0, 1e30]], &device).unwrap();
        let sum: Vec<f32> = add(&a, &b)
            .unwrap()
            .flatten_all()
            .unwrap()
            .to_vec1()
            .unwrap();
        let want: Vec<f32> = (&a + &b).unwrap().flatten_all().unwrap().to_vec1().unwrap();
        assert_eq!(sum, want);
        // A view at an offset (a row of a matrix) reads its own values.
        let row = add(&a.narrow(0, 1, 1).unwrap(), &b.narrow(0, 1, 1).unwrap()).unwrap();
        assert_eq!(row.to_vec2::<f32>().unwrap(), [[-4.0, 1e30]]);
        assert!(add(&a, &b.narrow(0, 0, 1).unwrap()).is_err());
    }

    #[test]
    fn without_a_sink_or_a_variable_the_gradient_goes_back_to_candle() {
        let g = Tensor::new(&[1f32, 2.0], &Device::Cpu).unwrap();
        let id = Var::zeros(2, candle_core::DType::F32, &Device::Cpu)
            .unwrap()
            .id();
        assert!(give(Some(id), g.clone()).unwrap().is_some(), "no sink open");
        let sink = open();
        assert!(give(None, g).unwrap().is_some(), "not a variable");
        assert!(sink.into_gradients().is_empty());
    }

    #[test]
    fn a_sink_keeps_each_variables_gradients_summed_and_forgets_them_when_dropped() {
        let device = Device::Cpu;
        let (a, b) = (
            Var::zeros(2, candle_core::DType::F32, &device).unwrap(),
            Var::zeros(1, candle_core::DType::F32, &device).unwrap(),
        );
        let sink = open();
        assert!(
            give(Some(a.id()), Tensor::new(&[1f32, 2.0], &device).unwrap())
                .unwrap()
                .is_none()
        );
        give(Some(a.id()), Tensor::new(&[10f32, 20.0], &device).unwrap()).unwrap();
        give(Some(b.id()), Tensor::new(&[5f32], &device).unwrap()).unwrap();
        let kept = sink.into_gradients();
        assert_eq!(kept[&a.id()].to_vec1::<f32>().unwrap(), [11.0, 22.0]);
        assert_eq!(kept[&b.id()].to_vec1::<f32>().unwrap(), [5.0]);

        let dropped = open();
        give(Some(a.id()), Tensor::new(&[1f32, 2.0], &device).unwrap()).unwrap();
        drop(dropped);
        assert!(
            open().into_gradients().is_empty(),
            "a dropped sink's gradients are gone"
        );
    }

    #[test]
    fn gradients_through_a_sink_equal_candles_own_for_a_weight_used_twice() {
        use crate::ml::model::{sparse_affine, InputGrad};
        use crate::ml::rng::Rng;
        let (device, mut rng) = (Device::Cpu, Rng::new(31));
        // 12 rows: past the count below which the layer stays dense.
        let x = Tensor::from_vec(rng.normal_vec(12 * 9), (12, 9), &device)
            .unwrap()
            .relu()
            .unwrap();
        let w = Var::from_vec(rng.normal_vec(6 * 9), (6, 9), &device).unwrap();
        let b = Var::from_vec(rng.normal_vec(6), 6, &device).unwrap();
        let v = Var::from_vec(rng.normal_vec(9 * 6), (9, 6), &device).unwrap();
        let c = Var::from_vec(rng.normal_vec(9), 9, &device).unwrap();
        let unused = Var::zeros(3, candle_core::DType::F32, &device).unwrap();
        // w used by two layers; v reached through candle's own product as well as the layer.
        let loss = || {
            let h = sparse_affine(&x, &w, &b, InputGrad::None)
                .unwrap()
                .relu()
                .unwrap();
            let back = sparse_affine(&h, &v, &c, InputGrad::ThroughRelu).unwrap();
            let again =
                sparse_affine(&back.relu().unwrap(), &w, &b, InputGrad::ThroughRelu).unwrap();
            let plain = h.matmul(&v.as_tensor().t().unwrap()).unwrap();
            (again.sqr().unwrap().sum_all().unwrap() + plain.sum_all().unwrap()).unwrap()
        };
        // The layers' weights skip candle's store; v, also in a plain product, is in both.
        let sink = open();
        let store = loss().backward().unwrap();
        let sunk = sink.into_gradients();
        assert!(store.get(&w).is_none() && sunk.contains_key(&w.id()));
        assert!(store.get(&v).is_some() && sunk.contains_key(&v.id()));
        assert!(store.get(&b).is_some() && !sunk.contains_key(&b.id()));

        let params = [w.clone(), b.clone(), v.clone(), c.clone(), unused.clone()];
        let ours = gradients(&loss(), &params).unwrap();
        let store = loss().backward().unwrap();
        for (var, g) in params.iter().zip(&ours) {
            let want = store
                .get(var)
                .cloned()
                .unwrap_or_else(|| var.as_tensor().zeros_like().unwrap());
            let diff = crate::ml::tensor_diff::max_abs_diff(g, &want);
            assert!(diff < 1e-4, "gradient of {:?} off by {diff}", var.shape());
        }
        assert!(
            open().into_gradients().is_empty(),
            "nothing left in the sink"
        );
    }
}
