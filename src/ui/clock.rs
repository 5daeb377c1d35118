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
    in_ranges(total, chunk, 0.0, work).await
}

/// How long a stretch of [`in_slices`] may hold the thread: well under the 50 ms after which a
/// browser counts a task as long, on a phone as on a desktop (the clock, not a count of
/// items, decides, so a slower device does less in each).
const SLICE_MS: f64 = 12.0;

/// Does `work` on `0..total` in consecutive ranges of at most `piece`, letting the browser
/// paint and handle input whenever the work since the last pause has taken [`SLICE_MS`]: for
/// work whose result does not depend on how it is cut (encoding a set's means), where
/// [`in_chunks`]' fixed ranges (the worker's, for scores that must match it) would make long
/// tasks on a slow phone. Stops at the first error.
pub async fn in_slices<E>(
    total: usize,
    piece: usize,
    work: impl FnMut(Range<usize>) -> Result<(), E>,
) -> Result<(), E> {
    in_ranges(total, piece, SLICE_MS, work).await
}

/// `work` on consecutive ranges of at most `piece`, pausing for the browser once the work since
/// the last pause has taken `budget_ms` (0: after every range).
async fn in_ranges<E>(
    total: usize,
    piece: usize,
    budget_ms: f64,
    mut work: impl FnMut(Range<usize>) -> Result<(), E>,
) -> Result<(), E> {
    let piece = piece.max(1);
    let mut start = 0;
    let mut since = now_ms();
    while start < total {
        let end = (start + piece).min(total);
        work(start..end)?;
        start = end;
        if now_ms() - since >= budget_ms {
            yield_to_browser().await;
            since = now_ms();
        }
    }
    Ok(())
}
