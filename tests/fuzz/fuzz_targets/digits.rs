//! Any bytes given to the digits parser: a typed error or digits whose every grey value is in
//! [0, 1] and every label a digit, never a panic.
#![no_main]

use latent_lab::ml::data::Digits;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|bytes: &[u8]| {
    if let Ok(digits) = Digits::parse(bytes) {
        assert!(!digits.is_empty());
        assert!(digits.labels().iter().all(|&l| l <= 9));
        for i in 0..digits.len() {
            assert!(digits.image(i).iter().all(|v| (0.0..=1.0).contains(v)));
        }
        let split = digits.split();
        assert_eq!(split.train.len() + split.test.len(), digits.len());
    }
});
