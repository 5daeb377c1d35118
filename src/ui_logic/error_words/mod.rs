//! The model core's errors in the page's language. Every error of `crate::ml` says in English
//! what went wrong and what to do (its `thiserror` message, which the native trainer prints
//! too); [`Worded::worded`] gives that message in either of the page's languages, and
//! [`Worded::said`] in both at once, for a message that stands (the workers send theirs so).
//!
//! English stays written once, in the error's own attribute: `worded(Lang::En)` is its
//! `Display`. The Chinese is written here, one exhaustive `match` per error type (no catch-all
//! arm), so a new variant does not compile until it has its Chinese. An error inside another is
//! worded in the same language; a library's own text (candle's, a file's details) is kept as it
//! is, inside a Chinese sentence.
//!
//! Terms follow Chinese teaching material on VAEs, as the page does (`ui::i18n`): 变分自编码器,
//! 编码器/解码器, 潜空间, 证据下界 ELBO, KL 散度, 学习率, 批大小, 轮 (epoch), 步 (step), 权重,
//! 检查点, 数据集.

mod data;
mod factors;
mod model;

#[cfg(test)]
pub(crate) mod check;
#[cfg(test)]
mod tests;

use std::fmt::Display;

use super::lang::Lang;
use super::said::Said;
use crate::ml::container::Flaw;

/// An error that can say what went wrong in either of the page's languages.
pub trait Worded {
    /// The message in `lang`: in English the error's own `Display`, in Chinese the same
    /// message, advice included.
    fn worded(&self, lang: Lang) -> String;

    /// The message in every language, for one that stands until replaced.
    fn said(&self) -> Said {
        Said::of(|lang| self.worded(lang))
    }
}

/// `error`'s own English, or the Chinese `zh` writes: what every [`Worded`] here does.
fn in_lang<E: Display>(error: &E, lang: Lang, zh: impl FnOnce(&E) -> String) -> String {
    match lang {
        Lang::En => error.to_string(),
        Lang::Zh => zh(error),
    }
}

/// A file's flaw ([`Flaw`]) in `lang`: inside a refusal of a model or a dataset file.
fn flaw(flaw: &Flaw, lang: Lang) -> String {
    in_lang(flaw, lang, |f| match f {
        Flaw::TextFile { start } => format!("它是一个文本文件，开头是 {start:?}"),
        Flaw::OnlyBytes { bytes } => format!("它只有 {bytes} 字节"),
        Flaw::HeaderPastEnd { declared, bytes } => {
            format!("它的文件头声称有 {declared} 字节，而整个文件只有 {bytes} 字节")
        }
        Flaw::AbsurdHeader { declared } => format!("它声明的文件头有 {declared} 字节"),
        Flaw::TensorsPastEnd => "它列出的张量与文件的大小对不上".to_string(),
        Flaw::HeaderNotJson => "它的文件头不是 safetensors 文件开头应有的 JSON".to_string(),
        // The library's own words: there is nothing to translate them from.
        Flaw::Other(words) => words.clone(),
    })
}

/// Items as Chinese lists them: "28、32 或 64", with `last` ("或", "和") before the last one.
fn list_zh(items: &[String], last: &str) -> String {
    match items.split_last() {
        Some((tail, [])) => tail.clone(),
        Some((tail, head)) => format!("{} {last} {tail}", head.join("、")),
        None => String::new(),
    }
}

/// The picture sides a model or dataset may have, in Chinese: "28、32 或 64".
fn sides_zh() -> String {
    let sides: Vec<String> = crate::ml::dataset::SIDES
        .iter()
        .map(usize::to_string)
        .collect();
    list_zh(&sides, "或")
}
