//! Interpolation: a straight walk through latent space between the codes of two digits, decoded
//! in ten steps. In a VAE every point on the way decodes to something digit-like; in a plain
//! autoencoder the middle of the walk often crosses holes.

use leptos::prelude::*;

use super::clock::now_ms;
use super::digit_view::DigitView;
use super::i18n::{tr, use_lang, Lang};
use super::state::use_lab;
use super::visibility::{test_set_key, SameSet};
use super::why::Why;
use crate::ml::dataset::ImageShape;
use crate::ml::explore::{encode_one, interpolate};
use crate::ml::rng::Rng;
use crate::ui_logic::words::Noun;

pub const STEPS: usize = 10;

/// One end of the walk.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum End {
    /// A test digit, by its index in the test split.
    Test(usize),
    Drawing,
}

#[component]
pub fn InterpolationPanel() -> impl IntoView {
    let lab = use_lab();
    let lang = use_lang();
    // Test digit 0 is a 0 and test digit 1200 a 6.
    let from = RwSignal::new(End::Test(0));
    let to = RwSignal::new(End::Test(1200));
    let image = move |end: End| -> Option<Vec<f32>> {
        match end {
            End::Test(i) => lab.test.with(|t| {
                t.as_ref()
                    .filter(|t| i < t.len())
                    .map(|t| t.image(i).to_vec())
            }),
            End::Drawing => lab.drawing.with(|d| d.as_ref().map(|d| d.pixels.clone())),
        }
    };
    let strip = Memo::new(move |_| -> Option<Vec<f32>> {
        let active = lab.active.get()?;
        let (a, b) = (image(from.get())?, image(to.get())?);
        let (ca, cb) = (
            encode_one(&active.model, &a).ok()?,
            encode_one(&active.model, &b).ok()?,
        );
        active
            .decode_many(&interpolate(&ca.mean, &cb.mean, STEPS), STEPS)
            .ok()
    });
    let rng = StoredValue::new_local(Rng::new(now_ms().to_bits() ^ 0x1234));
    let random_pair = move |_| {
        let n = lab
            .test
            .with_untracked(|t| t.as_ref().map_or(0, |t| t.len()));
        if n > 0 {
            let (a, b) = rng
                .try_update_value(|r| (r.below(n), r.below(n)))
                .unwrap_or((0, 1));
            from.set(End::Test(a));
            to.set(End::Test(b));
        }
    };
    let use_drawing = move |_| from.set(End::Drawing);
    let index_input = move |end: RwSignal<End>| {
        move |ev: leptos::ev::Event| {
            if let Ok(i) = event_target_value(&ev).parse::<usize>() {
                end.set(End::Test(i));
            }
        }
    };
    let index_text = move |end: RwSignal<End>| {
        move || match end.get() {
            End::Test(i) => i.to_string(),
            End::Drawing => String::new(),
        }
    };
    let label_of = move |end: RwSignal<End>| {
        move || match end.get() {
            End::Test(i) => {
                let own = lab.own_data.with(Option::is_some);
                lab.test
                    .with(|t| t.as_ref().filter(|t| i < t.len()).map(|t| t.label(i)))
                    .map(|label| match lab.class_names().get(label as usize) {
                        Some(name) if own => name.clone(),
                        Some(name) => lang().text(format!("a {name}"), format!("数字 {name}")),
                        None => String::new(),
                    })
                    .unwrap_or_default()
            }
            End::Drawing => lang().text("your drawing", "你的手绘").to_string(),
        }
    };
    // Another test set (a dataset of one's own, another one, or the digits again): the walk
    // starts over between its first and last pictures (for the digits, a 0 and a 6).
    let seen = StoredValue::new(None::<SameSet>);
    Effect::new(move |_| {
        let Some(now) = test_set_key(lab) else {
            return;
        };
        if seen.with_value(|s| s.as_ref().is_some_and(|s| *s != now)) {
            let n = lab
                .test
                .with_untracked(|t| t.as_ref().map_or(1, |t| t.len()));
            let own = lab.own_data.with_untracked(Option::is_some);
            from.set(End::Test(0));
            to.set(End::Test(if own { n.saturating_sub(1) } else { 1200 }));
        }
        seen.set_value(Some(now));
    });
    let zeros = || vec![0.0; ImageShape::DIGITS.values()];
    let end_pixels =
        move |end: RwSignal<End>| Signal::derive(move || image(end.get()).unwrap_or_else(zeros));
    // Why the strip is empty, when it is: an end that is not there.
    let problem = move || -> Option<String> {
        let l = lang();
        let noun = lab.noun();
        [
            (from.get(), l.text("start from", "作为起点")),
            (to.get(), l.text("end at", "作为终点")),
        ]
        .into_iter()
        .find_map(|(end, which)| match end {
            End::Test(i) => lab.test.with(|t| {
                t.as_ref().filter(|t| i >= t.len()).map(|t| {
                    let last = t.len().saturating_sub(1);
                    l.text(
                        format!(
                            "There is no test {} {i} to {which}: choose 0 to {last}.",
                            noun.one()
                        ),
                        format!("没有测试{} {i} 可以{which}：请选 0 到 {last}。", noun.zh()),
                    )
                })
            }),
            End::Drawing => lab.drawing.with(Option::is_none).then(|| match l {
                Lang::En => {
                    let noun = noun.one();
                    format!(
                        "Your drawing was cleared, so the walk has nowhere to start: draw a \
                         {noun}, or type the number of a test {noun}."
                    )
                }
                Lang::Zh => {
                    let draw = match noun {
                        Noun::Digit => "画一个数字",
                        Noun::Picture => "画一张图片",
                    };
                    format!(
                        "你的手绘已被清除，插值没有起点：{draw}，或输入一个测试{}的编号。",
                        noun.zh()
                    )
                }
            }),
        })
    };
    let max_index = move || {
        lab.test
            .with(|t| t.as_ref().map_or(0, |t| t.len().saturating_sub(1)))
    };

    view! {
        <section class="panel interpolation-panel" aria-labelledby="interpolation-title">
            <h2 id="interpolation-title">{lab.text(move |l, n| match (l, n) {
                (Lang::En, n) => format!("Interpolation: walking between two {many}", many = n.many()),
                (Lang::Zh, Noun::Digit) => "插值：在两个数字之间行走".to_string(),
                (Lang::Zh, Noun::Picture) => "插值：在两张图片之间行走".to_string(),
            })}</h2>
            <p class="caption">{lab.text(move |l, n| match (l, n) {
                (Lang::En, n) => format!("A straight walk between the codes of two {many}, \
                    decoded in ten steps.", many = n.many()),
                (Lang::Zh, Noun::Digit) => "在两个数字的编码之间走一条直线，分十步解码。".to_string(),
                (Lang::Zh, Noun::Picture) => "在两张图片的编码之间走一条直线，分十步解码。".to_string(),
            })}</p>
            <Why>
                <p>{lab.text(move |l, n| l.text(format!("Both {many} are encoded; the ten steps decode evenly spaced \
                    points on the straight line between their codes. A smooth morph means the latent \
                    space is continuous where the {many} live.", many = n.many()),
                    format!("两端的{zh}先被编码；十步依次解码两者编码连线上等距的点。变化平滑，说明潜空间在{zh}所在之处是连续的。", zh = n.zh())))}
                </p>
            </Why>
            <div class="interpolation-controls">
                <label>{lab.text(move |l, n| l.text(format!("from test {one} ", one = n.one()), format!("起点：测试{} ", n.zh())))}
                    <input type="number" class="from-index" min="0" max=max_index prop:value=index_text(from) on:change=index_input(from) />
                </label>
                <button on:click=use_drawing disabled=move || lab.drawing.with(Option::is_none)>{tr("from my drawing", "从我的手绘开始")}</button>
                <label>{lab.text(move |l, n| l.text(format!("to test {one} ", one = n.one()), format!("终点：测试{} ", n.zh())))}
                    <input type="number" class="to-index" min="0" max=max_index prop:value=index_text(to) on:change=index_input(to) />
                </label>
                <button on:click=random_pair>{tr("Random pair", "随机挑一对")}</button>
            </div>
            <div class="strip">
                <figure class="end">
                    <DigitView pixels=end_pixels(from) label=lab.text(|l, n| l.text(format!("the starting {}", n.one()), format!("起点的{}", n.zh()))) />
                    <figcaption>{label_of(from)}</figcaption>
                </figure>
                <div class="steps">
                    {(0..STEPS)
                        .map(|i| {
                            let pixels = Signal::derive(move || {
                                strip.with(|s| s.as_ref().map_or_else(zeros, |s| {
                                    // The strip holds STEPS images of the model's shape.
                                    let n = s.len() / STEPS;
                                    s[i * n..(i + 1) * n].to_vec()
                                }))
                            });
                            let label = Signal::derive(move || lang().text(
                                format!("step {} of the interpolation", i + 1),
                                format!("插值第 {} 步", i + 1),
                            ));
                            view! { <DigitView pixels label /> }
                        })
                        .collect_view()}
                </div>
                <figure class="end">
                    <DigitView pixels=end_pixels(to) label=lab.text(|l, n| l.text(format!("the final {}", n.one()), format!("终点的{}", n.zh()))) />
                    <figcaption>{label_of(to)}</figcaption>
                </figure>
            </div>
            <p class="error" role="alert">
                {problem}
                {move || lab.why_no_test_images().map(|why| lang().text(
                    format!("No test images: {why}; you can still start from your drawing."),
                    format!("没有测试图片：{why}；你仍可以从自己的手绘开始。"),
                ))}
            </p>
        </section>
    }
}
