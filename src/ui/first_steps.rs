//! The first five minutes: one sentence on what a VAE is, and three numbered first steps. Each
//! step lights up the part of the tool it refers to (on hover or focus, and when clicked, which
//! also brings that part into view), and is ticked once it has been done.

use leptos::prelude::*;

use super::i18n::{tr, trf, Lang};
use super::later::Later;
use super::state::{use_lab, Source};
use super::training::Training;
use crate::ui_logic::words::Noun;

/// What a person has done so far, for the ticks.
#[derive(Clone, Copy)]
pub struct Guide {
    /// The point was moved by hand (dragged, clicked or keyed on the plane or a slider).
    pub moved: RwSignal<bool>,
}

impl Guide {
    pub fn new() -> Self {
        Self {
            moved: RwSignal::new(false),
        }
    }
}

impl Default for Guide {
    fn default() -> Self {
        Self::new()
    }
}

/// Marks that the person moved the point themselves. Components take the guide from the
/// context when they are built (event handlers run outside it) and pass it here; without one
/// (a component tested on its own) nothing is marked.
pub fn moved_by_hand(guide: Option<Guide>) {
    if let Some(guide) = guide {
        if !guide.moved.get_untracked() {
            guide.moved.set(true);
        }
    }
}

/// Lights up (or puts out) the part of the page `selector` names.
fn light(selector: &str, on: bool) {
    let Some(element) = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.query_selector(selector).ok().flatten())
    else {
        return;
    };
    if on {
        let _ = element.set_attribute("data-lit", "");
    } else {
        let _ = element.remove_attribute("data-lit");
    }
}

#[component]
fn Step(
    number: u8,
    /// The part of the page the step is about.
    target: &'static str,
    #[prop(into)] done: Signal<bool>,
    /// What choosing the step also does, beyond lighting its part up.
    #[prop(optional)]
    on_go: Option<Callback<()>>,
    children: Children,
) -> impl IntoView {
    // A chosen step keeps its part lit for a moment even when the page scrolls it away from
    // under the pointer (which would otherwise count as leaving it).
    let pinned = StoredValue::new(false);
    let go = move |_| {
        if let Some(on_go) = on_go {
            on_go.run(());
        }
        pinned.set_value(true);
        light(target, true);
        if let Some(element) = web_sys::window()
            .and_then(|w| w.document())
            .and_then(|d| d.query_selector(target).ok().flatten())
        {
            element.scroll_into_view();
        }
        set_timeout(
            move || {
                pinned.set_value(false);
                light(target, false);
            },
            std::time::Duration::from_millis(2_400),
        );
    };
    let leave = move || {
        if !pinned.get_value() {
            light(target, false);
        }
    };
    view! {
        <li class="step" data-done=move || done.get().to_string()>
            <button class="step-go" on:click=go
                on:mouseenter=move |_| light(target, true) on:mouseleave=move |_| leave()
                on:focus=move |_| light(target, true) on:blur=move |_| leave()>
                <span class="step-number" aria-hidden="true">
                    {move || if done.get() { "✓".to_string() } else { number.to_string() }}
                </span>
                {children()}
            </button>
        </li>
    }
}

#[component]
pub fn FirstSteps() -> impl IntoView {
    let lab = use_lab();
    let guide = expect_context::<Guide>();
    let training = use_context::<Training>();
    let drew = Signal::derive(move || lab.drawing.with(Option::is_some));
    let trained = Signal::derive(move || training.is_some_and(|t| t.plan.with(Option::is_some)));
    view! {
        <div class="first-steps">
            <p class="lede">
                {tr("A variational autoencoder learns to squeeze each picture into a few numbers, a point in its ",
                    "变分自编码器学会把每张图片压缩成几个数，即它")}
                <em>{tr("latent space", "潜空间")}</em>
                {tr(", and to draw the picture again from that point.", "中的一个点，再从这个点把图片画回来。")}
            </p>
            // The steps a task after the lede (see `Later`), which takes index.html's place.
            <Later>
            <ol class="steps">
                <Step number=1 target=".stage-latent" done=guide.moved>
                    <strong>{tr("Drag the point", "拖动这个点")}</strong>
                    <span>{trf(move |l| l.text(format!("watch the {} change", lab.noun().one()), format!("看{}随之变化", lab.noun().zh())))}</span>
                </Step>
                <Step number=2 target=".stage-data" done=drew
                    on_go=Callback::new(move |()| lab.source.set(Source::Drawing))>
                    <strong>{trf(move |l| match (l, lab.noun()) {
                        (Lang::En, n) => format!("Draw a {}", n.one()),
                        (Lang::Zh, Noun::Digit) => "画一个数字".into(),
                        (Lang::Zh, Noun::Picture) => "画一张图片".into(),
                    })}</strong>
                    <span>{tr("see where it lands", "看看它落在哪里")}</span>
                </Step>
                <Step number=3 target=".training-strip" done=trained>
                    <strong>{tr("Train your own", "训练你自己的模型")}</strong>
                    <span>{tr("watch the space organise", "看潜空间逐渐成形")}</span>
                </Step>
            </ol>
            </Later>
        </div>
    }
}
