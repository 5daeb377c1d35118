//! Any bytes given to the zip lister: a typed error or a listing within the caps that carries
//! no more than the archive's own bytes, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

include!("../checks.rs");

fuzz_target!(|bytes: &[u8]| {
    check_zip(bytes);
});
