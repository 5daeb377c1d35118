//! How much of a training step the worker does per call into the trainer: a step whose batch
//! takes longer than [`PIECE_MS`] is done in pieces (gradients accumulated), so a slice of the
//! worker's time never waits for a whole slow step, and Pause and the page's ping are answered
//! meanwhile.

use crate::ml::model::ModelConfig;
use crate::ml::train::Trainer;

/// Work per call into the trainer, when the step allows...
const PIECE_MS: f64 = 40.0;
/// ...or more for a large model: a piece's fixed cost grows with the parameters (candle's
/// backward adds each whole gradient to zeros, the helper's gradients are copied out of the
/// shared buffer, the pieces' gradients are summed), ~1.6 ns each (the 64×64 colour MLP-VAE,
/// 9.9 M parameters: ~16 ms a piece, 27% of its steps cut into eight), and a piece is made long
/// enough to keep that under [`FIXED_SHARE`] of it: ~126 ms for that model, 40 ms for any
/// model under 3 M parameters.
const FIXED_NS_PER_PARAMETER: f64 = 1.6;
const FIXED_SHARE: f64 = 0.125;
/// A step is cut into at most this many pieces. Each piece pays for whole weight gradients
/// (computed, transposed, added to the step's sum) whatever its size: cut to single pictures, a
/// 64×64 colour MLP-VAE (10 M parameters) spent most of a step on that and trained at a
/// twentieth of native speed, and the cost per picture it measured (that overhead included)
/// kept its pieces at one picture. A slow model's pieces take longer than [`PIECE_MS`] instead.
const MOST_PIECES_PER_STEP: usize = 8;

/// What a digit of a step recently cost one model at one batch size (wall time per digit of
/// a piece: forward, backward, the helper's share and the update), which sizes that model's
/// pieces. The runner keeps the last one measured (by the warm-up, or by a run) so that a run
/// of a model already timed starts with pieces of the right size. Without it the first pieces
/// are small and grow as their cost is measured: the reference run's first four steps took
/// ~100 ms in twelve pieces instead of ~30 ms in four.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) struct DigitCost {
    pub model: ModelConfig,
    pub batch: usize,
    pub ms: f64,
}

impl DigitCost {
    /// `ms` a digit, measured on `trainer`'s model at its batch size; `None` while nothing
    /// was measured (0).
    pub fn measured(trainer: &Trainer, ms: f64) -> Option<Self> {
        (ms > 0.0).then(|| Self {
            model: trainer.model().config(),
            batch: trainer.config().batch_size,
            ms,
        })
    }

    /// The cost for a run of `model` at `batch`, if this one was measured on them.
    pub fn for_run(&self, model: ModelConfig, batch: usize) -> Option<f64> {
        (self.model == model && self.batch == batch).then_some(self.ms)
    }
}

/// The recent cost per digit `previous` (0 when none yet) with a new piece's `measured` blended
/// in: recent pieces weigh most, so a change of pace (another tab, a slower phase of the
/// machine) shows within a few pieces.
pub(super) fn blend(previous: f64, measured: f64) -> f64 {
    if previous > 0.0 {
        0.8 * previous + 0.2 * measured
    } else {
        measured
    }
}

/// Digits per piece of a step of a model of `parameters`: about [`PIECE_MS`] of work (more for a
/// large model) at the measured cost per digit, a small first piece while there is no
/// measurement yet, never more than the batch and never less than a [`MOST_PIECES_PER_STEP`]th
/// of it. The trainer cuts what is left of a step into pieces of at most this many, as equal as
/// they can be (`Trainer::work`), so a step is never a few long pieces and a short one.
pub(super) fn piece_size(ms_per_digit: f64, batch: usize, parameters: usize) -> usize {
    if ms_per_digit > 0.0 {
        let fewest = batch.div_ceil(MOST_PIECES_PER_STEP).max(1);
        let fixed_ms = parameters as f64 * FIXED_NS_PER_PARAMETER * 1e-6;
        let piece_ms = PIECE_MS.max(fixed_ms / FIXED_SHARE);
        ((piece_ms / ms_per_digit) as usize).clamp(fewest, batch.max(1))
    } else {
        8.min(batch)
    }
}

#[cfg(test)]
mod tests {
    use super::piece_size;

    /// The digits MLP-VAE's parameters, and the 64×64 colour one's.
    const SMALL: usize = 652_824;
    const LARGE: usize = 9_867_528;

    #[test]
    fn pieces_are_sized_to_the_measured_cost_and_capped_by_the_batch() {
        assert_eq!(
            piece_size(0.0, 128, SMALL),
            8,
            "a small first piece to measure"
        );
        assert_eq!(
            piece_size(0.25, 128, SMALL),
            128,
            "a fast model does whole batches"
        );
        assert_eq!(
            piece_size(1.0, 128, SMALL),
            40,
            "a slower one does 40 ms pieces"
        );
        assert_eq!(
            piece_size(500.0, 128, SMALL),
            16,
            "a very slow one still does an eighth of the batch: a step's fixed cost is paid at \
             most eight times"
        );
        assert_eq!(piece_size(500.0, 5, SMALL), 1, "at least one digit");
        assert_eq!(piece_size(0.0, 4, SMALL), 4);
    }

    #[test]
    fn a_large_models_pieces_are_long_enough_for_their_fixed_cost() {
        // ~3.7 ms a picture: 40 ms would be 10 pictures (16, an eighth, at the least); pieces
        // of ~126 ms are 34, four pieces a step.
        assert_eq!(piece_size(3.7, 128, LARGE), 34);
        assert_eq!(piece_size(3.7, 128, SMALL), 16);
    }
}
