//! How the page keeps a training worker it can trust: a ping it must answer, a limit on how
//! often a failing worker is replaced, and a check that the worker speaks the page's protocol.
//! The timers and the worker itself are in `ui/training/supervisor.rs`; the decisions are here.

use crate::protocol::PROTOCOL_VERSION;

/// A ping goes out this often…
pub const PING_EVERY_MS: f64 = 2_000.0;
/// …and a worker that has not answered for this long is taken for dead.
pub const SILENCE_MS: f64 = 6_000.0;
/// Failures counted against a worker are those of the last minute.
pub const RESTART_WINDOW_MS: f64 = 60_000.0;
/// A worker is replaced this many times within [`RESTART_WINDOW_MS`]; the next failure makes
/// the page give up.
pub const MAX_RESTARTS: usize = 3;

/// The page's side of the liveness check.
#[derive(Debug, Default, Clone, Copy, PartialEq)]
pub struct Heartbeat {
    n: u64,
    /// When the unanswered ping went out.
    waiting_since: Option<f64>,
    last_heard_ms: f64,
}

/// What to do at a heartbeat tick.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Beat {
    /// Send ping number `n`.
    Ping(u64),
    /// A ping is out and not yet overdue.
    Wait,
    /// Nothing heard for [`SILENCE_MS`] since the last ping: the worker is dead or stuck.
    Silent,
}

impl Heartbeat {
    /// A heartbeat for a worker started at `now`.
    pub fn new(now: f64) -> Self {
        Self {
            last_heard_ms: now,
            ..Self::default()
        }
    }

    /// Any event shows the worker alive; the answer to the last ping ends the wait for it.
    pub fn heard(&mut self, now: f64, pong: Option<u64>) {
        self.last_heard_ms = now;
        if pong == Some(self.n) {
            self.waiting_since = None;
        }
    }

    /// The decision at a tick at `now`: a new ping once the last one was answered (or anything
    /// was heard since it went out), patience while it is recent, and silence past the limit.
    pub fn tick(&mut self, now: f64) -> Beat {
        match self.waiting_since {
            Some(sent) if self.last_heard_ms < sent => {
                if now - sent > SILENCE_MS {
                    Beat::Silent
                } else {
                    Beat::Wait
                }
            }
            _ => {
                self.n += 1;
                self.waiting_since = Some(now);
                Beat::Ping(self.n)
            }
        }
    }
}

/// Whether a failed worker is replaced.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Restart {
    Again,
    /// Too many failures in a row: `failures` within the last minute, this one included.
    GiveUp {
        failures: usize,
    },
}

/// When workers failed recently.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct RestartPolicy {
    failures_ms: Vec<f64>,
}

impl RestartPolicy {
    /// Records a failure at `now` and says whether to start another worker: yes for the first
    /// [`MAX_RESTARTS`] failures within [`RESTART_WINDOW_MS`], no from the next one on.
    pub fn failed(&mut self, now: f64) -> Restart {
        self.failures_ms.retain(|&t| now - t < RESTART_WINDOW_MS);
        self.failures_ms.push(now);
        let failures = self.failures_ms.len();
        if failures > MAX_RESTARTS {
            Restart::GiveUp { failures }
        } else {
            Restart::Again
        }
    }
}

/// What the page does with a worker that says it is ready with protocol `version`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VersionCheck {
    /// Same protocol: use it.
    Agrees,
    /// Another protocol, from a worker loaded the usual way: a cache (the browser's, a static
    /// host's) may hold an old copy, so load it again from an address no cache has seen.
    Refetch,
    /// Another protocol even from a fresh address: the server itself has another version.
    Incompatible,
}

/// Checks a worker's protocol `version`; `refetched` tells whether it was loaded cache-busted.
pub fn check_version(version: u32, refetched: bool) -> VersionCheck {
    match (version == PROTOCOL_VERSION, refetched) {
        (true, _) => VersionCheck::Agrees,
        (false, false) => VersionCheck::Refetch,
        (false, true) => VersionCheck::Incompatible,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_worker_that_answers_is_pinged_again_and_one_that_is_silent_is_declared_so() {
        let mut beat = Heartbeat::new(0.0);
        assert_eq!(beat.tick(2_000.0), Beat::Ping(1));
        beat.heard(2_010.0, Some(1));
        assert_eq!(beat.tick(4_000.0), Beat::Ping(2));
        assert_eq!(beat.tick(6_000.0), Beat::Wait, "ping 2 is out");
        // Progress events count as signs of life even before the pong.
        beat.heard(7_000.0, None);
        assert_eq!(beat.tick(8_000.0), Beat::Ping(3));
        assert_eq!(beat.tick(10_000.0), Beat::Wait);
        assert_eq!(beat.tick(14_000.0), Beat::Wait, "6 s is not yet over");
        assert_eq!(beat.tick(14_001.0), Beat::Silent);
        // A late answer to an old ping does not end the wait for the new one.
        beat.heard(15_000.0, Some(2));
        assert_eq!(beat.tick(16_000.0), Beat::Ping(4), "but it was heard");
    }

    #[test]
    fn the_fourth_failure_within_a_minute_gives_up_and_older_ones_are_forgotten() {
        let mut policy = RestartPolicy::default();
        assert_eq!(policy.failed(0.0), Restart::Again);
        assert_eq!(policy.failed(10_000.0), Restart::Again);
        assert_eq!(policy.failed(20_000.0), Restart::Again);
        assert_eq!(policy.failed(30_000.0), Restart::GiveUp { failures: 4 });

        // Failures 25 s apart never pile up to four within a minute.
        let mut spaced = RestartPolicy::default();
        for k in 0..10 {
            assert_eq!(spaced.failed(k as f64 * 25_000.0), Restart::Again);
        }
        let mut late = RestartPolicy::default();
        for t in [0.0, 1.0, 2.0] {
            assert_eq!(late.failed(t), Restart::Again);
        }
        assert_eq!(
            late.failed(60_000.0),
            Restart::Again,
            "the first is a minute old"
        );
        assert_eq!(late.failed(60_500.0), Restart::Again);
        assert_eq!(late.failed(61_000.0), Restart::Again);
        assert_eq!(late.failed(61_500.0), Restart::GiveUp { failures: 4 });
    }

    #[test]
    fn a_worker_of_another_protocol_is_fetched_again_once_then_refused() {
        assert_eq!(check_version(PROTOCOL_VERSION, false), VersionCheck::Agrees);
        assert_eq!(check_version(PROTOCOL_VERSION, true), VersionCheck::Agrees);
        assert_eq!(
            check_version(PROTOCOL_VERSION + 1, false),
            VersionCheck::Refetch
        );
        assert_eq!(
            check_version(PROTOCOL_VERSION + 7, true),
            VersionCheck::Incompatible
        );
    }
}
