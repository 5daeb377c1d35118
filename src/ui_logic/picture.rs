//! A picture from the user's disk as ink: grey values where 1 is ink, the way MNIST digits are
//! (light strokes on black). The browser decodes and scales the file; this decides what is ink.

/// Grey ink values (0 background, 1 ink) of RGBA pixels (`4 × n` bytes, as a canvas'
/// `ImageData` holds them). Transparent pixels count as white paper. A picture that is light
/// overall is taken for dark ink on light paper and inverted; one that is dark overall (light
/// ink on black, like MNIST) is kept as it is. Then the paper's level (the median: most of a
/// picture of a digit is paper) becomes 0 and the strongest ink 1, so a photo of grey paper or
/// a faint pencil stroke reads like a clean drawing.
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
    let ink: Vec<f32> = if mean > 0.5 {
        brightness.iter().map(|b| 1.0 - b).collect()
    } else {
        brightness
    };
    let mut sorted = ink.clone();
    sorted.sort_by(f32::total_cmp);
    let (Some(&paper), Some(&peak)) = (sorted.get(sorted.len() / 2), sorted.last()) else {
        return ink;
    };
    if peak - paper < MIN_CONTRAST {
        return ink; // nothing stands out: leave it for the caller to find blank
    }
    ink.iter()
        .map(|v| ((v - paper) / (peak - paper)).clamp(0.0, 1.0))
        .collect()
}

/// Below this difference between the paper and the strongest ink, a picture is left as it is
/// rather than stretched (stretching would turn the grain of blank paper into strokes).
const MIN_CONTRAST: f32 = 0.1;

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
        // Red (brightness 0.299) between white ink and black paper.
        let red = ink_from_rgba(&rgba(&[
            [0, 0, 0, 255],
            [255, 0, 0, 255],
            [255, 255, 255, 255],
            [0, 0, 0, 255],
            [0, 0, 0, 255],
        ]));
        assert!((red[1] - 0.299).abs() < 1e-6, "{red:?}");
    }

    #[test]
    fn grey_paper_and_faint_ink_are_stretched_to_a_clean_drawing() {
        // Light grey paper (200) with a mid-grey stroke (120): inverted, then stretched.
        let ink = ink_from_rgba(&rgba(&[
            [200, 200, 200, 255],
            [120, 120, 120, 255],
            [200, 200, 200, 255],
            [200, 200, 200, 255],
        ]));
        assert_eq!(ink, vec![0.0, 1.0, 0.0, 0.0]);
        // Blank grey paper stays as it is: there is no stroke to stretch.
        let blank = ink_from_rgba(&rgba(&[[200, 200, 200, 255]; 4]));
        assert!(blank.iter().all(|&v| (v - blank[0]).abs() < 1e-6));
    }

    #[test]
    fn transparent_pixels_are_paper() {
        // Black strokes on a transparent background: the paper is white, so it is inverted.
        let ink = ink_from_rgba(&rgba(&[[0, 0, 0, 0], [0, 0, 0, 255], [0, 0, 0, 0]]));
        assert_eq!(ink, vec![0.0, 1.0, 0.0]);
        assert!(ink_from_rgba(&[]).is_empty());
    }
}
