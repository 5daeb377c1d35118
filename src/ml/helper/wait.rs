//! How a trainer and its helper thread wait for each other's messages: a few looks, then naps
//! that the sender cuts short (`Thread::unpark`), never a blocking `recv`; and how the trainer
//! gives up a job its helper has not taken ([`Claims`]).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, TryRecvError};
use std::sync::Arc;
use std::time::Duration;

/// Looks for a message this many times before it naps: a share or an update often comes back
/// within a few tens of microseconds of the wait's start.
const SPINS: u32 = 1_000;
/// The longest nap between two looks. A side that sends wakes the other (`Thread::unpark`), so
/// this matters only when a wake-up is lost...
const NAP: Duration = Duration::from_millis(1);
/// ... and, after this many naps without a message (a paused run, say), this.
const IDLE_NAPS: u32 = 50;
const IDLE_NAP: Duration = Duration::from_millis(10);
/// After this many naps (about 2.5 s: 50 of 1 ms, then 10 ms each) the trainer may give up a
/// job the helper has not taken: a share takes tens of milliseconds, and the page replaces a
/// worker that has not answered for 6 s.
const GIVE_UP_NAPS: u32 = 250;
/// ... and asks again every this many naps (about a second).
const ASK_AGAIN_NAPS: u32 = 100;

/// How many jobs the helper has taken, counted by both sides, or that the trainer gave the
/// next one up. Either side takes the next number with one compare-and-swap, so a job is
/// either taken or given up, never both: a helper that comes to a job late (it was not
/// running) finds it given up and stops, and never works on, or writes, parameters the
/// trainer has moved on from.
#[derive(Clone, Default)]
pub(super) struct Claims(Arc<AtomicU64>);

const GIVEN_UP: u64 = u64::MAX;

impl Claims {
    /// On the helper's side: takes job `n` (counted from 0), unless it was given up.
    pub(super) fn take(&self, n: u64) -> bool {
        let taken = self
            .0
            .compare_exchange(n, n + 1, Ordering::AcqRel, Ordering::Acquire);
        taken.is_ok()
    }

    /// On the trainer's side: gives job `n` up, if the helper has not taken it.
    pub(super) fn give_up(&self, n: u64) -> bool {
        let given = self
            .0
            .compare_exchange(n, GIVEN_UP, Ordering::AcqRel, Ordering::Acquire);
        given.is_ok()
    }
}

/// What a wait that may give up ends with.
pub(super) enum Waited<T> {
    Message(T),
    /// The sender is gone.
    Gone,
    /// `give_up` said yes.
    GaveUp,
}

/// The next message from `rx`, or `None` once its sender is gone.
///
/// Both sides wait so: a few looks, then naps that the sender cuts short, never a blocking
/// `recv`. In the worker's threaded build a trainer blocked in `recv` for its helper's result
/// stayed blocked now and then: at a run's first step, about one page load in 30 with the
/// machine busy, both threads asleep and the debugger unable to pause either. A wake-up was
/// lost somewhere we did not find (`std`'s channel and thread parking on wasm, or the engine's
/// atomic waits); a nap that ends by itself cannot lose one for long.
pub(super) fn next<T>(rx: &Receiver<T>) -> Option<T> {
    match waiting(rx, None) {
        Waited::Message(message) => Some(message),
        Waited::Gone | Waited::GaveUp => None,
    }
}

/// As [`next`], but after about 2.5 s, and then every second, asks `give_up` whether to stop
/// waiting.
pub(super) fn next_or_give_up<T>(rx: &Receiver<T>, give_up: &dyn Fn() -> bool) -> Waited<T> {
    waiting(rx, Some(give_up))
}

fn waiting<T>(rx: &Receiver<T>, give_up: Option<&dyn Fn() -> bool>) -> Waited<T> {
    let (mut tries, mut naps) = (0u32, 0u32);
    loop {
        match rx.try_recv() {
            Ok(message) => return Waited::Message(message),
            Err(TryRecvError::Disconnected) => return Waited::Gone,
            Err(TryRecvError::Empty) if tries < SPINS => {
                tries += 1;
                std::hint::spin_loop();
            }
            Err(TryRecvError::Empty) => {
                naps = naps.saturating_add(1);
                let due =
                    naps >= GIVE_UP_NAPS && (naps - GIVE_UP_NAPS).is_multiple_of(ASK_AGAIN_NAPS);
                if due && give_up.is_some_and(|give_up| give_up()) {
                    return Waited::GaveUp;
                }
                std::thread::park_timeout(if naps < IDLE_NAPS { NAP } else { IDLE_NAP });
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Claims;

    #[test]
    fn a_job_is_either_taken_or_given_up_never_both() {
        let claims = Claims::default();
        assert!(claims.take(0), "the helper takes the first job");
        assert!(!claims.give_up(0), "a taken job cannot be given up");
        assert!(claims.give_up(1), "the second, not taken, can");
        assert!(!claims.take(1), "and once given up it cannot be taken");
        assert!(!claims.take(2), "nor any after it");
    }
}
