//! The end of an epoch in a run: its test images scored chunk by chunk (shared with the helper),
//! the epoch reported, and the run finished after its last.

use super::Run;
use crate::ml::checkpoint::Precision;
use crate::ml::data::{ImageSet, Split};
use crate::ml::eval::EVAL_CHUNK;
use crate::ml::weight_bytes;
use crate::protocol::{EpochReport, Event, RunState, ScoredOn};
use crate::ui_logic::said::Said;

/// Evaluates the next chunk of test digits; at the end, reports the epoch and checks whether
/// the run is complete.
pub(super) fn evaluate_chunk(run: &mut Run, data: &Split, events: &mut Vec<Event>) {
    let Some((evaluator, _)) = &mut run.evaluating else {
        return;
    };
    let (scored_on, images) = scored_images(data);
    match run.trainer.evaluate_next(evaluator, images, EVAL_CHUNK) {
        Ok(false) => return,
        Ok(true) => {}
        Err(e) => {
            let epoch = run.trainer.epochs();
            events.push(run.error(Said::new(
                format!("the model could not be scored after epoch {epoch}: {e}"),
                format!("第 {epoch} 轮结束后，无法给模型打分：{e}"),
            )));
            run.evaluating = None;
            finish_epoch(run);
            return;
        }
    }
    let (evaluator, train) = run.evaluating.take().expect("evaluating");
    let eval = evaluator.finish();
    let epoch = run.trainer.epochs();
    events.push(Event::Epoch {
        run: run.id,
        report: EpochReport {
            epoch,
            train,
            scored_on,
            neg_elbo: eval.neg_elbo,
            recon: eval.recon,
            kl: eval.kl,
            active_units: eval.active_units(),
            kl_per_dim: eval.kl_per_dim,
        },
    });
    if scored_on == ScoredOn::TestImages {
        events.push(Event::TestCodes {
            run: run.id,
            epoch,
            latent: run.trainer.model().config().latent,
            codes: weight_bytes::encode(&eval.means, Precision::F32),
        });
    }
    finish_epoch(run);
}

/// The images an epoch is scored on: the test split, or the training images of a dataset too
/// small to have one (so the charts and the KL bars still show how the model is doing).
fn scored_images(data: &Split) -> (ScoredOn, &ImageSet) {
    if data.test.is_empty() {
        (ScoredOn::TrainingImages, &data.train)
    } else {
        (ScoredOn::TestImages, &data.test)
    }
}

/// After an epoch's evaluation (or its failure): finish the run if that was the last epoch, and
/// send the news.
fn finish_epoch(run: &mut Run) {
    if run.trainer.epochs() >= run.epochs {
        run.state = RunState::Finished;
        run.step_requested = false;
    }
    run.snapshot_due = true;
    run.progress_due = true;
}
