//! The page's two languages, English and Simplified Chinese, and which one a visit starts in:
//! the one a person chose before (kept in the browser), else the first of the browser's
//! preferred languages that the page speaks, else English. Any Chinese tag counts as Chinese:
//! a reader of Traditional characters reads Simplified far better than English, on average.

use serde::{Deserialize, Serialize};

/// A language the page is written in. The workers never need it: their messages come in both
/// (`super::said::Said`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum Lang {
    #[default]
    En,
    Zh,
}

impl Lang {
    /// Every language, in the order the switch lists them.
    pub const ALL: [Lang; 2] = [Lang::En, Lang::Zh];

    /// The BCP 47 tag the page's `<html lang>` carries, and the value kept for the next visit.
    pub fn tag(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Zh => "zh-CN",
        }
    }

    /// The language's name in itself, as the switch shows it.
    pub fn own_name(self) -> &'static str {
        match self {
            Lang::En => "English",
            Lang::Zh => "简体中文",
        }
    }

    /// The page's language for a browser's language tag ("en-GB", "zh-Hans-CN"), if it has one.
    pub fn from_tag(tag: &str) -> Option<Lang> {
        let primary = tag.split(['-', '_']).next()?.to_ascii_lowercase();
        match primary.as_str() {
            "en" => Some(Lang::En),
            "zh" => Some(Lang::Zh),
            _ => None,
        }
    }

    /// The language a visit starts in: the `kept` choice, else the first of the browser's
    /// `preferred` languages the page speaks, else English.
    pub fn pick(kept: Option<&str>, preferred: &[String]) -> Lang {
        kept.and_then(Lang::from_tag)
            .or_else(|| preferred.iter().find_map(|t| Lang::from_tag(t)))
            .unwrap_or(Lang::En)
    }

    /// `en` or `zh`, whichever is in this language: one text, both versions side by side.
    pub fn text<T>(self, en: T, zh: T) -> T {
        match self {
            Lang::En => en,
            Lang::Zh => zh,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tags(list: &[&str]) -> Vec<String> {
        list.iter().map(|t| t.to_string()).collect()
    }

    #[test]
    fn a_kept_choice_wins_over_the_browser() {
        assert_eq!(Lang::pick(Some("en"), &tags(&["zh-CN"])), Lang::En);
        assert_eq!(Lang::pick(Some("zh-CN"), &tags(&["en-US"])), Lang::Zh);
    }

    #[test]
    fn the_first_preferred_language_the_page_speaks_is_taken() {
        assert_eq!(
            Lang::pick(None, &tags(&["fr-FR", "zh-Hans-CN", "en"])),
            Lang::Zh
        );
        assert_eq!(Lang::pick(None, &tags(&["de", "en-GB", "zh"])), Lang::En);
        assert_eq!(Lang::pick(None, &tags(&["zh_TW"])), Lang::Zh);
    }

    #[test]
    fn english_when_nothing_matches_or_the_kept_value_is_unknown() {
        assert_eq!(Lang::pick(None, &tags(&["fr", "ja"])), Lang::En);
        assert_eq!(Lang::pick(None, &[]), Lang::En);
        assert_eq!(Lang::pick(Some("klingon"), &tags(&["zh"])), Lang::Zh);
    }

    #[test]
    fn every_language_reads_back_from_its_own_tag() {
        for lang in Lang::ALL {
            assert_eq!(Lang::from_tag(lang.tag()), Some(lang));
        }
    }
}
