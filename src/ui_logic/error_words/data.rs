//! The errors of data in Chinese: the built-in digits file, datasets and their files, zip
//! archives of pictures, and a picture fitted to a dataset's shape.

use super::{flaw, in_lang, sides_zh, Worded};
use crate::ml::data::{DataError, FORMAT_VERSION};
use crate::ml::dataset::archive::{ArchiveError, MAX_ENTRIES, MAX_UNZIPPED_BYTES};
use crate::ml::dataset::fit::FitError;
use crate::ml::dataset::{file, DatasetError, MAX_BYTES};
use crate::ui_logic::lang::Lang;
use crate::ui_logic::words::shape_words;

/// What the English says of a broken digits file: how to make it again.
const REBUILD_ZH: &str = "请用 `node www/build-digits.mjs` 重新生成";

impl Worded for DataError {
    fn worded(&self, lang: Lang) -> String {
        in_lang(self, lang, |e| match e {
            DataError::TooShort { found } => {
                format!("数字数据文件只有 {found} 字节，连 24 字节的文件头都装不下；{REBUILD_ZH}")
            }
            DataError::WrongMagic => {
                format!("这不是 Latent Lab 的数字数据文件（它的开头不是 LLDIGITS）；{REBUILD_ZH}")
            }
            DataError::UnsupportedVersion { found } => format!(
                "数字数据文件的格式版本是 {found}，而这个版本的程序只读取版本 {FORMAT_VERSION}；\
                 {REBUILD_ZH}"
            ),
            DataError::WrongImageSize { rows, cols } => {
                format!("数字数据文件里的图像是 {rows}×{cols} 的，而 Latent Lab 需要 28×28")
            }
            DataError::Empty => "数字数据文件里一个数字也没有".to_string(),
            DataError::Truncated { expected, found } => format!(
                "数字数据文件不完整：文件头表明它有 {expected} 字节，实际只有 {found} 字节；\
                 请重新生成或重新下载"
            ),
            DataError::TrailingBytes { expected, found } => format!(
                "数字数据文件的大小不对：文件头表明它有 {expected} 字节，实际却有 {found} 字节"
            ),
            DataError::LabelOutOfRange { index, label } => {
                format!("第 {index} 个数字的标签是 {label}，但标签只能是 0 到 9；文件已损坏")
            }
        })
    }
}

impl Worded for DatasetError {
    fn worded(&self, lang: Lang) -> String {
        in_lang(self, lang, |e| match e {
            DatasetError::UnsupportedSide { side } => {
                format!("不支持边长为 {side} 的图片：请选择 {}", sides_zh())
            }
            DatasetError::Empty => "数据集里没有图片".to_string(),
            DatasetError::TooManyImages { count, cap } => format!(
                "{count} 张图片超出了这里一个数据集能容纳的数量（{cap} 张）；请只保留前 {cap} 张"
            ),
            DatasetError::TooManyBytes { bytes, cap } => format!(
                "这些图片共占 {bytes} 字节，超出了 {MAX_BYTES} 字节的上限；\
                 按这种形状，只能放下前 {cap} 张"
            ),
            DatasetError::WrongImageBytes {
                count,
                shape,
                expected,
                found,
            } => format!(
                "图像数据有 {found} 字节，而 {count} 张 {}图片需要 {expected} 字节",
                shape_words(*shape, lang)
            ),
            DatasetError::WrongLabelCount { labels, count } => {
                format!("{count} 张图片却有 {labels} 个标签；每张图片必须恰好有一个标签")
            }
            DatasetError::LabelOutOfRange {
                index,
                label,
                names,
            } => format!("第 {index} 张图片的标签是 {label}，但一共只有 {names} 个标签名"),
            DatasetError::NoName => "数据集需要一个名字".to_string(),
            DatasetError::NoLabel => "每幅画都需要一个标签：请输入它画的是什么".to_string(),
            DatasetError::Truncated { detail } => format!(
                "文件不完整（{}）；它可能没有下载完，或没有保存完",
                flaw(detail, lang)
            ),
            DatasetError::NotSafetensors { detail } => format!(
                "这不是 safetensors 文件（{}）；请选择由 Latent Lab 保存的数据集文件",
                flaw(detail, lang)
            ),
            DatasetError::Corrupt { detail } => {
                format!("数据集文件已损坏：{}", flaw(detail, lang))
            }
            DatasetError::NotADataset => format!(
                "这个 safetensors 文件不是 Latent Lab 的数据集（它的元数据里没有 \
                 \"format\": \"{}\"）；模型文件请在“模型”选择器中载入",
                file::FORMAT
            ),
            DatasetError::FromTheFuture { found } => format!(
                "这个数据集文件的格式是“{found}”，来自更新版本的 Latent Lab；\
                 这个版本读取的是“{}”",
                file::FORMAT
            ),
            DatasetError::Malformed { detail } => format!("数据集文件有误：{detail}"),
        })
    }
}

impl Worded for ArchiveError {
    fn worded(&self, lang: Lang) -> String {
        in_lang(self, lang, |e| match e {
            ArchiveError::NotZip { detail } => {
                format!("这不是 Latent Lab 能读取的 zip 压缩包（{detail}）")
            }
            ArchiveError::Encrypted { path } => {
                format!("压缩包有密码保护（“{path}”已加密）；请先解压，再导入解压出来的文件夹")
            }
            ArchiveError::TooLarge { declared } => format!(
                "压缩包声明解压后有 {declared} 字节，超过了一次导入所能接受的 \
                 {MAX_UNZIPPED_BYTES} 字节；没有解压任何文件"
            ),
            ArchiveError::TooManyEntries { count } => {
                format!("压缩包里列出了 {count} 个条目，超过了一次导入所能接受的 {MAX_ENTRIES} 个")
            }
            ArchiveError::Overlapping => {
                "压缩包里的文件相互重叠（这是 zip 炸弹的惯用伎俩）；没有解压任何文件".to_string()
            }
            ArchiveError::Damaged { path, detail } => {
                format!("压缩包已损坏：“{path}”（{detail}）")
            }
        })
    }
}

impl Worded for FitError {
    fn worded(&self, lang: Lang) -> String {
        in_lang(self, lang, |e| match e {
            FitError::Empty { width, height } => {
                format!("图片是空的（{width}×{height}）")
            }
            FitError::WrongLength {
                width,
                height,
                expected,
                found,
            } => format!("{width}×{height} 的图片应有 {expected} 个 RGBA 字节，而不是 {found} 个"),
        })
    }
}
