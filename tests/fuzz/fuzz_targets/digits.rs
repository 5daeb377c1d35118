//! Any bytes given to the digits parser: a typed error or digits whose every grey value is in
//! [0, 1] and every label a digit, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

include!("../checks.rs");

fuzz_target!(|bytes: &[u8]| {
    check_digits(bytes);
});
