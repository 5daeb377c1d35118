//! Any bytes given to the dataset file reader: a typed error or a dataset within the caps that
//! survives saving and loading again, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

include!("../checks.rs");

fuzz_target!(|bytes: &[u8]| {
    check_dataset(bytes);
});
