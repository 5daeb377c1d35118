//! Zip archives of pictures, as a person gives them to an import: which files an archive holds,
//! in which folders (a picture's folder is its label), and each file's bytes, still compressed.
//!
//! Everything is decided from the archive's own directory before anything is inflated: an
//! archive that declares more than [`MAX_UNZIPPED_BYTES`] in all, or more than
//! [`MAX_ENTRIES`] files, is refused (a zip bomb is refused by what it declares); an
//! encrypted one is refused by name. Deflated files are inflated by the caller (the page
//! uses the browser's `DecompressionStream`), which must stop at the size declared here.
//! An archive whose files' stored sizes add up to more than the archive itself (one stretch of
//! bytes listed many times, another bomb) is refused too; smaller overlaps cost no more than
//! the archive's size.
//! Folders, macOS's `__MACOSX` copies and hidden files are passed over; files packed with a
//! method other than store or deflate are skipped and counted.

use std::io::{Cursor, Read};

use zip::{CompressionMethod, ZipArchive};

/// What an archive may unpack to in all, as its directory declares it: 1 GiB.
pub const MAX_UNZIPPED_BYTES: u64 = 1 << 30;
/// How many entries an archive may list.
pub const MAX_ENTRIES: usize = 200_000;

/// A file's bytes as they are stored in the archive.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Packed {
    Stored(Vec<u8>),
    /// Raw DEFLATE data that inflates to `size` bytes.
    Deflated {
        data: Vec<u8>,
        size: u64,
    },
}

/// One file of the archive.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArchiveFile {
    /// Its path in the archive, `/`-separated.
    pub path: String,
    /// The name of the folder it is in (the last one), if any: its label.
    pub folder: Option<String>,
    pub content: Packed,
}

/// Everything an archive holds that an import can use, and what it passed over.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Listing {
    pub files: Vec<ArchiveFile>,
    /// Files skipped, each with why (a packing method this reader does not know).
    pub skipped: Vec<(String, String)>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ArchiveError {
    #[error("this is not a zip archive Latent Lab can read ({detail})")]
    NotZip { detail: String },
    #[error("the archive is password-protected (“{path}” is encrypted); unpack it first and import the folder")]
    Encrypted { path: String },
    #[error("the archive declares {declared} bytes once unpacked, more than the {MAX_UNZIPPED_BYTES} an import may take; nothing was unpacked")]
    TooLarge { declared: u64 },
    #[error("the archive lists {count} entries, more than the {MAX_ENTRIES} an import may take")]
    TooManyEntries { count: usize },
    #[error(
        "the archive's files overlap one another (a trick of zip bombs); nothing was unpacked"
    )]
    Overlapping,
    #[error("the archive is damaged: “{path}” {detail}")]
    Damaged { path: String, detail: String },
}

/// Whether a path is something an import passes over: macOS's resource copies and hidden files.
fn passed_over(path: &str) -> bool {
    path.split('/')
        .any(|part| part == "__MACOSX" || part.starts_with('.'))
}

/// Lists `bytes` as a zip archive (see the module's documentation for what is refused).
pub fn read_zip(bytes: &[u8]) -> Result<Listing, ArchiveError> {
    let mut archive = ZipArchive::new(Cursor::new(bytes)).map_err(|e| ArchiveError::NotZip {
        detail: e.to_string(),
    })?;
    let count = archive.len();
    if count > MAX_ENTRIES {
        return Err(ArchiveError::TooManyEntries { count });
    }
    // What the directory declares, before anything is read.
    let mut declared: u64 = 0;
    for i in 0..count {
        let size = archive
            .by_index_data(i)
            .map(|entry| entry.size())
            .map_err(|e| ArchiveError::NotZip {
                detail: e.to_string(),
            })?;
        declared = declared.saturating_add(size);
        if declared > MAX_UNZIPPED_BYTES {
            return Err(ArchiveError::TooLarge { declared });
        }
    }
    let mut listing = Listing::default();
    // Files that do not overlap hold no more than the archive's own bytes; more means several
    // entries share data, which would multiply what is read.
    let mut carried: u64 = 0;
    for i in 0..count {
        let mut file = archive.by_index_raw(i).map_err(|e| ArchiveError::NotZip {
            detail: e.to_string(),
        })?;
        // A name that cannot be read, or an empty one, is named by its place in the archive.
        let path = file
            .name()
            .map(|n| n.replace('\\', "/"))
            .ok()
            .filter(|n| !n.is_empty())
            .unwrap_or_else(|| format!("entry {}", i + 1));
        if file.is_dir() || passed_over(&path) {
            continue;
        }
        if file.encrypted() {
            return Err(ArchiveError::Encrypted { path });
        }
        let method = file.compression();
        let (size, stored) = (file.size(), file.compressed_size());
        let damaged = |detail: String| ArchiveError::Damaged {
            path: path.clone(),
            detail,
        };
        let deflated = method == CompressionMethod::DEFLATE;
        if method != CompressionMethod::Stored && !deflated {
            listing.skipped.push((
                path,
                format!("packed with {method}, which this reader does not unpack"),
            ));
            continue;
        }
        if !deflated && stored != size {
            return Err(damaged(format!(
                "is stored uncompressed but declares {size} bytes in {stored}"
            )));
        }
        carried = carried.saturating_add(stored);
        if carried > bytes.len() as u64 {
            return Err(ArchiveError::Overlapping);
        }
        // At most what the directory says is stored, which the archive's bytes bound.
        let mut data = Vec::new();
        file.by_ref()
            .take(stored)
            .read_to_end(&mut data)
            .map_err(|e| damaged(format!("could not be read: {e}")))?;
        if data.len() as u64 != stored {
            return Err(damaged(format!(
                "declares {stored} bytes but the archive holds {}",
                data.len()
            )));
        }
        let folder = path
            .rsplit_once('/')
            .and_then(|(dir, _)| dir.rsplit('/').next())
            .filter(|f| !f.is_empty())
            .map(str::to_string);
        let content = if deflated {
            Packed::Deflated { data, size }
        } else {
            Packed::Stored(data)
        };
        listing.files.push(ArchiveFile {
            path,
            folder,
            content,
        });
    }
    Ok(listing)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A zip archive written by hand, so the tests need no zip writer: each entry's name,
    /// method (0 store, 8 deflate), general-purpose flags, declared uncompressed size and the
    /// bytes stored.
    pub(crate) fn zip_of(entries: &[(&str, u16, u16, u32, &[u8])]) -> Vec<u8> {
        let crc = |data: &[u8]| {
            let mut c = 0xffff_ffffu32;
            for &b in data {
                c ^= u32::from(b);
                for _ in 0..8 {
                    c = if c & 1 == 1 {
                        (c >> 1) ^ 0xedb8_8320
                    } else {
                        c >> 1
                    };
                }
            }
            !c
        };
        let (mut out, mut central) = (Vec::new(), Vec::new());
        for &(name, method, flags, size, data) in entries {
            let offset = out.len() as u32;
            let crc = if method == 0 { crc(data) } else { 0 };
            let common = |v: &mut Vec<u8>| {
                v.extend_from_slice(&20u16.to_le_bytes()); // version needed
                v.extend_from_slice(&flags.to_le_bytes());
                v.extend_from_slice(&method.to_le_bytes());
                v.extend_from_slice(&[0; 4]); // time, date
                v.extend_from_slice(&crc.to_le_bytes());
                v.extend_from_slice(&(data.len() as u32).to_le_bytes());
                v.extend_from_slice(&size.to_le_bytes());
                v.extend_from_slice(&(name.len() as u16).to_le_bytes());
                v.extend_from_slice(&0u16.to_le_bytes()); // extra
            };
            out.extend_from_slice(&0x0403_4b50u32.to_le_bytes());
            common(&mut out);
            out.extend_from_slice(name.as_bytes());
            out.extend_from_slice(data);
            central.extend_from_slice(&0x0201_4b50u32.to_le_bytes());
            central.extend_from_slice(&20u16.to_le_bytes()); // version made by
            common(&mut central);
            central.extend_from_slice(&[0; 6]); // comment length, disk, internal attributes
            central.extend_from_slice(&[0; 4]); // external attributes
            central.extend_from_slice(&offset.to_le_bytes());
            central.extend_from_slice(name.as_bytes());
        }
        let (start, len) = (out.len() as u32, central.len() as u32);
        out.extend_from_slice(&central);
        out.extend_from_slice(&0x0605_4b50u32.to_le_bytes());
        out.extend_from_slice(&[0; 4]); // disk numbers
        let n = entries.len() as u16;
        out.extend_from_slice(&n.to_le_bytes());
        out.extend_from_slice(&n.to_le_bytes());
        out.extend_from_slice(&len.to_le_bytes());
        out.extend_from_slice(&start.to_le_bytes());
        out.extend_from_slice(&0u16.to_le_bytes()); // comment length
        out
    }

    #[test]
    fn files_come_with_their_folder_as_label_and_the_clutter_is_passed_over() {
        let bytes = zip_of(&[
            ("shapes/", 0, 0, 0, b""),
            ("shapes/circles/a.png", 0, 0, 3, b"abc"),
            ("shapes\\stars\\b.png", 0, 0, 2, b"de"),
            ("top.png", 8, 0, 10, b"\x4b\x04\x00"),
            ("__MACOSX/shapes/._a.png", 0, 0, 1, b"x"),
            (".DS_Store", 0, 0, 1, b"y"),
        ]);
        let listing = read_zip(&bytes).unwrap();
        let summary: Vec<(&str, Option<&str>)> = listing
            .files
            .iter()
            .map(|f| (f.path.as_str(), f.folder.as_deref()))
            .collect();
        assert_eq!(
            summary,
            [
                ("shapes/circles/a.png", Some("circles")),
                ("shapes/stars/b.png", Some("stars")),
                ("top.png", None)
            ]
        );
        assert_eq!(listing.files[0].content, Packed::Stored(b"abc".to_vec()));
        assert_eq!(
            listing.files[2].content,
            Packed::Deflated {
                data: b"\x4b\x04\x00".to_vec(),
                size: 10
            }
        );
        assert!(listing.skipped.is_empty());
    }

    #[test]
    fn a_bomb_is_refused_by_what_it_declares_and_a_locked_archive_by_name() {
        let bomb = zip_of(&[
            ("a.png", 8, 0, u32::MAX, b"\x03\x00"),
            ("b.png", 8, 0, u32::MAX, b"\x03\x00"),
        ]);
        assert!(matches!(
            read_zip(&bomb),
            Err(ArchiveError::TooLarge { declared }) if declared > MAX_UNZIPPED_BYTES
        ));
        let locked = zip_of(&[("secret/a.png", 0, 1, 3, b"abc")]);
        let error = read_zip(&locked).unwrap_err();
        assert_eq!(
            error,
            ArchiveError::Encrypted {
                path: "secret/a.png".into()
            }
        );
        assert!(error.to_string().contains("password-protected"));
    }

    #[test]
    fn entries_that_share_their_data_are_refused_before_it_is_read_twice() {
        let data = [7u8; 200];
        let one = zip_of(&[("a.png", 0, 0, 200, &data)]);
        // The central record again, renamed "b.png", pointing at the same data.
        let start = one.windows(4).position(|w| w == b"PK\x01\x02").unwrap();
        let end = one.windows(4).position(|w| w == b"PK\x05\x06").unwrap();
        let mut record = one[start..end].to_vec();
        let name_at = record.len() - 5;
        record[name_at] = b'b';
        let mut two = one[..end].to_vec();
        two.extend_from_slice(&record);
        let mut tail = one[end..].to_vec();
        tail[8..10].copy_from_slice(&2u16.to_le_bytes());
        tail[10..12].copy_from_slice(&2u16.to_le_bytes());
        tail[12..16].copy_from_slice(&(2 * record.len() as u32).to_le_bytes());
        two.extend_from_slice(&tail);
        assert_eq!(read_zip(&two), Err(ArchiveError::Overlapping));
    }

    #[test]
    fn other_methods_are_skipped_and_counted_and_junk_is_not_a_zip() {
        let bytes = zip_of(&[("a.png", 12, 0, 3, b"bz!"), ("b.png", 0, 0, 1, b"z")]);
        let listing = read_zip(&bytes).unwrap();
        assert_eq!(listing.files.len(), 1);
        assert_eq!(listing.skipped.len(), 1);
        assert!(
            listing.skipped[0].1.contains("does not unpack"),
            "{:?}",
            listing.skipped
        );
        assert!(matches!(
            read_zip(b"PNG, not a zip"),
            Err(ArchiveError::NotZip { .. })
        ));
        let nameless = read_zip(&zip_of(&[("", 0, 0, 1, b"z")])).unwrap();
        assert_eq!(nameless.files[0].path, "entry 1", "found by fuzzing");
        let stored_lie = zip_of(&[("a.png", 0, 0, 9, b"abc")]);
        assert!(matches!(
            read_zip(&stored_lie),
            Err(ArchiveError::Damaged { .. })
        ));
    }
}
