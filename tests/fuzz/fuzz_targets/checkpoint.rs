//! Any bytes given to the checkpoint loader: a typed error or a model that round-trips, never a
//! panic, and never an allocation the bytes do not pay for (run with `-malloc_limit_mb`).
#![no_main]

use libfuzzer_sys::fuzz_target;

include!("../checks.rs");

fuzz_target!(|bytes: &[u8]| {
    check_checkpoint(bytes);
});
