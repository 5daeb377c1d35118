//! Parts of the page built after the first screen, each in a task of its own. Building the
//! whole page at once was one long task at start-up (a fifth of a second on a 2-core desktop,
//! four times that on a phone), during which a tap waits; the chapters below the tool are
//! built one by one right after it, so the browser can paint and answer between them.

use leptos::prelude::*;

/// Its children, built in a task of their own once the page's first task is done (before any
/// person could scroll to them). A component tested alone builds them at once.
#[component]
pub fn Later(children: ChildrenFn) -> impl IntoView {
    let built = RwSignal::new(use_context::<super::visibility::Viewport>().is_none());
    if !built.get_untracked() {
        // The component may be gone before the timer fires (hence `try_`).
        set_timeout(
            move || {
                built.try_set(true);
            },
            std::time::Duration::ZERO,
        );
    }
    move || built.get().then(|| children())
}
