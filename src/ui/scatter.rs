//! The latent scatter: the 2,000 test digits encoded (posterior means) and plotted over two
//! latent dimensions, or over the first two principal components, coloured by their label. It
//! shows how the encoder arranges the digits: clusters per class, and (in a VAE) a blob close
//! to the prior's N(0, I). Hovering a point shows that digit; clicking puts the sliders on its
//! code. Encoded when the chapter scrolls into view and again when the model changes (a run in
//! training: at most every 3 s), or on the button, in chunks the page can paint between.

use std::sync::Arc;

use leptos::html::{Canvas, Section};
use leptos::prelude::*;

use crate::ml::model::ModelConfig;
use crate::ui_logic::words::config_words;

use super::digit_view::DigitView;
use super::i18n::{said_in, tr, use_lang, Lang, Said};
use super::scatter_plot::paint;
use super::state::use_lab;
use super::training::{fitting_run_codes, RunCodes};
use super::visibility::{fill_when_shown, shown_weights, SameSet};
use super::why::Why;
use crate::ml::dataset::ImageShape;
use crate::ml::neighbours::{nearest_neighbour_agreement, Agreement};
use crate::ml::projection::Projection;
use crate::ui_logic::palette::class_colour;
use crate::ui_logic::scatter_frame::{frame, Plotted, SIDE};
use crate::ui_logic::words::Noun;

/// The test digits' codes under one model.
struct Encoded {
    /// The encoding model's library id and its title.
    id: String,
    model: ModelConfig,
    latent: usize,
    /// `count × latent` posterior means.
    means: Vec<f32>,
    labels: Vec<u8>,
    /// How well the codes keep the classes apart; `None` for a set of one class.
    agreement: Option<Agreement>,
    /// The epoch of the run whose evaluation gave the codes; `None` when the page encoded them.
    from_epoch: Option<usize>,
}

/// What the codes come from: the run's evaluation, or the page's encoding of the shown weights.
#[derive(PartialEq)]
enum Source {
    Run(RunCodes),
    Page((usize, SameSet)),
}

/// The codes are encoded again for a changed model at most this often.
const REFILL_GAP_MS: f64 = 3_000.0;

/// Whose codes the points are: the shown model's, or a run's after an epoch.
fn whose_codes(encoded: &Encoded, lang: Lang) -> String {
    let model = config_words(&encoded.model, lang);
    match encoded.from_epoch {
        Some(epoch) => lang.text(
            format!("the run's codes after epoch {epoch}, by {model}"),
            format!("训练第 {epoch} 轮结束时的编码，模型：{model}"),
        ),
        None => lang.text(
            format!("encoded with {model}"),
            format!("编码模型：{model}"),
        ),
    }
}

#[component]
pub fn ScatterPanel() -> impl IntoView {
    let lab = use_lab();
    let encoded = StoredValue::new_local(None::<Arc<Encoded>>);
    let version = RwSignal::new(0u32);
    let busy = RwSignal::new(false);
    let message = RwSignal::new(None::<Said>);
    let use_pca = RwSignal::new(true);
    let dim_x = RwSignal::new(0usize);
    let dim_y = RwSignal::new(1usize);
    let plotted = StoredValue::new_local(Plotted::default());
    let hovered = RwSignal::new(None::<usize>);
    let canvas = NodeRef::<Canvas>::new();

    let lang = use_lang();
    // During a run the worker's codes, as the plane draws them (see `fitting_run_codes`).
    let run_codes = fitting_run_codes(lab);
    let encode = move || {
        let (Some(active), Some(test)) = (lab.active.get_untracked(), lab.test.get_untracked())
        else {
            let noun = lab.noun_untracked();
            message.set(Some(Said::new(
                format!("The test {} are not loaded.", noun.many()),
                format!("测试{}还没有加载。", noun.zh()),
            )));
            return;
        };
        busy.set(true);
        message.set(None);
        let from_run = run_codes.get_untracked();
        leptos::task::spawn_local(async move {
            let latent = active.latent();
            let from_epoch = from_run.as_ref().map(|run| run.epoch);
            let means = match from_run {
                Some(run) => Ok(run.means.to_vec()),
                None => active.encode_means(&test).await,
            };
            let means = match means {
                Ok(means) => means,
                Err(e) => {
                    let noun = lab.noun_untracked();
                    message.set(Some(Said::new(
                        format!("The test {} could not be encoded: {e}", noun.many()),
                        format!("无法编码测试{}：{e}", noun.zh()),
                    )));
                    busy.set(false);
                    return;
                }
            };
            if dim_x.get_untracked() >= latent || dim_y.get_untracked() >= latent {
                dim_x.set(0);
                dim_y.set(1.min(latent - 1));
            }
            let labels = test.labels().to_vec();
            let agreement = nearest_neighbour_agreement(&means, latent, &labels);
            encoded.set_value(Some(Arc::new(Encoded {
                id: active.id.clone(),
                model: active.info.config,
                latent,
                means,
                labels,
                agreement,
                from_epoch,
            })));
            busy.set(false);
            hovered.set(None);
            version.update(|v| *v += 1);
        });
    };

    // Encoded when it scrolls into view, and again when the model changes (a run in training:
    // at most every few seconds).
    let section = NodeRef::<Section>::new();
    fill_when_shown(
        section,
        REFILL_GAP_MS,
        move || match run_codes.get() {
            Some(run) => (!busy.get()).then_some(Source::Run(run)),
            None => shown_weights(lab, busy).map(Source::Page),
        },
        encode,
    );

    // Draws the points whenever the codes or the chosen axes change.
    Effect::new(move |_| {
        version.track();
        let (pca, dx, dy) = (use_pca.get(), dim_x.get(), dim_y.get());
        let (Some(data), Some(canvas)) = (encoded.get_value(), canvas.get()) else {
            return;
        };
        let d = data.latent;
        let projection = if pca && d > 2 {
            Projection::principal(&data.means, d)
        } else {
            None
        }
        .unwrap_or_else(|| Projection::dims(d, dx.min(d - 1), dy.min(d - 1)));
        let xy: Vec<(f64, f64)> = data
            .means
            .chunks_exact(d)
            .map(|c| projection.apply(c))
            .collect();
        let points = frame(&xy);
        let Some(named) = paint(&canvas, &points, &data.labels, &lab.class_names()) else {
            return;
        };
        canvas
            .set_attribute("data-points", &points.len().to_string())
            .ok();
        canvas
            .set_attribute("data-named-classes", &named.to_string())
            .ok();
        let from = data
            .from_epoch
            .map_or("page".into(), |e| format!("epoch {e}"));
        canvas.set_attribute("data-codes-from", &from).ok();
        plotted.set_value(Plotted { points });
    });

    let nearest = move |ev: &leptos::ev::MouseEvent| -> Option<usize> {
        let canvas = canvas.get_untracked()?;
        let rect = canvas.get_bounding_client_rect();
        if rect.width() <= 0.0 {
            return None;
        }
        let k = SIDE / rect.width();
        let (x, y) = (
            (ev.client_x() as f64 - rect.left()) * k,
            (ev.client_y() as f64 - rect.top()) * k,
        );
        plotted.with_value(|p| p.nearest(x, y))
    };
    let on_move = move |ev: leptos::ev::MouseEvent| hovered.set(nearest(&ev));
    let on_click = move |ev: leptos::ev::MouseEvent| {
        let Some(i) = nearest(&ev) else {
            return;
        };
        let Some(data) = encoded.get_value() else {
            return;
        };
        let fits = lab.active.with_untracked(|m| {
            m.as_ref()
                .is_some_and(|m| m.id == data.id && m.latent() == data.latent)
        });
        if fits {
            lab.sigma.set(None);
            lab.z
                .set(data.means[i * data.latent..(i + 1) * data.latent].to_vec());
        } else {
            message.set(Some(Said::new(
                "The codes are from another model than the one explored: encode again.",
                "这些编码来自另一个模型，不是正在探索的这个：请重新编码。",
            )));
        }
    };
    let hovered_pixels = Signal::derive(move || {
        let i = hovered.get();
        lab.test.with(|t| match (t, i) {
            (Some(t), Some(i)) if i < t.len() => t.image(i).to_vec(),
            _ => vec![0.0; ImageShape::DIGITS.values()],
        })
    });
    let hovered_text = move || {
        let i = hovered.get()?;
        let words = lab.test_item_words(i)?;
        Some(lang().text(
            format!("{words}: click to put the sliders on its code"),
            format!("{words}：点击把滑块移到它的编码上"),
        ))
    };
    let agreement = move || {
        version.track();
        encoded
            .get_value()
            .and_then(|e| e.agreement.map(|a| (a, e.latent)))
    };
    let agreement_share = move || agreement().map(|(a, _)| a.share.to_string());
    let agreement_text = move || {
        let (a, latent) = agreement()?;
        let noun = lab.noun();
        let many = noun.many();
        let first = a.queried < lab.test.with(|t| t.as_ref().map_or(0, |t| t.len()));
        if lang() == Lang::Zh {
            let measure = match noun {
                Noun::Digit => "个",
                Noun::Picture => "张",
            };
            let which = if first {
                format!("在前 {} {measure}测试{}中", a.queried, noun.zh())
            } else {
                format!("在这 {} {measure}测试{}中", a.queried, noun.zh())
            };
            let space = if latent > 2 {
                format!("在全部 {latent} 个维度中，而不只是画出的两个")
            } else {
                "在画出的平面上".to_string()
            };
            return Some(format!(
                "{which}，有 {:.0}% 的最近邻编码（{space}）与自己同类；若是随机，只有 {:.0}%。",
                100.0 * a.share,
                100.0 * a.chance
            ));
        }
        let which = if first {
            format!("Of the first {} test {many}", a.queried)
        } else {
            format!("Of the {} test {many}", a.queried)
        };
        let space = if latent > 2 {
            format!("in all {latent} dimensions, not only the two drawn")
        } else {
            "in the plane drawn".to_string()
        };
        Some(format!(
            "{which}, {:.0}% have their nearest code ({space}) in their own class; by chance, \
             {:.0}%.",
            100.0 * a.share,
            100.0 * a.chance
        ))
    };
    let dims = move || {
        version.track();
        encoded.get_value().map_or(0, |e| e.latent)
    };
    let dim_select = move |chosen: RwSignal<usize>| {
        view! {
            <select disabled=move || { use_pca.get() && dims() > 2 }
                on:change=move |ev| { if let Ok(d) = event_target_value(&ev).parse() { chosen.set(d) } }>
                {move || (0..dims()).map(|d| view! {
                    <option value=d.to_string() selected=move || chosen.get() == d>{format!("z{}", d + 1)}</option>
                }).collect_view()}
            </select>
        }
    };

    view! {
        <section class="panel chapter-split scatter-panel" aria-labelledby="scatter-title" node_ref=section>
            <h2 id="scatter-title">{lab.text(move |l, n| l.text(format!("Latent scatter: where the encoder puts the \
                {many}", many = n.many()), format!("潜空间散点图：编码器把{}放在哪里", n.zh())))}</h2>
            <p class="caption">{move || lang().text(
                format!("The {} at their codes, coloured by their class, each class's name at the middle of its dots.", lab.test_set_words()),
                format!("{}画在各自的编码处，按类别着色，每类的名称标在其点群中央。", lab.test_set_words()),
            )}</p>
            <Why>
                <p>{lab.text(move |l, n| if l == Lang::Zh {
                    format!("每个点是{set}之一，画在其编码的均值处，按类别着色。同类的图片聚在一起；VAE 让整团点\
                        靠近先验 N(0, I)，自编码器则任其散开。潜在维度多于两个时，图上显示前两个主成分，或你选的两个维度。\
                        把指针停在点上可以看到那个{zh}；点击它，滑块就移到它的编码上。", set = lab.test_set_words(), zh = n.zh())
                } else { format!("Each dot is one of the {set} at the mean of its code, coloured \
                    by its class. Pictures of a class gather; a VAE keeps the whole cloud near the \
                    prior N(0, I), an autoencoder spreads it freely. With more than two dimensions \
                    the view is the first two principal components, or two chosen dimensions. Hover \
                    a dot to see the {one}; click it to put the sliders on its code.", set = lab.test_set_words(), one = n.one()) })}
                </p>
            </Why>
            <div class="buttons">
                <button class="encode-test" on:click=move |_| encode() disabled=move || busy.get() || lab.test.with(Option::is_none)>
                    {move || {
                        let l = lang();
                        if busy.get() {
                            l.text("Encoding…", "编码中…").to_string()
                        } else {
                            let n = lab.noun();
                            l.text(format!("Encode the test {}", n.many()), format!("编码测试{}", n.zh()))
                        }
                    }}
                </button>
                <label>
                    <input type="checkbox" prop:checked=move || use_pca.get()
                        on:change=move |ev| use_pca.set(event_target_checked(&ev)) />
                    " "{tr("principal components", "主成分")}
                </label>
                <label>" x " {dim_select(dim_x)}</label>
                <label>" y " {dim_select(dim_y)}</label>
            </div>
            <div class="scatter-layout chapter-figure">
                <canvas class="scatter" node_ref=canvas width=SIDE height=SIDE
                    role="img" aria-label=lab.text(|l, n| l.text(format!("scatter of the test {}' latent codes", n.many()), format!("测试{}潜在编码的散点图", n.zh())))
                    on:mousemove=on_move on:mouseleave=move |_| hovered.set(None) on:click=on_click></canvas>
                <div class="scatter-side">
                    <DigitView pixels=hovered_pixels label=lab.text(|l, n| l.text(format!("the {} under the pointer", n.one()), format!("指针下的{}", n.zh()))) />
                    <p class="timing">{hovered_text}</p>
                    <ul class="legend">
                        {move || lab.class_names().into_iter().enumerate().map(|(d, name)| {
                            let swatch = class_colour(d as u8);
                            view! { <li><span class="swatch" style:background=swatch></span>{name}</li> }
                        }).collect_view()}
                    </ul>
                    <p class="agreement" data-share=agreement_share>{agreement_text}</p>
                    <p class="timing whose-codes">{move || { version.track(); encoded.get_value().map(|e| whose_codes(&e, lang())) }}</p>
                </div>
            </div>
            <p class="error" role="alert">
                {move || message.with(|m| said_in(lang(), m))}
                {move || lab.why_no_test_images().map(|why| {
                    lang().text(format!("No test images to place: {why}."), format!("没有可放置的测试图片：{why}。"))
                })}
            </p>
        </section>
    }
}
