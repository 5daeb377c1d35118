//! Packings that the threads holding one version share ([`together`]), and through it a layer's
//! `Wᵀ` panels ([`transposed_panels`]), which the trainer and its helper pack a part each
//! ([`PanelsInParts`]).
//!
//! A thread keeps what it holds in its own list (`packed`, as for every packing); a packing
//! made together is also listed here, by version, weight and form, weakly: it lives while a
//! thread keeps it, so until every thread that holds it opens a hold of another version.

use std::any::Any;
use std::borrow::Cow;
use std::ops::Deref;
use std::sync::{Arc, Mutex, Weak};

use candle_core::TensorId;

use super::{open_version, packed, Form, Version};
use crate::ml::kernels::panels_in_parts::PanelsInParts;
use crate::ml::kernels::sparse::Panels;

struct Listed {
    version: Version,
    weight: TensorId,
    form: Form,
    packing: Weak<dyn Any + Send + Sync>,
}

/// Every packing made together that a thread still keeps (and some just dropped).
static TOGETHER: Mutex<Vec<Listed>> = Mutex::new(Vec::new());

/// Inside a hold, the packing of the variable `weight` in `form` that every thread holding the
/// same version shares: the one another made (`new` on the first thread to ask). Outside a hold,
/// or for a tensor that is not a variable, `new()` for this thread alone.
fn together<T: Any + Send + Sync>(
    weight: Option<TensorId>,
    form: Form,
    new: impl FnOnce() -> T,
) -> Arc<T> {
    let (Some(weight), Some(version)) = (weight, open_version()) else {
        return Arc::new(new());
    };
    let mut listed = TOGETHER.lock().unwrap_or_else(|e| e.into_inner());
    listed.retain(|l| l.packing.strong_count() > 0);
    let found = listed
        .iter()
        .filter(|l| (l.version, l.weight, l.form) == (version, weight, form))
        .find_map(|l| l.packing.upgrade()?.downcast::<T>().ok());
    if let Some(packing) = found {
        return packing;
    }
    let packing = Arc::new(new());
    let shared: Arc<dyn Any + Send + Sync> = packing.clone();
    listed.push(Listed {
        version,
        weight,
        form,
        packing: Arc::downgrade(&shared),
    });
    packing
}

/// The panels of `Wᵀ` for the weight `w` (row-major `n × k`; `weight` is the variable, if it is
/// one): inside a hold, packed once for every thread holding the version, each thread that asks
/// packing a part ([`PanelsInParts`]), and kept for the hold's next uses on this thread.
pub(crate) fn transposed_panels(
    weight: Option<TensorId>,
    w: &[f32],
    n: usize,
    k: usize,
) -> HeldPanels {
    let parts = packed(weight, Form::Transposed, || {
        together(weight, Form::Transposed, || PanelsInParts::transposed(n, k))
    });
    match parts.packed(w) {
        Cow::Borrowed(_) => HeldPanels::Shared(Arc::clone(&parts)),
        Cow::Owned(own) => HeldPanels::Own(own),
    }
}

/// Panels of `Wᵀ` from [`transposed_panels`]: the ones the threads packed together, or (when
/// another thread's part did not come) this thread's own.
pub(crate) enum HeldPanels {
    Shared(Arc<PanelsInParts>),
    Own(Panels),
}

impl Deref for HeldPanels {
    type Target = Panels;

    fn deref(&self) -> &Panels {
        match self {
            HeldPanels::Shared(parts) => parts.finished(),
            HeldPanels::Own(panels) => panels,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::hold;
    use super::*;
    use crate::ml::rng::Rng;
    use candle_core::{Device, Var};
    use std::sync::Barrier;

    fn weight(n: usize, k: usize, seed: u64) -> (Var, Vec<f32>) {
        let values = Rng::new(seed).normal_vec(n * k);
        let var = Var::from_vec(values.clone(), (n, k), &Device::Cpu).unwrap();
        (var, values)
    }

    fn id(w: &Var) -> Option<TensorId> {
        super::super::variable(w.as_tensor())
    }

    #[test]
    fn threads_holding_one_version_share_one_packing_of_a_weight() {
        let (w, values) = weight(40, 24, 1);
        let version = Version::fresh();
        let expected = Panels::from_transposed(&values, 40, 24);
        // Each keeps its packing until both have asked: one no thread keeps is gone.
        let both_asked = Arc::new(Barrier::new(2));
        let ask = move |w: Var, values: Vec<f32>, both_asked: Arc<Barrier>| {
            let _held = hold(version);
            let parts = packed(id(&w), Form::Transposed, || {
                together(id(&w), Form::Transposed, || {
                    PanelsInParts::transposed(40, 24)
                })
            });
            both_asked.wait();
            // Shared, or (a thread that lost its core for long) packed alone: the same values.
            let panels = transposed_panels(id(&w), &values, 40, 24);
            (Arc::as_ptr(&parts) as usize, Panels::clone(&panels))
        };
        let other = {
            let (w, values, both) = (w.clone(), values.clone(), Arc::clone(&both_asked));
            std::thread::spawn(move || ask(w, values, both))
        };
        let mine = ask(w, values, both_asked);
        let theirs = other.join().expect("the other thread panicked");
        assert_eq!(
            mine.0, theirs.0,
            "two packings of one weight at one version"
        );
        assert!(mine.1 == expected && theirs.1 == expected);
    }

    #[test]
    fn another_version_or_no_hold_is_another_packing() {
        let (w, values) = weight(20, 8, 2);
        let at = |version: Version| {
            let _held = hold(version);
            let panels = transposed_panels(id(&w), &values, 20, 8);
            match panels {
                HeldPanels::Shared(parts) => parts,
                HeldPanels::Own(_) => panic!("packed alone"),
            }
        };
        let (first, again) = (Version::fresh(), Version::fresh());
        let a = at(first);
        assert!(
            Arc::ptr_eq(&a, &at(first)),
            "the hold's next use packs again"
        );
        assert!(!Arc::ptr_eq(&a, &at(again)));
        // Outside a hold: packed for this use alone, never listed.
        let alone = together(id(&w), Form::Transposed, || {
            PanelsInParts::transposed(20, 8)
        });
        assert!(!Arc::ptr_eq(&a, &alone));
        assert_eq!(Arc::strong_count(&alone), 1);
    }
}
