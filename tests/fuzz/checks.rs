// The properties every input to the byte parsers must keep, written once and `include!`d by
// the fuzz targets (tests/fuzz/fuzz_targets/) and by the corpus replay that `cargo test` runs
// (tests/fuzz_corpus.rs).

/// Any bytes given to the checkpoint loader: a typed error, or a model whose header `read_info`
/// agrees with and which survives saving and loading again unchanged (the same header, every
/// weight bit for bit). Never a panic. Returns whether the bytes loaded.
pub fn check_checkpoint(bytes: &[u8]) -> bool {
    use latent_lab::ml::checkpoint::{self, Precision};
    use latent_lab::ml::model::Model;

    let info = checkpoint::read_info(bytes);
    let Ok((model, loaded)) = checkpoint::load(bytes) else {
        return false;
    };
    assert_eq!(info.as_ref(), Ok(&loaded), "read_info and load disagree");
    let saved = checkpoint::save(&model, Precision::F32, &loaded.notes)
        .unwrap_or_else(|e| panic!("a loaded model could not be saved: {e}"));
    let (again, again_info) = checkpoint::load(&saved)
        .unwrap_or_else(|e| panic!("a model's own save could not be loaded: {e}"));
    assert_eq!(again_info, loaded, "the header changed in a round trip");
    let bits = |m: &Model| -> Vec<(String, Vec<u32>)> {
        m.named_parameters()
            .into_iter()
            .map(|(name, t)| {
                let values: Vec<f32> = t.flatten_all().unwrap().to_vec1().unwrap();
                (name, values.into_iter().map(f32::to_bits).collect())
            })
            .collect()
    };
    assert!(
        bits(&model) == bits(&again),
        "the weights changed in a round trip"
    );
    true
}

/// Any bytes given to the digits parser: a typed error, or digits whose every grey value is in
/// [0, 1] and every label a digit, split without losing one. Never a panic. Returns whether the
/// bytes parsed.
pub fn check_digits(bytes: &[u8]) -> bool {
    use latent_lab::ml::data::ImageSet;

    let Ok(digits) = ImageSet::parse(bytes) else {
        return false;
    };
    assert!(!digits.is_empty());
    assert!(digits.labels().iter().all(|&l| l <= 9));
    for i in 0..digits.len() {
        assert!(digits.image(i).iter().all(|v| (0.0..=1.0).contains(v)));
    }
    let split = digits.split();
    assert_eq!(split.train.len() + split.test.len(), digits.len());
    true
}

/// Any bytes given to the dataset file reader: a typed error, or a dataset within the caps
/// whose every label names a class, split without losing an image, and saved again to exactly
/// the bytes that load to it. Never a panic. Returns whether the bytes loaded.
pub fn check_dataset(bytes: &[u8]) -> bool {
    use latent_lab::ml::dataset::{self, file};

    let Ok(set) = file::load(bytes) else {
        return false;
    };
    assert!(!set.is_empty() && set.len() <= dataset::MAX_IMAGES);
    assert!(set.images().len() <= dataset::MAX_BYTES);
    if let Some(labels) = set.labels() {
        assert_eq!(labels.of_image.len(), set.len());
        assert!(labels
            .of_image
            .iter()
            .all(|&l| (l as usize) < labels.names.len()));
    }
    let split = set.split();
    assert_eq!(split.train.len() + split.test.len(), set.len());
    let saved = file::save(&set);
    let again =
        file::load(&saved).unwrap_or_else(|e| panic!("a dataset's own save failed to load: {e}"));
    assert!(again == set, "the dataset changed in a round trip");
    assert!(file::save(&again) == saved, "saving is not deterministic");
    true
}

/// Any bytes given to the zip lister: a typed error, or a listing within the caps whose files
/// carry no more bytes than the archive itself, each with a path and (when in a folder) a
/// non-empty folder name. Never a panic, and nothing inflated. Returns whether the bytes listed.
pub fn check_zip(bytes: &[u8]) -> bool {
    use latent_lab::ml::dataset::archive::{self, Packed};

    let Ok(listing) = archive::read_zip(bytes) else {
        return false;
    };
    let mut carried = 0usize;
    let mut declared = 0u64;
    for file in &listing.files {
        assert!(!file.path.is_empty());
        assert!(file.folder.as_deref() != Some(""));
        match &file.content {
            Packed::Stored(data) => {
                carried += data.len();
                declared += data.len() as u64;
            }
            Packed::Deflated { data, size } => {
                carried += data.len();
                declared += size;
            }
        }
    }
    assert!(
        carried <= bytes.len(),
        "the files carry more than the archive"
    );
    assert!(declared <= archive::MAX_UNZIPPED_BYTES);
    true
}
