//! A sheet of decoded images on a canvas: n×n codes decoded a row at a time within a budget per
//! animation frame, each row painted as soon as it is decoded. An MLP decoder fills a 15×15 sheet
//! in one frame; a convolutional one (about 15× the work per digit) over a few, and the page keeps
//! answering either way. A newer sheet replaces an older one between rows, and the old one stays
//! visible until the new one covers it. Used by the manifold chapter and the latent plane.

use std::sync::Arc;

use leptos::html::Canvas;
use leptos::prelude::*;
use wasm_bindgen::{Clamped, JsCast};
use web_sys::{CanvasRenderingContext2d, HtmlCanvasElement, ImageData};

use super::clock::now_ms;
use super::i18n::Said;
use super::state::ActiveModel;
use crate::ml::dataset::ImageShape;
use crate::ui_logic::pixels::{tile_rgba, GreyAs};

/// Decoding time per animation frame before the rest waits for the next frame.
const FRAME_BUDGET_MS: f64 = 8.0;

pub fn context(canvas: &HtmlCanvasElement) -> Result<CanvasRenderingContext2d, String> {
    canvas
        .get_context("2d")
        .ok()
        .flatten()
        .and_then(|c| c.dyn_into().ok())
        .ok_or_else(|| "this browser gave no 2D canvas".to_string())
}

/// Paints one row of `n` decoded images (`n × values`, of `shape`) at grid row `row`.
fn paint_row(
    canvas: &HtmlCanvasElement,
    row: usize,
    (shape, grey): (ImageShape, GreyAs),
    pixels: &[f32],
    n: usize,
) -> Result<(), Said> {
    let (width, height, rgba) = tile_rgba(shape, pixels, n, grey);
    let image =
        ImageData::new_with_u8_clamped_array_and_sh(Clamped(&rgba), width as u32, height as u32)
            .map_err(|_| Said::new("could not make the sheet's image", "无法生成网格图像"))?;
    context(canvas)
        .map_err(|e| Said::new(e, "这个浏览器没有提供 2D 画布"))?
        .put_image_data(&image, 0.0, (row * shape.side) as f64)
        .map_err(|_| Said::new("could not draw the sheet", "无法绘制网格"))
}

/// A sheet being decoded.
struct Job {
    model: Arc<ActiveModel>,
    grey: GreyAs,
    n: usize,
    /// All n² codes, row by row.
    codes: Vec<f32>,
    next_row: usize,
    started_ms: f64,
}

/// What the page can watch of a sheet.
#[derive(Clone, Copy)]
pub struct SheetStatus {
    /// Rows of the current sheet painted so far.
    pub rows_done: RwSignal<usize>,
    /// How long the last complete sheet took to decode and paint.
    pub ms: RwSignal<Option<f64>>,
    /// Sheets completed since the view opened (a signal for tests: a new one was drawn).
    pub sheets: RwSignal<usize>,
    pub error: RwSignal<Option<Said>>,
}

/// The decoder of sheets for one canvas.
#[derive(Clone, Copy)]
pub struct Sheet {
    canvas: NodeRef<Canvas>,
    job: StoredValue<Option<Job>, LocalStorage>,
    scheduled: StoredValue<bool, LocalStorage>,
    pub status: SheetStatus,
}

impl Sheet {
    pub fn new(canvas: NodeRef<Canvas>) -> Self {
        Self {
            canvas,
            job: StoredValue::new_local(None),
            scheduled: StoredValue::new_local(false),
            status: SheetStatus {
                rows_done: RwSignal::new(0),
                ms: RwSignal::new(None),
                sheets: RwSignal::new(0),
                error: RwSignal::new(None),
            },
        }
    }

    /// Starts decoding `codes` (n² latent vectors, row by row) with `model`, grey shown as
    /// `grey`; the canvas becomes n image sides square.
    pub fn draw(self, model: Arc<ActiveModel>, grey: GreyAs, codes: Vec<f32>, n: usize) {
        let Some(el) = self.canvas.get_untracked() else {
            return;
        };
        let side = (n * model.shape().side) as u32;
        if el.width() != side || el.height() != side {
            el.set_width(side);
            el.set_height(side);
        }
        self.status.rows_done.set(0);
        self.status.ms.set(None);
        self.job.set_value(Some(Job {
            model,
            grey,
            n,
            codes,
            next_row: 0,
            started_ms: now_ms(),
        }));
        if !self.scheduled.get_value() {
            self.scheduled.set_value(true);
            request_animation_frame(move || self.pump());
        }
    }

    /// Stops any sheet under way and blanks the canvas (when no sheet can be drawn, rather than
    /// leave an old one standing).
    pub fn clear(self) {
        self.job.set_value(None);
        self.status.ms.set(None);
        self.status.rows_done.set(0);
        if let Some(el) = self.canvas.get_untracked() {
            if let Ok(c) = context(&el) {
                c.clear_rect(0.0, 0.0, el.width() as f64, el.height() as f64);
            }
        }
    }

    /// Decodes and paints rows until the frame budget is spent, then asks for another frame if
    /// rows remain.
    fn pump(self) {
        self.scheduled.set_value(false);
        let Some(canvas) = self.canvas.get_untracked() else {
            return;
        };
        let frame_start = now_ms();
        loop {
            let step = self.job.try_update_value(|slot| {
                let j = slot.as_mut()?;
                if j.next_row >= j.n {
                    return None;
                }
                let latent = j.model.latent();
                let row = j.next_row;
                let codes = &j.codes[row * j.n * latent..(row + 1) * j.n * latent];
                let result = j
                    .model
                    .decode_many(codes, j.n)
                    .map_err(|e| {
                        Said::new(
                            format!("decoding the sheet failed: {e}"),
                            format!("解码网格失败：{e}"),
                        )
                    })
                    .and_then(|pixels| {
                        let look = (j.model.shape(), j.grey);
                        paint_row(&canvas, row, look, &pixels, j.n)
                    });
                j.next_row += 1;
                Some((row, j.n, j.started_ms, result))
            });
            let Some(Some((row, n, started, result))) = step else {
                return;
            };
            if let Err(message) = result {
                self.status.error.set(Some(message));
                self.job.set_value(None);
                return;
            }
            self.status.rows_done.set(row + 1);
            if row + 1 == n {
                self.status.ms.set(Some(now_ms() - started));
                self.status.sheets.update(|k| *k += 1);
                self.status.error.set(None);
                return;
            }
            if now_ms() - frame_start > FRAME_BUDGET_MS {
                break;
            }
        }
        self.scheduled.set_value(true);
        request_animation_frame(move || self.pump());
    }
}
