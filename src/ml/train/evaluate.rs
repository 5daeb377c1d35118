//! Scoring an epoch's test images with the trainer's model, shared with its helper when it has
//! one: the trainer scores one chunk while the helper scores the next.

use crate::ml::data::ImageSet;
use crate::ml::eval::{score_chunk, Evaluator};
use crate::ml::held;
use crate::ml::helper::ScoreJob;

use super::Trainer;

impl Trainer {
    /// Scores the next `chunk` digits of `images` into `evaluator`, and with a helper the `chunk`
    /// after them too, there, at the same time; returns whether every digit is scored. Each
    /// chunk is scored exactly as [`Evaluator::add`] would (same chunk, same noise, added in
    /// order), so the numbers do not depend on whether a helper took part.
    pub fn evaluate_next(
        &mut self,
        evaluator: &mut Evaluator,
        images: &ImageSet,
        chunk: usize,
    ) -> candle_core::Result<bool> {
        let chunk = chunk.max(1);
        let start = evaluator.done();
        let remaining = images.len().saturating_sub(start);
        let first = chunk.min(remaining);
        let second = chunk.min(remaining - first);
        if first == 0 {
            return Ok(true);
        }
        let Some(helper) = self.helper.as_mut().filter(|_| second > 0) else {
            let _held = held::hold(self.params_version);
            evaluator.add(&self.model, images, start, first)?;
            return Ok(evaluator.done() >= images.len());
        };
        let noise_first = evaluator.next_noise(&self.model, first)?;
        let noise_second = evaluator.next_noise(&self.model, second)?;
        let x_second = images.range(start + first, second)?;
        let began = helper.begin_score(ScoreJob {
            params: &self.vars,
            params_version: self.params_version,
            x: &x_second,
            noise: noise_second.as_ref(),
        });
        // A helper that cannot take work is let go: the chunk is scored here.
        let began = match began {
            Ok(began) => began,
            Err(_) => {
                self.let_helper_go()?;
                false
            }
        };
        let x_first = images.range(start, first)?;
        // The parameters hold still until both chunks are scored.
        let _held = held::hold(self.params_version);
        let scores_first = score_chunk(&self.model, &x_first, noise_first.as_ref());
        let scores_second = match self.helper.as_mut().filter(|_| began) {
            Some(helper) => match helper.finish_score() {
                Ok(scores) => Ok(scores),
                Err(_) => {
                    self.let_helper_go()?;
                    score_chunk(&self.model, &x_second, noise_second.as_ref())
                }
            },
            None => score_chunk(&self.model, &x_second, noise_second.as_ref()),
        };
        evaluator.absorb(scores_first?);
        evaluator.absorb(scores_second?);
        Ok(evaluator.done() >= images.len())
    }
}
