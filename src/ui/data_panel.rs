//! The data column of the tool: the picture at the model's input, drawn on the pad or chosen
//! among the test digits. It is encoded (the point jumps to the posterior mean, the sliders show
//! σ, the plane its ellipse), decoded again, and scored: its negative ELBO, ranked among the test
//! digits' scores, says how digit-like the model finds it. A drawing is preprocessed like MNIST.

use leptos::prelude::*;

use super::clock::now_ms;
use super::digit_view::DigitView;
use super::i18n::{said_in, tr, trf, Lang, Said};
use super::later::Later;
use super::my_drawings::MyDrawings;
use super::picture_file;
use super::sketch::{SketchPad, PAD_SIDE};
use super::state::{use_lab, Drawing, Source};
use super::test_digit::TestDigitChooser;
use super::why::Why;
use crate::ml::dataset::ImageShape;
use crate::ml::explore::{encode_one, neg_elbo_one, Code};
use crate::ml::preprocess::{drawing_as, mnist_like, PreprocessError};
use crate::ml::stats::percentile_rank;
use crate::ui_logic::error_words::Worded;
use crate::ui_logic::pixels::GreyAs;
use crate::ui_logic::words::shape_words;
use crate::ui_logic::words::Noun;

/// What the model makes of the drawing.
#[derive(Debug, Clone, PartialEq)]
struct Analysis {
    code: Code,
    reconstruction: Vec<f32>,
    neg_elbo: f32,
    variational: bool,
    /// Encode + decode + score, in milliseconds.
    ms: Timing,
}

/// How long an analysis took: a readout, not part of what the model made of the drawing, so
/// two analyses that differ only in it are equal. (Were it compared, whether a model with the
/// same weights moved the sliders would depend on the clock's resolution.)
#[derive(Debug, Clone, Copy)]
struct Timing(f64);

impl PartialEq for Timing {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

/// A button choosing one of the data column's sources; pressed while it is the one shown.
#[component]
fn SourceButton(which: Source) -> impl IntoView {
    let lab = use_lab();
    let chosen = move || lab.source.get() == which;
    let label = lab.text(move |l, n| match (l, which, n) {
        (Lang::En, Source::Drawing, n) => format!("Draw a {}", n.one()),
        (Lang::En, Source::TestDigit, n) => format!("A test {}", n.one()),
        (Lang::Zh, Source::Drawing, Noun::Digit) => "画一个数字".into(),
        (Lang::Zh, Source::Drawing, Noun::Picture) => "画一张图片".into(),
        (Lang::Zh, Source::TestDigit, Noun::Digit) => "一个测试数字".into(),
        (Lang::Zh, Source::TestDigit, Noun::Picture) => "一张测试图片".into(),
    });
    view! {
        <button class="source" aria-pressed=move || chosen().to_string()
            on:click=move |_| if !chosen() { lab.source.set(which) }>
            {label}
        </button>
    }
}

#[component]
pub fn DataPanel() -> impl IntoView {
    let lab = use_lab();
    let (notice, set_notice) = signal(None::<Said>);
    let on_ink = Callback::new(move |ink: Option<Vec<f32>>| {
        match ink.map(|ink| mnist_like(&ink, PAD_SIDE, PAD_SIDE)) {
            None | Some(Err(PreprocessError::Blank)) => {
                lab.drawing.set(None);
                set_notice.set(None);
            }
            Some(Err(e)) => set_notice.set(Some(e.said())),
            Some(Ok(done)) => {
                set_notice.set(None);
                lab.drawing.set(Some(Drawing {
                    pixels: done.pixels,
                }));
            }
        }
    });

    let drawing_chosen = move || lab.source.with(|s| *s == Source::Drawing);
    // Moved on by "Add to my drawings", which clears the pad for the next drawing.
    let clear_pad = RwSignal::new(0u32);
    // The input as the active model reads it: a 28×28 drawing fitted to another model's
    // pictures (`drawing_as`); a test picture or an upload as it is, when it is of the model's
    // shape.
    let model_input = Memo::new(move |_| {
        let pixels = lab.input_pixels()?;
        let shape = lab.active.with(|m| m.as_ref().map(|m| m.shape()))?;
        if pixels.len() == shape.values() {
            return Some(pixels);
        }
        let ink = lab.grey_as() == GreyAs::Ink;
        drawing_chosen()
            .then(|| drawing_as(&pixels, shape, ink))
            .flatten()
    });
    let analysis = Memo::new(move |_| {
        let pixels = model_input.get()?;
        let active = lab.active.get()?;
        let start = now_ms();
        let code = encode_one(&active.model, &pixels).ok()?;
        let reconstruction = active.decode_one(&code.mean).ok()?;
        let neg_elbo = neg_elbo_one(&active.model, &pixels).ok()?;
        Some(Analysis {
            code,
            reconstruction,
            neg_elbo,
            variational: active.model.config().kind.is_variational(),
            ms: Timing(now_ms() - start),
        })
    });
    Effect::new(move |_| {
        lab.readouts
            .draw_ms
            .set(analysis.with(|a| a.as_ref().map(|a| a.ms.0)))
    });
    // A new input (or a new model) moves the sliders to its code. The model is tracked for
    // itself: a model with the same weights (a downloaded file loaded back) gives an equal
    // analysis, yet `Lab::activate` has put the sliders at the origin.
    Effect::new(move |_| {
        lab.active.track();
        let code = analysis.with(|a| a.as_ref().map(|a| a.code.clone()));
        if let Some(code) = &code {
            lab.z.set(code.mean.clone());
            lab.sigma.set(code.sigma.clone());
        }
        lab.encoded.set(code);
    });
    // Rank among the test digits: score them once per model, in the background, when needed.
    let scores_ready = RwSignal::new(0u32);
    Effect::new(move |_| {
        let (Some(active), Some(test)) = (lab.active.get(), lab.test.get()) else {
            return;
        };
        if analysis.with(Option::is_none) || active.test_scores(&test).is_some() {
            return;
        }
        leptos::task::spawn_local(async move {
            if active.ensure_test_scores(&test).await {
                scores_ready.update(|n| *n += 1);
            }
        });
    });
    let score_text = move || {
        scores_ready.track();
        let a = analysis.get()?;
        let l = lab.lang();
        let what = if a.variational {
            "−ELBO"
        } else {
            l.text(
                "reconstruction error (an autoencoder has no ELBO)",
                "重建误差（自编码器没有 ELBO）",
            )
        };
        let rank = lab.active.with(|m| {
            let test = lab.test.get()?;
            m.as_ref()?
                .test_scores(&test)
                .map(|s| percentile_rank(&s, a.neg_elbo))
        });
        // A test digit is ranked among the others; it is one of them.
        let others = if drawing_chosen() {
            ""
        } else {
            l.text("other ", "其他")
        };
        let noun = lab.noun();
        let like = match noun {
            Noun::Digit => l.text("digit-like", "像数字"),
            Noun::Picture => l.text("typical", "典型"),
        };
        let item = l.text(format!("test {}", noun.one()), format!("测试{}", noun.zh()));
        let context = match (rank, lab.why_no_test_images()) {
            (Some(rank), _) if rank < 0.5 => l.text(
                format!(": more {like} than every {others}{item}"),
                format!("：比所有{others}{item}都更{like}"),
            ),
            (Some(rank), _) if rank > 99.5 => l.text(
                format!(": less {like} than every {others}{item}"),
                format!("：不如任何{others}{item}{like}"),
            ),
            (Some(rank), _) => l.text(
                format!(
                    ": more {like} than {:.0}% of the {others}{item}s",
                    100.0 - rank
                ),
                format!("：比 {:.0}% 的{others}{item}更{like}", 100.0 - rank),
            ),
            (None, Some(why)) => l.text(
                format!(" ({why}, so there is nothing to compare with)"),
                format!("（{why}，因此无从比较）"),
            ),
            (None, None) => l.text(
                format!(" (ranking it among the test {}…)", noun.many()),
                format!("（正在与测试{}比较排名……）", noun.zh()),
            ),
        };
        Some(l.text(
            format!("{what} {:.1} nats{context}", a.neg_elbo),
            format!("{what} {:.1} 奈特{context}", a.neg_elbo),
        ))
    };
    let drawn = Signal::derive(move || {
        model_input
            .get()
            .filter(|_| drawing_chosen())
            .or_else(|| lab.drawing.with(|d| d.as_ref().map(|d| d.pixels.clone())))
            .unwrap_or_else(|| vec![0.0; ImageShape::DIGITS.values()])
    });
    // "Upload a picture…": read at the active model's shape, it takes the drawing's place.
    let on_upload = move |ev: leptos::ev::Event| {
        let Some(file) = picture_file::take_files(&ev).into_iter().next() else {
            return;
        };
        let (shape, grey) = (lab.model_shape_untracked(), lab.grey_as_untracked());
        leptos::task::spawn_local(async move {
            match picture_file::picture_for_model(file, shape, grey).await {
                Ok(pixels) => {
                    set_notice.set(None);
                    lab.drawing.set(Some(Drawing { pixels }));
                    lab.source.set(Source::Drawing);
                }
                Err(e) => set_notice.set(Some(e.said().within(
                    |why| format!("{why}; the input is as it was."),
                    |why| format!("{why}；输入保持不变。"),
                ))),
            }
        });
    };
    let reconstruction = Signal::derive(move || {
        analysis.with(|a| {
            a.as_ref()
                .map_or(vec![0.0; ImageShape::DIGITS.values()], |a| {
                    a.reconstruction.clone()
                })
        })
    });
    let waiting = move || {
        let l = lab.lang();
        if let Some(why) = lab
            .why_model_cannot_read_data()
            .filter(|_| !drawing_chosen())
        {
            why
        } else if drawing_chosen() && lab.drawing.with(Option::is_some) {
            l.text(
                "This picture was read for a model of other pictures: upload it again.",
                "这张图片是按另一种图片的模型读取的：请重新上传。",
            )
            .to_string()
        } else if drawing_chosen() {
            match lab.noun() {
                Noun::Digit => l.text(
                    "Draw a digit (or upload a picture) to see how the model reads it.",
                    "画一个数字（或上传一张图片），看看模型如何读取它。",
                ),
                Noun::Picture => l.text(
                    "Draw or upload a picture to see how the model reads it.",
                    "画一张图片或上传一张，看看模型如何读取它。",
                ),
            }
            .to_string()
        } else if let Some(why) = lab.why_no_test_images() {
            l.text(
                format!("No test images: {why}. Draw instead."),
                format!("没有测试图片：{why}。请改为自己画。"),
            )
        } else {
            l.text(
                format!("Loading the test {}…", lab.noun().many()),
                format!("正在加载测试{}……", lab.noun().zh()),
            )
        }
    };

    view! {
        <section class="panel draw-panel" aria-labelledby="data-title">
            <h2 id="data-title">{tr("Data", "数据")}</h2>
            <div class="sources" role="group" aria-label=tr("the picture at the input", "输入的图片")>
                <SourceButton which=Source::Drawing />
                <SourceButton which=Source::TestDigit />
                <label class="button file-button upload-picture">{tr("Upload a picture…", "上传图片…")}
                    <input type="file" class="upload-input" accept="image/*" on:change=on_upload />
                </label>
            </div>
            <p class="caption">
                {move || {
                    let l = lab.lang();
                    if drawing_chosen() {
                        l.text(
                            format!(
                                "Draw with a mouse, pen or finger; the encoder finds where your {} lives in the latent space.",
                                lab.noun().one()
                            ),
                            format!("用鼠标、触控笔或手指画；编码器会找出你的{}在潜空间中的位置。", lab.noun().zh()),
                        )
                    } else {
                        l.text(
                            "One of the test pictures the model never trained on: where does the encoder put it?",
                            "一张模型从未训练过的测试图片：编码器会把它放在哪里？",
                        )
                        .to_string()
                    }
                }}
            </p>
            <Why>
                <p>
                    {tr("When you lift the pen, the drawing is cropped, scaled into a 20×20 box and centred by its centre of \
                        mass, as MNIST's digits were. The encoder does not give one point but a Gaussian, ",
                        "抬笔后，画会被裁剪、缩放进 20×20 的方框，并按质心居中，和 MNIST 的数字处理方式一样。\
                        编码器给出的不是一个点，而是一个高斯分布 ")}
                    <i>"q(z|x) = N(μ, σ²)"</i>
                    {tr(": the point jumps to its mean μ, the ellipse on the plane and the bands on the \
                        sliders show μ ± 2σ, how unsure it is. Training draws z = μ + σ·ε with ε from N(0, I) (the \
                        reparameterisation), so the encoder learns from its gradient.",
                        "：点跳到它的均值 μ，平面上的椭圆和滑块上的色带表示 μ ± 2σ，即编码器有多不确定。\
                        训练时取 z = μ + σ·ε，其中 ε 来自 N(0, I)（重参数化技巧），编码器因此能从梯度中学习。")}
                </p>
                <p>
                    {tr("The score is the negative ELBO, in nats (natural-log units of information): ",
                        "分数是负 ELBO，单位为奈特（以自然对数计的信息量）：")}
                    <i>{tr("−ELBO = reconstruction error + KL(q(z|x) ‖ N(0, I))",
                        "−ELBO = 重建误差 + KL(q(z|x) ‖ N(0, I))")}</i>
                    {tr(", the cost of redrawing your input from its code plus the cost of a code that strays from the prior. ",
                        "，即从编码重画出你的输入的代价，加上编码偏离先验的代价。")}
                    {lab.text(|l, n| l.text(
                        format!("Lower means more {}.", n.like()),
                        format!("分数越低，输入越{}。", n.like_zh().trim_end_matches('的')),
                    ))}
                </p>
            </Why>
            <div class="draw-layout">
                // The pad stays (hidden) while a test digit is shown, so the drawing is there to
                // come back to.
                <div class="pad-holder" hidden=move || !drawing_chosen()>
                    <SketchPad on_ink clear_on=clear_pad />
                    // This part and the two below a task each (see `Later`): together with the
                    // pad they held a phone's main thread for a sixth of a second.
                    <Later><MyDrawings clear_pad /></Later>
                </div>
                {move || (!drawing_chosen()).then(|| view! { <TestDigitChooser /> })}
                <Later>
                <div class="draw-results">
                    <figure class="drawn" hidden=move || !drawing_chosen()>
                        <DigitView pixels=drawn label=trf(|l| l.text("your drawing or picture as the model reads it",
                            "模型读到的你的画或图片").to_string()) />
                        <figcaption>{trf(move |l| l.text(
                            format!("your input, {}", lab.model_shape()),
                            format!("你的输入，{}", shape_words(lab.model_shape(), l)),
                        ))}</figcaption>
                    </figure>
                    <figure class="reconstruction">
                        // A screen reader hears the score with the picture it belongs to.
                        <DigitView pixels=reconstruction label=trf(move |l| match score_text() {
                            Some(score) => l.text(
                                format!("the model's reconstruction of the input: {score}"),
                                format!("模型对输入的重建：{score}"),
                            ),
                            None => l.text("the model's reconstruction of the input", "模型对输入的重建")
                                .to_string(),
                        }) />
                        <figcaption>{tr("reconstruction", "重建")}</figcaption>
                    </figure>
                </div>
                </Later>
            </div>
            <Later>
            <p class="score" aria-live="polite">
                {move || score_text().unwrap_or_else(waiting)}
            </p>
            <p class="error" role="alert">{move || if drawing_chosen() { notice.with(|n| said_in(lab.lang(), n)) } else { None }}</p>
            </Later>
        </section>
    }
}
