//! Replays the fuzzing corpus (tests/fuzz/corpus, grown by `cargo fuzz`, see tests/fuzz/README.md)
//! through the checkpoint loader and the digits parser, with the fuzz targets' checks: every
//! input gives a typed error or a valid result, never a panic. Inputs that once crashed a
//! target are kept in the corpus, so this is also their regression test.
#![cfg(not(target_arch = "wasm32"))]

use std::fs;
use std::path::PathBuf;

use latent_lab::ml::checkpoint;
use latent_lab::ml::data::Digits;

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

#[test]
fn every_checkpoint_corpus_input_loads_or_is_refused_without_panic() {
    let inputs = corpus("checkpoint");
    assert!(inputs.len() >= 3, "the seeds are there");
    let mut loaded = 0;
    for (path, bytes) in &inputs {
        let info = checkpoint::read_info(bytes);
        if let Ok((model, got)) = checkpoint::load(bytes) {
            assert!(
                info.is_ok(),
                "{}: load accepted what read_info refused",
                path.display()
            );
            assert_eq!(model.config(), got.config, "{}", path.display());
            loaded += 1;
        }
    }
    assert!(
        loaded >= 3,
        "the seed checkpoints load ({loaded} of {})",
        inputs.len()
    );
}

#[test]
fn every_digits_corpus_input_parses_or_is_refused_without_panic() {
    let inputs = corpus("digits");
    assert!(inputs.len() >= 2, "the seeds are there");
    let mut parsed = 0;
    for (path, bytes) in &inputs {
        if let Ok(digits) = Digits::parse(bytes) {
            assert!(!digits.is_empty(), "{}", path.display());
            assert!(
                digits.labels().iter().all(|&l| l <= 9),
                "{}",
                path.display()
            );
            for i in 0..digits.len() {
                assert!(digits.image(i).iter().all(|v| (0.0..=1.0).contains(v)));
            }
            let split = digits.split();
            assert_eq!(split.train.len() + split.test.len(), digits.len());
            parsed += 1;
        }
    }
    assert!(
        parsed >= 2,
        "the seed digit files parse ({parsed} of {})",
        inputs.len()
    );
}
