//! Parts of the page built after the first screen, each in a task of its own. Building the
//! whole page at once was one long task at start-up (a fifth of a second on a 2-core desktop,
//! four times that on a phone), during which a tap waits. The header, the training strip and
//! the tool's stages are built one by one, top to bottom, right after the first paint
//! ([`Later`]; the first task only sets up the state they share); the chapters below (the
//! training panel first) only once a reader comes near them ([`WhenNear`]): on a phone they
//! are screens down, and every visit reads the tool first, so their building (a tenth to a
//! fifth of a second each on a phone) no longer stands between the page and its first taps.

use std::collections::VecDeque;

use leptos::html::Div;
use leptos::prelude::*;
use wasm_bindgen::JsCast;

use super::clock::{now_ms, yield_to_browser};
use super::visibility::{watch_nearness, Viewport};

/// Its children, built in a task of their own once the page's first task is done (before any
/// person could scroll to them), in the page's order ([`BuildQueue`]). A component tested
/// alone builds them at once.
#[component]
pub fn Later(children: ChildrenFn) -> impl IntoView {
    let viewport = use_context::<Viewport>();
    let built = RwSignal::new(viewport.is_none());
    if let Some(viewport) = viewport {
        viewport.queue.add(viewport, built);
    }
    move || built.get().then(|| children())
}

/// The [`Later`] parts not built yet, built one a task in the page's order: top to bottom, so
/// that each comes below all that is built and nothing on screen moves. A part inside another
/// is built right after it, before the parts that follow it (depth first): a timer a part
/// (each `Later` its own) would build it after every part waiting when its parent was built,
/// below which it sits.
#[derive(Clone, Copy, Default)]
pub(crate) struct BuildQueue {
    /// The parts to build, in order (a part's `built` flag).
    waiting: StoredValue<VecDeque<RwSignal<bool>>, LocalStorage>,
    /// Parts added since the last was built: those inside it (or, at the start, the page's
    /// own), in the order they were made, which is the page's.
    added: StoredValue<Vec<RwSignal<bool>>, LocalStorage>,
    /// Whether a task to build the next part is set.
    scheduled: StoredValue<bool>,
}

impl BuildQueue {
    fn add(self, viewport: Viewport, built: RwSignal<bool>) {
        viewport.unbuilt.update(|n| *n += 1);
        self.added.update_value(|added| added.push(built));
        self.schedule(viewport);
    }

    fn schedule(self, viewport: Viewport) {
        if self.scheduled.get_value() {
            return;
        }
        self.scheduled.set_value(true);
        set_timeout(move || self.build_next(viewport), std::time::Duration::ZERO);
    }

    /// Builds the first part waiting (its children are made in this task's microtasks, and
    /// the parts inside them added before the next call).
    fn build_next(self, viewport: Viewport) {
        // The page may be gone (hence `try_`).
        let Some(added) = self.added.try_update_value(std::mem::take) else {
            return;
        };
        let Some(next) = self.waiting.try_update_value(|waiting| {
            for part in added.into_iter().rev() {
                waiting.push_front(part);
            }
            waiting.pop_front()
        }) else {
            return;
        };
        self.scheduled.set_value(false);
        let Some(next) = next else {
            return;
        };
        // A part already gone still counts as built.
        next.try_set(true);
        viewport.unbuilt.try_update(|n| *n -= 1);
        self.schedule(viewport);
    }
}

/// Where a chapter's place must be for it to be built: within a screen below the one shown, so
/// that a reader scrolling down finds it built, or anywhere above it (a reader who jumped
/// past it, dragging the scroll bar or following a link, finds it built on the way back).
const NEAR_MARGIN: &str = "100000% 0px 100% 0px";

/// Its children, built in a task of their own once a reader comes near their place (within a
/// screen below the one shown, or above it) or presses a key anywhere on the page (Tab and
/// find-in-page must reach every chapter); until then an empty placeholder holds the place. A
/// component tested alone builds them at once.
#[component]
pub fn WhenNear(
    /// The id a link elsewhere on the page points to inside the chapter: the placeholder
    /// carries it until the chapter is built, so the link leads to the place, and the place,
    /// now near, to the chapter.
    #[prop(optional)]
    anchor: Option<&'static str>,
    children: ChildrenFn,
) -> impl IntoView {
    let Some(viewport) = use_context::<Viewport>() else {
        return children().into_any();
    };
    let built = RwSignal::new(false);
    let place = NodeRef::<Div>::new();
    let near = watch_nearness(place, NEAR_MARGIN, false);
    let asked = StoredValue::new(false);
    // The place is laid out only once the tool above is built: until then it would sit near
    // the top of a still empty page, and every chapter would count as near.
    let settled = Memo::new(move |_| viewport.unbuilt.get() == 0);
    Effect::new(move |_| {
        let wanted = anchor.is_some() && viewport.wanted.get() == anchor;
        if asked.get_value() || !(viewport.key_pressed.get() || near.get() || wanted) {
            return;
        }
        asked.set_value(true);
        // Several chapters come near at once (their places touch): each is built in a task of
        // its own, as `Later` does.
        set_timeout(
            move || {
                built.try_set(true);
            },
            std::time::Duration::ZERO,
        );
    });
    (move || {
        if built.get() {
            Some(children().into_any())
        } else {
            settled.get().then(|| {
                view! { <div class="chapter-place" id=anchor node_ref=place></div> }.into_any()
            })
        }
    })
    .into_any()
}

/// How long a followed [`ChapterLink`] waits for its chapter to be built before it gives up.
const LINK_WAIT_MS: f64 = 5_000.0;

/// A link to `anchor`, an id inside a chapter that may still wait in its place ([`WhenNear`]):
/// it has the chapter built and brings the anchor into view once it is there, and moves the
/// keyboard's focus to it if it can take it. A plain `href="#…"` jumped to the empty place,
/// and the chapter built there a task later could be carried out of view again by the browser's
/// scroll anchoring while the chapters around it were built too. A click with a modifier key
/// (a new tab) is left to the browser.
#[component]
pub fn ChapterLink(
    anchor: &'static str,
    #[prop(optional)] class: &'static str,
    children: Children,
) -> impl IntoView {
    let viewport = use_context::<Viewport>();
    let follow = move |ev: leptos::ev::MouseEvent| {
        if ev.ctrl_key() || ev.meta_key() || ev.shift_key() || ev.alt_key() {
            return;
        }
        ev.prevent_default();
        if let Some(viewport) = viewport {
            viewport.wanted.set(Some(anchor));
        }
        leptos::task::spawn_local(async move {
            let give_up = now_ms() + LINK_WAIT_MS;
            while now_ms() < give_up {
                if let Some(target) = built_anchor(anchor) {
                    target.scroll_into_view();
                    if target.has_attribute("tabindex") {
                        if let Ok(target) = target.dyn_into::<web_sys::HtmlElement>() {
                            let _ = target.focus();
                        }
                    }
                    break;
                }
                yield_to_browser().await;
            }
            if let Some(viewport) = viewport {
                viewport.wanted.try_set(None);
            }
        });
    };
    view! { <a class=class href=format!("#{anchor}") on:click=follow>{children()}</a> }
}

/// The element with id `anchor` once its chapter is built (not the place holding the id till then).
fn built_anchor(anchor: &str) -> Option<web_sys::Element> {
    let element = web_sys::window()?.document()?.get_element_by_id(anchor)?;
    (!element.matches(".chapter-place").unwrap_or(false)).then_some(element)
}
