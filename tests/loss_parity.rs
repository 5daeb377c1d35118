//! candle's loss equals an independent f64 computation, natively. `tests/web.rs` asserts the same
//! against the same reference in the browser, so wasm and native agree with each other.
#![cfg(not(target_arch = "wasm32"))]

mod common;

#[test]
fn candle_loss_matches_the_f64_reference_natively() {
    let f = common::fixture();
    let (recon, kl, total) = common::candle_loss(&f);
    let (want_recon, want_kl) = common::reference_loss(&f);
    common::assert_close("recon", recon, want_recon, 1e-5);
    common::assert_close("kl", kl, want_kl, 1e-5);
    common::assert_close("total", total, want_recon + want_kl, 1e-5);
    // Untrained, the decoder predicts ~0.5 everywhere: about 784·ln 2 ≈ 543 nats per digit.
    assert!((400.0..700.0).contains(&recon), "recon {recon}");
}
