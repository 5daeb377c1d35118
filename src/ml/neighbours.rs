//! How well an encoder keeps classes apart, in one number: the share of codes whose nearest
//! other code (Euclidean, in every latent dimension, not only the two the scatter draws) has
//! the same label. Near 1 when each class sits in its own region; near the chance level
//! ([`Agreement::chance`]) when the codes ignore the classes.

/// Nearest-neighbour agreement of a set of labelled codes.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Agreement {
    /// The share of the queried codes whose nearest neighbour has their label.
    pub share: f64,
    /// The share a labelling blind to the codes would get: the chance that two codes drawn at
    /// random share a label, Σ (n_c / n)².
    pub chance: f64,
    /// How many codes were queried (each against all the others).
    pub queried: usize,
}

/// Queries at most this many codes (the first ones), each against every code: 500 × 2,000
/// codes of 20 dimensions is 20 M multiply-adds, a few milliseconds in the page.
pub const MOST_QUERIES: usize = 500;

/// The agreement of `codes` (`labels.len()` rows of `dim` values) under `labels`; `None` with
/// fewer than two codes or a single class, where it means nothing.
pub fn nearest_neighbour_agreement(codes: &[f32], dim: usize, labels: &[u8]) -> Option<Agreement> {
    let n = labels.len();
    if n < 2 || dim == 0 || codes.len() != n * dim {
        return None;
    }
    let mut counts = [0usize; 256];
    for &l in labels {
        counts[l as usize] += 1;
    }
    if counts.iter().filter(|&&c| c > 0).count() < 2 {
        return None;
    }
    let chance = counts.iter().map(|&c| (c as f64 / n as f64).powi(2)).sum();
    let row = |i: usize| &codes[i * dim..(i + 1) * dim];
    let queried = n.min(MOST_QUERIES);
    let agree = (0..queried)
        .filter(|&i| {
            let q = row(i);
            let nearest = (0..n)
                .filter(|&j| j != i)
                .map(|j| {
                    let d2: f32 = q.iter().zip(row(j)).map(|(a, b)| (a - b) * (a - b)).sum();
                    (j, d2)
                })
                .min_by(|a, b| a.1.total_cmp(&b.1))
                .map(|(j, _)| j);
            nearest.is_some_and(|j| labels[j] == labels[i])
        })
        .count();
    Some(Agreement {
        share: agree as f64 / queried as f64,
        chance,
        queried,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ml::rng::Rng;

    #[test]
    fn classes_in_their_own_regions_agree_fully() {
        // Two tight clusters far apart in 3 dimensions.
        let mut codes = Vec::new();
        let mut labels = Vec::new();
        for i in 0..40 {
            let (centre, label) = if i % 2 == 0 { (-5.0, 0) } else { (5.0, 1) };
            let jitter = (i as f32) * 0.01;
            codes.extend([centre + jitter, centre - jitter, centre]);
            labels.push(label);
        }
        let a = nearest_neighbour_agreement(&codes, 3, &labels).unwrap();
        assert_eq!(a.share, 1.0);
        assert!((a.chance - 0.5).abs() < 1e-12);
        assert_eq!(a.queried, 40);
    }

    #[test]
    fn codes_blind_to_the_labels_agree_about_as_often_as_chance() {
        let mut rng = Rng::new(7);
        let n = 1_000;
        let codes: Vec<f32> = (0..n * 4).map(|_| rng.normal()).collect();
        let labels: Vec<u8> = (0..n).map(|i| (i % 4) as u8).collect();
        let a = nearest_neighbour_agreement(&codes, 4, &labels).unwrap();
        assert!((a.chance - 0.25).abs() < 1e-12);
        assert!((a.share - a.chance).abs() < 0.08, "{a:?}");
        assert_eq!(a.queried, MOST_QUERIES);
    }

    #[test]
    fn one_class_or_one_code_has_no_agreement() {
        assert_eq!(nearest_neighbour_agreement(&[0.0, 1.0], 1, &[3, 3]), None);
        assert_eq!(nearest_neighbour_agreement(&[0.0], 1, &[3]), None);
        assert_eq!(
            nearest_neighbour_agreement(&[0.0, 1.0, 2.0], 1, &[0, 1]),
            None
        );
    }
}
