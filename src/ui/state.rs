//! The page's shared state: the model being explored, the latent vector every view follows,
//! the test digits, and the picture at the input (the drawing or a test digit). One `Lab` of signals, provided as context.

use std::sync::Arc;

use leptos::prelude::*;

use super::i18n::{Lang, Language};

pub use super::active_model::ActiveModel;
use crate::ml::data::ImageSet;
use crate::ml::dataset::ImageShape;
use crate::ml::explore::Code;
use crate::ui_logic::pixels::GreyAs;
use crate::ui_logic::said::Said;
use crate::ui_logic::words::Noun;

/// Training digits of the built-in set (four in five of the asset's 10,000).
const DIGITS_TRAINING: usize = 8_000;

/// A dataset of one's own that training (and every chapter's test set) uses instead of the
/// built-in digits.
#[derive(Debug, Clone, PartialEq)]
pub struct OwnData {
    /// Its id on the shelf of kept datasets (`ui::datasets`).
    pub id: String,
    pub name: String,
    /// The dataset file, as the worker takes it (and takes again after a restart).
    pub file: Arc<Vec<u8>>,
    pub images: usize,
    /// How many of them train (all, below a test split's minimum; else four in five).
    pub train_images: usize,
    /// Its classes' names, when it has labels.
    pub label_names: Option<Vec<String>>,
    /// Whether it is too small for a test split, and so has no test images.
    pub no_test_set: bool,
    /// Whether its grey images are ink (shown dark on light) rather than light.
    pub ink: bool,
    /// The shape of its images: the models trained on it take this shape.
    pub shape: ImageShape,
    /// For a set whose pictures' makers are known (the generated sprites): each test picture's
    /// factor values, picture after picture, as `ml::mig::mig` takes them.
    pub factors: Option<Arc<Vec<usize>>>,
}

/// Where the picture at the model's input (the data column) comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// The drawing on the pad.
    Drawing,
    /// The test digit [`Lab::test_digit`].
    TestDigit,
}

/// The user's drawing after MNIST preprocessing.
#[derive(Debug, Clone, PartialEq)]
pub struct Drawing {
    /// 784 grey values, ink = 1.
    pub pixels: Vec<f32>,
}

/// Timings of the page's own work, in milliseconds: developer read-outs, shown together in the
/// "about this page" section rather than beside what they time.
#[derive(Clone, Copy, Default)]
pub struct Readouts {
    /// Decoding the point z to the output digit, the last time.
    pub decode_ms: RwSignal<Option<f64>>,
    /// The manifold's last complete sheet, and its side.
    pub sheet: RwSignal<Option<(usize, f64)>>,
    /// Encoding, decoding and scoring the drawing.
    pub draw_ms: RwSignal<Option<f64>>,
}

/// Everything the panels share. Signals are cheap handles: copy it freely.
#[derive(Clone, Copy)]
pub struct Lab {
    pub active: RwSignal<Option<Arc<ActiveModel>>>,
    /// Until the page's first model is active: that model with its decoder's weights and
    /// zeros for the rest (`checkpoint::decoder_first`), which came first in its file. The big
    /// picture and the plane draw from it ([`Lab::drawn`]); nothing else may use it.
    decoder_first: RwSignal<Option<Arc<ActiveModel>>>,
    /// The latent vector the sliders show and the main view decodes.
    pub z: RwSignal<Vec<f32>>,
    /// σ of the last encoded digit's posterior, shown on the sliders; cleared when z moves
    /// away from that encoding by other means (sample, reset).
    pub sigma: RwSignal<Option<Vec<f32>>>,
    /// The test set every chapter uses: the digits asset's test split once fetched, or that
    /// of a dataset of one's own ([`Lab::own_data`]).
    pub test: RwSignal<Option<Arc<ImageSet>>>,
    /// The digits' test split, kept to come back to from a dataset of one's own.
    pub digits_test: RwSignal<Option<Arc<ImageSet>>>,
    /// The dataset of one's own in use, or `None` for the built-in digits.
    pub own_data: RwSignal<Option<OwnData>>,
    /// Why the digits asset is unavailable, if it is.
    pub test_error: RwSignal<Option<Said>>,
    pub drawing: RwSignal<Option<Drawing>>,
    /// Which picture the tool encodes: the drawing or a test digit.
    pub source: RwSignal<Source>,
    /// The test digit shown when that is the source, by its index in the test split.
    pub test_digit: RwSignal<usize>,
    /// What the encoder made of the input picture, q(z|x): its mean and (for a VAE) σ, drawn as an
    /// ellipse on the latent plane. `None` without a drawing.
    pub encoded: RwSignal<Option<Code>>,
    /// How long the page's own work took, for the "about this page" section.
    pub readouts: Readouts,
    /// The active model's latent size; changes only when the size does, so views that depend
    /// on it alone (the slider list) are not rebuilt for every new set of weights.
    latent: Memo<usize>,
    /// The page's language (none in a component tested alone: English).
    language: Option<Language>,
}

impl Lab {
    pub fn new() -> Self {
        let active: RwSignal<Option<Arc<ActiveModel>>> = RwSignal::new(None);
        Self {
            active,
            decoder_first: RwSignal::new(None),
            latent: Memo::new(move |_| active.with(|m| m.as_ref().map_or(0, |m| m.latent()))),
            z: RwSignal::new(Vec::new()),
            sigma: RwSignal::new(None),
            test: RwSignal::new(None),
            digits_test: RwSignal::new(None),
            own_data: RwSignal::new(None),
            test_error: RwSignal::new(None),
            drawing: RwSignal::new(None),
            source: RwSignal::new(Source::Drawing),
            test_digit: RwSignal::new(0),
            encoded: RwSignal::new(None),
            readouts: Readouts::default(),
            language: use_context::<Language>(),
        }
    }

    /// The page's language. Tracks.
    pub fn lang(&self) -> Lang {
        self.language.map_or(Lang::En, Language::get)
    }

    /// [`Lab::lang`] without tracking: for a message made once, when something happens.
    pub fn lang_untracked(&self) -> Lang {
        untrack(|| self.lang())
    }

    /// A text of the page in the language in use that names the data's images, following both:
    /// `text` writes it for a language and a [`Noun`], e.g. `|l, n| l.text(format!("Draw a {}",
    /// n.one()), format!("画一个{}", n.zh()))`.
    pub fn text(
        self,
        text: impl Fn(Lang, Noun) -> String + Send + Sync + 'static,
    ) -> Signal<String> {
        Signal::derive(move || text(self.lang(), self.noun()))
    }

    /// Makes `model` the one every view uses, with the sliders back at the origin.
    pub fn activate(&self, model: Arc<ActiveModel>) {
        let latent = model.latent();
        self.sigma.set(None);
        self.z.set(vec![0.0; latent]);
        self.active.set(Some(model));
        self.decoder_first.set(None);
    }

    /// Draws the pictures from `early`, the first model's decoder while the rest of its file
    /// downloads (see `decoder_first`), unless a model is active already.
    pub fn draw_from_decoder_first(&self, early: Arc<ActiveModel>) {
        if self.active.with_untracked(Option::is_some) {
            return;
        }
        let latent = early.latent();
        if self.z.with_untracked(Vec::len) != latent {
            self.z.set(vec![0.0; latent]);
        }
        self.decoder_first.set(Some(early));
    }

    /// Stops drawing from the first model's decoder (its file was refused once whole).
    pub fn forget_decoder_first(&self) {
        self.decoder_first.set(None);
    }

    /// The model to decode pictures from: the active one or, until there is one, the first
    /// one's decoder. Tracks. Only for decoding: everything else uses [`Lab::active`].
    pub fn drawn(&self) -> Option<Arc<ActiveModel>> {
        self.active.get().or_else(|| self.decoder_first.get())
    }

    /// Swaps in new weights (a training snapshot) and makes them the explored model, keeping the
    /// sliders where they are when the latent size allows.
    pub fn update_weights(&self, model: Arc<ActiveModel>) {
        let same_shape = self
            .active
            .with_untracked(|m| m.as_ref().is_some_and(|m| m.latent() == model.latent()));
        if same_shape {
            self.active.set(Some(model));
        } else {
            self.activate(model);
        }
    }

    /// Makes `own` (a dataset and its test split) the data every chapter uses, or with `None`
    /// the built-in digits again.
    pub fn use_data(&self, own: Option<(OwnData, Arc<ImageSet>)>) {
        match own {
            Some((data, test)) => {
                self.own_data.set(Some(data));
                // No test images is no test set: the chapters say why (`why_no_test_images`).
                self.test.set((!test.is_empty()).then_some(test));
            }
            None => {
                self.own_data.set(None);
                self.test.set(self.digits_test.get_untracked());
            }
        }
        // A test digit chosen in the old set may not exist in the new one.
        self.test_digit.set(0);
    }

    /// How grey images are shown: as ink on paper (the digits, ink imports), or as light for a
    /// dataset of grey photographs. Tracks what it reads.
    pub fn grey_as(&self) -> GreyAs {
        match self.own_data.with(|d| d.as_ref().map(|d| d.ink)) {
            Some(false) => GreyAs::Light,
            Some(true) | None => GreyAs::Ink,
        }
    }

    /// The shape of the data in use: a dataset's own, or the digits' 28×28 grey. Tracks.
    pub fn data_shape(&self) -> ImageShape {
        self.own_data
            .with(|d| d.as_ref().map_or(ImageShape::DIGITS, |d| d.shape))
    }

    /// What the data in use calls one image: digits for the built-in set, pictures for a
    /// dataset of one's own. Tracks.
    pub fn noun(&self) -> Noun {
        if self.own_data.with(Option::is_some) {
            Noun::Picture
        } else {
            Noun::Digit
        }
    }

    /// [`Lab::noun`] without tracking.
    pub fn noun_untracked(&self) -> Noun {
        untrack(|| self.noun())
    }

    /// How many pictures of the data in use train. Tracks the data only (not the language).
    pub fn training_images(&self) -> usize {
        self.own_data
            .with(|d| d.as_ref().map(|d| d.train_images))
            .unwrap_or(DIGITS_TRAINING)
    }

    /// [`Lab::data_shape`] without tracking.
    pub fn data_shape_untracked(&self) -> ImageShape {
        untrack(|| self.data_shape())
    }

    /// [`Lab::grey_as`] without tracking.
    pub fn grey_as_untracked(&self) -> GreyAs {
        untrack(|| self.grey_as())
    }

    /// The shape of the images the active model reads (the digits' before one is loaded).
    /// Tracks.
    pub fn model_shape(&self) -> ImageShape {
        self.active
            .with(|m| m.as_ref().map_or(ImageShape::DIGITS, |m| m.shape()))
    }

    /// [`Lab::model_shape`] without tracking.
    pub fn model_shape_untracked(&self) -> ImageShape {
        untrack(|| self.model_shape())
    }

    /// The picture at the input (784 grey values, ink = 1): the drawing or the chosen test
    /// digit, `None` while there is none. Tracks what it reads.
    pub fn input_pixels(&self) -> Option<Vec<f32>> {
        match self.source.get() {
            Source::Drawing => self.drawing.with(|d| d.as_ref().map(|d| d.pixels.clone())),
            Source::TestDigit => {
                let i = self.test_digit.get();
                self.test.with(|t| {
                    t.as_ref()
                        .filter(|t| i < t.len())
                        .map(|t| t.image(i).to_vec())
                })
            }
        }
    }

    /// Number of latent dimensions of the active model (0 before one is loaded).
    pub fn latent(&self) -> usize {
        self.latent.get()
    }
}

impl Default for Lab {
    fn default() -> Self {
        Self::new()
    }
}

/// The `Lab` provided by the root component.
pub fn use_lab() -> Lab {
    expect_context::<Lab>()
}
