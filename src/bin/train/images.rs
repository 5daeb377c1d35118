//! `train --images DIR`: a folder of pictures made into a dataset natively, as the page's import
//! makes one (the same [`Importer`]: the same fit, duplicates, caps and folder labels), so a
//! model trained here reads the pictures as one trained in the page.
//!
//! The page lets the browser decode every format; here PNG and JPEG are decoded by two small
//! crates. Other pictures (GIF, WebP, BMP, AVIF) are counted as unreadable with the advice to
//! convert them or to import the folder in the page, whose dataset file `--data` takes.

use std::io::Cursor;
use std::path::{Path, PathBuf};

use latent_lab::ml::dataset::fit::{FitOptions, Rgba};
use latent_lab::ml::dataset::import::{label_of, looks_like_picture, Importer, Passed, Tally};
use latent_lab::ml::dataset::Dataset;

/// Every file under `dir`, depth first in name order, with its path as the page's folder picker
/// gives it: the folder's own name first, `/` between parts.
fn files_under(dir: &Path) -> Result<Vec<(String, PathBuf)>, String> {
    let root = dir
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "pictures".to_string());
    let mut found = Vec::new();
    let mut stack = vec![(root, dir.to_path_buf())];
    while let Some((name, path)) = stack.pop() {
        let mut entries: Vec<_> = std::fs::read_dir(&path)
            .map_err(|e| format!("cannot read the folder {}: {e}", path.display()))?
            .filter_map(Result::ok)
            .collect();
        // Reversed onto the stack, so they come off in name order.
        entries.sort_by_key(|e| std::cmp::Reverse(e.file_name()));
        for entry in entries {
            let child = format!("{name}/{}", entry.file_name().to_string_lossy());
            if entry.file_type().is_ok_and(|t| t.is_dir()) {
                stack.push((child, entry.path()));
            } else {
                found.push((child, entry.path()));
            }
        }
    }
    found.sort();
    Ok(found)
}

/// A decoded picture: width, height and RGBA bytes.
type Decoded = (usize, usize, Vec<u8>);

fn decode_png(bytes: &[u8]) -> Option<Decoded> {
    let mut decoder = png::Decoder::new(Cursor::new(bytes));
    decoder.set_transformations(png::Transformations::normalize_to_color8());
    let mut reader = decoder.read_info().ok()?;
    let mut buffer = vec![0; reader.output_buffer_size()?];
    let info = reader.next_frame(&mut buffer).ok()?;
    let data = &buffer[..info.buffer_size()];
    let rgba: Vec<u8> = match info.color_type {
        png::ColorType::Grayscale => data.iter().flat_map(|&g| [g, g, g, 255]).collect(),
        png::ColorType::GrayscaleAlpha => data
            .chunks_exact(2)
            .flat_map(|p| [p[0], p[0], p[0], p[1]])
            .collect(),
        png::ColorType::Rgb => data
            .chunks_exact(3)
            .flat_map(|p| [p[0], p[1], p[2], 255])
            .collect(),
        png::ColorType::Rgba => data.to_vec(),
        // Expanded to RGB(A) by the transformation above.
        png::ColorType::Indexed => return None,
    };
    Some((info.width as usize, info.height as usize, rgba))
}

fn decode_jpeg(bytes: &[u8]) -> Option<Decoded> {
    let options = zune_core::options::DecoderOptions::default()
        .jpeg_set_out_colorspace(zune_core::colorspace::ColorSpace::RGBA);
    let mut decoder = zune_jpeg::JpegDecoder::new_with_options(
        zune_core::bytestream::ZCursor::new(bytes),
        options,
    );
    let rgba = decoder.decode().ok()?;
    let info = decoder.info()?;
    Some((usize::from(info.width), usize::from(info.height), rgba))
}

/// The picture in `bytes`, if it is a PNG or a JPEG that decodes (by its first bytes, not its
/// name).
fn decode(bytes: &[u8]) -> Option<Decoded> {
    if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        decode_png(bytes)
    } else if bytes.starts_with(&[0xff, 0xd8, 0xff]) {
        decode_jpeg(bytes)
    } else {
        None
    }
}

/// The pictures under `dir` as a dataset named after the folder, fitted as `options` says, with
/// the tally of what was kept and passed over.
pub fn import(dir: &Path, options: FitOptions) -> Result<(Dataset, Tally), String> {
    let files = files_under(dir)?;
    let mut importer = Importer::new(options);
    for (path, file) in &files {
        if !looks_like_picture(path) {
            importer.pass(path, Passed::NotAPicture);
            continue;
        }
        let decoded = std::fs::read(file).ok().and_then(|bytes| decode(&bytes));
        match decoded {
            Some((width, height, rgba)) => {
                let picture = Rgba {
                    width,
                    height,
                    pixels: &rgba,
                };
                importer.add(path, label_of(path), picture);
            }
            None => importer.pass(path, Passed::Unreadable),
        }
    }
    let name = files
        .first()
        .and_then(|(path, _)| path.split('/').next())
        .unwrap_or("pictures")
        .to_string();
    importer.finish(&name).map_err(|e| {
        format!(
            "no dataset could be made of {}: {e} (the native trainer reads PNG and JPEG; import \
             other pictures in the page and train on its dataset file with --data)",
            dir.display()
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pictures_are_recognised_by_their_first_bytes_and_others_are_not_decoded() {
        assert_eq!(decode(b"GIF89a...."), None);
        assert_eq!(decode(b"\x89PNG\r\n\x1a\ntruncated"), None);
        assert_eq!(decode(&[0xff, 0xd8, 0xff, 0, 1]), None);
    }
}
