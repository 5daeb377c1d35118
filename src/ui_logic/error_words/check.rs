//! A test's check that a message reads as Chinese: Chinese characters, and no English left in
//! it but the names that stay Latin in Chinese text too (the project's, formats', commands',
//! symbols') and what the message quotes verbatim (a file's name, a library's text).

use crate::ml::checkpoint;
use crate::ml::dataset::file;

/// Names that stay as they are in Chinese text, removed before looking for English. The
/// longer ones first, so that "Latent Lab" goes before a shorter name could split it.
const STAYS_LATIN: &[&str] = &[
    file::FORMAT,
    checkpoint::FORMAT,
    "`node www/build-digits.mjs`",
    "SharedArrayBuffer",
    "JSON",
    ".safetensors",
    "safetensors",
    "tools/serve",
    "COOP/COEP",
    "Latent Lab",
    "\"format\"",
    "LLDIGITS",
    "MLP-VAE",
    "Conv-VAE",
    "mlp-vae",
    "conv-vae",
    "MNIST",
    "ELBO",
    "MIG",
    "RGBA",
    "bf16",
    "NaN",
    "f32",
    "f16",
    "f64",
    "zip",
    "KL",
    "MB",
];

/// Words that stay Latin only as whole words: a kind's id ("ae") and the latent variable ("z").
const LATIN_WORDS: &[&str] = &["ae", "z"];

/// Whether `word` (letters and digits) is a number in scientific notation: "1e" of "1e-3",
/// "35e5" of "2.35e5".
fn is_scientific(word: &str) -> bool {
    word.starts_with(|c: char| c.is_ascii_digit())
        && word.chars().filter(char::is_ascii_alphabetic).eq(['e'])
}

/// The English words left in `text` once what stays Latin and `quoted` are taken out.
pub(crate) fn english_in(text: &str, quoted: &[&str]) -> Vec<String> {
    let mut rest = text.to_string();
    for part in quoted.iter().chain(STAYS_LATIN) {
        rest = rest.replace(part, " ");
    }
    rest.split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| w.chars().any(|c| c.is_ascii_alphabetic()))
        .filter(|w| !LATIN_WORDS.contains(w) && !is_scientific(w))
        .map(str::to_string)
        .collect()
}

/// Panics unless `text` has Chinese characters and no English but what [`english_in`] allows.
pub(crate) fn assert_reads_as_chinese(text: &str, quoted: &[&str]) {
    assert!(
        text.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)),
        "no Chinese in: {text}"
    );
    let english = english_in(text, quoted);
    assert!(english.is_empty(), "English {english:?} in: {text}");
}

#[test]
fn english_is_found_and_names_numbers_and_quotes_are_not() {
    assert_eq!(
        english_in(
            "学习率 1e-3 在 Latent Lab 里是 f32：“a.png” z=2",
            &["a.png"]
        ),
        Vec::<String>::new()
    );
    assert_eq!(
        english_in("模型 could not 载入 ae", &[]),
        vec!["could", "not"]
    );
}
