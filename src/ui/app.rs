//! The page's root: provides the shared [`Lab`] and lays out the panels.

use leptos::prelude::*;

use super::about::About;
use super::anomaly::AnomalyPanel;
use super::bench::{self, BenchPanel};
use super::clock::spawn_after_this_task;
use super::compare::ComparePanel;
use super::data_panel::DataPanel;
use super::data_picker::DataPicker;
use super::datasets::Datasets;
use super::factor_reading::FactorReading;
use super::factors::FactorsPanel;
use super::first_steps::{FirstSteps, Guide};
use super::i18n::{tr, Lang, Language, LanguageSwitch};
use super::import_panel::ImportPanel;
use super::interpolation::InterpolationPanel;
use super::latent_panel::LatentPanel;
use super::latent_plane::LatentPlane;
use super::later::{Later, WhenNear};
use super::library::Library;
use super::manifold::ManifoldPanel;
use super::offline::{provide_offline, UpdateNotice};
use super::picker::ModelPicker;
use super::restore::RestorePanel;
use super::scatter::ScatterPanel;
use super::share;
use super::state::{use_lab, Lab};
use super::training::{Training, TrainingPanel, TrainingStrip, TRAINING_TITLE_ID};
use super::visibility::Viewport;
use super::why::Why;
use crate::ui_logic::words::Noun;

/// An arrow between two stages of the tool, named for the network that does that step.
#[component]
fn Flow(#[prop(into)] name: Signal<&'static str>, formula: &'static str) -> impl IntoView {
    view! {
        <div class="flow" role="presentation">
            <span class="flow-name">{name}</span>
            <span class="flow-arrow" aria-hidden="true"></span>
            <span class="flow-formula">{formula}</span>
        </div>
    }
}

/// Says, above the tool, when the model in use cannot read the data in use (their pictures
/// differ in shape), so the chapters that wait for a fitting model are not a mystery.
#[component]
fn ShapeNotice() -> impl IntoView {
    let lab = use_lab();
    let why = Memo::new(move |_| lab.why_model_cannot_read_data());
    view! {
        <p class="note shape-notice" role="status" hidden=move || why.with(Option::is_none)>
            {move || why.get()}
        </p>
    }
}

/// The page's header: title, language switch, first steps and the two pickers. It takes the
/// place of the copy index.html paints before the code has come, in the task it is built in, so
/// no frame shows neither or both.
#[component]
fn Header() -> impl IntoView {
    if let Some(boot) = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.query_selector("header.boot").ok().flatten())
    {
        boot.remove();
    }
    view! {
        <header class="top">
            <div class="intro">
                <div class="title-row">
                    <h1>"Latent Lab"</h1>
                    <LanguageSwitch />
                </div>
                <FirstSteps />
            </div>
            // The pickers a task after the title and the lede, which take the place of
            // index.html's (see `Later`; nothing is built below the header yet).
            <div class="pickers"><Later>
                <ModelPicker />
                <DataPicker />
            </Later></div>
        </header>
    }
}

#[component]
pub fn App() -> impl IntoView {
    Language::provide();
    let lab = Lab::new();
    provide_context(lab);
    provide_context(Guide::new());
    provide_context(Viewport::watch());
    let library = Library::new();
    provide_context(library);
    // The worker (which hands the page the test digits: the plane's dots) waits for the first
    // model, whose download it would otherwise share (see `Library::first_model_settled`); the
    // extras (the other pretrained models, the offline copy) wait for the worker's data.
    let settled = library.first_model_settled(lab);
    let training = Training::new(lab, library, settled);
    provide_context(training);
    let extras = training.extras_may_start(settled);
    let warmed = StoredValue::new(false);
    Effect::new(move |_| {
        if extras.get() && !warmed.get_value() {
            warmed.set_value(true);
            leptos::task::spawn_local(library.warm());
        }
    });
    FactorReading::provide(lab, training);
    // The kept datasets are listed at once (the Data menu, the import chapter); the one in use
    // before a reload comes back in the model picker's start-up, before a kept run does.
    let datasets = Datasets::new();
    provide_context(datasets);
    spawn_after_this_task(datasets.refresh());
    share::sync(lab, library);
    provide_offline(extras);

    // The page is built top to bottom, a part a task (see `Later`): the header, the training
    // strip, the main part's frame, then the tool's stages. Each part comes below all that is
    // built, so none moves what is on screen already; this task only sets up the state they
    // share.
    view! {
        <Later><Header /></Later>
        // The tool: the model read left to right, data → encoder → latent space → decoder →
        // output; the lab's chapters follow it.
        <Later>
        <TrainingStrip training />
        <ShapeNotice />
        <UpdateNotice />
        </Later>
        // The rest in a task after the strip's: an empty `main` built at once sat under the
        // static header, and the real header and the strip, built after it, pushed it down
        // (a layout shift of 0.04–0.06 at a phone's start-up in `startup.mjs`).
        <Later>
        <main>
        <section class="tool" aria-label=tr("the model, from data to output", "模型：从数据到输出")>
            // Each stage in a task of its own (see `Later`), in the page's order, each with the
            // arrow after it, so that nothing built later moves what is on screen already.
            <Later>
            <div class="stage stage-data"><DataPanel /></div>
            <Flow name=tr("encoder", "编码器") formula="q(z|x)" />
            </Later>
            <Later>
            <section class="stage stage-latent panel" aria-labelledby="plane-title">
                <h2 id="plane-title">{tr("Latent space", "潜空间")}</h2>
                <p class="caption">{lab.text(move |l, n| match (l, n) {
                    (Lang::En, n) => format!("Every point is a code z that the decoder turns \
                        into a {one}: drag the point.", one = n.one()),
                    (Lang::Zh, Noun::Digit) => "每个点都是一个编码 z，解码器把它变成一个数字：拖动这个点。".into(),
                    (Lang::Zh, Noun::Picture) => "每个点都是一个编码 z，解码器把它变成一张图片：拖动这个点。".into(),
                })}</p>
                <Why>
                    <p>{lab.text(move |l, n| l.text(format!("The plane shows two dimensions of z from −3 to +3; behind \
                        it are the {many} the decoder makes there, the other dimensions set by the \
                        sliders. The dots are the {set}, each at the mean of its code and coloured \
                        by its class: pictures of a kind gather. The dashed circles are the prior \
                        N(0, I) at 1σ and 2σ, which hold 39% and 86% of it; a VAE pays a KL cost to \
                        keep its codes inside, a plain autoencoder does not.", many = n.many(), set = lab.test_set_words()),
                        format!("平面显示 z 的两个维度，各从 −3 到 +3；背后是解码器在这些位置生成的{zh}，\
                        z 的其余维度由滑块设定。点是{set}，每个点画在其编码的均值处，按类别着色：\
                        同一类的图片会聚在一起。虚线圆是先验 N(0, I) 的 1σ 和 2σ 圈，分别容纳先验 39% 和 \
                        86% 的概率质量；变分自编码器要付出 KL 代价把编码留在圈内，普通自编码器则不必。",
                        zh = n.zh(), set = lab.test_set_words())))}
                    </p>
                </Why>
                <LatentPlane />
            </section>
            <Flow name=tr("decoder", "解码器") formula="p(x|z)" />
            </Later>
            <Later><div class="stage stage-output"><LatentPanel /></div></Later>
        </section>
        <div class="panels">
            // Each chapter built once a reader comes near it (see `WhenNear`), in a task of its
            // own. The training strip's "settings and charts" leads to the training panel.
            <WhenNear anchor=TRAINING_TITLE_ID><TrainingPanel training /></WhenNear>
            <WhenNear><FactorsPanel /></WhenNear>
            <WhenNear><ManifoldPanel /></WhenNear>
            <WhenNear><InterpolationPanel /></WhenNear>
            <WhenNear><ComparePanel /></WhenNear>
            <WhenNear><ScatterPanel /></WhenNear>
            <WhenNear><AnomalyPanel /></WhenNear>
            <WhenNear><RestorePanel /></WhenNear>
            <WhenNear><ImportPanel /></WhenNear>
            {bench::requested().then(|| view! { <BenchPanel /> })}
        </div>
        </main>
        <footer>
            <WhenNear><About /></WhenNear>
        </footer>
        </Later>
    }
}
