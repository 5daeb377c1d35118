//! What an import of one's own pictures made, in the page's language: the dataset, its labels,
//! and what was kept and passed over (the English is `Tally::describe`'s, which the native
//! trainer prints too).

use super::lang::Lang;
use super::words::shape_words;
use crate::ml::dataset::import::{Passed, Tally};
use crate::ml::dataset::Dataset;

/// What an import kept and passed over, with the first file of each kind passed over.
pub fn tally_words(tally: &Tally, lang: Lang) -> String {
    if lang == Lang::En {
        return tally.describe();
    }
    let example = |why: Passed| {
        tally
            .examples
            .iter()
            .find(|(w, _)| *w == why)
            .map(|(_, path)| format!("（{path}）"))
            .unwrap_or_default()
    };
    let passed: Vec<String> = [
        (tally.duplicates, Passed::Duplicate, "张重复的图片"),
        (tally.not_pictures, Passed::NotAPicture, "个不是图片的文件"),
        (tally.unreadable, Passed::Unreadable, "张无法读取的图片"),
        (tally.over_the_cap, Passed::OverTheCap, "张超出上限的图片"),
    ]
    .into_iter()
    .filter(|(n, _, _)| *n > 0)
    .map(|(n, why, what)| format!("{n} {what}{}", example(why)))
    .collect();
    let kept = format!("保留了 {} 张图片", tally.kept);
    if passed.is_empty() {
        kept
    } else {
        format!("{kept}；跳过了：{}", passed.join("，"))
    }
}

/// The line under a finished import: the dataset's name, size and shape, the labels its
/// folders gave, and the tally.
pub fn import_summary(set: &Dataset, tally: &Tally, lang: Lang) -> String {
    let tally = tally_words(tally, lang);
    match lang {
        Lang::En => {
            let labels = set.labels().map_or(String::new(), |l| {
                format!(
                    "; {} labels from its folders: {}",
                    l.names.len(),
                    l.names.join(", ")
                )
            });
            format!(
                "“{}”: {} images of {}{labels}. {tally}.",
                set.name(),
                set.len(),
                set.shape(),
            )
        }
        Lang::Zh => {
            let labels = set.labels().map_or(String::new(), |l| {
                format!(
                    "；来自文件夹的 {} 个标签：{}",
                    l.names.len(),
                    l.names.join("、")
                )
            });
            format!(
                "“{}”：{} 张 {} 图片{labels}。{tally}。",
                set.name(),
                set.len(),
                shape_words(set.shape(), lang),
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tally_reads_in_english_as_the_trainer_prints_it_and_in_chinese_with_its_examples() {
        let tally = Tally {
            kept: 40,
            duplicates: 2,
            not_pictures: 1,
            examples: vec![(Passed::NotAPicture, "notes/readme.md".into())],
            ..Tally::default()
        };
        assert_eq!(tally_words(&tally, Lang::En), tally.describe());
        assert_eq!(
            tally_words(&tally, Lang::Zh),
            "保留了 40 张图片；跳过了：2 张重复的图片，1 个不是图片的文件（notes/readme.md）"
        );
        assert_eq!(
            tally_words(
                &Tally {
                    kept: 3,
                    ..Tally::default()
                },
                Lang::Zh
            ),
            "保留了 3 张图片"
        );
    }
}
