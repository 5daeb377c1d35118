//! How much of a training step the worker does per call into the trainer: a step whose batch
//! takes longer than [`PIECE_MS`] is done in pieces (gradients accumulated), so a slice of the
//! worker's time never waits for a whole slow step, and Pause and the page's ping are answered
//! meanwhile.

/// Work per call into the trainer, when the step allows.
const PIECE_MS: f64 = 40.0;
/// A step is cut into at most this many pieces. Each piece pays for whole weight gradients
/// (computed, transposed, added to the step's sum) whatever its size: cut to single pictures, a
/// 64×64 colour MLP-VAE (10 M parameters) spent most of a step on that and trained at a
/// twentieth of native speed, and the cost per picture it measured (that overhead included)
/// kept its pieces at one picture. A slow model's pieces take longer than [`PIECE_MS`] instead.
const MOST_PIECES_PER_STEP: usize = 8;

/// Digits per piece of a step: about [`PIECE_MS`] of work at the measured cost per digit, a
/// small first piece while there is no measurement yet, never more than the batch and never
/// less than a [`MOST_PIECES_PER_STEP`]th of it.
pub(super) fn piece_size(ms_per_digit: f64, batch: usize) -> usize {
    if ms_per_digit > 0.0 {
        let fewest = batch.div_ceil(MOST_PIECES_PER_STEP).max(1);
        ((PIECE_MS / ms_per_digit) as usize).clamp(fewest, batch.max(1))
    } else {
        8.min(batch)
    }
}

#[cfg(test)]
mod tests {
    use super::piece_size;

    #[test]
    fn pieces_are_sized_to_the_measured_cost_and_capped_by_the_batch() {
        assert_eq!(piece_size(0.0, 128), 8, "a small first piece to measure");
        assert_eq!(
            piece_size(0.25, 128),
            128,
            "a fast model does whole batches"
        );
        assert_eq!(piece_size(1.0, 128), 40, "a slower one does 40 ms pieces");
        assert_eq!(
            piece_size(500.0, 128),
            16,
            "a very slow one still does an eighth of the batch: a step's fixed cost is paid at \
             most eight times"
        );
        assert_eq!(piece_size(500.0, 5), 1, "at least one digit");
        assert_eq!(piece_size(0.0, 4), 4);
    }
}
