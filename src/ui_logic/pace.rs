//! How many pictures a step takes and how many passes a run makes, for a set of any size. The
//! reference run (batch 128, 10 epochs) suits the 8,000 training digits: 630 steps. Forty drawings
//! at batch 128 are one step an epoch, ten steps in all, and the model learns next to nothing;
//! so for a smaller set the page proposes more epochs (and, below four steps an epoch, a smaller
//! batch), about [`SMALL_SET_STEPS`] steps in all.

use std::ops::RangeInclusive;

/// A run's batch size and number of epochs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Pace {
    pub batch: usize,
    pub epochs: usize,
}

/// The steps a run on a small set is given: enough for a small model to learn a few kinds of
/// picture (the e2e drawings separate after it), few enough to take seconds.
pub const SMALL_SET_STEPS: usize = 300;

/// A set is small when the reference batch gives it fewer steps an epoch than this.
const FEWEST_STEPS_PER_EPOCH: usize = 4;

/// The pace for `train_images` training pictures: `reference` itself when it makes at least
/// [`SMALL_SET_STEPS`] steps; otherwise the reference batch, or, where that gives fewer than
/// [`FEWEST_STEPS_PER_EPOCH`] steps an epoch, the largest power-of-two batch that gives that
/// many, and as many epochs as make about [`SMALL_SET_STEPS`] steps (never fewer than the
/// reference's, never more than `epoch_range` allows).
pub fn pace_for(train_images: usize, reference: Pace, epoch_range: RangeInclusive<usize>) -> Pace {
    if train_images.div_ceil(reference.batch) * reference.epochs >= SMALL_SET_STEPS {
        return reference;
    }
    let most = (train_images / FEWEST_STEPS_PER_EPOCH).max(1);
    // The largest power of two not above `most`, and never above the reference batch.
    let batch = (1usize << most.ilog2()).min(reference.batch);
    let steps_per_epoch = train_images.max(1).div_ceil(batch);
    let epochs = SMALL_SET_STEPS
        .div_ceil(steps_per_epoch)
        .max(reference.epochs)
        .clamp(*epoch_range.start(), *epoch_range.end());
    Pace { batch, epochs }
}

#[cfg(test)]
mod tests {
    use super::*;

    const REFERENCE: Pace = Pace {
        batch: 128,
        epochs: 10,
    };
    const EPOCHS: RangeInclusive<usize> = 1..=1000;

    fn steps(train: usize, p: Pace) -> usize {
        train.div_ceil(p.batch) * p.epochs
    }

    #[test]
    fn the_digits_and_other_large_sets_keep_the_reference_pace() {
        assert_eq!(pace_for(8_000, REFERENCE, EPOCHS), REFERENCE);
        // 30 steps an epoch: 300 in ten epochs.
        assert_eq!(pace_for(3_840, REFERENCE, EPOCHS), REFERENCE);
    }

    #[test]
    fn a_middling_set_keeps_the_batch_and_gets_more_epochs() {
        // 800 training pictures: 7 steps an epoch at batch 128, so 43 epochs.
        assert_eq!(
            pace_for(800, REFERENCE, EPOCHS),
            Pace {
                batch: 128,
                epochs: 43
            }
        );
        // No jump where the batch stops shrinking.
        let (below, at) = (
            pace_for(511, REFERENCE, EPOCHS),
            pace_for(512, REFERENCE, EPOCHS),
        );
        assert!(
            steps(511, below) >= 300 && steps(512, at) >= 300,
            "{below:?} {at:?}"
        );
    }

    #[test]
    fn forty_drawings_get_several_steps_an_epoch_and_about_three_hundred_in_all() {
        let p = pace_for(40, REFERENCE, EPOCHS);
        assert_eq!(
            p,
            Pace {
                batch: 8,
                epochs: 60
            }
        );
        assert_eq!(steps(40, p), 300);
    }

    #[test]
    fn every_set_gets_at_least_four_steps_an_epoch_and_about_three_hundred_in_all() {
        for train in 1..5_000 {
            let p = pace_for(train, REFERENCE, EPOCHS);
            assert!(
                p.batch.is_power_of_two() && p.batch <= REFERENCE.batch,
                "{train}: {p:?}"
            );
            assert!(
                train.div_ceil(p.batch) >= 4 || p.batch == 1,
                "{train} pictures at batch {} are too few steps",
                p.batch
            );
            assert!(steps(train, p) >= SMALL_SET_STEPS, "{train}");
            assert!(p.epochs >= REFERENCE.epochs && EPOCHS.contains(&p.epochs));
        }
    }

    #[test]
    fn one_picture_is_one_step_an_epoch_for_three_hundred_epochs() {
        assert_eq!(
            pace_for(1, REFERENCE, EPOCHS),
            Pace {
                batch: 1,
                epochs: 300
            }
        );
        assert_eq!(pace_for(0, REFERENCE, EPOCHS).batch, 1);
    }
}
