//! The manifold grid: an N×N sheet of digits decoded from a 2-D slice of the latent space.
//!
//! Two chosen dimensions vary across the grid; the others stay where the sliders put them, so
//! the sheet follows the sliders. The coordinates are Φ⁻¹((i + ½)/N): each cell covers the same
//! share of the prior's probability, the way Kingma & Welling drew their figure.
//!
//! The sheet is decoded a row at a time within a budget per animation frame ([`super::sheet`]).

use leptos::html::Canvas;
use leptos::prelude::*;

use super::dim_pair::{Axis, DimPair};
use super::i18n::{said_in, tr, use_lang};
use super::sheet::Sheet;
use super::state::use_lab;
use super::why::Why;
use crate::ml::explore::grid_codes;
use crate::ml::stats::grid_coordinates;

pub const DEFAULT_GRID: usize = 15;

/// Index of the grid coordinate nearest to `v`.
fn nearest(coords: &[f64], v: f32) -> usize {
    coords
        .iter()
        .enumerate()
        .min_by(|a, b| (a.1 - v as f64).abs().total_cmp(&(b.1 - v as f64).abs()))
        .map_or(0, |(i, _)| i)
}

#[component]
pub fn ManifoldPanel() -> impl IntoView {
    let lab = use_lab();
    let lang = use_lang();
    let (size, set_size) = signal(DEFAULT_GRID);
    let dims = DimPair::new(lab);
    let canvas = NodeRef::<Canvas>::new();
    let sheet = Sheet::new(canvas);
    let status = sheet.status;
    Effect::new(move |_| {
        if let Some(ms) = status.ms.get() {
            lab.readouts.sheet.set(Some((size.get_untracked(), ms)));
        }
    });

    let base = dims.rest_of_z(lab);
    // Any change starts a new sheet; rows are repainted in place, so the old sheet stays visible
    // until the new one covers it.
    Effect::new(move |_| {
        let (n, (dx, dy), base) = (size.get(), dims.get(), base.get());
        let (Some(model), Some(_mounted)) = (lab.active.get(), canvas.get()) else {
            return;
        };
        if base.len() != model.latent() {
            return; // the sliders catch up with a new model in a moment
        }
        if dx >= base.len() || dy >= base.len() || dx == dy {
            sheet.clear();
            return;
        }
        sheet.draw(model, lab.grey_as(), grid_codes(&base, dx, dy, n), n);
    });

    let on_click = move |ev: leptos::ev::MouseEvent| {
        let Some(canvas) = canvas.get_untracked() else {
            return;
        };
        let rect = canvas.get_bounding_client_rect();
        let n = size.get_untracked();
        let cell = |offset: f64, extent: f64| {
            ((offset / extent * n as f64).floor().max(0.0) as usize).min(n - 1)
        };
        let col = cell(ev.client_x() as f64 - rect.left(), rect.width());
        let row = cell(ev.client_y() as f64 - rect.top(), rect.height());
        let coords = grid_coordinates(n);
        let (dx, dy) = dims.get_untracked();
        lab.sigma.set(None);
        lab.z.update(|z| {
            if dx < z.len() && dy < z.len() {
                z[dx] = coords[col] as f32;
                z[dy] = coords[n - 1 - row] as f32;
            }
        });
    };
    // Where the sliders' z falls on the sheet.
    // The marker's cell as (left, top, size) in percent of the grid. Set through the CSS object
    // model (`style:` properties), which the page's Content-Security-Policy allows, unlike
    // inline style attributes.
    let marker = Memo::new(move |_| {
        let n = size.get();
        let coords = grid_coordinates(n);
        let (dx, dy) = dims.get();
        lab.z.with(|z| match (z.get(dx), z.get(dy)) {
            (Some(&x), Some(&y)) => {
                let (col, row) = (nearest(&coords, x), n - 1 - nearest(&coords, y));
                let cell = 100.0 / n as f64;
                Some((col as f64 * cell, row as f64 * cell, cell))
            }
            _ => None,
        })
    });
    let percent = move |pick: fn((f64, f64, f64)) -> f64| {
        move || {
            marker
                .get()
                .map(|m| format!("{:.3}%", pick(m)))
                .unwrap_or_default()
        }
    };
    let pick = |set: WriteSignal<usize>| {
        move |ev: leptos::ev::Event| {
            if let Ok(d) = event_target_value(&ev).parse() {
                set.set(d);
            }
        }
    };
    view! {
        <section class="panel chapter-split manifold-panel" aria-labelledby="manifold-title">
            <h2 id="manifold-title">{tr("The manifold: a slice of latent space", "流形：潜空间的一个切片")}</h2>
            <p class="caption">{tr("A sheet of digits decoded across two latent dimensions; click a cell to go there.",
                "沿两个潜在维度解码出的一整张数字；点击某一格就移到那里。")}</p>
            <Why>
                <p>
                    {tr("Every cell decodes one point of a 2-D slice through the latent space: one dimension across, one down, \
                        the rest as the sliders set them. Cells are spaced by the inverse normal CDF, so each holds an equal \
                        share of the prior. Click a cell to move the sliders there.",
                        "每一格解码潜空间中一个二维切片上的一个点：一个维度横向变化，一个纵向变化，其余维度保持滑块设定的值。\
                        格点按标准正态分布的逆累积分布函数排布，所以每格占先验相同的概率。点击某一格，滑块就移到那里。")}
                </p>
            </Why>
            <div class="manifold-controls">
                <label>{tr("across ", "横向 ")} {dims.menu(lab, Axis::Across, "dim-x")}</label>
                <label>{tr("down ", "纵向 ")} {dims.menu(lab, Axis::Up, "dim-y")}</label>
                <label>{tr("cells ", "格数 ")}
                    <select class="grid-size" on:change=pick(set_size)>
                        {[5usize, 10, 15, 20].map(|n| view! { <option value=n.to_string() selected=move || size.get() == n>{format!("{n}×{n}")}</option> })}
                    </select>
                </label>

            </div>
            <div class="sheet chapter-figure">
                <canvas class="manifold" node_ref=canvas on:click=on_click role="img"
                    data-rows=move || status.rows_done.get().to_string()
                    data-sheets=move || status.sheets.get().to_string()
                    aria-label=lab.text(|l, n| l.text(format!("a grid of {} decoded across two latent dimensions; click \
                        to choose one", n.many()), format!("沿两个潜在维度解码出的{}网格；点击选择其中一个", n.zh())))></canvas>
                <div
                    class="marker"
                    style:display=move || if marker.get().is_some() { "" } else { "none" }
                    style:left=percent(|m| m.0)
                    style:top=percent(|m| m.1)
                    style:width=percent(|m| m.2)
                    style:height=percent(|m| m.2)
                ></div>
            </div>
            <p class="error" role="alert">
                {move || status.error.with(|e| said_in(lang(), e))}
                {move || (lab.latent() == 1).then(|| lang().text(
                    "This model has one latent dimension; the grid needs two.",
                    "这个模型只有一个潜在维度；网格需要两个。",
                ))}
            </p>
        </section>
    }
}
