//! The messages between the page and an import worker (the worker binary started with
//! `?role=import`, [`super::IMPORT_ROLE`]): a request and its files in, progress and the dataset
//! file out. Versioned with the training worker's messages ([`super::PROTOCOL_VERSION`]).

use serde::{Deserialize, Serialize};

use crate::ml::dataset::fit::Fit;
use crate::ml::dataset::import::Tally;
use crate::ml::dataset::Channels;
use crate::ui_logic::said::Said;

/// What the page tells an import worker (the worker binary started with `?role=import`, one per
/// import, ended by the page when it is done or cancelled) once it is
/// [`ImportEvent::ImportReady`]. Answered by [`ImportEvent`]s.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type")]
pub enum ImportCommand {
    /// Make the files that follow into one dataset.
    Import(ImportRequest),
    /// Files `from`, `from + 1`, … of the request, beside this message (a JavaScript array of
    /// `File`s under `files`, which serde does not carry). They come in batches because handing
    /// a `File` to a worker costs the page's thread ~0.25 ms: 10,000 at once would freeze it
    /// for seconds.
    ImportFiles { from: usize },
}

/// An import: what to make of its files.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ImportRequest {
    /// The dataset's name.
    pub name: String,
    pub channels: Channels,
    /// One of `ml::dataset::SIDES`; the worker refuses any other.
    pub side: usize,
    pub fit: Fit,
    pub invert_dark_on_light: bool,
    /// Each file's path from the chosen folder (or its name): its label comes from it
    /// (`ml::dataset::import::label_of`), and messages name files by it.
    pub paths: Vec<String>,
}

/// What an import worker tells the page.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type")]
pub enum ImportEvent {
    /// The worker is listening (a request sent before this is lost) and speaks this version.
    ImportReady { version: u32 },
    /// `done` of `total` files looked at.
    ImportProgress { done: usize, total: usize },
    /// The dataset file (`ml::dataset::file`) and the count of what was kept and passed over.
    Imported {
        #[serde(with = "super::bytes")]
        dataset: Vec<u8>,
        tally: Tally,
    },
    /// Nothing could be made of the files; `message` says why.
    ImportFailed { message: Said },
}
