//! A message made once and shown for as long as it stands (a refused file, a training problem,
//! a note from the library), in every language the page speaks: both versions are written when
//! the message is made, so a switch of language afterwards changes it too. A string made in
//! the language of its moment stayed in that language until it was replaced.
//!
//! Messages that cross from a worker are `Said` as well (serde), so the page never has to tell
//! a worker which language it speaks.

use serde::{Deserialize, Serialize};

use super::lang::Lang;

/// A message in English and in Simplified Chinese. The fields are public so that one message
/// can be put inside another, each language into its own (`Said::within` for the usual one, the
/// fields when a message holds two).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Said {
    pub en: String,
    pub zh: String,
}

impl Said {
    /// Both versions side by side.
    pub fn new(en: impl Into<String>, zh: impl Into<String>) -> Self {
        Self {
            en: en.into(),
            zh: zh.into(),
        }
    }

    /// The message as `words` says it in each language: called once per language, at once.
    pub fn of(words: impl Fn(Lang) -> String) -> Self {
        Self {
            en: words(Lang::En),
            zh: words(Lang::Zh),
        }
    }

    /// Text that reads the same in every language: a browser's own error, a file's name.
    pub fn plain(text: impl Into<String>) -> Self {
        let text = text.into();
        Self {
            en: text.clone(),
            zh: text,
        }
    }

    /// The message in `lang`.
    pub fn get(&self, lang: Lang) -> &str {
        lang.text(&self.en, &self.zh)
    }

    /// A message that says this one inside it, each language into its own:
    /// `why.within(|w| format!("Not added: {w}."), |w| format!("未添加：{w}。"))`.
    pub fn within(&self, en: impl FnOnce(&str) -> String, zh: impl FnOnce(&str) -> String) -> Self {
        Self {
            en: en(&self.en),
            zh: zh(&self.zh),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_language_reads_its_own_version() {
        let said = Said::of(|l| l.text("refused", "拒绝").to_string());
        assert_eq!(said.get(Lang::En), "refused");
        assert_eq!(said.get(Lang::Zh), "拒绝");
        assert_eq!(said, Said::new("refused", "拒绝"));
    }

    #[test]
    fn a_message_within_another_goes_into_each_language_its_own() {
        let why = Said::new("the file is empty", "文件是空的");
        let said = why.within(|w| format!("Not added: {w}."), |w| format!("未添加：{w}。"));
        assert_eq!(
            said,
            Said::new("Not added: the file is empty.", "未添加：文件是空的。")
        );
    }

    #[test]
    fn plain_text_is_the_same_in_every_language() {
        let said = Said::plain("NotAllowedError");
        for lang in Lang::ALL {
            assert_eq!(said.get(lang), "NotAllowedError");
        }
    }
}
