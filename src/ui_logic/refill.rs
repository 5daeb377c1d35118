//! How soon a view that follows the weights (the latent plane's dots, the scatter, the anomaly
//! and comparison tables, the factor reading) fills itself again while they change. Each fill
//! of a Conv-VAE encodes the whole test set on the page's thread: with a fixed gap the plane's
//! dots alone kept the page busy half the time during training, and on two cores that half
//! came out of the training threads' share. So a fill is also spaced by what the last one
//! took.

/// The most of the page's time the fills of one view take while the weights change: the next
/// starts no sooner than the last one's duration divided by this after the last one started.
pub const FILL_SHARE: f64 = 0.2;

/// When the next fill may start, after one that started at `started_ms` and took `took_ms`
/// (start to end, pauses for the browser included): `gap_ms` after it started, or later if
/// that would give the fills more than [`FILL_SHARE`] of the page's time.
pub fn next_fill_ms(started_ms: f64, took_ms: f64, gap_ms: f64) -> f64 {
    started_ms + gap_ms.max(took_ms.max(0.0) / FILL_SHARE)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_quick_fill_waits_only_for_the_gap() {
        assert_eq!(next_fill_ms(10_000.0, 40.0, 1_000.0), 11_000.0);
    }

    #[test]
    fn a_slow_fill_is_spaced_so_fills_keep_to_their_share() {
        let (started, took) = (10_000.0, 900.0);
        let next = next_fill_ms(started, took, 1_000.0);
        assert_eq!(next, started + 4_500.0);
        assert!(took / (next - started) <= FILL_SHARE + 1e-12);
    }

    #[test]
    fn the_share_holds_for_any_duration() {
        for took in [0.0, 1.0, 199.0, 200.0, 201.0, 5_000.0, 60_000.0] {
            let next = next_fill_ms(0.0, took, 1_000.0);
            assert!(next >= 1_000.0, "{took}: {next}");
            assert!(took / next <= FILL_SHARE + 1e-12, "{took}: {next}");
        }
    }
}
