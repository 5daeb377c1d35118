//! Anomaly detection: how unusual is an input to this model? The 2,000 test digits' negative
//! ELBOs make a histogram; a test digit, the same digit with noise, the same digit rotated,
//! pure noise and the user's drawing are scored by the same model and marked on it, each with
//! its percentile. Scores are taken when the chapter scrolls into view and again, against the
//! same digit, when the model changes (a run in training: at most every 3 s, so it does not keep
//! the page busy re-scoring); the button draws another digit.

use std::sync::Arc;

use leptos::html::Section;
use leptos::prelude::*;

use crate::ml::model::ModelConfig;
use crate::ui_logic::words::config_words;

use super::clock::now_ms;
use super::digit_view::DigitView;
use super::histogram::ScoreHistogram;
use super::i18n::{said_in, tr, use_lang, Lang, Said};
use super::picture_file;
use super::state::{use_lab, ActiveModel};
use super::visibility::{fill_when_shown, shown_weights, SameSet};
use super::why::Why;
use crate::ml::explore::neg_elbo_one;
use crate::ml::probes::{pure_noise, rotated_quarter, with_noise, Histogram};
use crate::ml::rng::Rng;
use crate::ml::stats::percentile_rank;
use crate::ui_logic::error_words::Worded;
use crate::ui_logic::words::Noun;

/// What a scored input is. Kept as a kind, not as words, so that a change of language renames
/// the cards already shown instead of leaving them in the language they were scored in.
#[derive(Debug, Clone, PartialEq)]
enum ProbeKind {
    /// A test digit, by its index in the test set.
    Test(usize),
    /// That digit with noise.
    Noisy(usize),
    /// That digit turned a quarter.
    Turned(usize),
    PureNoise,
    /// The user's drawing.
    Drawing,
    /// An image the user chose, by its file name.
    Image(String),
}

impl ProbeKind {
    /// A one-letter mark for the histogram.
    fn mark(&self) -> char {
        match self {
            ProbeKind::Test(_) => 'A',
            ProbeKind::Noisy(_) => 'B',
            ProbeKind::Turned(_) => 'C',
            ProbeKind::PureNoise => 'D',
            ProbeKind::Drawing => 'E',
            ProbeKind::Image(_) => 'F',
        }
    }

    /// What it is, e.g. "test digit 1200 with noise".
    fn worded(&self, l: Lang, noun: Noun) -> String {
        let (one, zh) = (noun.one(), noun.zh());
        match self {
            ProbeKind::Test(i) => l.text(format!("test {one} {i}"), format!("测试{zh} {i}")),
            ProbeKind::Noisy(i) => l.text(
                format!("test {one} {i} with noise (±0.5)"),
                format!("测试{zh} {i} 加噪声（±0.5）"),
            ),
            ProbeKind::Turned(i) => l.text(
                format!("test {one} {i} turned a quarter"),
                format!("测试{zh} {i} 旋转 90°"),
            ),
            ProbeKind::PureNoise => l.text("pure noise", "纯噪声").to_string(),
            ProbeKind::Drawing => l.text("your drawing", "你的手绘").to_string(),
            ProbeKind::Image(name) => {
                l.text(format!("your image “{name}”"), format!("你的图片“{name}”"))
            }
        }
    }
}

/// One scored input.
#[derive(Debug, Clone, PartialEq)]
struct Probe {
    kind: ProbeKind,
    pixels: Vec<f32>,
    score: f32,
    /// Share of test digits scoring lower (more digit-like), 0–100.
    rank: f64,
}

/// The histogram and the probes, as scored by one model.
#[derive(Clone)]
struct Scored {
    model: ModelConfig,
    variational: bool,
    histogram: Histogram,
    probes: Vec<Probe>,
}

const BINS: usize = 40;
/// The scores are taken again for a changed model at most this often.
const REFILL_GAP_MS: f64 = 3_000.0;

fn rank_text(rank: f64, noun: Noun, lang: Lang) -> String {
    if rank >= 99.95 {
        lang.text(
            format!("more unusual than every test {}", noun.one()),
            format!("比所有测试{}都反常", noun.zh()),
        )
    } else {
        lang.text(
            format!("more unusual than {rank:.1}% of the test {}", noun.many()),
            format!("比 {rank:.1}% 的测试{}更反常", noun.zh()),
        )
    }
}

/// Scores the probes for `model`; `None` if a score fails (a model that cannot score inputs).
fn score_all(
    model: &ActiveModel,
    scores: &[f32],
    inputs: Vec<(ProbeKind, Vec<f32>)>,
) -> Option<Vec<Probe>> {
    inputs
        .into_iter()
        .map(|(kind, pixels)| {
            let score = neg_elbo_one(&model.model, &pixels).ok()?;
            Some(Probe {
                kind,
                rank: percentile_rank(scores, score),
                score,
                pixels,
            })
        })
        .collect()
}

#[component]
pub fn AnomalyPanel() -> impl IntoView {
    let lab = use_lab();
    let scored = RwSignal::new(None::<Scored>);
    let busy = RwSignal::new(false);
    let message = RwSignal::new(None::<Said>);
    let rng = StoredValue::new_local(Rng::new(now_ms().to_bits() ^ 0xa11a));
    // An image the user chose, scored with the others: (file name, its values at the model's
    // shape).
    let uploaded = StoredValue::new_local(None::<(String, Vec<f32>)>);

    // A test digit and its altered versions (A–D): drawn anew by "Score another digit", kept
    // when only an image is added, so that adding one does not change what it is compared with.
    let altered = StoredValue::new_local(None::<Vec<(ProbeKind, Vec<f32>)>>);
    // The test set they were drawn from: another set (a dataset of one's own) draws anew.
    let altered_from = StoredValue::new(None::<SameSet>);
    let lang = use_lang();
    let run = move |another_digit: bool| {
        let (Some(active), Some(test)) = (lab.active.get_untracked(), lab.test.get_untracked())
        else {
            let noun = lab.noun_untracked();
            message.set(Some(Said::new(
                format!(
                    "The test {} are needed for the comparison and are not loaded.",
                    noun.many()
                ),
                format!("比较需要测试{}，但它们还没有加载。", noun.zh()),
            )));
            return;
        };
        let same_set = altered_from.with_value(|from| from.as_ref() == Some(&SameSet::of(&test)));
        if another_digit || altered.with_value(Option::is_none) || !same_set {
            altered_from.set_value(Some(SameSet::of(&test)));
            let index = rng.try_update_value(|r| r.below(test.len())).unwrap_or(0);
            let digit = test.image(index).to_vec();
            altered.set_value(Some(vec![
                (ProbeKind::Test(index), digit.clone()),
                (
                    ProbeKind::Noisy(index),
                    rng.try_update_value(|r| with_noise(&digit, 0.5, r))
                        .unwrap_or_else(|| digit.clone()),
                ),
                (
                    ProbeKind::Turned(index),
                    rotated_quarter(&digit, test.shape()),
                ),
                (
                    ProbeKind::PureNoise,
                    rng.try_update_value(|r| pure_noise(test.shape(), r))
                        .unwrap_or_default(),
                ),
            ]));
        }
        let mut inputs = altered.get_value().unwrap_or_default();
        if let Some(drawing) = lab.drawing.get_untracked() {
            inputs.push((ProbeKind::Drawing, drawing.pixels));
        }
        if let Some((name, pixels)) = uploaded.get_value() {
            inputs.push((ProbeKind::Image(name), pixels));
        }
        busy.set(true);
        message.set(None);
        leptos::task::spawn_local(async move {
            let model: Arc<ActiveModel> = active;
            // The test digits' scores, once per model, in chunks that let the page paint.
            model.ensure_test_scores(&test).await;
            busy.set(false);
            let Some(scores) = model.test_scores(&test) else {
                message.set(Some(Said::new(
                    "The test set could not be scored with this model.",
                    "无法用这个模型给测试集打分。",
                )));
                return;
            };
            let (Some(histogram), Some(probes)) = (
                Histogram::of_sorted(&scores, BINS, 99.5),
                score_all(&model, &scores, inputs),
            ) else {
                message.set(Some(Said::new(
                    "These inputs could not be scored.",
                    "无法给这些输入打分。",
                )));
                return;
            };
            scored.set(Some(Scored {
                model: model.info.config,
                variational: model.model.config().kind.is_variational(),
                histogram,
                probes,
            }));
        });
    };

    // Scored when it scrolls into view, and again, against the same digit, when the model
    // changes (a run in training: at most every few seconds).
    let section = NodeRef::<Section>::new();
    fill_when_shown(
        section,
        REFILL_GAP_MS,
        move || shown_weights(lab, busy),
        move || run(false),
    );

    let on_image = move |ev: leptos::ev::Event| {
        let Some(file) = picture_file::take_files(&ev).into_iter().next() else {
            return;
        };
        // Read at the shape of the model that scores it.
        let shape = lab.model_shape_untracked();
        leptos::task::spawn_local(async move {
            let name = file.name();
            match picture_file::picture_for_model(file, shape, lab.grey_as_untracked()).await {
                Ok(pixels) => {
                    uploaded.set_value(Some((name, pixels)));
                    run(false);
                }
                Err(e) => message.set(Some(e.said().within(
                    |why| format!("{why}; nothing was scored."),
                    |why| format!("{why}；没有打分。"),
                ))),
            }
        });
    };

    let chart = move || {
        scored.with(|s| {
            s.as_ref().map(|s| {
                let marks = s.probes.iter().map(|p| (p.kind.mark(), p.score)).collect::<Vec<_>>();
                let what = if s.variational {
                    Signal::stored("−ELBO")
                } else {
                    tr("reconstruction error", "重建误差")
                };
                view! { <ScoreHistogram histogram=s.histogram.clone() marks what model=config_words(&s.model, lang()) /> }
            })
        })
    };

    let cards = move || {
        scored.get().map(|s| {
            s.probes
                .into_iter()
                .map(|p| {
                    let pixels = Signal::stored(p.pixels.clone());
                    let mark = p.kind.mark();
                    let kind = p.kind.clone();
                    let name = Signal::derive(move || kind.worded(lang(), lab.noun()));
                    view! {
                        <figure class="probe" data-mark=mark.to_string() data-rank=format!("{:.2}", p.rank)>
                            <DigitView pixels label=name />
                            <figcaption>
                                <strong>{mark.to_string()}</strong>" "{name}<br />
                                {move || {
                                    let l = lang();
                                    l.text(
                                        format!("{:.1} nats · {}", p.score, rank_text(p.rank, lab.noun(), l)),
                                        format!("{:.1} 奈特 · {}", p.score, rank_text(p.rank, lab.noun(), l)),
                                    )
                                }}
                            </figcaption>
                        </figure>
                    }
                })
                .collect_view()
        })
    };

    view! {
        <section class="panel anomaly-panel" aria-labelledby="anomaly-title" node_ref=section>
            <h2 id="anomaly-title">{tr("Anomaly score: how unusual is this input?", "异常分数：这个输入有多反常？")}</h2>
            <p class="caption">{lab.text(move |l, n| l.text(format!("How unusual is an input? Its −ELBO, marked among \
                the test {many}' scores.", many = n.many()), format!("一个输入有多反常？把它的 −ELBO 标在测试{}的分数之中。", n.zh())))}</p>
            <Why>
                <p>
                    {lab.text(move |l, n| {
                        if l == Lang::Zh {
                            let how_read = match n {
                                Noun::Digit => "它会像手绘一样被读取：裁出笔画，缩放到 20×20 并居中；若是浅底深字则反色，\
                                    因为 MNIST 数字是深底浅字",
                                Noun::Picture => "它会按导入数据时的方式调整为模型的形状",
                            };
                            return format!("VAE 给每个输入打一个分：它的负 ELBO，即用这个模型描述该输入要花多少奈特。\
                                像训练{zh}的输入得分低，其他的得分高。柱子是{set}的分数；标记依次是一个测试{zh}、加了噪声的同一个{zh}、\
                                旋转 90° 的同一个{zh}、纯噪声、你的手绘（如果有），以及你选的一张图片（任意尺寸：{how_read}）。\
                                百分位表示有多少测试{zh}得分更低：异常检测器会标出高于某个百分位（比如第 99 百分位）的输入。",
                                zh = n.zh(), set = lab.test_set_words());
                        }
                        let how_read = match n {
                            Noun::Digit => "it is read like a drawing, its strokes cropped, scaled into 20×20 and \
                                centred, and inverted when dark on light, as MNIST digits are light on dark",
                            Noun::Picture => "it is fitted to the model's shape the way the data was imported",
                        };
                        format!("A VAE gives every input a score, its negative ELBO: how many nats it costs to \
                            describe the input with the model. Inputs like the training {many} score low; anything \
                            else scores high. The bars are the {set}; the marks are a test {one}, the same {one} \
                            with noise, turned a quarter, pure noise, your drawing if there is one, and a picture of \
                            yours if you choose one (any size: {how_read}). The percentile says how many test {many} \
                            score lower: a detector flags inputs above, say, the 99th.",
                            one = n.one(), many = n.many(), set = lab.test_set_words())
                    })}
                </p>
            </Why>
            <div class="buttons">
                <button class="score-probes" on:click=move |_| run(true) disabled=move || busy.get() || lab.test.with(Option::is_none)>
                    {move || {
                        let l = lang();
                        if scored.with(Option::is_some) {
                            match (l, lab.noun()) {
                                (Lang::En, n) => format!("Score another {}", n.one()),
                                (Lang::Zh, Noun::Digit) => "换一个数字打分".to_string(),
                                (Lang::Zh, Noun::Picture) => "换一张图片打分".to_string(),
                            }
                        } else {
                            l.text("Score the inputs", "给这些输入打分").to_string()
                        }
                    }}
                </button>
                <label class="button file-button" title=lab.text(|l, n| match (l, n) {
                    (Lang::En, Noun::Digit) => "Score a picture of a digit: any size, dark on light or light on dark",
                    (Lang::En, Noun::Picture) => "Score a picture of your own: any size",
                    (Lang::Zh, Noun::Digit) => "给一张数字图片打分：任意尺寸，浅底深字或深底浅字都可以",
                    (Lang::Zh, Noun::Picture) => "给你自己的一张图片打分：任意尺寸",
                }.to_string())>
                    {tr("Score an image…", "给图片打分…")}
                    <input type="file" class="probe-image" accept="image/*" on:change=on_image disabled=move || busy.get() />
                </label>
                <span class="timing">{move || {
                    let l = lang();
                    scored.with(|s| s.as_ref().map(|s| l.text(format!("scored with {}", config_words(&s.model, l)), format!("打分模型：{}", config_words(&s.model, l)))))
                }}</span>
            </div>
            // Its room is kept before it fills, so what is below does not jump.
            <div class="anomaly-results">
                {chart}
                <div class="probes">{cards}</div>
            </div>
            <p class="error" role="alert">
                {move || message.with(|m| said_in(lang(), m))}
                {move || lab.why_no_test_images().map(|why| {
                    lang().text(format!("No test images to score: {why}."), format!("没有可打分的测试图片：{why}。"))
                })}
            </p>
        </section>
    }
}
