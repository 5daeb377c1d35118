//! The end of a step: Adam's update of every parameter. When the helper took the step's last
//! share with [`ShareJob::updates`](crate::ml::helper::ShareJob::updates), it updates the
//! parameters from [`StepHelper::update_from`](crate::ml::helper::StepHelper::update_from) on
//! while this thread updates the others, both at the update's one
//! [`Scale`](crate::ml::optim::Scale): the arithmetic of
//! one whole update, in half the time. The helper then holds Adam's moments of its part; they
//! are handed to it whenever it takes its part after this side updated it. A step it had no
//! share of (a batch of one digit) it still updates its part of, from this side's whole
//! gradient, so that those moments go on. A helper that updates its part in place is sent it
//! before this side sums its own part's gradients (`late`), so that the sum is made while the
//! helper works rather than while it waits (~0.1 ms of each step of the digits' MLP-VAE).

use std::collections::HashMap;

use candle_core::{Result, Tensor, TensorId};

use super::Trainer;
use crate::ml::grad_sink;
use crate::ml::held::Version;
use crate::ml::helper::{StepHelper, UpdateJob};
use crate::ml::optim::Adam;

impl Trainer {
    /// Puts the parameters back to their values before the last update, and forgets Adam's
    /// moments (a loss diverged). When the helper did its part of that update, a helper sharing
    /// these parameters changed that part in place and holds its values from before.
    pub(super) fn undo_last_update(&mut self) -> Result<()> {
        let in_place = self.helper.as_ref().filter(|h| h.updates_in_place());
        match in_place
            .and_then(|h| h.update_from())
            .filter(|_| self.helper_moments)
        {
            // This side's backups of the helper's part are stale: the helper puts it back.
            Some(from) => {
                self.optimizer.restore(0..from)?;
                self.optimizer.reset_moments();
            }
            None => self.optimizer.undo_last_step()?,
        }
        if self.helper_moments {
            let undone = self.helper.as_mut().map(|helper| helper.undo_update());
            if let Some(Err(_)) = undone {
                self.let_helper_go()?;
            }
        }
        self.helper_moments = false;
        self.params_version = Version::fresh();
        Ok(())
    }

    /// Lets the helper go (it failed, or stopped answering). One that made its part of the
    /// last update in place took the values from before it along, and this side's backups of
    /// that part are older still (from the last update this side made of it): they become the
    /// values now. An undo then leaves that part as the update made it, which is wrong by one
    /// update, rather than putting back values from many updates ago.
    pub(super) fn let_helper_go(&mut self) -> Result<()> {
        let count = self.vars.len();
        let_go(
            &mut self.helper,
            &mut self.optimizer,
            self.helper_moments,
            count,
        )
    }

    /// For a step the helper had no share of (a batch of one digit cannot be cut in two) while
    /// it holds the moments of its part: that part, to hand it whole, so that those moments go
    /// on rather than start afresh (another run than one alone).
    fn unshared_split(&self, grads: &HashMap<TensorId, Tensor>) -> Option<(usize, Vec<Tensor>)> {
        let from = self.helper.as_ref()?.update_from()?;
        if !self.helper_moments {
            return None;
        }
        let own = self.vars[from..]
            .iter()
            .map(|v| grads.get(&v.id()).cloned());
        Some((from, own.collect::<Option<Vec<_>>>()?))
    }

    /// Applies the step's update from the gradients `grads` (by variable id). With `split`,
    /// `(from, own)`: the helper updates the parameters from `from` on, adding `own` (this
    /// side's gradients of them) to those it kept. `Ok(false)` when the helper failed during its
    /// part: then nothing was updated, and the batch must be done again.
    ///
    /// `late` are gradients of this side's part still to be added to `grads`: this side's own,
    /// kept apart so that the helper can start on its part without waiting for the sum.
    pub(super) fn apply_update(
        &mut self,
        mut grads: HashMap<TensorId, Tensor>,
        split: Option<(usize, Vec<Tensor>)>,
        late: Vec<(TensorId, Tensor)>,
    ) -> Result<bool> {
        let with_share = split.is_some();
        let split = split.or_else(|| self.unshared_split(&grads));
        let (Some((from, own)), Some(helper)) = (split, self.helper.as_mut()) else {
            add_late(&mut grads, late)?;
            if self.helper_moments {
                // The helper held the moments of its part, and is not taking it now: this
                // side's copies are stale, so the moments start afresh.
                self.optimizer.reset_moments();
                self.helper_moments = false;
            }
            self.optimizer.step(|var| grads.get(&var.id()).cloned())?;
            return Ok(true);
        };
        let scale = self.optimizer.next_scale();
        let all = self.vars.len();
        let moments = (!self.helper_moments).then(|| self.optimizer.moments(from..all));
        let job = UpdateJob {
            scale,
            own: &own,
            moments,
            with_share,
        };
        let began = helper.begin_update(job);
        // Even if this side fails, the helper's part is waited for below: never left in flight.
        let vars = &self.vars;
        let mine = add_late(&mut grads, late).and_then(|()| {
            let optimizer = &mut self.optimizer;
            optimizer.update(scale, 0..from, |i, _| grads.get(&vars[i].id()).cloned())
        });
        let theirs = began.and_then(|()| helper.finish_update());
        mine?;
        match theirs {
            Ok(values) => {
                for (i, values) in (from..).zip(&values) {
                    self.optimizer.adopt(i, values)?;
                }
                self.helper_moments = true;
                Ok(true)
            }
            Err(_) => {
                // The helper's part went with it: this side's part is undone, the batch is done
                // again, and the moments start afresh (the helper's half of them are lost).
                self.let_helper_go()?;
                self.optimizer.restore(0..from)?;
                self.optimizer.reset_moments();
                self.helper_moments = false;
                Ok(false)
            }
        }
    }
}

/// [`Trainer::let_helper_go`] on the trainer's fields, for a caller that holds another of them
/// (`holds_moments`: the helper made the last update of its part; `count`: parameters).
pub(super) fn let_go(
    helper: &mut Option<Box<dyn StepHelper>>,
    optimizer: &mut Adam,
    holds_moments: bool,
    count: usize,
) -> Result<()> {
    let Some(helper) = helper.take() else {
        return Ok(());
    };
    let in_place = helper.updates_in_place().then(|| helper.update_from());
    if let Some(from) = in_place.flatten().filter(|_| holds_moments) {
        optimizer.back_up(from..count)?;
    }
    Ok(())
}

/// Adds each of `late` to the gradient of its variable in `grads`.
fn add_late(grads: &mut HashMap<TensorId, Tensor>, late: Vec<(TensorId, Tensor)>) -> Result<()> {
    for (id, g) in late {
        let sum = match grads.remove(&id) {
            Some(earlier) => grad_sink::add(&earlier, &g)?,
            None => g,
        };
        grads.insert(id, sum);
    }
    Ok(())
}
