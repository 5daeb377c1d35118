//! A picture from the user's disk as ink: grey values where 1 is ink, the way MNIST digits are
//! (light strokes on black). The browser decodes and scales the file; this decides what is ink.

/// Grey ink values (0 background, 1 ink) of RGBA pixels (`4 × n` bytes, as a canvas'
/// `ImageData` holds them). Transparent pixels count as white paper. A picture that is light
/// overall is taken for dark ink on light paper and inverted; one that is dark overall (light
/// ink on black, like MNIST) is kept as it is.
pub fn ink_from_rgba(rgba: &[u8]) -> Vec<f32> {
    // Brightness over a white background, 0 (black) to 1 (white).
    let brightness: Vec<f32> = rgba
        .chunks_exact(4)
        .map(|p| {
            let alpha = p[3] as f32 / 255.0;
            let grey = (0.299 * p[0] as f32 + 0.587 * p[1] as f32 + 0.114 * p[2] as f32) / 255.0;
            alpha * grey + (1.0 - alpha)
        })
        .collect();
    let mean = brightness.iter().sum::<f32>() / brightness.len().max(1) as f32;
    if mean > 0.5 {
        brightness.iter().map(|b| 1.0 - b).collect()
    } else {
        brightness
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rgba(pixels: &[[u8; 4]]) -> Vec<u8> {
        pixels.iter().flatten().copied().collect()
    }

    #[test]
    fn dark_ink_on_white_paper_is_inverted() {
        let ink = ink_from_rgba(&rgba(&[[255, 255, 255, 255], [0, 0, 0, 255], [255; 4]]));
        assert_eq!(ink, vec![0.0, 1.0, 0.0]);
    }

    #[test]
    fn light_ink_on_black_is_kept_and_colours_count_by_their_brightness() {
        let ink = ink_from_rgba(&rgba(&[
            [0, 0, 0, 255],
            [255, 255, 255, 255],
            [0, 0, 0, 255],
        ]));
        assert_eq!(ink, vec![0.0, 1.0, 0.0]);
        let red = ink_from_rgba(&rgba(&[[255, 0, 0, 255], [0, 0, 0, 255], [0, 0, 0, 255]]));
        assert!((red[0] - 0.299).abs() < 1e-6, "{red:?}");
    }

    #[test]
    fn transparent_pixels_are_paper() {
        // Black strokes on a transparent background: the paper is white, so it is inverted.
        let ink = ink_from_rgba(&rgba(&[[0, 0, 0, 0], [0, 0, 0, 255], [0, 0, 0, 0]]));
        assert_eq!(ink, vec![0.0, 1.0, 0.0]);
        assert!(ink_from_rgba(&[]).is_empty());
    }
}
