//! "why?": the explanation behind a one-line caption, folded away until asked for, so a
//! newcomer reads one sentence per idea and the jargon (ELBO, KL, q(z|x)) waits behind a click.

use leptos::prelude::*;

use super::i18n::tr;

#[component]
pub fn Why(children: Children) -> impl IntoView {
    view! {
        <details class="why">
            <summary>{tr("why?", "为什么？")}</summary>
            <div class="why-body">{children()}</div>
        </details>
    }
}
