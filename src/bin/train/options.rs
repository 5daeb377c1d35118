//! The trainer's command line: its usage text and the options it reads.

use std::path::PathBuf;

use latent_lab::ml::checkpoint::Precision;
use latent_lab::ml::dataset::fit::{Fit, FitOptions, INVERT_BY_DEFAULT};
use latent_lab::ml::dataset::{self, Channels, ImageShape};
use latent_lab::ml::model::{ModelConfig, ModelKind};
use latent_lab::ml::presets::PRESETS;
use latent_lab::ml::train::{check_epochs, TrainConfig, DEFAULT_EPOCHS};

fn usage() -> String {
    let kinds: Vec<String> = ModelKind::ALL
        .iter()
        .map(|k| {
            format!(
                "{} ({}, default {})",
                k.id(),
                k.width_meaning(),
                k.default_hidden()
            )
        })
        .collect();
    let reference = ModelConfig::default();
    let train = TrainConfig::default();
    format!(
        "usage: train [--pretrained] [--data PATH] [--kind {ids}]
             [--images DIR [--side N] [--colour] [--fit F] [--no-invert] [--save-data FILE]]
             [--latent N] [--hidden N] [--epochs N] [--batch N] [--lr X] [--beta X]
             [--seed N] [--warmup N] [--preset ID] [--out FILE.safetensors] [--f16] [--json]

  --pretrained   train every shipped model into assets/pretrained/ (f16 in byte planes, fixed seed)
  --only ID      with --pretrained: just this one (e.g. mlp-vae-z2)
  --data PATH    the digits file (default assets/digits.bin; build it with `node www/build-digits.mjs`)
                 or a Latent Lab dataset file (.safetensors, exported by the page) of any shape,
                 or `sprites`: the page's generated shapes (64×64 grey, 8,064 train, 2,016 test),
                 whose factors are known, so each epoch also prints MIG and each factor's best z
  --images DIR   a folder of PNG and JPEG pictures, made into a dataset as the page imports one
                 (its folders become labels): --side {sides} (default 28), --colour (default grey),
                 --fit {fits} (default {fit}), --no-invert (keep dark-on-light pictures
                 as they are), --save-data FILE (keep the dataset file, for the page or --data)
  --preset ID    {presets}: the page's preset on the sprites (model, training, epochs;
                 later options change them)
  --kind K       default {kind}
  --latent N     latent dimensions, default {latent}
  --hidden N     the width, which means for each kind: {kinds}
  --epochs N     default {DEFAULT_EPOCHS}
  --batch N, --lr X, --beta X, --seed N, --warmup N
                 defaults {batch}, {lr}, {beta}, {seed}, {warmup} (no KL warm-up)
  --json         print a JSON summary of the run on stdout",
        ids = ModelKind::ALL.map(ModelKind::id).join("|"),
        sides = dataset::sides_text(),
        fits = Fit::ALL.map(Fit::id).join("|"),
        fit = Fit::DEFAULT.id(),
        kind = reference.kind.id(),
        latent = reference.latent,
        kinds = kinds.join("; "),
        batch = train.batch_size,
        lr = train.learning_rate,
        beta = train.beta,
        seed = train.seed,
        warmup = train.warmup_epochs,
        presets = PRESETS.map(|p| p.id).join(" or "),
    )
}

/// `--data sprites`: the generated shapes instead of a file.
pub(crate) const SPRITES: &str = "sprites";

pub(crate) struct Options {
    pub(crate) data: PathBuf,
    /// `--images DIR` and how to fit them, instead of `data`.
    pub(crate) images: Option<(PathBuf, FitOptions)>,
    pub(crate) save_data: Option<PathBuf>,
    pub(crate) config: ModelConfig,
    pub(crate) train: TrainConfig,
    pub(crate) epochs: usize,
    pub(crate) out: Option<PathBuf>,
    pub(crate) precision: Precision,
    pub(crate) json: bool,
    pub(crate) pretrained: bool,
    pub(crate) only: Option<String>,
}

/// The options of a command line (without the program's name), checked: a setting out of
/// range is refused here, with the usage where it helps.
pub(crate) fn parse(args: Vec<String>) -> Result<Options, String> {
    let mut o = Options {
        data: PathBuf::from("assets/digits.bin"),
        images: None,
        save_data: None,
        config: ModelConfig::default(),
        train: TrainConfig::default(),
        epochs: DEFAULT_EPOCHS,
        out: None,
        precision: Precision::F32,
        json: false,
        pretrained: false,
        only: None,
    };
    let mut hidden = None;
    let (mut side, mut channels) = (ImageShape::DIGITS.side, Channels::Grey);
    let (mut fit, mut invert) = (Fit::DEFAULT, INVERT_BY_DEFAULT);
    let mut images_dir = None;
    let mut it = args.into_iter();
    while let Some(flag) = it.next() {
        let mut value = || {
            it.next()
                .ok_or_else(|| format!("{flag} needs a value\n{}", usage()))
        };
        fn num<T: std::str::FromStr>(flag: &str, v: String) -> Result<T, String> {
            v.parse()
                .map_err(|_| format!("{flag} takes a number, not {v:?}"))
        }
        match flag.as_str() {
            "--pretrained" => o.pretrained = true,
            "--only" => o.only = Some(value()?),
            "--data" => o.data = value()?.into(),
            "--images" => images_dir = Some(PathBuf::from(value()?)),
            "--side" => side = num(&flag, value()?)?,
            "--colour" | "--color" => channels = Channels::Colour,
            "--fit" => {
                let v = value()?;
                fit = Fit::from_id(&v).ok_or_else(|| {
                    let ids: Vec<String> = Fit::ALL.map(Fit::id).into();
                    format!("unknown fit {v:?}: use {}", ids.join(", "))
                })?;
            }
            "--no-invert" => invert = false,
            "--save-data" => o.save_data = Some(value()?.into()),
            "--kind" => {
                let v = value()?;
                o.config.kind = ModelKind::from_id(&v).ok_or_else(|| {
                    format!("unknown kind {v:?}: use {}", ModelKind::ids_text("or"))
                })?;
            }
            "--preset" => {
                let v = value()?;
                let preset = PRESETS.iter().find(|p| p.id == v).ok_or_else(|| {
                    let ids: Vec<&str> = PRESETS.iter().map(|p| p.id).collect();
                    format!("unknown preset {v:?}: use {}", ids.join(" or "))
                })?;
                o.config = preset.model;
                hidden = Some(preset.model.hidden);
                o.train = preset.train;
                o.epochs = preset.epochs;
                o.data = SPRITES.into();
            }
            "--latent" => o.config.latent = num(&flag, value()?)?,
            "--hidden" => hidden = Some(num(&flag, value()?)?),
            "--epochs" => o.epochs = num(&flag, value()?)?,
            "--batch" => o.train.batch_size = num(&flag, value()?)?,
            "--lr" => o.train.learning_rate = num(&flag, value()?)?,
            "--beta" => o.train.beta = num(&flag, value()?)?,
            "--seed" => o.train.seed = num(&flag, value()?)?,
            "--warmup" => o.train.warmup_epochs = num(&flag, value()?)?,
            "--out" => o.out = Some(value()?.into()),
            "--f16" => o.precision = Precision::F16,
            "--json" => o.json = true,
            "-h" | "--help" => return Err(usage()),
            other => return Err(format!("unknown option {other:?}\n{}", usage())),
        }
    }
    o.config.hidden = hidden.unwrap_or_else(|| o.config.kind.default_hidden());
    if let Some(dir) = images_dir {
        let shape = ImageShape::new(channels, side).map_err(|e| e.to_string())?;
        let options = FitOptions {
            shape,
            fit,
            invert_dark_on_light: invert,
        };
        o.images = Some((dir, options));
    }
    o.config.validate().map_err(|e| e.to_string())?;
    check_epochs(o.epochs).map_err(|e| e.to_string())?;
    o.train.validate().map_err(|e| e.to_string())?;
    Ok(o)
}
