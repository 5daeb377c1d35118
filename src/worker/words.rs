//! Why the training worker lacks something, kept as what happened rather than as text, and
//! worded in both languages whenever it is said: why the built-in digits are not there (said
//! when they fail to load, and again by every Start that needs them) and why training keeps to
//! one thread.

use crate::ml::data::DataError;
use crate::ui_logic::error_words::Worded;
use crate::ui_logic::lang::Lang;

/// Why the built-in digits could not be loaded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DigitsProblem {
    /// The request itself failed (offline, blocked).
    Unreachable { url: String },
    /// The server answered with an error status.
    Refused { url: String, status: u16 },
    /// The answer could not be read to its end.
    Unread { url: String },
    /// What came is not a digits file.
    Invalid(DataError),
}

impl DigitsProblem {
    pub fn words(&self, lang: Lang) -> String {
        match self {
            DigitsProblem::Unreachable { url } => {
                lang.text(format!("could not fetch {url}"), format!("无法获取 {url}"))
            }
            DigitsProblem::Refused { url, status } => lang.text(
                format!("{url}: the server answered {status}"),
                format!("{url}：服务器返回了 {status}"),
            ),
            DigitsProblem::Unread { url } => {
                lang.text(format!("could not read {url}"), format!("无法读取 {url}"))
            }
            DigitsProblem::Invalid(e) => e.worded(lang),
        }
    }
}

/// Why training runs on one thread, not two (the panel says "Training uses one thread: …").
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OneThread {
    /// The page is not cross-origin isolated, so memory cannot be shared.
    NotIsolated,
    /// The browser offers workers no `SharedArrayBuffer`.
    NoSharedMemory,
    SingleCore,
    /// The worker cannot tell the address to start its helper from.
    NoAddress,
    /// The browser refused to start the helper (its words).
    CannotStart(String),
    /// The helper stopped on an error (the browser's words).
    Stopped(String),
    /// The helper failed a job, and the run went on alone.
    Failed,
    /// The helper stopped answering, and the run went on alone.
    Silent,
}

impl OneThread {
    pub fn words(&self, lang: Lang) -> String {
        match self {
            OneThread::NotIsolated => lang.text(
                "this page is not cross-origin isolated (its server does not send the COOP/COEP \
                 headers tools/serve sends), so a second thread cannot share the model's memory",
                "这个页面没有启用跨源隔离（它的服务器没有发送 tools/serve 会发送的 COOP/COEP \
                 响应头），所以第二个线程无法共享模型的内存",
            ).to_string(),
            OneThread::NoSharedMemory => lang.text(
                "this browser does not let workers share memory (it has no SharedArrayBuffer \
                 here), so a second thread cannot share the model's memory",
                "这个浏览器不让后台线程共享内存（这里没有 SharedArrayBuffer），\
                 所以第二个线程无法共享模型的内存",
            ).to_string(),
            OneThread::SingleCore => lang
                .text("this device reports a single core", "这台设备只报告了一个处理器核心")
                .to_string(),
            OneThread::NoAddress => lang
                .text("the worker does not know its own address", "训练线程不知道自己的地址")
                .to_string(),
            OneThread::CannotStart(why) => lang.text(
                format!("the helper worker cannot start: {why}"),
                format!("辅助线程无法启动：{why}"),
            ),
            OneThread::Stopped(why) => lang.text(
                format!("the helper worker stopped: {why}"),
                format!("辅助线程已停止：{why}"),
            ),
            OneThread::Failed => lang
                .text(
                    "the helper worker failed (its console says why), so training went on with one",
                    "辅助线程出错了（原因见它的控制台），所以训练改用一个线程继续",
                )
                .to_string(),
            OneThread::Silent => lang
                .text(
                    "the helper worker stopped answering, so training went on with one",
                    "辅助线程不再响应，所以训练改用一个线程继续",
                )
                .to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ui_logic::error_words::check::assert_reads_as_chinese;

    const URL: &str = "assets/digits.bin";
    const BROWSER: &str = "SecurityError: blocked";

    #[test]
    fn every_reason_reads_in_both_languages_and_the_english_is_unchanged() {
        let digits = [
            DigitsProblem::Unreachable { url: URL.into() },
            DigitsProblem::Refused {
                url: URL.into(),
                status: 404,
            },
            DigitsProblem::Unread { url: URL.into() },
            DigitsProblem::Invalid(DataError::WrongMagic),
        ];
        for problem in &digits {
            assert_reads_as_chinese(&problem.words(Lang::Zh), &[URL]);
        }
        assert_eq!(
            digits[1].words(Lang::En),
            "assets/digits.bin: the server answered 404"
        );
        assert_eq!(digits[3].words(Lang::En), DataError::WrongMagic.to_string());
        let one = [
            OneThread::NotIsolated,
            OneThread::NoSharedMemory,
            OneThread::SingleCore,
            OneThread::NoAddress,
            OneThread::CannotStart(BROWSER.into()),
            OneThread::Stopped(BROWSER.into()),
            OneThread::Failed,
            OneThread::Silent,
        ];
        for why in &one {
            assert_reads_as_chinese(&why.words(Lang::Zh), &[BROWSER]);
            assert!(!why.words(Lang::En).is_empty());
        }
        assert_eq!(
            OneThread::SingleCore.words(Lang::En),
            "this device reports a single core"
        );
    }
}
