//! A run's charts: the loss and its two parts per step (smoothed), the test scores after each
//! epoch, the MIG of a run on the generated shapes, and the KL each latent dimension carries.

use leptos::prelude::*;

use super::charts::{epoch_caption, KlBars, LineChart, Series};
use super::Training;
use crate::ml::eval::ACTIVE_UNIT_NATS;
use crate::protocol::{EpochReport, ScoredOn};
use crate::ui::factors::MigSummary;
use crate::ui::i18n::{tr, use_lang};
use crate::ui_logic::chart_scale::smooth;
use crate::ui_logic::run_words::epoch_series_names;

#[component]
pub(super) fn RunCharts(training: Training) -> impl IntoView {
    let lang = use_lang();
    let step_series = Signal::derive(move || {
        let l = lang();
        training.losses.with(|losses| {
            let pick = |f: fn(&crate::protocol::StepLoss) -> f32| {
                smooth(losses.iter().map(|l| (l.step as f64, f(l) as f64)), 0.1)
            };
            vec![
                Series {
                    name: "loss",
                    label: l.text("loss", "损失"),
                    class: "total",
                    points: pick(|l| l.loss.total),
                },
                Series {
                    name: "reconstruction",
                    label: l.text("reconstruction", "重建"),
                    class: "recon",
                    points: pick(|l| l.loss.recon),
                },
            ]
        })
    });
    let kl_step_series = Signal::derive(move || {
        training.losses.with(|losses| {
            vec![Series {
                name: "KL",
                label: "KL",
                class: "kl",
                points: smooth(
                    losses.iter().map(|l| (l.step as f64, l.loss.kl as f64)),
                    0.1,
                ),
            }]
        })
    });
    let epoch_series = Signal::derive(move || {
        let l = lang();
        training.reports.with(|reports| {
            let pick = |f: fn(&crate::protocol::EpochReport) -> f64| {
                reports.iter().map(|r| (r.epoch as f64, f(r))).collect()
            };
            // A set too small for a test split is scored on its training images; the legend
            // says so, since those figures measure fit, not generalisation.
            let on_test = reports
                .last()
                .is_none_or(|r| r.scored_on == ScoredOn::TestImages);
            let [(neg_elbo, neg_elbo_label), (recon, recon_label), (kl, kl_label)] =
                epoch_series_names(on_test, l);
            vec![
                Series {
                    name: neg_elbo,
                    label: neg_elbo_label,
                    class: "total",
                    points: pick(|r| r.neg_elbo),
                },
                Series {
                    name: recon,
                    label: recon_label,
                    class: "recon",
                    points: pick(|r| r.recon),
                },
                Series {
                    name: kl,
                    label: kl_label,
                    class: "kl",
                    points: pick(|r| r.kl),
                },
                Series {
                    name: "train loss",
                    label: l.text("train loss", "训练损失"),
                    class: "train",
                    points: pick(|r| r.train.total as f64),
                },
            ]
        })
    });
    let epoch_caption = move || training.reports.with(|r| epoch_caption(r.last(), lang()));
    let last_score = move |pick: fn(&EpochReport) -> f64| {
        training
            .reports
            .with(|r| r.last().map(|last| pick(last).to_string()))
    };
    let kl_per_dim = Signal::derive(move || {
        training
            .reports
            .with(|r| r.last().map(|r| r.kl_per_dim.clone()).unwrap_or_default())
    });
    let active_text = move || {
        training.reports.with(|r| {
            r.last().map(|r| {
                let (active, all) = (r.active_units, r.kl_per_dim.len());
                lang().text(
                    format!("{active} of {all} dimensions active (KL > {ACTIVE_UNIT_NATS} nats)"),
                    format!("{all} 个维度中有 {active} 个活跃（KL > {ACTIVE_UNIT_NATS} 奈特）"),
                )
            })
        })
    };

    view! {
        <div class="charts">
            <figure>
                <LineChart series=step_series x_label=tr("step", "步") y_label=tr("nats per image", "每张图片的奈特数")
                    title=tr("training loss and reconstruction per step, smoothed", "每步的训练损失与重建项（已平滑）") />
                <figcaption>{tr("training loss per step (smoothed)", "每步的训练损失（已平滑）")}</figcaption>
            </figure>
            <figure>
                <LineChart series=kl_step_series x_label=tr("step", "步") y_label=tr("nats per image", "每张图片的奈特数")
                    title=tr("KL per step, smoothed", "每步的 KL（已平滑）") />
                <figcaption>{tr("KL term per step (smoothed)", "每步的 KL 项（已平滑）")}</figcaption>
            </figure>
            <figure class="epoch-figure" data-neg-elbo=move || last_score(|r| r.neg_elbo)
                data-recon=move || last_score(|r| r.recon)>
                <LineChart series=epoch_series x_label=tr("epoch", "轮") y_label=tr("nats per image", "每张图片的奈特数")
                    title=tr("test negative ELBO, reconstruction and KL per epoch", "每轮测试集上的负 ELBO、重建项与 KL") />
                <figcaption>{move || epoch_caption()}</figcaption>
            </figure>
            <MigSummary />
            <figure>
                <KlBars kl=kl_per_dim threshold=ACTIVE_UNIT_NATS />
                <figcaption>{move || active_text().unwrap_or_else(|| lang().text("KL per latent dimension", "每个潜在维度的 KL").to_string())}</figcaption>
            </figure>
        </div>
    }
}
