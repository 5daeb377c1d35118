//! The `SharedArrayBuffer` the training worker and its helper worker share for one run: where
//! each number of a job lives, and the states the two hand the buffer back and forth with.
//!
//! One job at a time: the trainer writes the parameters (when they changed), the images, the
//! noise and the weights of the share, and moves the state from [`State::Idle`] to
//! [`State::Job`]; the helper computes, writes the loss and the gradients, and moves it to
//! [`State::Done`]; the trainer reads them and moves it back to idle. Each side waits with
//! `Atomics.wait` (allowed in workers), so neither spins and a job's hand-over costs
//! microseconds, not a trip through the event loop.

use js_sys::{Atomics, Float32Array, Float64Array, Int32Array, SharedArrayBuffer};

/// Who holds the buffer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(i32)]
pub(super) enum State {
    /// Set up by the trainer; the helper has not built its model yet.
    Starting = 0,
    /// The helper waits for a job.
    Idle = 1,
    /// A job is written; the helper works on it.
    Job = 2,
    /// The share is written; the trainer collects it.
    Done = 3,
    /// The run ended: the helper goes back to its messages (a new run's buffer).
    Release = 4,
    /// The helper could not do the job (the message says why, in its console).
    Failed = 5,
}

impl State {
    fn from_i32(value: i32) -> Option<Self> {
        [
            Self::Starting,
            Self::Idle,
            Self::Job,
            Self::Done,
            Self::Release,
            Self::Failed,
        ]
        .into_iter()
        .find(|s| *s as i32 == value)
    }
}

/// The header's 32-bit words.
const STATE: u32 = 0;
const DIGITS: u32 = 1;
const HAS_NOISE: u32 = 2;
const FRESH_PARAMS: u32 = 3;
/// f32 words: the share's mean loss (total, reconstruction, KL).
const LOSS: u32 = 4;
/// Whether the helper's loss diverged (then no gradient was written).
const DIVERGED: u32 = 7;
/// f64 words (index in 8-byte units): β and the share's weight, exact as the trainer has them.
const BETA: u32 = 4;
const SHARE: u32 = 5;
/// What the job asks: a share's gradient, or a chunk of an evaluation scored.
const KIND: u32 = 12;
/// Bytes before the parameters.
const HEADER_BYTES: u32 = 64;

/// Sizes fixed for one run: the buffer holds `params` parameters, their gradients, up to
/// `capacity` images of `values` numbers with `latent` noise numbers each, and the scores of as
/// many (a reconstruction term, a KL and a code of `latent` numbers each, and the KL of every
/// latent dimension).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Sizes {
    pub params: u32,
    pub values: u32,
    pub latent: u32,
    pub capacity: u32,
}

/// Typed views of one run's buffer.
pub(super) struct SharedStep {
    pub sizes: Sizes,
    buffer: SharedArrayBuffer,
    words: Int32Array,
    floats: Float32Array,
    doubles: Float64Array,
}

impl SharedStep {
    /// A new buffer for `sizes`, in state [`State::Starting`].
    pub fn new(sizes: Sizes) -> Self {
        Self::over(SharedArrayBuffer::new(Self::floats(sizes) * 4), sizes)
    }

    /// The buffer's length in 32-bit numbers.
    fn floats(sizes: Sizes) -> u32 {
        HEADER_BYTES / 4
            + 2 * sizes.params
            + sizes.capacity * (sizes.values + 2 * sizes.latent + 2)
            + sizes.latent
    }

    /// Views over a buffer the other side made.
    pub fn over(buffer: SharedArrayBuffer, sizes: Sizes) -> Self {
        Self {
            sizes,
            words: Int32Array::new(&buffer),
            floats: Float32Array::new(&buffer),
            doubles: Float64Array::new(&buffer),
            buffer,
        }
    }

    pub fn buffer(&self) -> &SharedArrayBuffer {
        &self.buffer
    }

    /// Whether the buffer is large enough for the sizes asked for.
    pub fn fits(&self) -> bool {
        self.floats.length() >= Self::floats(self.sizes)
    }

    pub fn state(&self) -> Option<State> {
        State::from_i32(Atomics::load(&self.words, STATE).unwrap_or(-1))
    }

    /// The helper's first move: from [`State::Starting`] to [`State::Idle`], unless the buffer
    /// was released meanwhile (then `false`).
    pub fn take_up(&self) -> bool {
        let before = Atomics::compare_exchange(
            &self.words,
            STATE,
            State::Starting as i32,
            State::Idle as i32,
        );
        let _ = Atomics::notify(&self.words, STATE);
        before == Ok(State::Starting as i32)
    }

    /// The header as 32-bit words (word 0 is the state).
    pub fn words(&self) -> &Int32Array {
        &self.words
    }

    /// Moves to `state` and wakes the other side.
    pub fn set_state(&self, state: State) {
        let _ = Atomics::store(&self.words, STATE, state as i32);
        let _ = Atomics::notify(&self.words, STATE);
    }

    /// The helper's last move of a job: from [`State::Job`] to `outcome` ([`State::Done`] or
    /// [`State::Failed`]), unless the trainer released the buffer meanwhile: a plain store
    /// would write over that release, and the helper would then wait on a buffer nobody serves
    /// instead of going back to its messages. Returns whether the job was still wanted.
    pub fn finish_job(&self, outcome: State) -> bool {
        let before =
            Atomics::compare_exchange(&self.words, STATE, State::Job as i32, outcome as i32);
        let _ = Atomics::notify(&self.words, STATE);
        before == Ok(State::Job as i32)
    }

    /// Sleeps while the state is still `state`, at most `timeout_ms`.
    pub fn wait_while(&self, state: State, timeout_ms: f64) {
        let _ = Atomics::wait_with_timeout(&self.words, STATE, state as i32, timeout_ms);
    }

    fn word(&self, index: u32) -> i32 {
        self.words.get_index(index)
    }

    fn set_word(&self, index: u32, value: i32) {
        self.words.set_index(index, value);
    }

    pub fn params(&self) -> Float32Array {
        let at = HEADER_BYTES / 4;
        self.floats.subarray(at, at + self.sizes.params)
    }

    pub fn grads(&self) -> Float32Array {
        let at = HEADER_BYTES / 4 + self.sizes.params;
        self.floats.subarray(at, at + self.sizes.params)
    }

    fn images_at(&self) -> u32 {
        HEADER_BYTES / 4 + 2 * self.sizes.params
    }

    /// The first `digits` images.
    pub fn images(&self, digits: u32) -> Float32Array {
        let at = self.images_at();
        self.floats.subarray(at, at + digits * self.sizes.values)
    }

    /// The first `digits` images' noise.
    pub fn noise(&self, digits: u32) -> Float32Array {
        let at = self.images_at() + self.sizes.capacity * self.sizes.values;
        self.floats.subarray(at, at + digits * self.sizes.latent)
    }

    fn scores_at(&self) -> u32 {
        self.images_at() + self.sizes.capacity * (self.sizes.values + self.sizes.latent)
    }

    /// The first `digits` reconstruction terms of a scored chunk.
    pub fn recon(&self, digits: u32) -> Float32Array {
        let at = self.scores_at();
        self.floats.subarray(at, at + digits)
    }

    /// The first `digits` KLs of a scored chunk.
    pub fn kl(&self, digits: u32) -> Float32Array {
        let at = self.scores_at() + self.sizes.capacity;
        self.floats.subarray(at, at + digits)
    }

    /// A scored chunk's KL of each latent dimension.
    pub fn kl_per_dim(&self) -> Float32Array {
        let at = self.scores_at() + 2 * self.sizes.capacity;
        self.floats.subarray(at, at + self.sizes.latent)
    }

    /// The first `digits` codes of a scored chunk, `latent` numbers each.
    pub fn means(&self, digits: u32) -> Float32Array {
        let at = self.scores_at() + 2 * self.sizes.capacity + self.sizes.latent;
        self.floats.subarray(at, at + digits * self.sizes.latent)
    }

    /// Writes a job's numbers (the arrays are filled by the caller).
    pub fn set_job(&self, job: JobHeader) {
        self.set_word(KIND, job.kind as i32);
        self.set_word(DIGITS, job.digits as i32);
        self.set_word(HAS_NOISE, job.has_noise as i32);
        self.set_word(FRESH_PARAMS, job.fresh_params as i32);
        self.doubles.set_index(BETA, job.beta);
        self.doubles.set_index(SHARE, job.share);
    }

    pub fn job(&self) -> JobHeader {
        JobHeader {
            kind: if self.word(KIND) == JobKind::Score as i32 {
                JobKind::Score
            } else {
                JobKind::Gradient
            },
            digits: self.word(DIGITS).max(0) as u32,
            has_noise: self.word(HAS_NOISE) != 0,
            fresh_params: self.word(FRESH_PARAMS) != 0,
            beta: self.doubles.get_index(BETA),
            share: self.doubles.get_index(SHARE),
        }
    }

    /// Writes the share's loss; `diverged` says no gradient follows.
    pub fn set_loss(&self, loss: [f32; 3], diverged: bool) {
        for (i, value) in loss.into_iter().enumerate() {
            self.floats.set_index(LOSS + i as u32, value);
        }
        self.set_word(DIVERGED, diverged as i32);
    }

    pub fn loss(&self) -> ([f32; 3], bool) {
        let value = |i: u32| self.floats.get_index(LOSS + i);
        ([value(0), value(1), value(2)], self.word(DIVERGED) != 0)
    }
}

/// What a job asks of the helper.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(i32)]
pub(super) enum JobKind {
    /// The gradient of a share of a step (`ml::helper::share_gradient`).
    Gradient = 0,
    /// The scores of a chunk of an evaluation (`ml::eval::score_chunk`).
    Score = 1,
}

/// A job's numbers besides its arrays.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) struct JobHeader {
    pub kind: JobKind,
    pub digits: u32,
    pub has_noise: bool,
    /// Whether the parameters were rewritten for this job.
    pub fresh_params: bool,
    pub beta: f64,
    pub share: f64,
}
