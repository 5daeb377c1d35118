//! Gathering a person's pictures into a dataset: each decoded picture fitted to the chosen
//! shape ([`super::fit`]), duplicates dropped, the caps kept, folders turned into labels, and
//! everything that was passed over counted, so the page can say exactly what happened.
//!
//! The import worker decodes the files (the browser reads the formats) and feeds them in one by
//! one; nothing here knows about files or the browser.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use super::fit::{fit, FitOptions, Rgba};
use super::{check_size, Dataset, DatasetError, Labels};

/// The file name endings an import treats as pictures; anything else is counted as "not a
/// picture" without being opened. (SVG is a drawing program, not pixels: the browser renders it
/// only in a page, and imports decode in a worker.)
pub const PICTURE_ENDINGS: [&str; 7] = ["png", "jpg", "jpeg", "webp", "gif", "bmp", "avif"];

/// Whether `path` names a picture by its ending (case does not matter).
pub fn looks_like_picture(path: &str) -> bool {
    path.rsplit_once('.').is_some_and(|(_, ending)| {
        PICTURE_ENDINGS
            .iter()
            .any(|e| e.eq_ignore_ascii_case(ending))
    })
}

/// The label of the picture at `path` (relative to the chosen folder, the folder's own name
/// first): the folder it is in right under the chosen one, so "shapes/discs/big/1.png" is a
/// "discs". A file of the chosen folder itself, or a file chosen alone, has none.
pub fn label_of(path: &str) -> Option<&str> {
    let mut parts = path.split('/');
    let (_, folder, rest) = (parts.next(), parts.next(), parts.next());
    folder.filter(|f| !f.is_empty() && rest.is_some())
}

/// Why a file did not become an image.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Passed {
    /// Its name does not end like a picture.
    NotAPicture,
    /// It ends like one, but the browser could not decode it (corrupt, truncated, empty).
    Unreadable,
    /// The same image (after fitting) is already in the set.
    Duplicate,
    /// The set was full (see [`check_size`]).
    OverTheCap,
}

/// What [`Importer::add`] did with a picture.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Added {
    Kept,
    Passed(Passed),
}

/// The count of what an import kept and passed over, and the first file of each kind passed,
/// for a message a person can check.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Tally {
    pub kept: usize,
    pub not_pictures: usize,
    pub unreadable: usize,
    pub duplicates: usize,
    pub over_the_cap: usize,
    /// One example of each kind of file passed over.
    pub examples: Vec<(Passed, String)>,
}

impl Tally {
    fn count(&mut self, why: Passed, path: &str) {
        let n = match why {
            Passed::NotAPicture => &mut self.not_pictures,
            Passed::Unreadable => &mut self.unreadable,
            Passed::Duplicate => &mut self.duplicates,
            Passed::OverTheCap => &mut self.over_the_cap,
        };
        *n += 1;
        if !self.examples.iter().any(|(w, _)| *w == why) {
            self.examples.push((why, path.to_string()));
        }
    }

    /// In words: "312 pictures kept; passed over: 2 duplicates, 1 file that is not a picture
    /// (notes.txt)".
    pub fn describe(&self) -> String {
        let plural = |n: usize, one: &str, many: &str| {
            if n == 1 {
                format!("1 {one}")
            } else {
                format!("{n} {many}")
            }
        };
        let example = |why: Passed| {
            self.examples
                .iter()
                .find(|(w, _)| *w == why)
                .map(|(_, path)| format!(" ({path})"))
                .unwrap_or_default()
        };
        let mut passed = Vec::new();
        for (n, why, one, many) in [
            (
                self.duplicates,
                Passed::Duplicate,
                "duplicate",
                "duplicates",
            ),
            (
                self.not_pictures,
                Passed::NotAPicture,
                "file that is not a picture",
                "files that are not pictures",
            ),
            (
                self.unreadable,
                Passed::Unreadable,
                "picture that could not be read",
                "pictures that could not be read",
            ),
            (
                self.over_the_cap,
                Passed::OverTheCap,
                "picture past the cap",
                "pictures past the cap",
            ),
        ] {
            if n > 0 {
                passed.push(format!("{}{}", plural(n, one, many), example(why)));
            }
        }
        let kept = plural(self.kept, "picture kept", "pictures kept");
        if passed.is_empty() {
            kept
        } else {
            format!("{kept}; passed over: {}", passed.join(", "))
        }
    }
}

/// An import under way.
pub struct Importer {
    options: FitOptions,
    images: Vec<u8>,
    folders: Vec<Option<String>>,
    seen: BTreeSet<u64>,
    tally: Tally,
}

/// FNV-1a, 64 bits: duplicates are found by the fitted image's bytes.
fn fingerprint(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

impl Importer {
    pub fn new(options: FitOptions) -> Self {
        Self {
            options,
            images: Vec::new(),
            folders: Vec::new(),
            seen: BTreeSet::new(),
            tally: Tally::default(),
        }
    }

    pub fn options(&self) -> FitOptions {
        self.options
    }

    /// Images kept so far.
    pub fn len(&self) -> usize {
        self.folders.len()
    }

    pub fn is_empty(&self) -> bool {
        self.folders.is_empty()
    }

    /// Whether another image would pass the caps: an import stops reading once it is full.
    pub fn is_full(&self) -> bool {
        check_size(self.len() + 1, self.options.shape).is_err()
    }

    /// Image `index` as kept (`shape.values()` grey levels, channel-planar): for the preview.
    pub fn image(&self, index: usize) -> &[u8] {
        let n = self.options.shape.values();
        &self.images[index * n..(index + 1) * n]
    }

    /// Adds a decoded picture found at `path`, in `folder` (its label, if any).
    pub fn add(&mut self, path: &str, folder: Option<&str>, picture: Rgba<'_>) -> Added {
        if self.is_full() {
            self.tally.count(Passed::OverTheCap, path);
            return Added::Passed(Passed::OverTheCap);
        }
        let Ok(image) = fit(picture, self.options) else {
            self.tally.count(Passed::Unreadable, path);
            return Added::Passed(Passed::Unreadable);
        };
        if !self.seen.insert(fingerprint(&image)) {
            self.tally.count(Passed::Duplicate, path);
            return Added::Passed(Passed::Duplicate);
        }
        self.images.extend_from_slice(&image);
        self.folders.push(folder.map(str::to_string));
        self.tally.kept += 1;
        Added::Kept
    }

    /// Counts a file that did not become a picture (not one by its name, or not decodable).
    pub fn pass(&mut self, path: &str, why: Passed) {
        self.tally.count(why, path);
    }

    pub fn tally(&self) -> &Tally {
        &self.tally
    }

    /// The dataset, named `name`. Its images are labelled by folder when they come from at
    /// least two folders and every image is in one; the names are the folders, sorted.
    pub fn finish(self, name: &str) -> Result<(Dataset, Tally), DatasetError> {
        let mut names: Vec<String> = self.folders.iter().flatten().cloned().collect();
        names.sort_unstable();
        names.dedup();
        let labelled = names.len() >= 2 && self.folders.iter().all(Option::is_some);
        let labels = labelled.then(|| {
            let of_image = self
                .folders
                .iter()
                .flatten()
                .map(|f| names.iter().position(|n| n == f).unwrap_or(0) as u16)
                .collect();
            Labels { of_image, names }
        });
        let set = Dataset::new(name, self.options.shape, self.images, labels)?;
        Ok((set, self.tally))
    }
}

#[cfg(test)]
mod tests {
    use super::super::fit::Fit;
    use super::super::{ImageShape, MAX_IMAGES};
    use super::*;

    #[test]
    fn a_picture_is_labelled_by_the_folder_right_under_the_chosen_one() {
        assert_eq!(label_of("shapes/discs/1.png"), Some("discs"));
        assert_eq!(label_of("shapes/discs/big/1.png"), Some("discs"));
        assert_eq!(
            label_of("shapes/1.png"),
            None,
            "a file of the chosen folder"
        );
        assert_eq!(label_of("1.png"), None, "a file chosen alone");
        assert_eq!(label_of("shapes//1.png"), None, "an empty folder name");
    }

    fn options() -> FitOptions {
        FitOptions {
            shape: ImageShape::DIGITS,
            fit: Fit::Pad,
            invert_dark_on_light: true,
        }
    }

    /// A `side × side` opaque picture with a dark square of `size` at the top left.
    fn square(side: usize, size: usize) -> Vec<u8> {
        (0..side * side)
            .flat_map(|i| {
                let dark = i / side < size && i % side < size;
                if dark {
                    [0, 0, 0, 255]
                } else {
                    [255; 4]
                }
            })
            .collect()
    }

    fn rgba(side: usize, pixels: &[u8]) -> Rgba<'_> {
        Rgba {
            width: side,
            height: side,
            pixels,
        }
    }

    #[test]
    fn pictures_are_told_by_their_ending() {
        for yes in ["a.png", "b.JPG", "dir/c.jpeg", "d.WebP", "e.gif", "f.bmp"] {
            assert!(looks_like_picture(yes), "{yes}");
        }
        for no in [
            "notes.txt",
            "png",
            "archive.zip",
            ".DS_Store",
            "photo.png.exe",
        ] {
            assert!(!looks_like_picture(no), "{no}");
        }
    }

    #[test]
    fn folders_become_sorted_labels_and_duplicates_are_dropped() {
        let mut import = Importer::new(options());
        let (a, b, c) = (square(40, 10), square(40, 20), square(40, 30));
        assert_eq!(
            import.add("x/stars/1.png", Some("stars"), rgba(40, &a)),
            Added::Kept
        );
        assert_eq!(
            import.add("x/circles/2.png", Some("circles"), rgba(40, &b)),
            Added::Kept
        );
        assert_eq!(
            import.add("x/circles/copy.png", Some("circles"), rgba(40, &b)),
            Added::Passed(Passed::Duplicate)
        );
        assert_eq!(
            import.add("x/stars/3.png", Some("stars"), rgba(40, &c)),
            Added::Kept
        );
        import.pass("x/notes.txt", Passed::NotAPicture);
        import.pass("x/broken.png", Passed::Unreadable);
        assert_eq!(import.len(), 3);
        let (set, tally) = import.finish("shapes").unwrap();
        let labels = set.labels().unwrap();
        assert_eq!(labels.names, ["circles", "stars"]);
        assert_eq!(labels.of_image, [1, 0, 1]);
        assert_eq!(
            tally.describe(),
            "3 pictures kept; passed over: 1 duplicate (x/circles/copy.png), 1 file that is not a \
             picture (x/notes.txt), 1 picture that could not be read (x/broken.png)"
        );
    }

    #[test]
    fn one_folder_or_loose_pictures_give_no_labels() {
        let mut import = Importer::new(options());
        import.add("a.png", None, rgba(40, &square(40, 10)));
        import.add("cats/b.png", Some("cats"), rgba(40, &square(40, 20)));
        let (set, tally) = import.finish("mixed").unwrap();
        assert!(set.labels().is_none());
        assert_eq!(tally.describe(), "2 pictures kept");
    }

    #[test]
    fn nothing_usable_is_an_empty_dataset_and_a_bad_picture_is_counted() {
        let mut import = Importer::new(options());
        assert_eq!(
            import.add("empty.png", None, rgba(0, &[])),
            Added::Passed(Passed::Unreadable)
        );
        import.pass("readme.md", Passed::NotAPicture);
        let tally = import.tally().clone();
        assert_eq!(tally.unreadable + tally.not_pictures, 2);
        assert_eq!(import.finish("nothing").unwrap_err(), DatasetError::Empty);
    }

    #[test]
    fn a_full_import_passes_the_rest_over_and_says_so() {
        let mut import = Importer::new(options());
        // Full to the cap (counted by the images' folders; their bytes are not needed here).
        import.folders = vec![None; MAX_IMAGES];
        assert!(import.is_full());
        assert_eq!(
            import.add("late.png", None, rgba(40, &square(40, 5))),
            Added::Passed(Passed::OverTheCap)
        );
        assert!(import
            .tally()
            .describe()
            .contains("1 picture past the cap (late.png)"));
    }
}
