//! Which parts of the page are on screen: the chapters fill themselves when they scroll into
//! view (and again when the model changes while they are), rather than wait for a button.
//! A part is in view when its box meets the screen (or comes within a margin of it), as an
//! `IntersectionObserver` reports: the browser works that out after its own layout, so no
//! chapter forces one (measuring boxes as the page is built cost a whole extra layout at
//! start-up). Figures that size their drawing to their box watch it with a `ResizeObserver`
//! ([`width_of`]).

use leptos::html::{Div, Section};
use leptos::prelude::*;
use wasm_bindgen::closure::Closure;
use wasm_bindgen::JsCast;

use super::clock::now_ms;
use super::state::Lab;
use crate::ui_logic::refill::next_fill_ms;

/// How far below the screen a part counts as in view already, so it is filled by the time it
/// is read.
const AHEAD_PX: u32 = 200;

/// Present (as context) where the page watches what is on screen: its root provides it. A
/// component tested alone has none, and counts every part as in view.
#[derive(Clone, Copy)]
pub struct Viewport {
    /// Parts of the first screen not built yet ([`super::later::Later`]): the chapters below
    /// wait for none to be left before they measure how near they are, or every one of them
    /// would be "near" the still empty tool.
    pub(crate) unbuilt: RwSignal<u32>,
    /// Those parts, in the order they are built ([`super::later::BuildQueue`]).
    pub(crate) queue: super::later::BuildQueue,
    /// A key was pressed on the page: a reader who moves through it by keyboard (Tab) or
    /// searches it (Ctrl+F) reaches every chapter without scrolling to it, so all are built.
    pub(crate) key_pressed: RwSignal<bool>,
    /// The anchor a [`super::later::ChapterLink`] was just followed to: its chapter is built
    /// at once, wherever the reader is.
    pub(crate) wanted: RwSignal<Option<&'static str>>,
}

impl Viewport {
    /// The page's watch; call once, from the root, and provide the result as context.
    pub fn watch() -> Self {
        let key_pressed = RwSignal::new(false);
        let listener = StoredValue::new_local(None::<WindowListenerHandle>);
        let handle = window_event_listener(leptos::ev::keydown, move |_| {
            key_pressed.set(true);
            // Once is enough; the handle is taken so the listener is not called again.
            if let Some(handle) = listener.try_update_value(Option::take).flatten() {
                handle.remove();
            }
        });
        listener.set_value(Some(handle));
        Self {
            unbuilt: RwSignal::new(0),
            queue: super::later::BuildQueue::default(),
            key_pressed,
            wanted: RwSignal::new(None),
        }
    }

    /// Whether `section` is on screen (or about to be), following scrolls, resizes and
    /// changes of layout. A section without height (hidden) is not.
    pub fn shows(section: NodeRef<Section>) -> Signal<bool> {
        if use_context::<Viewport>().is_none() {
            return Signal::stored(true);
        }
        watch_nearness(section, &format!("0px 0px {AHEAD_PX}px 0px"), true)
    }
}

/// How far beyond the screen a drawing counts as near it (CSS, as `IntersectionObserver`'s
/// root margin): what it draws is under way by the time a reader scrolls it in.
const DRAWING_MARGIN: &str = "200px 0px 200px 0px";

/// Whether the drawing on `canvas` is on screen or within [`DRAWING_MARGIN`] of it, following
/// scrolls, resizes and changes of layout: a canvas off screen waits to draw. Without the
/// page's [`Viewport`] (a component tested alone) it always is.
pub(crate) fn drawing_near(canvas: NodeRef<leptos::html::Canvas>) -> Signal<bool> {
    if use_context::<Viewport>().is_none() {
        return Signal::stored(true);
    }
    watch_nearness(canvas, DRAWING_MARGIN, true)
}

/// Whether the element of `node` meets the screen grown by `margin` (CSS, as
/// `IntersectionObserver`'s root margin), following scrolls, resizes and changes of layout;
/// with `needs_height`, an element without height (hidden) never does.
pub(crate) fn watch_nearness<E>(node: NodeRef<E>, margin: &str, needs_height: bool) -> Signal<bool>
where
    E: leptos::html::ElementType,
    E::Output: JsCast + Clone + 'static,
{
    let (seen, set_seen) = signal(false);
    let observer = StoredValue::new_local(None::<web_sys::IntersectionObserver>);
    let margin = margin.to_string();
    node.on_load(move |element| {
        let on_change = Closure::<dyn FnMut(js_sys::Array)>::new(move |entries: js_sys::Array| {
            // The newest entry is the state now; several arrive after a quick scroll.
            if let Some(entry) = entries
                .iter()
                .last()
                .and_then(|e| e.dyn_into::<web_sys::IntersectionObserverEntry>().ok())
            {
                let near = entry.is_intersecting()
                    && (!needs_height || entry.bounding_client_rect().height() > 0.0);
                // The element may be gone by the time the browser reports (hence `try_`).
                set_seen.try_set(near);
            }
        })
        // Handed to the browser for the element's life; disconnected when it goes.
        .into_js_value();
        let options = web_sys::IntersectionObserverInit::new();
        options.set_root_margin(&margin);
        if let Ok(o) =
            web_sys::IntersectionObserver::new_with_options(on_change.unchecked_ref(), &options)
        {
            o.observe(element.unchecked_ref());
            observer.set_value(Some(o));
        }
    });
    on_cleanup(move || {
        if let Some(Some(o)) = observer.try_get_value() {
            o.disconnect();
        }
    });
    seen.into()
}

/// The width of `element` in CSS pixels, following every change of its size (a resize, a
/// scroll bar, a chapter laid out anew); `fallback` until it is laid out. Figures drawn in SVG
/// use it as their view box's width, so that text set in pixels is that size on a phone too,
/// instead of shrinking with the figure.
pub fn width_of(element: NodeRef<Div>, fallback: f64) -> ReadSignal<f64> {
    watch_box(element, fallback, true, |div| f64::from(div.client_width()))
}

/// The height of `element`'s box, border included, in CSS pixels, following every change of its
/// size (a bar that wraps onto a second line); `fallback` until the browser has laid it out.
/// Unlike [`width_of`] it does not measure at once: an element of the first screen measured
/// while the page is being built forces a layout of the whole page in that task.
pub fn height_of(element: NodeRef<Div>, fallback: f64) -> ReadSignal<f64> {
    watch_box(element, fallback, false, |div| {
        f64::from(div.offset_height())
    })
}

/// One measure of `element` (`read`), read again at every change of its size (and at once if
/// `at_once`; otherwise first when the browser reports its first layout).
fn watch_box(
    element: NodeRef<Div>,
    fallback: f64,
    at_once: bool,
    read: fn(&web_sys::HtmlDivElement) -> f64,
) -> ReadSignal<f64> {
    let (size, set_size) = signal(fallback);
    let observer = StoredValue::new_local(None::<web_sys::ResizeObserver>);
    element.on_load(move |div| {
        let watched = div.clone();
        let measure = move || {
            let v = read(&watched);
            if v > 0.0 && size.try_get_untracked() != Some(v) {
                // The element may be gone by the time the browser reports (hence `try_`).
                set_size.try_set(v);
            }
        };
        if at_once {
            measure();
        }
        // Handed to the browser for the page's life: an element's observer is disconnected when
        // the element goes, after which the function is never called again.
        let on_resize = Closure::<dyn FnMut()>::new(measure).into_js_value();
        if let Ok(o) = web_sys::ResizeObserver::new(on_resize.unchecked_ref()) {
            o.observe(&div);
            observer.set_value(Some(o));
        }
    });
    on_cleanup(move || {
        if let Some(Some(o)) = observer.try_get_value() {
            o.disconnect();
        }
    });
    size
}

/// Calls `fill` when `section` is in view and `key` (what the content depends on: the model,
/// say) differs from the last fill's, at most once every `gap_ms` (see [`fill_when`]).
pub fn fill_when_shown<K>(
    section: NodeRef<Section>,
    gap_ms: f64,
    key: impl Fn() -> Option<K> + 'static,
    fill: impl Fn() + 'static,
) where
    K: PartialEq + 'static,
{
    fill_when(Viewport::shows(section), gap_ms, key, fill);
}

/// Calls `fill` while `wanted` holds and `key` differs from the last fill's, at most once
/// every `gap_ms`, and no sooner than keeps the fills to their share of the page's time
/// ([`next_fill_ms`]: a Conv-VAE's fill takes a second); a check that comes sooner waits, then
/// looks again. `key` gives `None` while filling cannot start (the digits not loaded yet, a
/// fill still running); it is tracked, so the check runs again when that changes, and the
/// first `Some` after a fill started is where that fill ended.
pub fn fill_when<K>(
    wanted: Signal<bool>,
    gap_ms: f64,
    key: impl Fn() -> Option<K> + 'static,
    fill: impl Fn() + 'static,
) where
    K: PartialEq + 'static,
{
    let last = StoredValue::new_local(None::<K>);
    // When the last fill started, until it is seen to have ended.
    let running_since = StoredValue::new_local(None::<f64>);
    let next_ms = StoredValue::new_local(f64::NEG_INFINITY);
    let again = RwSignal::new(0u32);
    let waiting = StoredValue::new_local(false);
    Effect::new(move |_| {
        again.track();
        // Read (and tracked) whether wanted or not, so that a fill's end is seen when it comes.
        let key = key();
        if key.is_some() {
            if let Some(started) = running_since.get_value() {
                running_since.set_value(None);
                next_ms.set_value(next_fill_ms(started, now_ms() - started, gap_ms));
            }
        }
        if !wanted.get() {
            return;
        }
        let Some(k) = key else {
            return;
        };
        if last.with_value(|l| l.as_ref() == Some(&k)) {
            return;
        }
        let wait = next_ms.get_value() - now_ms();
        if wait > 0.0 {
            if !waiting.get_value() {
                waiting.set_value(true);
                set_timeout(
                    move || {
                        waiting.set_value(false);
                        again.update(|n| *n += 1);
                    },
                    std::time::Duration::from_millis(wait.ceil() as u64),
                );
            }
            return;
        }
        last.set_value(Some(k));
        let now = now_ms();
        running_since.set_value(Some(now));
        next_ms.set_value(now + gap_ms);
        fill();
    });
}

/// A test set as part of a fill's key: the same set (by identity, not by content), held so
/// that no other set can take its place in memory and pass for it.
#[derive(Clone)]
pub struct SameSet(std::sync::Arc<crate::ml::data::ImageSet>);

impl SameSet {
    pub fn of(set: &std::sync::Arc<crate::ml::data::ImageSet>) -> Self {
        Self(set.clone())
    }
}

impl PartialEq for SameSet {
    fn eq(&self, other: &Self) -> bool {
        std::sync::Arc::ptr_eq(&self.0, &other.0)
    }
}

/// The key of a chapter that follows the weights shown (each snapshot of a run in training
/// counts as new) and the test set (the digits, or a dataset of one's own): which weights and
/// which set they are, once the test set is loaded and while no fill of the chapter (`busy`) is
/// running.
pub fn shown_weights(lab: Lab, busy: RwSignal<bool>) -> Option<(usize, SameSet)> {
    if busy.get() {
        return None;
    }
    let test = lab.test.get()?;
    let model = lab
        .active
        .with(|m| m.as_ref().map(|m| std::sync::Arc::as_ptr(m) as usize))?;
    Some((model, SameSet(test)))
}

/// The test set in use as a key ([`SameSet`]), once loaded.
pub fn test_set_key(lab: Lab) -> Option<SameSet> {
    lab.test.get().map(SameSet)
}
