//! Seeded shuffling of a data set into mini-batches, one epoch after another.

use crate::ml::rng::Rng;

/// Where a mini-batch sits in training.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BatchPosition {
    /// 0-based epoch the batch belongs to.
    pub epoch: usize,
    /// 0-based index of the batch within its epoch.
    pub index: usize,
    /// Whether this is the epoch's last batch.
    pub last: bool,
}

/// Visits `0..len` in a fresh seeded permutation each epoch, `batch_size` indices at a time. The
/// last batch of an epoch holds the remainder (like PyTorch's `DataLoader` without
/// `drop_last`), so every digit is seen exactly once per epoch.
#[derive(Debug, Clone)]
pub struct EpochOrder {
    order: Vec<usize>,
    next: usize,
    epoch: usize,
    batch_size: usize,
    rng: Rng,
}

impl EpochOrder {
    pub fn new(len: usize, batch_size: usize, mut rng: Rng) -> Self {
        assert!(
            len > 0 && batch_size > 0,
            "an epoch needs data and a batch size"
        );
        let mut order: Vec<usize> = (0..len).collect();
        rng.shuffle(&mut order);
        Self {
            order,
            next: 0,
            epoch: 0,
            batch_size,
            rng,
        }
    }

    pub fn batches_per_epoch(&self) -> usize {
        self.order.len().div_ceil(self.batch_size)
    }

    pub fn batch_size(&self) -> usize {
        self.batch_size
    }

    /// The epoch the next batch will belong to (equal to the number of finished epochs).
    pub fn epoch(&self) -> usize {
        self.epoch
    }

    /// Changes the batch size; an epoch in progress continues with the new size.
    pub fn set_batch_size(&mut self, batch_size: usize) {
        assert!(batch_size > 0);
        self.batch_size = batch_size;
    }

    /// Jumps to the start of epoch `epochs` (counting from the one under way), in the order an
    /// uninterrupted run would have reached it: each skipped epoch's reshuffle is replayed.
    pub fn skip_to_epoch(&mut self, epochs: usize) {
        while self.epoch < epochs {
            self.rng.shuffle(&mut self.order);
            self.epoch += 1;
        }
        self.next = 0;
    }

    /// The next batch's indices and position, reshuffling when an epoch ends.
    pub fn next_batch(&mut self) -> (Vec<usize>, BatchPosition) {
        let start = self.next;
        let end = (start + self.batch_size).min(self.order.len());
        let indices = self.order[start..end].to_vec();
        let position = BatchPosition {
            epoch: self.epoch,
            index: start.div_ceil(self.batch_size),
            last: end == self.order.len(),
        };
        if position.last {
            self.rng.shuffle(&mut self.order);
            self.next = 0;
            self.epoch += 1;
        } else {
            self.next = end;
        }
        (indices, position)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_epoch_visits_every_index_once_with_a_short_last_batch() {
        let mut order = EpochOrder::new(10, 4, Rng::new(1));
        assert_eq!(order.batches_per_epoch(), 3);
        let mut first_epoch = Vec::new();
        let mut sizes = Vec::new();
        loop {
            let (batch, pos) = order.next_batch();
            assert_eq!(pos.epoch, 0);
            sizes.push(batch.len());
            first_epoch.extend(batch);
            if pos.last {
                break;
            }
        }
        assert_eq!(sizes, vec![4, 4, 2]);
        let mut sorted = first_epoch.clone();
        sorted.sort_unstable();
        assert_eq!(sorted, (0..10).collect::<Vec<_>>());

        let (second, pos) = order.next_batch();
        assert_eq!(
            pos,
            BatchPosition {
                epoch: 1,
                index: 0,
                last: false
            }
        );
        assert_ne!(
            second,
            first_epoch[..4].to_vec(),
            "the next epoch is reshuffled"
        );
    }

    #[test]
    fn skipping_epochs_gives_the_order_an_uninterrupted_run_reaches() {
        let mut walked = EpochOrder::new(10, 4, Rng::new(3));
        for _ in 0..3 * walked.batches_per_epoch() {
            walked.next_batch();
        }
        let mut skipped = EpochOrder::new(10, 4, Rng::new(3));
        skipped.skip_to_epoch(3);
        assert_eq!(skipped.epoch(), 3);
        for _ in 0..walked.batches_per_epoch() {
            assert_eq!(skipped.next_batch(), walked.next_batch());
        }
    }

    #[test]
    fn the_order_is_fixed_by_the_seed() {
        let take = |seed| EpochOrder::new(100, 10, Rng::new(seed)).next_batch().0;
        assert_eq!(take(4), take(4));
        assert_ne!(take(4), take(5));
    }
}
