//! Replays the fuzzing corpus (tests/fuzz/corpus, grown by `cargo fuzz`, see tests/fuzz/README.md)
//! through the checkpoint loader, the digits parser, the dataset file reader and the zip lister, with the fuzz targets' own checks
//! (tests/fuzz/checks.rs): every input gives a typed error or a valid result that round-trips,
//! never a panic. Inputs that once crashed a target are kept in the corpus, so this is also their
//! regression test.
#![cfg(not(target_arch = "wasm32"))]

use std::fs;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::PathBuf;

include!("fuzz/checks.rs");

fn corpus(target: &str) -> Vec<(PathBuf, Vec<u8>)> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fuzz/corpus")
        .join(target);
    let mut inputs: Vec<_> = fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| {
            let path = entry.unwrap().path();
            let bytes = fs::read(&path).unwrap();
            (path, bytes)
        })
        .collect();
    inputs.sort();
    inputs
}

/// Runs `check` on every input of the corpus of `target`, naming the input that fails; returns
/// how many were accepted.
fn replay(target: &str, check: fn(&[u8]) -> bool) -> (usize, usize) {
    let inputs = corpus(target);
    let mut accepted = 0;
    for (path, bytes) in &inputs {
        match catch_unwind(AssertUnwindSafe(|| check(bytes))) {
            Ok(true) => accepted += 1,
            Ok(false) => {}
            Err(_) => panic!("{} breaks the {target} checks (see above)", path.display()),
        }
    }
    (accepted, inputs.len())
}

#[test]
fn every_checkpoint_corpus_input_loads_and_round_trips_or_is_refused_without_panic() {
    let (loaded, all) = replay("checkpoint", check_checkpoint);
    assert!(all >= 3, "the seeds are there");
    assert!(loaded >= 3, "the seed checkpoints load ({loaded} of {all})");
}

#[test]
fn every_digits_corpus_input_parses_or_is_refused_without_panic() {
    let (parsed, all) = replay("digits", check_digits);
    assert!(all >= 2, "the seeds are there");
    assert!(
        parsed >= 2,
        "the seed digit files parse ({parsed} of {all})"
    );
}

#[test]
fn every_dataset_corpus_input_loads_and_round_trips_or_is_refused_without_panic() {
    let (loaded, all) = replay("dataset", check_dataset);
    assert!(all >= 3, "the seeds are there");
    assert!(loaded >= 3, "the seed datasets load ({loaded} of {all})");
}

#[test]
fn every_zip_corpus_input_lists_or_is_refused_without_panic() {
    let (listed, all) = replay("zip", check_zip);
    assert!(all >= 3, "the seeds are there");
    assert!(listed >= 2, "the seed archives list ({listed} of {all})");
}
