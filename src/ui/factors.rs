//! The factors chapter: on the generated sprites, whose makers are known (shape, size,
//! rotation, x and y), what each latent dimension of the model shown has found. A table of the
//! information every dimension holds about every factor, with the Mutual Information Gap and
//! each factor's best dimension, and latent traversals: each dimension swept from −3 to +3
//! from a seed picture, one row a dimension, the most used first. Rows say in words what the
//! dimension seems to do. Read again after every epoch of a followed run (`factor_reading`).
//! On other data, the chapter offers the sprites.

use std::sync::Arc;

use leptos::html::Canvas;
use leptos::prelude::*;

use super::datasets::{use_dataset, use_datasets};
use super::digit_view::paint_tiles;
use super::factor_reading::{use_factor_reading, Reading, STEPS};
use super::generated::{drawing_words, SPRITES_ID};
use super::i18n::{said_in, tr, use_lang, Lang, Said};
use super::state::use_lab;
use super::training::Training;
use super::why::Why;
use crate::ml::dataset::sprites::{Factor, Shape};
use crate::ui_logic::factor_words::{factor_name, reading, reading_words};
use crate::ui_logic::words::thousands;

/// The seeds' names: the shape each seed picture shows.
fn shape_name(shape: Shape, lang: Lang) -> &'static str {
    match (shape, lang) {
        (Shape::Square, Lang::En) => "square",
        (Shape::Ellipse, Lang::En) => "ellipse",
        (Shape::Heart, Lang::En) => "heart",
        (Shape::Square, Lang::Zh) => "方形",
        (Shape::Ellipse, Lang::Zh) => "椭圆",
        (Shape::Heart, Lang::Zh) => "心形",
    }
}

/// One traversal: the [`STEPS`] pictures of one dimension, side by side.
#[component]
fn Traversal(#[prop(into)] pixels: Signal<Vec<f32>>, label: Signal<String>) -> impl IntoView {
    let canvas = NodeRef::<Canvas>::new();
    let lab = use_lab();
    Effect::new(move |_| {
        let grey = lab.grey_as();
        let shape = lab.data_shape();
        pixels.with(|p| {
            if let Some(canvas) = canvas.get() {
                if let Err(e) = paint_tiles(&canvas, shape, p, STEPS.len(), grey) {
                    web_sys::console::error_1(&e.into());
                }
            }
        });
    });
    view! { <canvas class="traversal" node_ref=canvas role="img" aria-label=label></canvas> }
}

#[component]
pub fn FactorsPanel() -> impl IntoView {
    let lab = use_lab();
    let lang = use_lang();
    let datasets = use_datasets();
    let training = use_context::<Training>();
    let found = use_factor_reading();
    let last = move || found.and_then(|f| f.last.get());
    let has_factors = move || {
        lab.own_data
            .with(|d| d.as_ref().is_some_and(|d| d.factors.is_some()))
    };
    let seed = RwSignal::new(0usize);
    let offer = RwSignal::new(None::<Said>);
    let use_sprites = move |_| {
        offer.set(Some(Said::of(drawing_words)));
        leptos::task::spawn_local(async move {
            let outcome = match datasets.open(SPRITES_ID).await {
                Ok(chosen) => use_dataset(datasets, lab, training, Some(chosen)).problem(),
                Err(e) => Some(e),
            };
            offer.set(outcome);
        });
    };
    let status = move || {
        let l = lang();
        let f = found?;
        if let Some(problem) = f.problem.get() {
            let problem = problem.get(l);
            return Some(l.text(
                format!("The code could not be read: {problem}."),
                format!("无法读取编码：{problem}。"),
            ));
        }
        match (f.last.get(), f.busy.get()) {
            (None, true) => Some(l.text(
                "Reading the model's code of the test pictures…".into(),
                "正在读取模型对测试图片的编码……".into(),
            )),
            (None, false) if lab.why_model_cannot_read_data().is_some() => Some(l.text(
                "Choose or train a model of 64×64 grey pictures to read its code.".into(),
                "请选择或训练一个读取 64×64 灰度图片的模型，以读取它的编码。".into(),
            )),
            (None, false) => None,
            (Some(r), busy) => {
                let of = match r.epoch {
                    Some(e) => l.text(
                        format!("the run in training, after epoch {e}"),
                        format!("正在训练的模型，第 {e} 轮之后"),
                    ),
                    None => r.model.title(l),
                };
                let again = if busy {
                    l.text(" Reading again…", " 正在重新读取……")
                } else {
                    ""
                };
                Some(l.text(
                    format!(
                        "MIG {:.3} for {of}, measured on {} test pictures.{again}",
                        r.mig.score,
                        thousands(r.pictures)
                    ),
                    format!(
                        "{of}的 MIG 为 {:.3}，在 {} 张测试图片上测得。{again}",
                        r.mig.score,
                        thousands(r.pictures)
                    ),
                ))
            }
        }
    };
    let table = move || {
        last().map(|r| {
            let l = lang();
            let factors = Factor::ALL.len();
            let best: Vec<usize> = r.mig.gaps.iter().map(|g| g.best).collect();
            let header = Factor::ALL.iter().map(|&f| view! { <th scope="col">{factor_name(f, l)}</th> }).collect_view();
            let rows = r.order.iter().map(|&dim| {
                let kl = r.kl.as_ref().map(|kl| kl[dim]);
                let words = reading_words(reading(&r.mig, dim, kl), l);
                let title = words.clone();
                let cells = (0..factors).map(|k| {
                    // The share as a number and as the cell's shade: the number, not the
                    // colour, carries it; the best dimension is starred and outlined too.
                    let s = r.mig.share(dim, k);
                    let is_best = best[k] == dim;
                    view! {
                        <td class="mi" class:best=is_best style:background-color=format!("rgba(59, 91, 219, {:.2})", (s * 0.6).clamp(0.0, 0.6))>
                            {format!("{s:.2}")}{is_best.then_some(" ★")}
                        </td>
                    }
                }).collect_view();
                view! {
                    <tr title=title data-dim=dim>
                        <th scope="row">{format!("z{}", dim + 1)}</th>
                        <td class="kl">{kl.map_or("—".to_string(), |k| format!("{k:.2}"))}</td>
                        {cells}
                        <td class="reads">{words}</td>
                    </tr>
                }
            }).collect_view();
            let gaps = r.mig.gaps.iter().map(|g| view! {
                <td>{g.gap.map_or("—".to_string(), |v| format!("{v:.2}"))}</td>
            }).collect_view();
            view! {
                <div class="table-scroll">
                <table class="factor-table" data-mig=format!("{:.4}", r.mig.score) data-took-ms=format!("{:.0}", r.took_ms)>
                    <caption>{l.text(
                        "Information each dimension holds about each factor, as a share of all there is to know (★: the factor's best dimension)",
                        "每个维度所含各因素的信息，占该因素全部信息的比例（★：该因素最好的维度）")}</caption>
                    <thead><tr>
                        <th scope="col">{l.text("dimension", "维度")}</th>
                        <th scope="col">{l.text("KL (nats)", "KL（奈特）")}</th>
                        {header}
                        <th scope="col">{l.text("seems to", "看起来")}</th>
                    </tr></thead>
                    <tbody>{rows}</tbody>
                    <tfoot><tr>
                        <th scope="row" colspan="2">{l.text("gap (MIG's parts)", "差距（MIG 的组成）")}</th>
                        {gaps}
                        <td>{format!("MIG {:.3}", r.mig.score)}</td>
                    </tr></tfoot>
                </table>
                </div>
            }
            .into_any()
        })
    };
    let seeds = move || {
        last().map(|r| {
            let buttons = r.seeds.iter().enumerate().map(|(i, _)| {
                let shape = Shape::ALL[i];
                view! {
                    <button class="seed" aria-pressed=move || (seed.get() == i).to_string()
                        on:click=move |_| seed.set(i)>
                        {move || shape_name(shape, lang())}
                    </button>
                }
            }).collect_view();
            view! { <div class="seeds" role="group" aria-label=tr("seed picture", "起点图片")>{buttons}</div> }.into_any()
        })
    };
    let traversals = move || {
        last().map(|r| {
            let chosen = seed.get().min(r.seeds.len().saturating_sub(1));
            let rows = r
                .order
                .iter()
                .enumerate()
                .map(|(row, &dim)| {
                    let reading_now = r.clone();
                    let pixels = Signal::derive({
                        let r = r.clone();
                        move || {
                            r.traversals
                                .get(chosen)
                                .and_then(|t| t.get(row))
                                .cloned()
                                .unwrap_or_default()
                        }
                    });
                    let words = Signal::derive(move || {
                        let l = lang();
                        let kl = reading_now.kl.as_ref().map(|kl| kl[dim]);
                        format!(
                            "z{}: {}",
                            dim + 1,
                            reading_words(reading(&reading_now.mig, dim, kl), l)
                        )
                    });
                    view! {
                        <div class="traversal-row" data-dim=dim>
                            <span class="traversal-label">{words}</span>
                            <Traversal pixels label=words />
                        </div>
                    }
                })
                .collect_view();
            view! { <div class="traversals">{rows}</div> }.into_any()
        })
    };

    view! {
        <section class="panel factors-panel" aria-labelledby="factors-title">
            <h2 id="factors-title">{tr("Hidden factors", "隐藏的生成因素")}</h2>
            <p class="caption">{tr(
                "On shapes whose makers are known, see which latent dimension found which factor, and how cleanly.",
                "在已知生成因素的形状上，看看哪个潜在维度找到了哪个因素，找得有多干净。")}</p>
            <Why>
                <p>{tr(
                    "Each picture here is made by five known factors: shape (square, ellipse, heart), size (6 values), rotation (40), x and y position (32 each), like dSprites (Matthey et al. 2017). For every latent dimension the table gives how much it tells about each factor (the mutual information between the dimension's means, in 20 bins, and the factor, divided by the factor's entropy). A code is disentangled when each factor lives in one dimension alone: the Mutual Information Gap (MIG, Chen et al. 2018) averages, over the factors, how much more the best dimension knows than the second best. 20 bins cannot tell 32 positions apart, so even a perfect code scores about 0.85, not 1. A larger β (the β-VAE, Higgins et al. 2017) pushes each dimension towards the prior, which tends to give each factor a dimension of its own, at the price of sharper reconstructions.",
                    "这里的每张图片都由五个已知因素生成：形状（方形、椭圆、心形）、大小（6 个取值）、旋转（40 个）、横向和纵向位置（各 32 个），与 dSprites（Matthey 等，2017）相同。表格给出每个潜在维度对每个因素知道多少（该维度均值分成 20 档后与该因素的互信息，除以该因素的熵）。如果每个因素只存在于一个维度中，编码就是解耦的：互信息差距（MIG，Chen 等，2018）对所有因素求平均，看最好的维度比第二好的维度多知道多少。20 档分不清 32 个位置，所以即使完美的编码也只得约 0.85，而不是 1。更大的 β（β-VAE，Higgins 等，2017）把每个维度推向先验，往往让每个因素各占一个维度，代价是重建不那么清晰。")}</p>
            </Why>
            <Show when=has_factors fallback=move || view! {
                <div class="factors-offer">
                    <p>{tr("This chapter needs data whose factors are known: the generated shapes.",
                        "这一章需要已知生成因素的数据：生成的形状。")}</p>
                    <button class="use-sprites" on:click=use_sprites>{tr("Use the generated shapes", "使用生成的形状")}</button>
                    <p class="library-message" role="status">{move || offer.with(|o| said_in(lang(), o))}</p>
                </div>
            }>
                <p class="factors-status" role="status">{status}</p>
                {table}
                <h3>{tr("Traversals: each dimension from −3 to +3", "遍历：每个维度从 −3 到 +3")}</h3>
                {seeds}
                {traversals}
            </Show>
        </section>
    }
}

/// The MIG and each factor's best dimension, for the training panel's β figures.
#[component]
pub fn MigSummary() -> impl IntoView {
    let lang = use_lang();
    let found = use_factor_reading();
    let reading = move || found.and_then(|f| f.last.get());
    move || {
        reading().map(|r: Arc<Reading>| {
            let l = lang();
            let winners = Factor::ALL
                .iter()
                .zip(&r.mig.gaps)
                .map(|(&f, g)| {
                    view! {
                        <li>{format!("{} → z{} ({} {})", factor_name(f, l), g.best + 1,
                            l.text("gap", "差距"), g.gap.map_or("—".into(), |v| format!("{v:.2}")))}</li>
                    }
                })
                .collect_view();
            view! {
                <figure class="mig-summary" data-mig=format!("{:.4}", r.mig.score)>
                    <p class="mig-score">{format!("MIG {:.3}", r.mig.score)}</p>
                    <ul>{winners}</ul>
                    <figcaption>{l.text(
                        "how disentangled the code is, on the generated shapes (see “Hidden factors”)",
                        "编码的解耦程度，在生成的形状上测得（见“隐藏的生成因素”）")}</figcaption>
                </figure>
            }
            .into_any()
        })
    }
}
