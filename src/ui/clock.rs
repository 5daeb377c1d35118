//! Time in the browser: `performance.now()` (std's `Instant` panics on wasm32) and a way to let
//! the browser paint between chunks of work.

use std::ops::Range;

use wasm_bindgen::JsCast;

/// Milliseconds since the page started, with sub-millisecond resolution where the page is
/// cross-origin isolated.
pub fn now_ms() -> f64 {
    web_sys::window()
        .and_then(|w| w.performance())
        .map_or(0.0, |p| p.now())
}

/// Resolves on the next macrotask, so long work split into chunks leaves the page responsive.
pub async fn yield_to_browser() {
    sleep(0).await;
}

/// Runs `work` from a task of its own, after the current one: how the page's start-up work
/// (reading what the browser keeps, fetching assets) stays out of the task that builds the
/// first screen, which a phone must finish before it can answer a tap. A future spawned
/// plainly runs its first part in the same task, as a microtask.
pub fn spawn_after_this_task(work: impl std::future::Future<Output = ()> + 'static) {
    leptos::task::spawn_local(async move {
        yield_to_browser().await;
        work.await;
    });
}

/// Resolves after `ms` milliseconds (a timer; the next macrotask for 0).
pub async fn sleep(ms: i32) {
    let promise = js_sys::Promise::new(&mut |resolve, _reject| {
        if let Some(window) = web_sys::window() {
            let _ = window
                .set_timeout_with_callback_and_timeout_and_arguments_0(resolve.unchecked_ref(), ms);
        }
    });
    let _ = wasm_bindgen_futures::JsFuture::from(promise).await;
}

/// Does `work` on `0..total` in consecutive ranges of at most `chunk`, letting the browser paint
/// and handle input after each one: how every panel scores or encodes a whole set of images
/// without freezing the page. Stops at the first error.
pub async fn in_chunks<E>(
    total: usize,
    chunk: usize,
    work: impl FnMut(Range<usize>) -> Result<(), E>,
) -> Result<(), E> {
    in_ranges(total, chunk, Pace::EveryRange, work).await
}

/// How long a stretch of [`in_slices`] may hold the thread: well under the 50 ms after which a
/// browser counts a task as long, on a phone as on a desktop (the clock, not a count of
/// items, decides, so a slower device does less in each). A slice ends before a piece that
/// would take it past this (pieces are assumed to take time in proportion to their size):
/// Lighthouse's mobile score counts each task of a desktop's run four times as long, and
/// slices that ended only once past 12 ms ran to 12–16 (`startup.mjs --tasks --slowdown 1`),
/// each a long task there.
const SLICE_MS: f64 = 10.0;

/// The most items [`in_slices`] gives its work at a time, however fast each piece went.
const MOST_PER_PIECE: usize = 512;

/// Does `work` on `0..total` in consecutive ranges, starting at `piece` items, letting the
/// browser paint and handle input before the work since the last pause would take more than
/// [`SLICE_MS`]: for work whose result does not depend on how it is cut (encoding a set's
/// means), where [`in_chunks`]' fixed ranges (the worker's, for scores that must match it)
/// would make long tasks on a slow phone. A piece that took under a quarter of a slice is
/// followed by one twice as large, which takes about twice as long (up to
/// [`MOST_PER_PIECE`]): part of a piece's cost does not depend on its size (tensors allocated,
/// weights laid out for a product), and the plane's 2,000 digits in pieces of 16 spent most
/// of their time there.
/// Stops at the first error.
pub async fn in_slices<E>(
    total: usize,
    piece: usize,
    work: impl FnMut(Range<usize>) -> Result<(), E>,
) -> Result<(), E> {
    in_ranges(total, piece, Pace::Slices, work).await
}

/// When [`in_ranges`] pauses for the browser.
#[derive(Clone, Copy, PartialEq)]
enum Pace {
    /// After every range, whose size stays as given.
    EveryRange,
    /// Before the work since the last pause would pass [`SLICE_MS`]; quick pieces grow.
    Slices,
}

/// `work` on consecutive ranges of `piece` items (at most), pausing for the browser as `pace`
/// says.
async fn in_ranges<E>(
    total: usize,
    piece: usize,
    pace: Pace,
    mut work: impl FnMut(Range<usize>) -> Result<(), E>,
) -> Result<(), E> {
    let mut piece = piece.max(1);
    let mut start = 0;
    // The first range too runs in a task of its own: whatever set the work off (a message
    // just read, a model just loaded) has had its share of the current one.
    yield_to_browser().await;
    let mut since = now_ms();
    while start < total {
        let end = (start + piece).min(total);
        let began = now_ms();
        work(start..end)?;
        start = end;
        let done = now_ms();
        // What the next piece will take, about: as long as this one, or twice, if it doubles.
        // A piece grows only while twice it stays within half a slice: a slice of one piece
        // expected to take nearly all of it ran to 13–20 ms (a piece's time varies with what
        // the memory and the caches hold).
        let mut next_ms = done - began;
        if pace == Pace::Slices && 2.0 * next_ms <= SLICE_MS / 2.0 {
            let grown = (piece * 2).min(MOST_PER_PIECE.max(piece));
            next_ms *= grown as f64 / piece as f64;
            piece = grown;
        }
        if pace == Pace::EveryRange || done - since + next_ms > SLICE_MS {
            yield_to_browser().await;
            since = now_ms();
        }
    }
    Ok(())
}
