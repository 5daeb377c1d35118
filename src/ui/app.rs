//! The page's root component.

use leptos::prelude::*;

use super::digit_view::DigitView;
use super::fetch::fetch_bytes;
use crate::ml::checkpoint;
use crate::ml::model::Model;
use crate::ml::pretrained::{self, DEFAULT_PRETRAINED};

/// What the page shows while it gets going.
#[derive(Clone, Debug, PartialEq)]
enum Status {
    Loading,
    Ready(String),
    Failed(String),
}

async fn load_default() -> Result<(Model, String), String> {
    let entry = pretrained::find(DEFAULT_PRETRAINED).expect("the default model is in the list");
    let bytes = fetch_bytes(&entry.path()).await?;
    let (model, info) = checkpoint::load(&bytes)
        .map_err(|e| format!("the pretrained model {} could not be loaded: {e}", entry.id))?;
    let score = info
        .notes
        .get("test_neg_elbo")
        .map(|s| format!(", test −ELBO {s} nats"))
        .unwrap_or_default();
    Ok((model, format!("{}{score}", info.config)))
}

fn decode_origin(model: &Model) -> Result<Vec<f32>, String> {
    let latent = model.config().latent;
    let z = candle_core::Tensor::zeros(
        (1, latent),
        candle_core::DType::F32,
        &candle_core::Device::Cpu,
    )
    .map_err(|e| e.to_string())?;
    model
        .decode_pixels(&z)
        .and_then(|p| p.flatten_all()?.to_vec1::<f32>())
        .map_err(|e| format!("decoding failed: {e}"))
}

#[component]
pub fn App() -> impl IntoView {
    let (status, set_status) = signal(Status::Loading);
    let (pixels, set_pixels) = signal(vec![0f32; crate::ml::data::IMAGE_PIXELS]);
    leptos::task::spawn_local(async move {
        match load_default()
            .await
            .and_then(|(model, name)| Ok((decode_origin(&model)?, name)))
        {
            Ok((decoded, name)) => {
                set_pixels.set(decoded);
                set_status.set(Status::Ready(name));
            }
            Err(message) => set_status.set(Status::Failed(message)),
        }
    });
    view! {
        <header>
            <h1>"Latent Lab"</h1>
            <p class="tagline">"Train and explore variational autoencoders on handwritten digits, all in your browser."</p>
        </header>
        <main>
            <section class="panel">
                <h2>"Decoder output at the centre of the latent space"</h2>
                <DigitView pixels=pixels label="the digit decoded from z = 0" />
                <p class="status" data-status=move || match status.get() {
                    Status::Loading => "loading",
                    Status::Ready(_) => "ready",
                    Status::Failed(_) => "failed",
                }>
                    {move || match status.get() {
                        Status::Loading => "Loading the pretrained model…".to_string(),
                        Status::Ready(name) => format!("Pretrained {name}"),
                        Status::Failed(message) => message,
                    }}
                </p>
            </section>
        </main>
    }
}
