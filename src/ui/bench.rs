//! In-page benchmark (shown when the URL has `?bench`): times the page's own decode, grid,
//! draw→reconstruct and plotting paths on the active model and prints the medians as JSON, for
//! `www/bench/page.mjs` to collect. It measures; it never judges.

use leptos::prelude::*;

use super::clock::{now_ms, yield_to_browser};
use super::i18n::tr;
use super::sketch::PAD_SIDE;
use super::state::{use_lab, ActiveModel};
use crate::ml::data::{ImageSet, IMAGE_SIDE};
use crate::ml::explore::{encode_means, encode_one, grid_codes, neg_elbo_one};
use crate::ml::preprocess::mnist_like;
use crate::ml::rng::Rng;

/// Whether the page was opened with `?bench`.
pub fn requested() -> bool {
    web_sys::window()
        .and_then(|w| w.location().search().ok())
        .is_some_and(|q| q.contains("bench"))
}

/// Test images whose means the benchmark encodes (a quarter of the digits' test set).
const PLOTTED: usize = 500;

/// Median of `runs` timings of `f`, in ms, after one untimed warm-up call. A failing call ends
/// the measurement with its error: a failure must never pass for a fast success.
fn median_ms(runs: usize, mut f: impl FnMut() -> candle_core::Result<()>) -> Result<f64, String> {
    f().map_err(|e| e.to_string())?;
    let mut times = Vec::with_capacity(runs);
    for _ in 0..runs.max(1) {
        let start = now_ms();
        f().map_err(|e| e.to_string())?;
        times.push(now_ms() - start);
    }
    times.sort_by(f64::total_cmp);
    Ok(times[times.len() / 2])
}

/// A test digit drawn large, as ink on the 280×280 pad (each MNIST pixel a 10×10 block).
fn pad_ink(test: &ImageSet, index: usize) -> Vec<f32> {
    let scale = PAD_SIDE / IMAGE_SIDE;
    let image = test.image(index);
    (0..PAD_SIDE * PAD_SIDE)
        .map(|i| image[(i / PAD_SIDE / scale) * IMAGE_SIDE + (i % PAD_SIDE) / scale])
        .collect()
}

async fn run(active: &ActiveModel, test: Option<&ImageSet>) -> Result<String, String> {
    let model = &active.model;
    let latent = active.latent();
    let mut rng = Rng::new(7);
    let z = rng.normal_vec(latent);
    let one = median_ms(300, || active.decode_one(&z).map(drop))?;
    yield_to_browser().await;
    let grid = |n: usize| {
        let codes = grid_codes(&z, 0, 1.min(latent - 1), n);
        median_ms(30, || active.decode_many(&codes, n * n).map(drop))
    };
    // The manifold's sheet decodes the same codes as the page does: an MLP's whole, down its
    // first column and along its rows, then copied out a row at a time; a Conv-VAE's a row at
    // a time.
    let sheet = |n: usize| {
        let codes = grid_codes(&z, 0, 1.min(latent - 1), n);
        median_ms(30, || {
            let rows = active.sheet_rows(&codes, n, n)?;
            codes
                .chunks_exact(n * latent)
                .enumerate()
                .try_for_each(|(r, row)| active.decode_sheet_row(&rows, row, r).map(drop))
        })
    };
    let grid10 = grid(10)?;
    yield_to_browser().await;
    let grid15 = grid(15)?;
    yield_to_browser().await;
    let sheet10 = sheet(10)?;
    yield_to_browser().await;
    let sheet15 = sheet(15)?;
    yield_to_browser().await;
    let draw = match test {
        Some(test) => {
            let ink = pad_ink(test, 1);
            let pixels = mnist_like(&ink, PAD_SIDE, PAD_SIDE)
                .map_err(|e| format!("the test digit could not be preprocessed: {e}"))?
                .pixels;
            // Preprocessing is timed too: it is part of what a drawing goes through.
            let ms = median_ms(50, || {
                mnist_like(&ink, PAD_SIDE, PAD_SIDE)
                    .map_err(|e| candle_core::Error::Msg(e.to_string()))?;
                let code = encode_one(model, &pixels)?;
                active.decode_one(&code.mean)?;
                neg_elbo_one(model, &pixels).map(drop)
            })?;
            format!("{ms:.4}")
        }
        None => "null".to_string(),
    };
    // What the latent plane and the scatter do with a set: its means, by the packed encoder
    // the page uses, then by candle's path for the ratio.
    let plot = match test.filter(|t| t.len() >= PLOTTED) {
        Some(test) => {
            yield_to_browser().await;
            let images = test.images(0..PLOTTED);
            let packed = model.packed_encoder().map_err(|e| e.to_string())?;
            let fast = median_ms(5, || packed.encode_means(images, PLOTTED).map(drop))?;
            yield_to_browser().await;
            let plain = median_ms(5, || encode_means(model, images, PLOTTED).map(drop))?;
            format!("{fast:.3},\"plot_500_candle_ms\":{plain:.3}")
        }
        None => "null,\"plot_500_candle_ms\":null".to_string(),
    };
    Ok(format!(
        r#"{{"model":"{}","decode_1_ms":{one:.4},"decode_10x10_ms":{grid10:.4},"decode_15x15_ms":{grid15:.4},"sheet_10x10_ms":{sheet10:.4},"sheet_15x15_ms":{sheet15:.4},"draw_to_reconstruct_ms":{draw},"plot_500_ms":{plot},"cross_origin_isolated":{}}}"#,
        active.id,
        js_sys::Reflect::get(&js_sys::global(), &"crossOriginIsolated".into())
            .ok()
            .and_then(|v| v.as_bool())
            .unwrap_or(false)
    ))
}

#[component]
pub fn BenchPanel() -> impl IntoView {
    let lab = use_lab();
    let (result, set_result) = signal(String::new());
    let start = move |_| {
        let Some(active) = lab.active.get_untracked() else {
            return;
        };
        let test = lab.test.get_untracked();
        set_result.set("running".to_string());
        leptos::task::spawn_local(async move {
            yield_to_browser().await;
            let outcome = run(&active, test.as_deref()).await;
            set_result.set(outcome.unwrap_or_else(|e| format!(r#"{{"error":{e:?}}}"#)));
        });
    };
    view! {
        <section class="panel bench-panel">
            <h2>{tr("Benchmark", "性能测试")}</h2>
            <button id="bench-run" on:click=start>{tr("Time decode, grid and draw on this model", "在这个模型上测量解码、网格和手绘的耗时")}</button>
            <pre id="bench-results">{result}</pre>
        </section>
    }
}
