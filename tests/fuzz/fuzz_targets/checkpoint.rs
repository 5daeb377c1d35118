//! Any bytes given to the checkpoint loader: a typed error or a model, never a panic, and never
//! an allocation the bytes do not pay for (run with `-malloc_limit_mb`).
#![no_main]

use latent_lab::ml::checkpoint;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|bytes: &[u8]| {
    let info = checkpoint::read_info(bytes);
    if let Ok((model, loaded)) = checkpoint::load(bytes) {
        assert!(info.is_ok(), "load accepted what read_info refused");
        assert_eq!(model.config(), loaded.config);
    }
});
