//! The shipped models are exactly what the native trainer writes (`train --pretrained`): each
//! loads as the model the list says, and saved again the trainer's way it is the same bytes,
//! so a rebuild can be compared file for file.
#![cfg(not(target_arch = "wasm32"))]

use latent_lab::ml::checkpoint::{self, Precision};
use latent_lab::ml::pretrained::PRETRAINED;

#[test]
fn every_shipped_model_is_stored_as_the_trainer_writes_it() {
    for shipped in PRETRAINED {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(shipped.path());
        let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let (model, info) =
            checkpoint::load(&bytes).unwrap_or_else(|e| panic!("{}: {e}", shipped.id));
        assert_eq!(info.config, shipped.config, "{}", shipped.id);
        let again = checkpoint::save(&model, Precision::Compact, &info.notes).unwrap();
        assert!(
            again == bytes,
            "{}: not the bytes the trainer writes",
            shipped.id
        );
    }
}
