//! The latent-space panel: a large decoded digit that follows the sliders, and buttons to sample
//! from the prior, go back to the origin, or wander.

use leptos::prelude::*;

use super::clock::now_ms;
use super::digit_view::DigitView;
use super::i18n::{tr, use_lang};
use super::share::CopyLink;
use super::sliders::LatentSliders;
use super::state::{use_lab, Lab};
use super::why::Why;
use crate::ml::dataset::ImageShape;
use crate::ml::explore::wander_step;
use crate::ml::rng::Rng;
use crate::ui_logic::words::Noun;

/// With reduced motion asked for, the wander shows a new point once a second rather than a
/// moving one: the steps of a second's frames taken at once, so it visits the same places.
const REDUCED_MOTION_INTERVAL: std::time::Duration = std::time::Duration::from_secs(1);
const FRAMES_A_SECOND: usize = 60;

/// Whether the person asked their system for less motion (`prefers-reduced-motion`).
fn prefers_reduced_motion() -> bool {
    web_sys::window()
        .and_then(|w| {
            w.match_media("(prefers-reduced-motion: reduce)")
                .ok()
                .flatten()
        })
        .is_some_and(|query| query.matches())
}

/// One frame of the wander animation: a step of a random walk whose long-run spread is the
/// prior's ([`wander_step`]), so it visits where the prior puts its mass.
fn wander_frame(lab: Lab, running: RwSignal<bool>, rng: StoredValue<Rng, LocalStorage>) {
    if !running.get_untracked() {
        return;
    }
    let reduced = prefers_reduced_motion();
    let steps = if reduced { FRAMES_A_SECOND } else { 1 };
    let n = lab.z.with_untracked(Vec::len);
    let noise = rng
        .try_update_value(|r| r.normal_vec(n * steps))
        .unwrap_or_default();
    lab.z.update(|z| {
        for step in noise.chunks_exact(n.max(1)) {
            wander_step(z, step);
        }
    });
    let next = move || wander_frame(lab, running, rng);
    if reduced {
        set_timeout(next, REDUCED_MOTION_INTERVAL);
    } else {
        request_animation_frame(next);
    }
}

#[component]
pub fn LatentPanel() -> impl IntoView {
    let lab = use_lab();
    let lang = use_lang();
    // "a digit" / "this digit" in Chinese: digits are counted with 个, pictures with 张.
    let measure = |n: Noun| match n {
        Noun::Digit => "个",
        Noun::Picture => "张",
    };
    let pixels = Memo::new(move |_| {
        let decoded = lab.drawn().and_then(|m| {
            lab.z.with(|z| {
                if z.len() != m.latent() {
                    return None;
                }
                let start = now_ms();
                let out = m.decode_one(z).ok();
                lab.readouts.decode_ms.set(Some(now_ms() - start));
                out
            })
        });
        decoded.unwrap_or_else(|| vec![0.0; ImageShape::DIGITS.values()])
    });

    let wandering = RwSignal::new(false);
    let rng = StoredValue::new_local(Rng::new(now_ms().to_bits()));
    let toggle_wander = move |_| {
        let start = !wandering.get_untracked();
        wandering.set(start);
        if start {
            lab.sigma.set(None);
            request_animation_frame(move || wander_frame(lab, wandering, rng));
        }
    };
    on_cleanup(move || wandering.set(false));
    let sample = move |_| {
        let n = lab.z.with_untracked(Vec::len);
        let z = rng
            .try_update_value(|r| r.normal_vec(n))
            .unwrap_or_default();
        lab.sigma.set(None);
        lab.z.set(z);
    };
    let reset = move |_| {
        lab.sigma.set(None);
        lab.z.update(|z| z.iter_mut().for_each(|v| *v = 0.0));
    };

    view! {
        <section class="panel latent-panel" aria-labelledby="latent-title">
            <h2 id="latent-title">{lab.text(move |l, n| l.text(
                format!("Output: the {one} at the point", one = n.one()),
                format!("输出：该点对应的{}", n.zh()),
            ))}</h2>
            <p class="caption">{lab.text(move |l, n| l.text(
                format!("The decoder turns the point z into this {one}, again on every move.", one = n.one()),
                format!("解码器把点 z 变成这{}{}，每移动一次就重新解码一次。", measure(n), n.zh()),
            ))}</p>
            <Why>
                <p>{lab.text(move |l, n| l.text(
                    format!("Each slider moves z along one dimension; the {one} is decoded \
                        in this page, in a fraction of a millisecond, as you drag. A VAE is trained so \
                        that its codes follow the prior ", one = n.one()),
                    format!("每个滑块沿一个维度移动 z；你拖动时，{}就在这个页面里解码，只需不到一毫秒。\
                        变分自编码器经过训练，使它的编码服从先验 ", n.zh()),
                ))}
                    <i>"p(z) = N(0, I)"</i>{lab.text(move |l, n| l.text(
                        format!(": every dimension a standard normal, \
                            so ±3 covers almost all of it, and a point drawn from the prior decodes to a \
                            {one}. A plain autoencoder has no prior: its codes leave holes, and points \
                            in them decode to smudges.", one = n.one()),
                        format!("：每个维度都是标准正态分布，所以 ±3 几乎覆盖全部取值，从先验中采样的点会解码成\
                            一{}{}。普通自编码器没有先验：它的编码之间留有空洞，空洞里的点会解码成一团模糊。",
                            measure(n), n.zh()),
                    ))}
                </p>
            </Why>
            <div class="latent-layout">
                <figure class="big-digit">
                    <DigitView pixels=pixels label=Signal::derive(move || {
                        // The code itself, so that a screen reader hears what a slider changed.
                        let z = lab.z.with(|z| z.iter().map(|v| format!("{v:.1}")).collect::<Vec<_>>().join(", "));
                        let n = lab.noun();
                        lab.lang().text(
                            format!("the {} decoded from the sliders' z = ({z})", n.one()),
                            format!("由滑块的 z = ({z}) 解码出的{}", n.zh()),
                        )
                    }) />
                    <figcaption>{lab.text(move |l, n| l.text(
                        format!("the {one} at the point z", one = n.one()),
                        format!("点 z 处的{}", n.zh()),
                    ))}</figcaption>
                </figure>
                <div class="latent-controls">
                    <div class="buttons">
                        <button on:click=sample>{tr("Sample from the prior", "从先验中采样")}</button>
                        <button on:click=reset>{tr("Reset to 0", "重置为 0")}</button>
                        <button on:click=toggle_wander aria-pressed=move || wandering.get().to_string()>
                            {move || if wandering.get() {
                                lang().text("Stop wandering", "停止漫游")
                            } else {
                                lang().text("Wander", "漫游")
                            }}
                        </button>
                    </div>
                    <p class="hint">{lab.text(move |l, n| l.text(
                        format!("Sampling draws z from N(0, I), the prior: a \
                            VAE decodes almost every such z to a {one}, a plain autoencoder often does \
                            not. Wander takes a slow random walk.", one = n.one()),
                        format!("采样就是从先验 N(0, I) 中抽取 z：变分自编码器几乎能把每个这样的 z 解码成\
                            一{}{}，普通自编码器却常常不能。漫游则是缓慢的随机游走。", measure(n), n.zh()),
                    ))}
                    </p>
                </div>
            </div>
            <LatentSliders />
            <CopyLink />
        </section>
    }
}
