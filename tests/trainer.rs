//! The native trainer (`src/bin/train.rs`) on a dataset file, as a person runs it: a 28×28 grey
//! dataset trains and reports its test scores; a small one trains without a test set and says
//! why; a colour dataset trains a model of its own shape; a file that is not a dataset is refused
//! in words.
#![cfg(not(target_arch = "wasm32"))]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use latent_lab::ml::checkpoint;
use latent_lab::ml::dataset::{file, Channels, Dataset, ImageShape, Labels};
use latent_lab::ml::run_notes;

/// `count` 28×28 images of two classes: a vertical bar or a horizontal one, at shifting places.
fn bars(count: usize) -> Dataset {
    let mut images = vec![0u8; count * 784];
    for (i, image) in images.chunks_exact_mut(784).enumerate() {
        let at = 6 + (i * 7) % 16;
        for t in 4..24 {
            let (y, x) = if i % 2 == 0 { (t, at) } else { (at, t) };
            image[y * 28 + x] = 255;
            image[y * 28 + x + 1] = 200;
        }
    }
    let labels = Labels {
        of_image: (0..count).map(|i| (i % 2) as u16).collect(),
        names: vec!["vertical".into(), "horizontal".into()],
    };
    Dataset::new("bars", ImageShape::DIGITS, images, Some(labels)).unwrap()
}

fn write(name: &str, bytes: &[u8]) -> PathBuf {
    let path = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(name);
    std::fs::write(&path, bytes).unwrap();
    path
}

fn train(data: &Path, extra: &[&str]) -> Output {
    let mut args = vec![
        "--data",
        data.to_str().unwrap(),
        "--latent",
        "2",
        "--hidden",
        "32",
    ];
    args.extend_from_slice(extra);
    Command::new(env!("CARGO_BIN_EXE_train"))
        .args(&args)
        .output()
        .unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn a_grey_28_dataset_file_trains_and_its_test_score_improves() {
    let data = write("bars-80.safetensors", &file::save(&bars(80)));
    let run = train(
        &data,
        &["--epochs", "4", "--batch", "16", "--lr", "0.003", "--json"],
    );
    let (out, err) = (text(&run.stdout), text(&run.stderr));
    assert!(run.status.success(), "{err}");
    assert!(
        err.contains("dataset \"bars\": 80 images, 28×28 grey"),
        "{err}"
    );
    assert!(err.contains("data: 64 train, 16 test images"), "{err}");
    let scores: Vec<f64> = out
        .split("\"test_neg_elbo\":")
        .skip(1)
        .map(|s| s.split(',').next().unwrap().parse().unwrap())
        .collect();
    assert_eq!(scores.len(), 4, "{out}");
    assert!(
        scores[3] < scores[0],
        "the test −ELBO fell over four epochs: {scores:?}"
    );
}

#[test]
fn a_dataset_of_fewer_than_fifty_images_trains_without_a_test_set_and_says_why() {
    let data = write("bars-12.safetensors", &file::save(&bars(12)));
    let run = train(&data, &["--epochs", "1", "--batch", "4", "--json"]);
    let (out, err) = (text(&run.stdout), text(&run.stderr));
    assert!(run.status.success(), "{err}");
    assert!(
        err.contains("12 images; with fewer than 50 every image trains"),
        "{err}"
    );
    assert!(err.contains("no test set"), "{err}");
    assert!(out.contains(r#""test_neg_elbo":null"#), "{out}");
}

#[test]
fn a_colour_dataset_trains_a_model_of_its_shape_that_loads_back_with_its_shape_and_name() {
    let colour = ImageShape::new(Channels::Colour, 32).unwrap();
    // Warm pictures: a red disc on blue, at shifting places.
    let mut images = vec![0u8; 60 * colour.values()];
    for (i, image) in images.chunks_exact_mut(colour.values()).enumerate() {
        let (cx, cy) = (8 + i % 16, 8 + (i * 5) % 16);
        for y in 0..32 {
            for x in 0..32 {
                let inside =
                    (x as isize - cx as isize).pow(2) + (y as isize - cy as isize).pow(2) < 30;
                let (red, blue) = if inside { (230, 20) } else { (10, 200) };
                image[y * 32 + x] = red;
                image[2 * 1024 + y * 32 + x] = blue;
            }
        }
    }
    let set = Dataset::new("discs", colour, images, None).unwrap();
    let data = write("discs.safetensors", &file::save(&set));
    for kind in ["conv-vae", "mlp-vae"] {
        let out =
            PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("discs-{kind}.safetensors"));
        let hidden = if kind == "conv-vae" { "8" } else { "32" };
        let run = Command::new(env!("CARGO_BIN_EXE_train"))
            .args([
                "--data",
                data.to_str().unwrap(),
                "--kind",
                kind,
                "--latent",
                "2",
            ])
            .args([
                "--hidden", hidden, "--epochs", "2", "--batch", "16", "--json",
            ])
            .args(["--out", out.to_str().unwrap()])
            .output()
            .unwrap();
        let (stdout, err) = (text(&run.stdout), text(&run.stderr));
        assert!(run.status.success(), "{err}");
        assert!(err.contains("for 32×32 colour images"), "{err}");
        assert!(stdout.contains("\"test_neg_elbo\":"), "{stdout}");
        assert!(stdout.contains(r#""shape":"colour-32""#), "{stdout}");
        let (model, info) = checkpoint::load(&std::fs::read(&out).unwrap()).unwrap();
        assert_eq!(model.config().shape, colour, "{kind}");
        assert_eq!(info.notes[run_notes::DATASET], "discs");
    }
}

#[test]
fn a_file_that_is_not_a_dataset_is_refused_in_words() {
    let model = std::fs::read(
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("assets/pretrained/ae-z16.safetensors"),
    )
    .unwrap();
    let run = train(&write("a-model.safetensors", &model), &[]);
    assert_eq!(run.status.code(), Some(2));
    let err = text(&run.stderr);
    assert!(err.contains("is not a Latent Lab dataset"), "{err}");
}

/// A PNG of `side × side` RGB pixels from `rgb(x, y)`.
fn png_rgb(side: u32, rgb: impl Fn(u32, u32) -> [u8; 3]) -> Vec<u8> {
    let mut bytes = Vec::new();
    let mut encoder = png::Encoder::new(&mut bytes, side, side);
    encoder.set_color(png::ColorType::Rgb);
    encoder.set_depth(png::BitDepth::Eight);
    let data: Vec<u8> = (0..side * side)
        .flat_map(|i| rgb(i % side, i / side))
        .collect();
    encoder
        .write_header()
        .unwrap()
        .write_image_data(&data)
        .unwrap();
    bytes
}

#[test]
fn a_folder_of_pictures_trains_natively_as_the_page_would_import_it() {
    let root = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("native-import/warm");
    let _ = std::fs::remove_dir_all(&root);
    for kind in ["discs", "bars"] {
        std::fs::create_dir_all(root.join(kind)).unwrap();
    }
    for i in 0..30u32 {
        // Every picture different (an import drops duplicates): the disc and the bar move along.
        let (cx, cy) = (6 + i, 14 + i % 12);
        let disc = png_rgb(40, |x, y| {
            let inside = (x as i32 - cx as i32).pow(2) + (y as i32 - cy as i32).pow(2) < 64;
            if inside {
                [230, 30, 20]
            } else {
                [20, 40, 200]
            }
        });
        std::fs::write(root.join(format!("discs/disc-{i:02}.png")), disc).unwrap();
        let bar = png_rgb(40, |x, _| {
            if (i + 4..i + 8).contains(&x) {
                [240, 220, 30]
            } else {
                [30, 150, 60]
            }
        });
        std::fs::write(root.join(format!("bars/bar-{i:02}.png")), bar).unwrap();
    }
    // A JPEG (CMYK, as some scanners write them) is read; a GIF and a note are passed over.
    let pictures = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("www/e2e/pictures");
    for (from, to) in [
        ("cmyk-disc.jpg", "discs/scan.jpg"),
        ("animated-bar-first.gif", "bars/anim.gif"),
    ] {
        std::fs::copy(pictures.join(from), root.join(to)).unwrap();
    }
    std::fs::write(root.join("notes.txt"), "warm colours").unwrap();

    let saved = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("warm.dataset.safetensors");
    let run = Command::new(env!("CARGO_BIN_EXE_train"))
        .args([
            "--images",
            root.to_str().unwrap(),
            "--side",
            "32",
            "--colour",
        ])
        .args(["--save-data", saved.to_str().unwrap()])
        .args([
            "--kind", "conv-vae", "--latent", "2", "--hidden", "4", "--epochs", "1",
        ])
        .output()
        .unwrap();
    let err = text(&run.stderr);
    assert!(run.status.success(), "{err}");
    assert!(err.contains("“warm”: 61 "), "60 PNGs and the JPEG: {err}");
    assert!(
        err.contains("warm/bars/anim.gif"),
        "the GIF is named as passed over: {err}"
    );
    assert!(err.contains("for 32×32 colour images"), "{err}");
    let set = file::load(&std::fs::read(&saved).unwrap()).unwrap();
    assert_eq!((set.name(), set.len()), ("warm", 61));
    assert_eq!(set.shape(), ImageShape::new(Channels::Colour, 32).unwrap());
    assert_eq!(set.labels().unwrap().names, ["bars", "discs"]);
}

#[test]
fn the_generated_sprites_train_natively_from_a_preset_and_every_epoch_reports_mig() {
    // The β-VAE preset, made small (later options change a preset) so one epoch is quick.
    let run = Command::new(env!("CARGO_BIN_EXE_train"))
        .args([
            "--preset", "beta-vae", "--epochs", "1", "--hidden", "4", "--latent", "3", "--json",
        ])
        .output()
        .unwrap();
    let (out, err) = (text(&run.stdout), text(&run.stderr));
    assert!(run.status.success(), "{err}");
    assert!(err.contains("data: 8064 train, 2016 test images"), "{err}");
    assert!(
        err.contains("Conv-VAE z=3 channels=4 for 64×64 grey images"),
        "{err}"
    );
    assert!(err.contains("β 4"), "{err}");
    assert!(err.contains("| MIG 0.") && err.contains(", x z"), "{err}");
    let mig: f64 = out
        .split("\"mig\":")
        .nth(1)
        .and_then(|s| s.split([',', '}']).next())
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no MIG in {out}"));
    assert!((0.0..=1.0).contains(&mig), "{mig}");
    let refused = Command::new(env!("CARGO_BIN_EXE_train"))
        .args(["--preset", "gan"])
        .output()
        .unwrap();
    assert!(text(&refused.stderr).contains("unknown preset \"gan\": use beta-vae or plain-vae"));
}
