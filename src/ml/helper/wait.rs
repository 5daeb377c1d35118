//! How a trainer and its helper thread wait for each other's messages: a few looks, then naps
//! that the sender cuts short (`Thread::unpark`), never a blocking `recv`.

use std::sync::mpsc::{Receiver, TryRecvError};
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

/// The next message from `rx`, or `None` once its sender is gone.
///
/// Both sides wait so: a few looks, then naps that the sender cuts short, never a blocking
/// `recv`. In the worker's threaded build (branch `threads2`) a trainer blocked in `recv` for its
/// helper's result stayed blocked now and then: at a run's first step, about one page load in
/// 30 with the machine busy, both threads asleep and the debugger unable to pause either. A
/// wake-up was lost somewhere we did not find (`std`'s channel and thread parking on wasm, or
/// the engine's atomic waits); a nap that ends by itself cannot lose one for long.
pub(super) fn next<T>(rx: &Receiver<T>) -> Option<T> {
    let (mut tries, mut naps) = (0u32, 0u32);
    loop {
        match rx.try_recv() {
            Ok(message) => return Some(message),
            Err(TryRecvError::Disconnected) => return None,
            Err(TryRecvError::Empty) if tries < SPINS => {
                tries += 1;
                std::hint::spin_loop();
            }
            Err(TryRecvError::Empty) => {
                naps = naps.saturating_add(1);
                std::thread::park_timeout(if naps < IDLE_NAPS { NAP } else { IDLE_NAP });
            }
        }
    }
}
