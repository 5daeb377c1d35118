//! Test-set evaluation: the negative ELBO in nats per digit and its parts.
//!
//! The ELBO is estimated with one z sample per digit, as in the reference runs this project
//! compares itself with. The noise comes from a generator with a fixed seed, so evaluating the
//! same model twice gives the same numbers, and a change in the number means the model changed.

use candle_core::cpu::kernels::VecOps;
use candle_core::{Device, Tensor};

use crate::ml::data::ImageSet;
use crate::ml::model::Model;
use crate::ml::rng::Rng;

/// Digits per forward pass of [`evaluate`] (the native trainer): large enough to be efficient.
const EVAL_BATCH: usize = 500;

/// Digits per chunk where evaluation must stay responsive (the worker between training slices,
/// the page between frames): a few milliseconds of work for the MLP in wasm. Every scorer in the
/// browser uses it, so the page and the worker compute the very same numbers.
pub const EVAL_CHUNK: usize = 200;

/// Seed of the evaluation noise (fixed, independent of any training seed).
pub const EVAL_SEED: u64 = 0x5EED_E1B0;

/// A KL above this many nats marks a latent dimension as "active" (in use by the encoder).
pub const ACTIVE_UNIT_NATS: f64 = 0.01;

/// How well a model explains a set of digits.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Evaluation {
    /// Mean negative ELBO (recon + KL, β = 1) in nats per digit. For the autoencoder, which has
    /// no KL term and no bound, this is its reconstruction loss.
    pub neg_elbo: f64,
    /// Mean reconstruction BCE, nats per digit.
    pub recon: f64,
    /// Mean KL to the prior, nats per digit.
    pub kl: f64,
    /// Mean KL of each latent dimension; empty for the autoencoder.
    pub kl_per_dim: Vec<f64>,
    /// Negative ELBO of each digit, in the set's order (for histograms and percentiles).
    pub per_digit: Vec<f32>,
    /// Each digit's code (the posterior's mean), `latent` numbers a digit in the set's order:
    /// the worker sends them with an epoch's report, so the page draws the test set where the
    /// model puts it without encoding it again (`Event::TestCodes`).
    #[serde(default)]
    pub means: Vec<f32>,
}

impl Evaluation {
    /// Latent dimensions whose mean KL exceeds [`ACTIVE_UNIT_NATS`].
    pub fn active_units(&self) -> usize {
        self.kl_per_dim
            .iter()
            .filter(|&&kl| kl > ACTIVE_UNIT_NATS)
            .count()
    }
}

/// An evaluation in progress, fed a chunk of digits at a time, so a caller that must stay
/// responsive (the worker, the page) can spread it over several slices. Chunks must come in
/// order; the result is the same as [`evaluate`] on the whole set (up to the rounding of the
/// matrix products, which depends on the chunk size). Every score in the project comes from one
/// of these: one evaluator per set, so each digit gets its own draw of the evaluation noise.
pub struct Evaluator {
    noise: Rng,
    recon_sum: f64,
    kl_sums: Vec<f64>,
    per_digit: Vec<f32>,
    means: Vec<f32>,
}

impl Evaluator {
    pub fn new(model: &Model) -> Self {
        let config = model.config();
        Self {
            noise: Rng::new(EVAL_SEED),
            recon_sum: 0.0,
            kl_sums: vec![
                0.0;
                if config.kind.is_variational() {
                    config.latent
                } else {
                    0
                }
            ],
            per_digit: Vec::new(),
            means: Vec::new(),
        }
    }

    /// Digits evaluated so far.
    pub fn done(&self) -> usize {
        self.per_digit.len()
    }

    /// Evaluates digits `start..start + len` of `digits` (`start` must equal [`Self::done`]).
    pub fn add(
        &mut self,
        model: &Model,
        digits: &ImageSet,
        start: usize,
        len: usize,
    ) -> candle_core::Result<()> {
        assert_eq!(start, self.done(), "chunks are evaluated in order");
        let x = digits.range(start, len)?;
        let noise = self.next_noise(model, len)?;
        self.absorb(score_chunk(model, &x, noise.as_ref())?);
        Ok(())
    }

    /// The evaluation noise of the next `len` digits (`None` for the autoencoder), drawn in the
    /// set's order: a chunk scored elsewhere (the worker's helper) is scored with the very
    /// numbers it would have had here.
    pub fn next_noise(&mut self, model: &Model, len: usize) -> candle_core::Result<Option<Tensor>> {
        let config = model.config();
        if !config.kind.is_variational() {
            return Ok(None);
        }
        let values = self.noise.normal_vec(len * config.latent);
        Ok(Some(Tensor::from_vec(
            values,
            (len, config.latent),
            &Device::Cpu,
        )?))
    }

    /// Adds the scores of the next chunk (chunks in order).
    pub fn absorb(&mut self, scores: ChunkScores) {
        for (sum, v) in self.kl_sums.iter_mut().zip(&scores.kl_per_dim) {
            *sum += *v as f64;
        }
        for (r, k) in scores.recon.iter().zip(&scores.kl) {
            self.recon_sum += *r as f64;
            self.per_digit.push(r + k);
        }
        self.means.extend_from_slice(&scores.means);
    }

    /// Evaluates the next `max` digits of `digits` (fewer at the end); returns whether every
    /// digit is done.
    pub fn add_next(
        &mut self,
        model: &Model,
        digits: &ImageSet,
        max: usize,
    ) -> candle_core::Result<bool> {
        let start = self.done();
        let len = max.max(1).min(digits.len().saturating_sub(start));
        if len > 0 {
            self.add(model, digits, start, len)?;
        }
        Ok(self.done() >= digits.len())
    }

    pub fn finish(self) -> Evaluation {
        let n = self.per_digit.len().max(1) as f64;
        let kl_per_dim: Vec<f64> = self.kl_sums.iter().map(|s| s / n).collect();
        // fold from +0.0: an empty f64 sum is -0.0, which would print as "-0.000" for the AE
        let kl = kl_per_dim.iter().fold(0.0, |a, b| a + b);
        let recon = self.recon_sum / n;
        Evaluation {
            neg_elbo: recon + kl,
            recon,
            kl,
            kl_per_dim,
            per_digit: self.per_digit,
            means: self.means,
        }
    }
}

/// One chunk's scores, before they join an evaluation ([`Evaluator::absorb`]).
#[derive(Debug, Clone, PartialEq)]
pub struct ChunkScores {
    /// Each digit's reconstruction term.
    pub recon: Vec<f32>,
    /// Each digit's KL (zeros for the autoencoder).
    pub kl: Vec<f32>,
    /// The KL of each latent dimension, summed over the chunk (empty for the autoencoder).
    pub kl_per_dim: Vec<f32>,
    /// Each digit's code, `latent` numbers a digit.
    pub means: Vec<f32>,
}

/// Scores images `x` (one chunk) under `noise` ([`Evaluator::next_noise`]).
pub fn score_chunk(
    model: &Model,
    x: &Tensor,
    noise: Option<&Tensor>,
) -> candle_core::Result<ChunkScores> {
    let terms = model.terms(x, noise)?;
    let recon: Vec<f32> = terms.recon.to_vec1()?;
    let (kl, kl_per_dim) = match &terms.kl {
        Some(kl) => row_and_column_sums(kl)?,
        None => (vec![0.0; recon.len()], Vec::new()),
    };
    Ok(ChunkScores {
        recon,
        kl,
        kl_per_dim,
        means: terms.mean.flatten_all()?.to_vec1()?,
    })
}

/// Each row's sum and each column's of an `(n, m)` matrix (a chunk's KL terms), the same to the
/// bit as candle's `sum(1)` and `sum(0)`: a row through candle's own `vec_reduce_sum` (SIMD
/// lanes where the target has them), a column in row order from 0. Not through `sum` itself:
/// its generic reduction was the largest function the engine compiled with its optimising tier
/// during a reference run started at once (150–185 ms of a core in the first epoch, 2-core AMD
/// EPYC, `www/bench/tiering.mjs`, 2026-12-07).
fn row_and_column_sums(t: &Tensor) -> candle_core::Result<(Vec<f32>, Vec<f32>)> {
    let (n, m) = t.dims2()?;
    if m == 0 {
        return Ok((vec![0.0; n], Vec::new()));
    }
    let values: Vec<f32> = t.flatten_all()?.to_vec1()?;
    let mut columns = vec![0.0f32; m];
    let mut rows = Vec::with_capacity(n);
    for row in values.chunks_exact(m) {
        let mut sum = 0.0f32;
        // SAFETY: `row` holds `row.len()` values, all of which the sum reads.
        unsafe { <f32 as VecOps>::vec_reduce_sum(row.as_ptr(), &mut sum, row.len()) };
        rows.push(sum);
        for (c, &v) in columns.iter_mut().zip(row) {
            *c += v;
        }
    }
    Ok((rows, columns))
}

/// Evaluates `model` on every digit of `digits`.
pub fn evaluate(model: &Model, digits: &ImageSet) -> candle_core::Result<Evaluation> {
    let mut evaluator = Evaluator::new(model);
    for start in (0..digits.len()).step_by(EVAL_BATCH) {
        evaluator.add(model, digits, start, EVAL_BATCH.min(digits.len() - start))?;
    }
    Ok(evaluator.finish())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ml::model::{ModelConfig, ModelKind};

    #[test]
    fn row_and_column_sums_are_candles_to_the_bit() {
        let mut rng = Rng::new(9);
        for (n, m) in [(0, 20), (1, 1), (7, 3), (250, 20), (33, 37), (4, 0)] {
            let values: Vec<f32> = rng.normal_vec(n * m).iter().map(|v| v * 40.0).collect();
            let t = Tensor::from_vec(values, (n, m), &Device::Cpu).unwrap();
            let (rows, columns) = row_and_column_sums(&t).unwrap();
            let bits = |v: Vec<f32>| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
            let want_rows: Vec<f32> = t.sum(1).unwrap().to_vec1().unwrap();
            let want_columns: Vec<f32> = t.sum(0).unwrap().to_vec1().unwrap();
            assert_eq!(bits(rows), bits(want_rows), "rows of {n}×{m}");
            assert_eq!(bits(columns), bits(want_columns), "columns of {n}×{m}");
        }
    }

    #[test]
    fn the_noise_goes_on_across_chunks_so_the_same_image_scores_by_its_own_draw() {
        let mut rng = Rng::new(6);
        let image: Vec<f32> = (0..784).map(|_| rng.uniform(0.0, 1.0)).collect();
        let digits = ImageSet::new(image.repeat(4), vec![1; 4]);
        let model = Model::new(ModelConfig::new(ModelKind::MlpVae, 3, 16), &mut rng).unwrap();
        let mut evaluator = Evaluator::new(&model);
        while !evaluator.add_next(&model, &digits, 2).unwrap() {}
        let scores = evaluator.finish().per_digit;
        // Digit 2 opens the second chunk: with a fresh generator per chunk it would repeat
        // digit 0's draw and score the same.
        assert_ne!(scores[0], scores[2], "{scores:?}");
        assert_ne!(scores[0], scores[1], "{scores:?}");
    }

    #[test]
    fn an_evaluation_keeps_each_digits_code_in_the_sets_order() {
        let mut rng = Rng::new(8);
        let images: Vec<f32> = (0..9 * 784).map(|_| rng.uniform(0.0, 1.0)).collect();
        let digits = ImageSet::new(images, vec![1; 9]);
        for kind in [ModelKind::MlpVae, ModelKind::Autoencoder] {
            let model = Model::new(ModelConfig::new(kind, 3, 16), &mut rng).unwrap();
            let mut evaluator = Evaluator::new(&model);
            while !evaluator.add_next(&model, &digits, 4).unwrap() {}
            let means = evaluator.finish().means;
            let expected: Vec<f32> = model
                .encode(&digits.range(0, 9).unwrap())
                .unwrap()
                .mean
                .flatten_all()
                .unwrap()
                .to_vec1()
                .unwrap();
            assert_eq!(means.len(), 9 * 3, "{kind:?}");
            let off = crate::ml::tensor_diff::max_abs_diff_values(&means, &expected);
            assert!(off < 1e-5, "{kind:?}: codes off by {off}");
        }
    }

    #[test]
    fn chunked_evaluation_equals_whole_evaluation() {
        let mut rng = Rng::new(4);
        let images: Vec<f32> = (0..30 * 784).map(|_| rng.uniform(0.0, 1.0)).collect();
        let digits = ImageSet::new(images, vec![1; 30]);
        let model = Model::new(ModelConfig::new(ModelKind::MlpVae, 3, 16), &mut rng).unwrap();
        let whole = evaluate(&model, &digits).unwrap();
        let mut chunked = Evaluator::new(&model);
        for (start, len) in [(0, 7), (7, 20), (27, 3)] {
            chunked.add(&model, &digits, start, len).unwrap();
        }
        let chunked = chunked.finish();
        let mut stepped = Evaluator::new(&model);
        let mut rounds = 0;
        while !stepped.add_next(&model, &digits, 8).unwrap() {
            rounds += 1;
        }
        assert_eq!(rounds, 3, "8 + 8 + 8 + 6 digits");
        let stepped = stepped.finish();
        assert_eq!(stepped.per_digit.len(), 30);
        // Same digits, same noise; only the matrix products' rounding depends on the batch size.
        for (a, b) in chunked.per_digit.iter().zip(&whole.per_digit) {
            assert!((a - b).abs() < 1e-3, "{a} vs {b}");
        }
        assert!(
            (chunked.neg_elbo - whole.neg_elbo).abs() < 1e-3,
            "{} vs {}",
            chunked.neg_elbo,
            whole.neg_elbo
        );
        assert_eq!(chunked.kl_per_dim.len(), 3);
        for (a, b) in stepped.per_digit.iter().zip(&whole.per_digit) {
            assert!((a - b).abs() < 1e-3, "{a} vs {b}");
        }
        assert_eq!(
            whole.active_units(),
            whole.kl_per_dim.iter().filter(|&&k| k > 0.01).count()
        );
    }
}
