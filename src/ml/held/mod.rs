//! Packed weights kept while the weights hold still.
//!
//! The wasm kernels multiply by a weight in a packed form (panels of 16 columns, a
//! convolution's taps stacked: [`Panels`](crate::ml::kernels::sparse::Panels) and the kinds
//! built on it) that every product used to build again from the weight's values. A training
//! step runs its layers on the same weights many times: each piece of the step (up to eight),
//! forward and backward, on both threads, and the epoch's scoring chunk after chunk. For a 64×64
//! colour MLP-VAE, whose two 12,288-wide layers hold 4.9 M weights each, that packing was about
//! half of a step.
//!
//! [`hold`] declares that until its guard drops the variables on this thread keep the values a
//! [`Version`] names. Inside a hold an op that knows its weight is a variable asks [`packed`]
//! for the packing, and gets the one built earlier at that version if there is one. A version
//! comes from one counter and is never handed out twice (whoever changes the values takes a new
//! one), so a packing is never read for values other than those it was built from. Outside a
//! hold nothing is kept or read, as before: the page decodes with packings of its own
//! (`model::packed_*`). The packings outlive a hold, for the next hold of the same version (the
//! step's next piece), and are dropped when a hold of another version opens; so a thread keeps
//! at most one model's packed weights (~40 MB for that 64×64 colour model).
//!
//! The threads that hold one version at once (the trainer and a helper sharing its parameters)
//! share each layer's `Wᵀ` panels, and pack a part each ([`transposed_panels`], `together.rs`).
//! Such a packing lives until every thread that keeps it has moved to another version, so for a
//! moment at each update two versions' may be alive; its buffer then waits, up to 64 MB of them,
//! for the next packing of its shape (`kernels/panels_in_parts.rs`).

mod together;

pub(crate) use together::transposed_panels;

use std::any::Any;
use std::cell::RefCell;
use std::marker::PhantomData;
use std::rc::Rc;
use std::sync::atomic::{AtomicU64, Ordering};

use candle_core::{Tensor, TensorId};

/// Names one set of values of a model's variables.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Version(u64);

impl Version {
    /// A version no other has been in this program: take one whenever the values change.
    pub fn fresh() -> Self {
        static NEXT: AtomicU64 = AtomicU64::new(1);
        Self(NEXT.fetch_add(1, Ordering::Relaxed))
    }
}

/// How a weight is packed: one weight may be read in several forms (a convolution's weight
/// forward and, read backwards, for its input's gradient).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Form {
    /// Panels of `Wᵀ`: a layer's weight as the right factor of `x·Wᵀ`.
    Transposed,
    /// Panels of `W` as it is laid out.
    Rows,
    /// A convolution's taps stacked (`ConvPanels`).
    Conv,
    /// A transposed convolution's taps stacked by output parity (`DeconvPanels`).
    Deconv,
}

#[derive(Default)]
struct Held {
    /// The version of the hold open now, if one is.
    open: Option<Version>,
    /// The version the packings were built at.
    built_at: Option<Version>,
    packings: Vec<(TensorId, Form, Rc<dyn Any>)>,
}

thread_local! {
    static HELD: RefCell<Held> = RefCell::new(Held::default());
}

/// While alive, the variables on this thread hold the values of its version (see [`hold`]).
#[must_use = "the weights are held only while the guard lives"]
pub struct Hold {
    /// A hold belongs to the thread whose variables it speaks for.
    _on_this_thread: PhantomData<Rc<()>>,
}

/// Declares that until the guard drops, the variables on this thread have the values named by
/// `version`, so packings of them are built once and read again. Holds do not nest: opening one
/// inside another is a bug, and panics.
pub fn hold(version: Version) -> Hold {
    HELD.with(|held| {
        let mut held = held.borrow_mut();
        assert!(held.open.is_none(), "a hold opened inside another");
        if held.built_at != Some(version) {
            held.packings.clear();
            held.built_at = Some(version);
        }
        held.open = Some(version);
    });
    Hold {
        _on_this_thread: PhantomData,
    }
}

impl Drop for Hold {
    fn drop(&mut self) {
        HELD.with(|held| held.borrow_mut().open = None);
    }
}

/// The version of the hold open on this thread, if one is.
fn open_version() -> Option<Version> {
    HELD.with(|held| held.borrow().open)
}

/// The variable `w` is, if it is one: only a variable's packing is kept (a tensor made from one,
/// by a reshape say, is a new tensor at every pass).
pub(crate) fn variable(w: &Tensor) -> Option<TensorId> {
    w.is_variable().then(|| w.id())
}

/// `pack()`, or inside a hold the packing of `weight` in `form` built earlier at the hold's
/// version. `weight` is the variable being packed ([`variable`]); `None` always packs.
pub(crate) fn packed<T: Any>(
    weight: Option<TensorId>,
    form: Form,
    pack: impl FnOnce() -> T,
) -> Rc<T> {
    let Some(id) = weight.filter(|_| HELD.with(|held| held.borrow().open.is_some())) else {
        return Rc::new(pack());
    };
    let found = HELD.with(|held| {
        let held = held.borrow();
        held.packings
            .iter()
            .find(|(i, f, _)| (*i, *f) == (id, form))
            .map(|(_, _, p)| Rc::clone(p))
    });
    if let Some(packing) = found.and_then(|p| p.downcast::<T>().ok()) {
        return packing;
    }
    // Packed without the thread's state borrowed: packing is the slow part, and reads no state.
    let packing = Rc::new(pack());
    HELD.with(|held| {
        let mut held = held.borrow_mut();
        held.packings.retain(|(i, f, _)| (*i, *f) != (id, form));
        held.packings
            .push((id, form, Rc::clone(&packing) as Rc<dyn Any>));
    });
    packing
}

#[cfg(test)]
mod tests {
    use super::*;
    use candle_core::{Device, Var};
    use std::cell::Cell;

    fn weight() -> Var {
        Var::zeros((2, 3), candle_core::DType::F32, &Device::Cpu).unwrap()
    }

    /// Packs `w` through [`packed`], counting the packings built.
    fn pack(w: &Tensor, built: &Cell<usize>) -> Rc<usize> {
        packed(variable(w), Form::Rows, || {
            built.set(built.get() + 1);
            built.get()
        })
    }

    #[test]
    fn outside_a_hold_every_use_packs_again() {
        let (w, built) = (weight(), Cell::new(0));
        pack(&w, &built);
        pack(&w, &built);
        assert_eq!(built.get(), 2);
    }

    #[test]
    fn inside_a_hold_a_variable_is_packed_once_and_again_at_the_next_version() {
        let (w, built) = (weight(), Cell::new(0));
        let version = Version::fresh();
        {
            let _held = hold(version);
            assert_eq!(*pack(&w, &built), 1);
            assert_eq!(*pack(&w, &built), 1);
        }
        // The step's next piece: same values, same packing.
        {
            let _held = hold(version);
            assert_eq!(*pack(&w, &built), 1);
        }
        // The values changed.
        let _held = hold(Version::fresh());
        assert_eq!(*pack(&w, &built), 2);
        assert_eq!(built.get(), 2);
    }

    #[test]
    fn a_tensor_made_from_a_variable_is_packed_at_every_use() {
        let (w, built) = (weight(), Cell::new(0));
        let _held = hold(Version::fresh());
        let reshaped = w.reshape((3, 2)).unwrap();
        pack(&reshaped, &built);
        pack(&reshaped, &built);
        assert_eq!(built.get(), 2);
    }

    #[test]
    fn one_weight_in_two_forms_is_two_packings() {
        let w = weight();
        let _held = hold(Version::fresh());
        let rows = packed(variable(&w), Form::Rows, || 1);
        let conv = packed(variable(&w), Form::Conv, || 2);
        assert_eq!((*rows, *conv), (1, 2));
        assert_eq!(*packed(variable(&w), Form::Rows, || 3), 1);
    }

    #[test]
    fn a_layer_inside_holds_follows_its_weight_from_one_version_to_the_next() {
        use crate::ml::model::{sparse_affine, InputGrad};
        use crate::ml::rng::Rng;
        use crate::ml::tensor_diff::max_abs_diff;
        let mut rng = Rng::new(3);
        let (n, k, m) = (16, 40, 24);
        let x = Tensor::from_vec(rng.normal_vec(n * k), (n, k), &Device::Cpu).unwrap();
        let w = Var::from_vec(rng.normal_vec(m * k), (m, k), &Device::Cpu).unwrap();
        let b = Var::from_vec(rng.normal_vec(m), m, &Device::Cpu).unwrap();
        let plain = |w: &Tensor| {
            x.matmul(&w.t().unwrap())
                .unwrap()
                .broadcast_add(&b)
                .unwrap()
        };
        let version = Version::fresh();
        for _ in 0..2 {
            let _held = hold(version);
            let y = sparse_affine(&x, &w, &b, InputGrad::None).unwrap();
            assert!(max_abs_diff(&y, &plain(&w)) < 1e-4);
        }
        // Updated in place, as the optimiser does: the same variable, other values.
        w.set(&Tensor::from_vec(rng.normal_vec(m * k), (m, k), &Device::Cpu).unwrap())
            .unwrap();
        {
            let _held = hold(version);
            let stale = sparse_affine(&x, &w, &b, InputGrad::None).unwrap();
            assert!(
                max_abs_diff(&stale, &plain(&w)) > 1e-2,
                "no packing was kept"
            );
        }
        let _held = hold(Version::fresh());
        let y = sparse_affine(&x, &w, &b, InputGrad::None).unwrap();
        assert!(max_abs_diff(&y, &plain(&w)) < 1e-4);
    }

    #[test]
    #[should_panic(expected = "a hold opened inside another")]
    fn holds_do_not_nest() {
        let _outer = hold(Version::fresh());
        let _inner = hold(Version::fresh());
    }
}
