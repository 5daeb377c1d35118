//! Autoencoder against VAEs, side by side: for the same test digits, each model's
//! reconstructions, samples from the prior N(0, I) through each decoder, an interpolation
//! through each latent space, and each model's test reconstruction error, KL and −ELBO. The
//! plain autoencoder reconstructs well but its prior samples are mostly not digits: its codes do
//! not fill N(0, I), so the prior lands in holes. The models are the pretrained ones plus the
//! one being explored, when it is another (a model trained in the page). Made when the chapter
//! scrolls into view and again for another model (not for each snapshot of a run: a pass
//! scores 2,000 digits under five models), or on the button.

use std::sync::Arc;

use leptos::html::Section;
use leptos::prelude::*;

use crate::ml::model::ModelConfig;
use crate::ui_logic::words::config_words;

use super::clock::{in_chunks, now_ms};
use super::digit_view::DigitView;
use super::i18n::{said_in, tr, trf, use_lang, Lang, Said};
use super::library::{pretrained_id, use_library};
use super::state::{use_lab, ActiveModel};
use super::visibility::{fill_when_shown, test_set_key};
use super::why::Why;
use crate::ml::data::ImageSet;
use crate::ml::dataset::ImageShape;
use crate::ml::eval::{Evaluator, EVAL_CHUNK};
use crate::ml::explore::{encode_many, interpolate};
use crate::ml::pretrained::PRETRAINED;
use crate::ml::rng::Rng;

/// Digits reconstructed, and prior samples drawn, per model.
const SHOWN: usize = 6;
/// Steps of each interpolation.
const STEPS: usize = 8;
/// The comparison is made again for another model at most this often.
const COMPARE_GAP_MS: f64 = 5_000.0;

/// One model's row.
#[derive(Clone)]
struct Row {
    id: String,
    config: ModelConfig,
    variational: bool,
    reconstructions: Vec<Vec<f32>>,
    samples: Vec<Vec<f32>>,
    walk: Vec<Vec<f32>>,
    recon: f64,
    kl: f64,
    neg_elbo: f64,
}

/// `images` laid end to end, one vector per image of `model`'s shape.
/// Kept models compared on a dataset of one's own, at most (each scores the whole test set).
const KEPT_COMPARED: usize = 4;

fn split(model: &ActiveModel, images: Vec<f32>) -> Vec<Vec<f32>> {
    images
        .chunks_exact(model.shape().values())
        .map(<[f32]>::to_vec)
        .collect()
}

/// Everything for one model's row; the evaluation of the test set is chunked.
async fn row_for(
    model: &ActiveModel,
    test: &ImageSet,
    shown: &[usize],
    ends: (usize, usize),
    seed: u64,
) -> Result<Row, Said> {
    let m = &model.model;
    let fail = |e: candle_core::Error| Said::of(|l| format!("{}: {e}", model.title(l)));
    let images: Vec<f32> = shown
        .iter()
        .flat_map(|&i| test.image(i).iter().copied())
        .collect();
    let codes = encode_many(m, &images, shown.len()).map_err(fail)?;
    let means: Vec<f32> = codes.iter().flat_map(|c| c.mean.iter().copied()).collect();
    let reconstructions = split(model, model.decode_many(&means, shown.len()).map_err(fail)?);
    let latent = model.latent();
    let prior = Rng::new(seed).normal_vec(SHOWN * latent);
    let samples = split(model, model.decode_many(&prior, SHOWN).map_err(fail)?);
    let ends_images: Vec<f32> = [ends.0, ends.1]
        .iter()
        .flat_map(|&i| test.image(i).iter().copied())
        .collect();
    let end_codes = encode_many(m, &ends_images, 2).map_err(fail)?;
    let path = interpolate(&end_codes[0].mean, &end_codes[1].mean, STEPS);
    let walk = split(model, model.decode_many(&path, STEPS).map_err(fail)?);
    let mut evaluator = Evaluator::new(m);
    in_chunks(test.len(), EVAL_CHUNK, |range| {
        evaluator.add(m, test, range.start, range.len())
    })
    .await
    .map_err(fail)?;
    let eval = evaluator.finish();
    Ok(Row {
        id: model.id.clone(),
        config: model.info.config,
        variational: m.config().kind.is_variational(),
        reconstructions,
        samples,
        walk,
        recon: eval.recon,
        kl: eval.kl,
        neg_elbo: eval.neg_elbo,
    })
}

/// Each image of `images`, named for the language in use by `what` (its number from 1).
fn strip(
    images: &[Vec<f32>],
    lang: impl Fn() -> Lang + Copy + Send + Sync + 'static,
    what: fn(Lang, usize) -> String,
) -> impl IntoView {
    images
        .iter()
        .enumerate()
        .map(|(i, pixels)| {
            let pixels = Signal::stored(pixels.clone());
            let label = Signal::derive(move || what(lang(), i + 1));
            view! { <DigitView pixels label /> }
        })
        .collect_view()
}

#[component]
pub fn ComparePanel() -> impl IntoView {
    let lab = use_lab();
    let library = use_library();
    let rows = RwSignal::new(Vec::<Row>::new());
    let busy = RwSignal::new(false);
    let message = RwSignal::new(None::<Said>);
    let rng = StoredValue::new_local(Rng::new(now_ms().to_bits() ^ 0xc0_3fa7e));

    let lang = use_lang();
    let compare = move || {
        let Some(test) = lab.test.get_untracked() else {
            let noun = lab.noun_untracked();
            message.set(Some(Said::new(
                format!("The test {} are needed and are not loaded.", noun.many()),
                format!("需要测试{}，但它们还没有加载。", noun.zh()),
            )));
            return;
        };
        let n = test.len();
        let (shown, ends, seed) = rng
            .try_update_value(|r| {
                let shown: Vec<usize> = (0..SHOWN).map(|_| r.below(n)).collect();
                (shown, (r.below(n), r.below(n)), r.next_u64())
            })
            .unwrap_or_else(|| ((0..SHOWN).collect(), (0, 1), 1));
        // The shipped models of the test set's pictures (the digits', or the shapes' β-VAE),
        // and on pictures of another shape than the digits the models kept here that read them
        // (an autoencoder and a VAE trained on them, say).
        let shipped = PRETRAINED
            .iter()
            .filter(|p| p.config.shape == test.shape())
            .map(|p| pretrained_id(p.id));
        let mut ids: Vec<String> = if test.shape() == ImageShape::DIGITS {
            shipped.collect()
        } else {
            shipped
                .chain(library.kept_of_shape(test.shape(), KEPT_COMPARED))
                .collect()
        };
        let explored = lab.active.get_untracked();
        if let Some(active) = &explored {
            if !ids.contains(&active.id) {
                ids.push(active.id.clone());
            }
        }
        busy.set(true);
        message.set(None);
        rows.set(Vec::new());
        leptos::task::spawn_local(async move {
            // Only models of the test set's pictures can be compared on it (the pretrained ones
            // read 28×28 digits).
            let mut other_shapes = 0;
            for id in ids {
                // The explored model as it is now (a training run's snapshot may not be kept).
                let model: Result<Arc<ActiveModel>, Said> =
                    match explored.as_ref().filter(|m| m.id == id) {
                        Some(m) => Ok(m.clone()),
                        None => library.load(&id).await,
                    };
                match model {
                    Ok(model) if model.shape() != test.shape() => other_shapes += 1,
                    Ok(model) => match row_for(&model, &test, &shown, ends, seed).await {
                        Ok(row) => rows.update(|r| r.push(row)),
                        Err(e) => message.set(Some(e.within(
                            |why| format!("Could not compare {why}"),
                            |why| format!("无法比较 {why}"),
                        ))),
                    },
                    Err(e) => message.set(Some(e.within(
                        |why| format!("Could not load {id}: {why}"),
                        |why| format!("无法加载 {id}：{why}"),
                    ))),
                }
            }
            if other_shapes > 0 && message.with_untracked(Option::is_none) {
                let none = rows.with_untracked(Vec::is_empty);
                let shape = test.shape();
                message.set(Some(Said::of(|l| match l {
                    Lang::En => {
                        let which = if none {
                            "no model reads them yet: train one"
                        } else {
                            "only the models that read them are compared"
                        };
                        format!("{other_shapes} models read other pictures than these {shape}; {which}.")
                    }
                    Lang::Zh => {
                        let which = if none {
                            "还没有模型能读取它们：请训练一个"
                        } else {
                            "只比较能读取它们的模型"
                        };
                        format!(
                            "有 {other_shapes} 个模型读取的图片与这些 {}图片不同；{which}。",
                            crate::ui_logic::words::shape_words(shape, Lang::Zh)
                        )
                    }
                })));
            }
            busy.set(false);
        });
    };

    // Filled when it scrolls into view, and again for another model (not for every snapshot
    // of a run in training: each pass scores 2,000 digits under five models).
    let section = NodeRef::<Section>::new();
    fill_when_shown(
        section,
        COMPARE_GAP_MS,
        move || {
            // Another model, or another test set (a dataset of one's own).
            let test = test_set_key(lab)?;
            let ready = !busy.get();
            ready
                .then(|| {
                    lab.active
                        .with(|m| m.as_ref().map(|m| (m.id.clone(), test)))
                })
                .flatten()
        },
        compare,
    );

    let table = move || {
        let rows = rows.get();
        (!rows.is_empty()).then(|| {
            view! {
                // Scrolls sideways inside the panel if a phone is narrower still than the table.
                <div class="table-scroll">
                <table class="compare-table">
                    <thead>
                        <tr><th>{tr("model", "模型")}</th><th>{tr("reconstruction (nats)", "重建（奈特）")}</th><th>{tr("KL (nats)", "KL（奈特）")}</th><th>{tr("−ELBO (nats)", "−ELBO（奈特）")}</th></tr>
                    </thead>
                    <tbody>
                        {rows.into_iter().map(|r| view! {
                            <tr data-model=r.id.clone()>
                                <td>{move || config_words(&r.config, lang())}</td>
                                <td class="recon">{format!("{:.1}", r.recon)}</td>
                                <td class="kl">{if r.variational { format!("{:.1}", r.kl) } else { "—".to_string() }}</td>
                                <td class="elbo">{if r.variational { Signal::stored(format!("{:.1}", r.neg_elbo)) } else { trf(|l| l.text("no bound", "无下界").to_string()) }}</td>
                            </tr>
                        }).collect_view()}
                    </tbody>
                </table>
                </div>
            }
        })
    };
    let gallery = move || {
        rows.get()
            .into_iter()
            .map(|r| {
                view! {
                    <div class="compare-row" data-model=r.id.clone()>
                        <h3>{move || config_words(&r.config, lang())}</h3>
                        <div class="compare-strips">
                            <figure><div class="digits">{strip(&r.reconstructions, lang, |l, i| l.text(format!("reconstruction {i}"), format!("重建 {i}")))}</div><figcaption>{tr("reconstructions", "重建")}</figcaption></figure>
                            <figure><div class="digits">{strip(&r.samples, lang, |l, i| l.text(format!("sample from the prior {i}"), format!("先验采样 {i}")))}</div><figcaption>{tr("samples from N(0, I)", "从 N(0, I) 采样")}</figcaption></figure>
                            <figure><div class="digits">{strip(&r.walk, lang, |l, i| l.text(format!("interpolation step {i}"), format!("插值第 {i} 步")))}</div><figcaption>{tr("interpolation", "插值")}</figcaption></figure>
                        </div>
                    </div>
                }
            })
            .collect_view()
    };

    view! {
        <section class="panel compare-panel" aria-labelledby="compare-title" node_ref=section>
            <h2 id="compare-title">{tr("Autoencoder against VAEs, side by side", "自编码器与 VAE 并排对比")}</h2>
            <p class="caption">{lab.text(move |l, n| l.text(format!("The same {many} through every model: an \
                autoencoder reconstructs well, but only a VAE's prior samples look like {many}.", many = n.many()),
                format!("同样的{zh}经过每个模型：自编码器重建得很好，但只有 VAE 从先验采样出的结果像{zh}。", zh = n.zh())))}</p>
            <Why>
                <p>{lab.text(move |l, n| if l == Lang::Zh {
                    format!("同样的测试{zh}经过每个模型：重建、从先验 N(0, I) 采样再解码，以及两个{zh}之间的插值。\
                        普通自编码器重建得很清晰，但它的编码并不填满 N(0, I)，所以先验采样会落进空洞，很少像{zh}；\
                        VAE 付出 KL 代价，把编码留在先验所在之处。表格在{set}上给每个模型打分（自编码器没有下界，只有重建误差）。\
                        如果你自己的图片与数字形状不同，就比较这里保存的、能读取它们的模型以及正在探索的模型：\
                        在这些图片上训练一个自编码器和一个 VAE，就能看到同样的对比。", zh = n.zh(), set = lab.test_set_words())
                } else { format!("The same test {many} through every model: reconstructions, \
                    samples drawn from the prior N(0, I) and decoded, and a walk between two {many}. \
                    A plain autoencoder reconstructs sharply, but its codes do not fill N(0, I), so \
                    its prior samples fall in holes and rarely look like {many}; a VAE pays a KL \
                    cost to keep its codes where the prior is. The table scores each on the {set} \
                    (the autoencoder has no bound, only its reconstruction error). On pictures of \
                    your own of another shape than the digits', the models kept here that read them \
                    are compared, with the one explored: train an autoencoder and a VAE on them to \
                    see the same.", many = n.many(), set = lab.test_set_words()) })}
                </p>
            </Why>
            <div class="buttons">
                <button class="compare-models" on:click=move |_| compare() disabled=move || busy.get() || lab.test.with(Option::is_none)>
                    {move || {
                        let l = lang();
                        if busy.get() {
                            l.text("Comparing…", "比较中…").to_string()
                        } else if rows.with(Vec::is_empty) {
                            l.text("Compare the models", "比较这些模型").to_string()
                        } else {
                            let n = lab.noun();
                            l.text(format!("Compare other {}", n.many()), format!("换一批{}比较", n.zh()))
                        }
                    }}
                </button>
            </div>
            // Its room is kept before it fills, so what is below does not jump.
            <div class="compare-results">
                {table}
                <div class="compare-gallery">{gallery}</div>
            </div>
            <p class="error" role="alert">
                {move || message.with(|m| said_in(lang(), m))}
                {move || lab.why_no_test_images().map(|why| {
                    lang().text(format!("No test images to compare on: {why}."), format!("没有可用于比较的测试图片：{why}。"))
                })}
            </p>
        </section>
    }
}
