//! A sheet of decoded images on a canvas: n×n codes decoded a row at a time within a budget per
//! animation frame, each row painted as soon as it is decoded. An MLP decoder fills a 15×15 sheet
//! in one frame; a convolutional one (about 15× the work per digit) over a few, and the page keeps
//! answering either way. A newer sheet replaces an older one between rows, and the old one stays
//! visible until the new one covers it. Used by the manifold chapter and the latent plane. An
//! MLP's sheet is decoded whole before its first row is painted, in one walk down its first
//! column and along its rows ([`ActiveModel::sheet_rows`]), which reads its weights once
//! instead of once a row.
//!
//! A sheet for new weights of the model drawn (a run in training sends a few a second) waits
//! until the sheets' decoding keeps to its share of the page's time ([`next_fill_ms`]), whether
//! or not its codes moved with the weights: a Conv-VAE's sheet redrawn at every snapshot took a
//! sixth to a quarter of a core, which on two cores came out of the training threads' share. A
//! sheet for new codes under the weights drawn (a slider, another pair of dimensions) or for
//! another model starts at once if its canvas is on screen. Any sheet waits while its canvas is
//! off screen, and starts when it comes near: a run's snapshots redrew the plane and the
//! manifold (16–47 ms of the page's thread each for a Conv-VAE, at every snapshot) while the
//! reader watched the training panel; and on a phone, whose first screen ends above the latent
//! plane, the first model's sheet took the page's thread in frames of 18–29 ms (each a long
//! task at a phone's speed) for a picture nobody could see yet.

use std::sync::Arc;

use leptos::html::Canvas;
use leptos::prelude::*;
use wasm_bindgen::{Clamped, JsCast};
use web_sys::{CanvasRenderingContext2d, HtmlCanvasElement, ImageData};

use super::active_model::SheetRows;
use super::clock::now_ms;
use super::i18n::Said;
use super::state::ActiveModel;
use super::visibility::drawing_near;
use crate::ml::dataset::ImageShape;
use crate::ui_logic::pixels::{tile_rgba, GreyAs};
use crate::ui_logic::refill::next_fill_ms;

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
    /// The codes made ready for decoding a row at a time (an MLP's decoded whole), at the
    /// first row.
    prepared: Option<SheetRows>,
    next_row: usize,
    /// New weights of the model drawn: it waits until the sheets keep to their share of the
    /// page's time (see the module's docs), not only for its canvas to come into view.
    paced: bool,
    started_ms: f64,
    /// Time spent decoding and painting it so far.
    busy_ms: f64,
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
    /// A sheet waits for its canvas to come into view.
    pub held_off_screen: RwSignal<bool>,
    pub error: RwSignal<Option<Said>>,
}

/// The decoder of sheets for one canvas.
#[derive(Clone, Copy)]
pub struct Sheet {
    canvas: NodeRef<Canvas>,
    job: StoredValue<Option<Job>, LocalStorage>,
    scheduled: StoredValue<bool, LocalStorage>,
    /// A sheet for new weights waiting for its turn, and whether a timer will start it.
    waiting: StoredValue<Option<Job>, LocalStorage>,
    waiting_timer: StoredValue<bool, LocalStorage>,
    /// When the last complete sheet started, and the time it spent decoding and painting.
    last_sheet: StoredValue<Option<(f64, f64)>, LocalStorage>,
    /// Whether the canvas is on screen (or near it): a sheet for new weights waits off screen.
    in_view: Signal<bool>,
    pub status: SheetStatus,
}

impl Sheet {
    pub fn new(canvas: NodeRef<Canvas>) -> Self {
        let in_view = drawing_near(canvas);
        let sheet = Self {
            canvas,
            job: StoredValue::new_local(None),
            scheduled: StoredValue::new_local(false),
            waiting: StoredValue::new_local(None),
            waiting_timer: StoredValue::new_local(false),
            last_sheet: StoredValue::new_local(None),
            in_view,
            status: SheetStatus {
                rows_done: RwSignal::new(0),
                ms: RwSignal::new(None),
                sheets: RwSignal::new(0),
                held_off_screen: RwSignal::new(false),
                error: RwSignal::new(None),
            },
        };
        Effect::new(move |_| {
            if in_view.get() {
                sheet.release();
            }
        });
        sheet
    }

    /// Starts decoding `codes` (n² latent vectors, row by row) with `model`, grey shown as
    /// `grey`; the canvas becomes n image sides square. It waits for the canvas to be in view,
    /// and new weights of the model drawn for their turn as well (see the module's docs).
    pub fn draw(self, model: Arc<ActiveModel>, grey: GreyAs, codes: Vec<f32>, n: usize) {
        let mut job = Job {
            model,
            grey,
            n,
            codes,
            prepared: None,
            next_row: 0,
            paced: false,
            started_ms: 0.0,
            busy_ms: 0.0,
        };
        // New weights of the model already drawn (a run's snapshot) wait their turn even when
        // the codes moved with them: the explorer puts the sliders at the input's code under
        // each new model, so a sheet whose rest of z follows them changes its codes too. So
        // does the same sheet asked for again; another model waits only to be seen.
        job.paced = self.job.with_value(|j| {
            j.as_ref().is_some_and(|j| {
                let same_view = j.n == n && j.grey == grey && j.codes == job.codes;
                j.model.id == job.model.id && (same_view || !Arc::ptr_eq(&j.model, &job.model))
            })
        });
        // The canvas takes the sheet's size at once, drawn or held: the page around it is laid
        // out as it will be (a chapter's canvas sized only when scrolled to would move it).
        self.fit_canvas(&job);
        if job.paced || !self.in_view.try_get_untracked().unwrap_or(false) {
            self.waiting.set_value(Some(job));
            self.release();
            return;
        }
        self.waiting.set_value(None);
        self.start(job);
    }

    /// Starts the sheet waiting once the canvas is in view and, for new weights of the model
    /// drawn, its turn has come; before its turn, a timer looks again then; off screen, coming
    /// into view does.
    fn release(self) {
        let idle = self
            .waiting
            .try_with_value(Option::is_some)
            .unwrap_or(false)
            && !self.waiting_timer.get_value();
        if !idle {
            return;
        }
        let off_screen = !self.in_view.try_get_untracked().unwrap_or(false);
        self.status.held_off_screen.set(off_screen);
        if off_screen {
            return;
        }
        let paced = self
            .waiting
            .with_value(|w| w.as_ref().is_some_and(|j| j.paced));
        let due = match self.last_sheet.get_value() {
            Some((started, busy)) if paced => next_fill_ms(started, busy, 0.0),
            _ => f64::NEG_INFINITY,
        };
        let wait = due - now_ms();
        if wait > 0.0 {
            self.waiting_timer.set_value(true);
            set_timeout(
                move || {
                    // The sheet may be gone by the time the timer fires (hence `try_`).
                    if self
                        .waiting_timer
                        .try_update_value(|t| *t = false)
                        .is_some()
                    {
                        self.release();
                    }
                },
                std::time::Duration::from_millis(wait.ceil() as u64),
            );
            return;
        }
        if let Some(job) = self.waiting.try_update_value(Option::take).flatten() {
            self.start(job);
        }
    }

    /// Gives the canvas `job`'s size in pixels, n image sides square (which blanks it, so only
    /// when it differs).
    fn fit_canvas(self, job: &Job) {
        let Some(el) = self.canvas.get_untracked() else {
            return;
        };
        let side = (job.n * job.model.shape().side) as u32;
        if el.width() != side || el.height() != side {
            el.set_width(side);
            el.set_height(side);
        }
    }

    fn start(self, mut job: Job) {
        if self.canvas.get_untracked().is_none() {
            return;
        }
        self.fit_canvas(&job);
        self.status.rows_done.set(0);
        self.status.ms.set(None);
        self.status.held_off_screen.set(false);
        job.started_ms = now_ms();
        self.job.set_value(Some(job));
        if !self.scheduled.get_value() {
            self.scheduled.set_value(true);
            request_animation_frame(move || self.pump());
        }
    }

    /// Stops any sheet under way and blanks the canvas (when no sheet can be drawn, rather than
    /// leave an old one standing).
    pub fn clear(self) {
        self.job.set_value(None);
        self.waiting.set_value(None);
        self.status.held_off_screen.set(false);
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
            let row_start = now_ms();
            let step = self.job.try_update_value(|slot| {
                let j = slot.as_mut()?;
                if j.next_row >= j.n {
                    return None;
                }
                let latent = j.model.latent();
                let row = j.next_row;
                let codes = &j.codes[row * j.n * latent..(row + 1) * j.n * latent];
                let prepared = match j.prepared.take() {
                    Some(prepared) => Ok(prepared),
                    None => j.model.sheet_rows(&j.codes, j.n, j.n),
                };
                let result = prepared
                    .and_then(|prepared| {
                        let pixels = j.model.decode_sheet_row(&prepared, codes, row);
                        j.prepared = Some(prepared);
                        pixels
                    })
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
                j.busy_ms += now_ms() - row_start;
                Some((row, j.n, j.started_ms, j.busy_ms, result))
            });
            let Some(Some((row, n, started, busy, result))) = step else {
                return;
            };
            if let Err(message) = result {
                self.status.error.set(Some(message));
                self.job.set_value(None);
                return;
            }
            self.status.rows_done.set(row + 1);
            if row + 1 == n {
                self.last_sheet.set_value(Some((started, busy)));
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
