//! The test images' codes an epoch's evaluation computed in the worker ([`Event::TestCodes`]):
//! while the explorer follows a run in training, the latent plane and the scatter draw these
//! instead of encoding the test set on the page's thread. The worker computes them anyway to score the
//! epoch, and on two cores the page's encoding came out of the training threads' share (a
//! Conv-VAE's test set took a sixth of a core).
//!
//! [`Event::TestCodes`]: crate::protocol::Event::TestCodes

use std::sync::Arc;

use leptos::prelude::*;

use super::Training;
use crate::ml::weight_bytes;
use crate::protocol::RunState;
use crate::ui::state::Lab;

/// Where the model of one epoch's end puts each test image.
#[derive(Clone, Debug)]
pub struct RunCodes {
    /// The epoch whose end the codes are of (1-based).
    pub epoch: usize,
    pub latent: usize,
    /// `latent` numbers an image, in the test set's order.
    pub means: Arc<[f32]>,
}

impl RunCodes {
    /// The codes of an [`Event::TestCodes`](crate::protocol::Event::TestCodes), whose `codes`
    /// hold little-endian f32 numbers.
    pub(super) fn from_bytes(epoch: usize, latent: usize, codes: &[u8]) -> Self {
        Self {
            epoch,
            latent,
            means: weight_bytes::decode(safetensors::Dtype::F32, codes).into(),
        }
    }
}

/// Two sets of codes are the same when they are one message's: comparing the numbers would cost
/// a pass over them at every change of what tracks them.
impl PartialEq for RunCodes {
    fn eq(&self, other: &Self) -> bool {
        self.epoch == other.epoch && Arc::ptr_eq(&self.means, &other.means)
    }
}

impl Training {
    /// The run's newest test codes, while the run trains and the explorer shows its newest
    /// weights (the codes then lag the shown weights by less than an epoch); otherwise `None`,
    /// and the views encode the test set themselves. Tracks what it reads.
    pub fn codes_while_training(&self) -> Option<RunCodes> {
        if !self.follow.get() || self.state() != Some(RunState::Running) {
            return None;
        }
        self.test_codes.get()
    }
}

/// The run's newest test codes ([`Training::codes_while_training`]) when they fit what the page
/// shows (the shown model's latent size, a code for every image of the test set in use): what
/// the views that place the test set draw during a run instead of encoding it themselves.
pub fn fitting_run_codes(lab: Lab) -> Memo<Option<RunCodes>> {
    let training = use_context::<Training>();
    Memo::new(move |_| {
        let run = training?.codes_while_training()?;
        let test = lab.test.get()?;
        let fits = lab
            .active
            .with(|m| m.as_ref().is_some_and(|m| m.latent() == run.latent))
            && run.means.len() == test.len() * run.latent;
        fits.then_some(run)
    })
}
