//! The helper's share of a piece of work, collected: with this side's gradients added to it, or,
//! before an update the helper makes in place, without them, so that the helper starts on its
//! part of the update at once while this side adds ([`Trainer::apply_update`]'s `late`).

use candle_core::{Result, Tensor};

use super::{update, Trainer};
use crate::ml::held;
use crate::ml::helper::{add_onto, share_gradient, ShareResult};

/// A share handed to the helper: its images, their noise, and its weight in the batch mean.
pub(super) struct Handed {
    pub(super) x: Tensor,
    pub(super) noise: Option<Tensor>,
    pub(super) share: f64,
}

impl Trainer {
    /// The share `handed` to the helper, and whether this side's gradients `own` are still to be
    /// added to it (`late`: only when the helper then updates from `split` on, in place). It is
    /// collected even when this side failed (`own` is `None`), so no job is left in flight; if
    /// the helper failed, its part is done here, the helper is let go and `split` cleared.
    pub(super) fn collect_share(
        &mut self,
        handed: Handed,
        own: Option<&[Tensor]>,
        split: &mut Option<usize>,
        beta: f64,
    ) -> Result<(ShareResult, bool)> {
        let helper = self
            .helper
            .as_mut()
            .expect("a share was handed to the helper");
        let late = split.is_some() && helper.updates_in_place() && own.is_some();
        let finished = match late {
            true => helper.finish(),
            false => helper.finish_onto(own),
        };
        if let Ok(theirs) = finished {
            return Ok((theirs, late));
        }
        let (helper, moments) = (&mut self.helper, self.helper_moments);
        update::let_go(helper, &mut self.optimizer, moments, self.vars.len())?;
        *split = None;
        let _held = held::hold(self.params_version);
        let Handed { x, noise, share } = handed;
        let redone = share_gradient(&self.model, &self.vars, &x, noise.as_ref(), beta, share)?;
        Ok((add_onto(redone, own)?, false))
    }
}
