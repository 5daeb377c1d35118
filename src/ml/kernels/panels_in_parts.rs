//! The [`Panels`] of a weight's `Wᵀ`, packed by every thread that needs them at once, a panel
//! each at a time, instead of by each thread for itself.
//!
//! In the worker's threaded build the trainer and its helper run the halves of each piece of
//! work through the same layers at the same time, with the very same weights (one shared
//! memory). Each thread packed every weight for itself (`Panels::from_transposed`): 5.5–5.8% of
//! each thread's time over a reference run (`run-profile.mjs`, 2-core AMD EPYC, 2026-12-06).
//! Here whoever asks first allocates the panels ([`crate::ml::held::together`] hands the same
//! [`PanelsInParts`] to every thread holding the same version), and each thread that asks takes
//! the next panel not yet taken until none is left, so two threads asking together pack half
//! each, and one that comes later finds the work done.
//!
//! A thread that has no panel left to take waits for those the others took, which is a panel's
//! time (a few microseconds) unless a thread packing one lost its core. If they have not come
//! after [`LONGEST_WAIT`] the waiter packs a copy of its own, and so does every later asker that
//! finds them still missing, without waiting again: a thread that crashed in the middle of a
//! panel (a wasm thread's panic aborts it) never finishes it.

use std::borrow::Cow;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::Duration;

use super::panels::{pack_transposed_panel, Panels, PANEL};

/// Looks at the panels finished this many times before napping between looks...
const SPINS: u32 = 2_000;
/// ... for this long a nap ...
const NAP: Duration = Duration::from_micros(50);
/// ... until this many naps (~0.1 s: a panel takes microseconds) have passed.
const LONGEST_WAIT: u32 = 2_000;

/// The panels of packings dropped, oldest first, for the next packing of the same shape: a step
/// packs every weight again, and allocating its panels zeroed (1.25 MB for a 784 × 400 weight)
/// took 1–1.5% of a thread's time. Every value of a spare is written again
/// (`pack_transposed_panel` zeroes a last panel's columns past the matrix).
static SPARE: Mutex<Vec<Panels>> = Mutex::new(Vec::new());
/// The spares hold at most this many values (64 MB: the 64×64 colour MLP-VAE's two large
/// weights are 20 MB each); the oldest go first, so a model no longer trained leaves none.
const SPARE_VALUES: usize = 16 << 20;

/// The panels of `Wᵀ` for one weight `W` (`n × k`), filled a panel at a time by the threads
/// that ask for them ([`PanelsInParts::packed`]).
pub struct PanelsInParts {
    /// Read only once every panel is finished; written before that through `base` only.
    panels: Panels,
    /// The start of the panels' values, where each thread writes the panels it took.
    base: *mut f32,
    n: usize,
    k: usize,
    /// The next panel to take: each is taken once (`fetch_add`).
    next: AtomicUsize,
    /// How many panels are written.
    finished: AtomicUsize,
    /// Set when a thread waited too long for a panel: from then on an asker that finds panels
    /// missing packs its own at once.
    abandoned: AtomicBool,
}

// SAFETY: the panels' values are written only through `base`, each panel by the one thread that
// took it (`next.fetch_add` hands each index out once), and read through `panels` only after
// `finished` (released by each writer, acquired by each reader) counts every panel written.
unsafe impl Send for PanelsInParts {}
// SAFETY: as above.
unsafe impl Sync for PanelsInParts {}

impl PanelsInParts {
    /// The panels of `Wᵀ` for a weight of `n × k`, none packed yet.
    pub fn transposed(n: usize, k: usize) -> Self {
        let spare = {
            let mut spare = SPARE.lock().unwrap_or_else(|e| e.into_inner());
            let same = spare.iter().position(|p| p.shape() == (k, n));
            same.map(|i| spare.swap_remove(i))
        };
        let mut panels = spare.unwrap_or_else(|| Panels::zeroed(k, n));
        let base = panels.data_mut().as_mut_ptr();
        Self {
            panels,
            base,
            n,
            k,
            next: AtomicUsize::new(0),
            finished: AtomicUsize::new(0),
            abandoned: AtomicBool::new(false),
        }
    }

    /// The panels of `Wᵀ` for `w` (row-major `n × k`, the values every asker has): packs panels
    /// until none is left to take, then waits for the rest. `Cow::Owned` (packed by this
    /// thread alone) when the others' panels did not come in time.
    pub fn packed<'a>(&'a self, w: &[f32]) -> Cow<'a, Panels> {
        let (n, k) = (self.n, self.k);
        assert_eq!(w.len(), n * k, "{n}×{k} weight");
        let count = self.panels.count();
        // Done already (the hold's later uses): no panel to take, nothing to wait for.
        if self.finished.load(Ordering::Acquire) == count {
            return Cow::Borrowed(&self.panels);
        }
        loop {
            let q = self.next.fetch_add(1, Ordering::Relaxed);
            if q >= count {
                break;
            }
            let size = k * PANEL;
            // SAFETY: panel q (values q·size..(q + 1)·size of the count·size the panels hold)
            // was handed to this thread alone by `fetch_add`, and nothing reads it before
            // `finished` counts it.
            let panel = unsafe { std::slice::from_raw_parts_mut(self.base.add(q * size), size) };
            pack_transposed_panel(w, n, k, q, panel);
            self.finished.fetch_add(1, Ordering::Release);
        }
        if self.wait_for(count) {
            Cow::Borrowed(&self.panels)
        } else {
            Cow::Owned(Panels::from_transposed(w, n, k))
        }
    }

    /// The panels, once [`PanelsInParts::packed`] gave them borrowed (every one is finished).
    pub fn finished(&self) -> &Panels {
        assert_eq!(
            self.finished.load(Ordering::Acquire),
            self.panels.count(),
            "panels read before they were all packed"
        );
        &self.panels
    }

    /// Whether all `count` panels are finished, waiting for them a while.
    fn wait_for(&self, count: usize) -> bool {
        let (mut looks, mut naps) = (0u32, 0u32);
        while self.finished.load(Ordering::Acquire) < count {
            if self.abandoned.load(Ordering::Relaxed) {
                return false;
            }
            if looks < SPINS {
                looks += 1;
                std::hint::spin_loop();
            } else if naps < LONGEST_WAIT {
                // Only ever reached with another thread packing: one alone finishes its panels
                // before it looks (the page's build has no threads, and no naps).
                naps += 1;
                std::thread::park_timeout(NAP);
            } else {
                self.abandoned.store(true, Ordering::Relaxed);
                return false;
            }
        }
        true
    }
}

impl Drop for PanelsInParts {
    fn drop(&mut self) {
        let panels = std::mem::replace(&mut self.panels, Panels::zeroed(0, 0));
        let mut spare = SPARE.lock().unwrap_or_else(|e| e.into_inner());
        spare.push(panels);
        let values = |spare: &[Panels]| spare.iter().map(Panels::values).sum::<usize>();
        while values(&spare) > SPARE_VALUES {
            spare.remove(0);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ml::rng::Rng;
    use std::sync::Arc;

    fn same(a: &Panels, b: &Panels) -> bool {
        a.shape() == b.shape() && (0..a.count()).all(|q| a.panel(q) == b.panel(q))
    }

    #[test]
    fn one_thread_alone_packs_what_from_transposed_packs() {
        let mut rng = Rng::new(1);
        for (n, k) in [(40, 7), (16, 3), (5, 9), (1, 1)] {
            let w = rng.normal_vec(n * k);
            let parts = PanelsInParts::transposed(n, k);
            let packed = parts.packed(&w);
            assert!(matches!(packed, Cow::Borrowed(_)));
            assert!(same(&packed, &Panels::from_transposed(&w, n, k)), "{n}×{k}");
            // Asked again, it is the same packing, already done.
            assert!(same(&parts.packed(&w), &Panels::from_transposed(&w, n, k)));
        }
    }

    #[test]
    fn threads_asking_at_once_all_get_the_whole_packing() {
        let (n, k) = (400, 784);
        let w = Arc::new(Rng::new(2).normal_vec(n * k));
        let parts = Arc::new(PanelsInParts::transposed(n, k));
        let expected = Panels::from_transposed(&w, n, k);
        let threads: Vec<_> = (0..4)
            .map(|_| {
                let (w, parts) = (Arc::clone(&w), Arc::clone(&parts));
                std::thread::spawn(move || parts.packed(&w).into_owned())
            })
            .collect();
        for thread in threads {
            let packed = thread.join().expect("a packing thread panicked");
            assert!(same(&packed, &expected));
        }
    }

    #[test]
    fn every_value_of_a_spare_is_packed_again() {
        // 37 rows: the last panel has 11 columns past the matrix, which must come out zero. A
        // shape no other test uses, so the spare below is the one taken.
        let (n, k) = (37, 5);
        let mut old = Panels::zeroed(k, n);
        old.data_mut().fill(f32::NAN);
        SPARE.lock().unwrap().push(old);
        let w = Rng::new(4).normal_vec(n * k);
        let parts = PanelsInParts::transposed(n, k);
        let packed = parts.packed(&w);
        assert!(same(&packed, &Panels::from_transposed(&w, n, k)));
    }

    #[test]
    fn a_panel_taken_and_never_finished_is_packed_by_the_waiter_itself() {
        let (n, k) = (40, 8);
        let w = Rng::new(3).normal_vec(n * k);
        let parts = PanelsInParts::transposed(n, k);
        // A thread took the first panel and died before it finished it.
        parts.next.fetch_add(1, Ordering::Relaxed);
        let packed = parts.packed(&w);
        assert!(matches!(packed, Cow::Owned(_)), "waited for ever");
        assert!(same(&packed, &Panels::from_transposed(&w, n, k)));
        // Later askers do not wait again.
        assert!(parts.abandoned.load(Ordering::Relaxed));
        assert!(matches!(parts.packed(&w), Cow::Owned(_)));
    }
}
