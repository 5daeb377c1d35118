//! The view in a link: the page's URL hash names the model and the latent vector
//! (`#model=pretrained:mlp-vae-z16&z=0.12,-1.30,…`), so copying the address shares the digit on
//! screen. Writing and reading it; `ui/share.rs` keeps it in step with the page.

use crate::ml::explore::EXPLORE_RANGE;
use crate::ml::model::MAX_LATENT;

/// What a link shows.
#[derive(Debug, Clone, PartialEq)]
pub struct SharedView {
    /// A library id, e.g. `pretrained:mlp-vae-z2` or `stored:run-…`.
    pub model: String,
    /// The latent vector; empty for "the model's origin".
    pub z: Vec<f32>,
}

/// Longest model id a link may carry.
const MAX_ID_LEN: usize = 200;

fn valid_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= MAX_ID_LEN
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, ':' | '-' | '_' | '.'))
}

/// The hash for `view`: z to two decimals (the sliders' resolution is 0.01).
pub fn format_hash(view: &SharedView) -> String {
    let z: Vec<String> = view.z.iter().map(|v| format!("{v:.2}")).collect();
    format!("#model={}&z={}", view.model, z.join(","))
}

/// Reads a hash written by [`format_hash`] (or by hand). Anything unreadable gives `None` or is
/// left out: a link is untrusted input. Values beyond the explorer's range are clamped; a vector
/// longer than the largest model's, or with a value that is not a number, is dropped whole.
pub fn parse_hash(hash: &str) -> Option<SharedView> {
    let mut model = None;
    let mut z = Vec::new();
    for pair in hash.trim_start_matches('#').split('&') {
        match pair.split_once('=') {
            Some(("model", id)) if valid_id(id) => model = Some(id.to_string()),
            Some(("z", values)) if !values.is_empty() => {
                let parsed: Option<Vec<f32>> = values
                    .split(',')
                    .take(MAX_LATENT + 1)
                    .map(|v| v.trim().parse::<f32>().ok().filter(|v| v.is_finite()))
                    .collect();
                z = parsed
                    .filter(|p| p.len() <= MAX_LATENT)
                    .unwrap_or_default()
                    .into_iter()
                    .map(|v| v.clamp(-EXPLORE_RANGE, EXPLORE_RANGE))
                    .collect();
            }
            _ => {}
        }
    }
    Some(SharedView { model: model?, z })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_shared_view_survives_its_hash() {
        let view = SharedView {
            model: "pretrained:mlp-vae-z16".into(),
            z: vec![0.12, -1.3, 2.0, 0.0],
        };
        let hash = format_hash(&view);
        assert_eq!(hash, "#model=pretrained:mlp-vae-z16&z=0.12,-1.30,2.00,0.00");
        assert_eq!(parse_hash(&hash), Some(view));
        assert_eq!(
            parse_hash("#model=stored:run-1795312994623&z=").map(|v| v.z),
            Some(vec![])
        );
    }

    #[test]
    fn bad_links_are_read_safely() {
        let clamped = parse_hash("#z=9,-9&model=pretrained:mlp-vae-z2").unwrap();
        assert_eq!(
            clamped.z,
            vec![3.0, -3.0],
            "clamped to the explorer's range"
        );
        assert_eq!(parse_hash("#z=1,2"), None, "no model, no view");
        assert_eq!(parse_hash("#model=<script>&z=1"), None);
        assert_eq!(parse_hash(&format!("#model={}", "a".repeat(201))), None);
        let junk = parse_hash("#model=pretrained:mlp-vae-z2&z=1,NaN,x").unwrap();
        assert!(junk.z.is_empty(), "an unreadable vector is dropped whole");
        let longest = format!("#model=a&z={}", vec!["0.5"; MAX_LATENT].join(","));
        assert_eq!(parse_hash(&longest).unwrap().z.len(), MAX_LATENT);
        let long = format!("#model=a&z={}", vec!["0.5"; MAX_LATENT + 1].join(","));
        assert!(
            parse_hash(&long).unwrap().z.is_empty(),
            "at most {MAX_LATENT} values"
        );
    }
}
