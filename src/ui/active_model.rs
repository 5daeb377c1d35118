//! The model being explored, as the page holds it: its weights, its decoder packed for decoding
//! every frame, and its scores of a test set, taken once and kept beside that set.

use super::i18n::Lang;
use crate::ui_logic::words::config_words;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

use super::clock::{in_chunks, in_slices, yield_to_browser};
use crate::ml::axis_line::{AxisLine, AxisSheet};
use crate::ml::checkpoint::CheckpointInfo;
use crate::ml::data::ImageSet;
use crate::ml::dataset::ImageShape;
use crate::ml::eval::{Evaluator, EVAL_CHUNK};
use crate::ml::explore;
use crate::ml::model::{Model, PackedDecoder, PackedEncoder};

/// Images encoded in the first piece of a plot of the codes: a few milliseconds even for a
/// Conv-VAE on a phone, so that [`in_slices`] can pause often enough (it gives quicker models
/// larger pieces).
const ENCODE_PIECE: usize = 16;

/// A test set, and a model's sorted scores of it.
type ScoredSet = (Arc<ImageSet>, Arc<Vec<f32>>);

/// A model loaded in the page, with what the views need to know about it.
pub struct ActiveModel {
    /// Where it came from, e.g. `pretrained:mlp-vae-z2`.
    pub id: String,
    pub model: Model,
    pub info: CheckpointInfo,
    /// This model's negative ELBO of every image of a test set, sorted, with that set (held,
    /// so no other set can take its place in memory and pass for it); filled on first need,
    /// and again for another test set.
    test_scores: Mutex<Option<ScoredSet>>,
    scoring: AtomicBool,
    /// The decoder packed once for decoding on every frame (the page never trains its copy,
    /// so the packed weights stay right). `None` (packing failed) decodes through candle.
    packed: Option<PackedDecoder>,
    /// The encoder's means packed for plotting a set, on first need: a model only
    /// decoded never pays for it. `None` inside encodes through candle.
    packed_encoder: OnceLock<Option<PackedEncoder>>,
}

impl ActiveModel {
    pub fn new(id: String, model: Model, info: CheckpointInfo) -> Self {
        Self {
            id,
            info,
            test_scores: Mutex::new(None),
            scoring: AtomicBool::new(false),
            // Packing only copies weights that were just read; if it failed anyway, candle's
            // path still decodes the same digits.
            packed: model.packed_decoder().ok(),
            packed_encoder: OnceLock::new(),
            model,
        }
    }

    /// This model's sorted scores of `test`, if they have been taken.
    pub fn test_scores(&self, test: &Arc<ImageSet>) -> Option<Arc<Vec<f32>>> {
        let cached = self.test_scores.lock().ok()?;
        cached
            .as_ref()
            .filter(|(set, _)| Arc::ptr_eq(set, test))
            .map(|(_, s)| s.clone())
    }

    /// Scores every image of `test` (in chunks, letting the page paint in between) unless that
    /// is done. Scoring another set meanwhile is waited for, then this one is scored. Returns
    /// whether scores are available. The scores are the worker's: one [`Evaluator`] over the
    /// whole set, in the worker's chunks.
    pub async fn ensure_test_scores(&self, test: &Arc<ImageSet>) -> bool {
        loop {
            if self.test_scores(test).is_some() {
                return true;
            }
            if !self.scoring.swap(true, Ordering::SeqCst) {
                break;
            }
            // Another caller is scoring (this set or another): wait for it, then look again.
            yield_to_browser().await;
        }
        let mut evaluator = Evaluator::new(&self.model);
        let scored = in_chunks(test.len(), EVAL_CHUNK, |range| {
            evaluator.add(&self.model, test, range.start, range.len())
        })
        .await;
        let ok = scored.is_ok() && !test.is_empty();
        if ok {
            let mut scores = evaluator.finish().per_digit;
            scores.sort_by(f32::total_cmp);
            if let Ok(mut cached) = self.test_scores.lock() {
                *cached = Some((test.clone(), Arc::new(scores)));
            }
        }
        self.scoring.store(false, Ordering::SeqCst);
        ok
    }

    /// The posterior means of every image of `set` (`set.len() × latent`, image by image),
    /// encoded in slices that let the page paint in between: what the latent plane and the
    /// scatter plot.
    pub async fn encode_means(&self, set: &ImageSet) -> candle_core::Result<Vec<f32>> {
        let mut means = Vec::with_capacity(set.len() * self.latent());
        // The encoder is packed in a task of its own (~50 ms on a phone for the MLP models'
        // 784 × 400 layer), which with the first piece made one long task.
        if self.packed_encoder.get().is_none() {
            yield_to_browser().await;
        }
        let packed = self
            .packed_encoder
            .get_or_init(|| self.model.packed_encoder().ok());
        in_slices(set.len(), ENCODE_PIECE, |range| {
            let images = set.images(range.clone());
            means.extend(match packed {
                Some(packed) => packed.encode_means(images, range.len())?,
                None => explore::encode_means(&self.model, images, range.len())?,
            });
            Ok::<(), candle_core::Error>(())
        })
        .await?;
        Ok(means)
    }

    /// A name for people, in `lang`: "MLP-VAE z=2 hidden=400", "MLP-VAE z=2 隐藏层=400".
    pub fn title(&self, lang: Lang) -> String {
        config_words(&self.info.config, lang)
    }

    pub fn latent(&self) -> usize {
        self.model.config().latent
    }

    /// The shape of the images it reads and draws.
    pub fn shape(&self) -> ImageShape {
        self.model.config().shape
    }

    /// Decodes `count` codes laid end to end to `count × values` values.
    pub fn decode_many(&self, zs: &[f32], count: usize) -> candle_core::Result<Vec<f32>> {
        match &self.packed {
            Some(packed) => packed.decode_pixels(zs, count),
            None => explore::decode_many(&self.model, zs, count),
        }
    }

    /// Decodes `count` codes that differ in one dimension (a row of the manifold's sheet, a
    /// traversal of one dimension) along the line they lie on where the decoder follows lines
    /// (an MLP's: `PackedDecoder::decode_line`), else as [`Self::decode_many`] does. The values
    /// are those of `decode_many` up to rounding.
    pub fn decode_row(&self, codes: &[f32], count: usize) -> candle_core::Result<Vec<f32>> {
        if let Some(packed) = self.packed.as_ref().filter(|p| p.follows_lines()) {
            if let Some(line) = AxisLine::through(codes, count) {
                return packed.decode_line(line.line());
            }
        }
        self.decode_many(codes, count)
    }

    /// Makes ready to decode a sheet of `rows` rows of `per_row` codes (`codes`, row by row) a
    /// row at a time ([`Self::decode_sheet_row`]). Where the decoder follows lines and the
    /// codes are a grid, the whole sheet is decoded here, in one walk down its first column and
    /// along its rows (`PackedDecoder::decode_sheet`: a 15×15 sheet of an MLP in about a
    /// millisecond); otherwise each row is decoded when it is asked for, so that a slow
    /// decoder's sheet can be spread over frames.
    pub fn sheet_rows(
        &self,
        codes: &[f32],
        rows: usize,
        per_row: usize,
    ) -> candle_core::Result<SheetRows> {
        let decoded = match (
            self.packed.as_ref().filter(|p| p.follows_lines()),
            AxisSheet::through(codes, rows, per_row),
        ) {
            (Some(packed), Some(sheet)) => {
                Some(packed.decode_sheet(sheet.column(), sheet.direction(), &sheet.rows())?)
            }
            _ => None,
        };
        Ok(SheetRows { per_row, decoded })
    }

    /// Row `row` of a sheet made ready by [`Self::sheet_rows`], whose codes are `codes`: the
    /// values [`Self::decode_row`] gives for them, up to rounding. A sheet decoded whole
    /// already has them, and `codes` is not read.
    pub fn decode_sheet_row(
        &self,
        sheet: &SheetRows,
        codes: &[f32],
        row: usize,
    ) -> candle_core::Result<Vec<f32>> {
        if let Some(all) = &sheet.decoded {
            let size = sheet.per_row * self.shape().values();
            return match all.get(row * size..(row + 1) * size) {
                Some(values) => Ok(values.to_vec()),
                None => candle_core::bail!("row {row} is past the sheet's last"),
            };
        }
        self.decode_row(codes, sheet.per_row)
    }

    /// Decodes one code to the values of one image.
    pub fn decode_one(&self, z: &[f32]) -> candle_core::Result<Vec<f32>> {
        self.decode_many(z, 1)
    }
}

/// A sheet made ready for decoding a row at a time ([`ActiveModel::sheet_rows`]).
pub struct SheetRows {
    per_row: usize,
    /// Every row decoded already, where the decoder walks sheets.
    decoded: Option<Vec<f32>>,
}
