//! How the training panel words a run, in the page's language: its progress line, a kind of
//! model's name in the settings' menu, and what a kind's width setting means.

use super::lang::Lang;
use crate::ml::model::ModelKind;
use crate::ml::train::EPOCH_RANGE;
use crate::protocol::{Progress, RunState};

/// Seconds as "1:05" or "1:02:05".
pub fn clock_text(seconds: f64) -> String {
    let s = seconds.max(0.0).round() as u64;
    if s >= 3600 {
        format!("{}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60)
    } else {
        format!("{}:{:02}", s / 60, s % 60)
    }
}

/// A kind of model's name, as the settings' menu shows it.
pub fn kind_label(kind: ModelKind, lang: Lang) -> &'static str {
    match (kind, lang) {
        (ModelKind::Autoencoder, Lang::Zh) => "自编码器",
        (kind, _) => kind.label(),
    }
}

/// What a kind's `hidden` setting means, with its range.
pub fn hidden_words(kind: ModelKind, lang: Lang) -> String {
    let (min, max) = kind.hidden_range();
    match lang {
        Lang::En => format!(
            "{} of the {} ({min} to {max})",
            kind.width_meaning(),
            kind.label()
        ),
        Lang::Zh => {
            let meaning = match kind {
                ModelKind::MlpVae | ModelKind::Autoencoder => "每个全连接层的隐藏单元数",
                ModelKind::ConvVae => "第一个卷积层的通道数",
            };
            let name = match kind {
                ModelKind::MlpVae | ModelKind::ConvVae => format!("{} 模型", kind.label()),
                ModelKind::Autoencoder => "自编码器".to_string(),
            };
            format!("{name}{meaning}（{min} 到 {max}）")
        }
    }
}

/// The batch field's hint; `one_step` when the whole training set (`set`, in words: "8,000
/// training digits") fits in one batch, so that an epoch is a single step.
pub fn batch_hint(one_step: bool, set: &str, l: Lang) -> String {
    if one_step {
        l.text(
            format!("pictures per step; all {set} fit in one step, so an epoch is one step: a smaller batch takes more"),
            format!("每步用的图片数；全部 {set}一步就能用完，所以一轮只有一步：批大小越小，每轮的步数越多"),
        )
    } else {
        l.text("pictures per step", "每步用的图片数").to_string()
    }
}

/// The epochs field's hint, with its range.
pub fn epochs_hint(set: &str, l: Lang) -> String {
    let (min, max) = (EPOCH_RANGE.start(), EPOCH_RANGE.end());
    l.text(
        format!("passes over the {set} ({min} to {max})"),
        format!("把全部 {set}过一遍的次数（{min} 到 {max}）"),
    )
}

/// The per-epoch curves' names (their `data-name`, English) and labels (in `l`): the test
/// set's −ELBO, reconstruction and KL, or, for a set too small for a test split (`on_test`
/// false), the training images' — the legend says so, since those measure fit, not
/// generalisation.
pub fn epoch_series_names(on_test: bool, l: Lang) -> [(&'static str, &'static str); 3] {
    let names = if on_test {
        ["test −ELBO", "test recon", "test KL"]
    } else {
        [
            "−ELBO (training images)",
            "recon (training)",
            "KL (training)",
        ]
    };
    let labels = match (l, on_test) {
        (Lang::En, _) => names,
        (Lang::Zh, true) => ["测试集 −ELBO", "测试集重建", "测试集 KL"],
        (Lang::Zh, false) => ["−ELBO（训练图片）", "重建（训练图片）", "KL（训练图片）"],
    };
    [0, 1, 2].map(|i| (names[i], labels[i]))
}

/// The line under the progress bar: state, epoch and step, the recent `loss` (the mean of the
/// last steps, when there are any), β while it warms up to `target_beta`, speed and time left.
pub fn progress_line(p: &Progress, loss: Option<f32>, target_beta: f64, l: Lang) -> String {
    let eta = p
        .eta_seconds
        .map(|s| {
            l.text(
                format!(" · ETA {}", clock_text(s)),
                format!(" · 预计剩余 {}", clock_text(s)),
            )
        })
        .unwrap_or_default();
    let state = match p.state {
        RunState::Running => l.text("training", "训练中"),
        RunState::Paused => l.text("paused", "已暂停"),
        RunState::Diverged => l.text("stopped: diverged", "已停止：发散"),
        RunState::Finished => l.text("finished", "已完成"),
    };
    let loss = loss
        .map(|loss| l.text(format!(" · loss {loss:.1}"), format!(" · 损失 {loss:.1}")))
        .unwrap_or_default();
    let warming = if p.beta < target_beta - 1e-9 {
        l.text(
            format!(" · β {:.2} of {target_beta} (KL warm-up)", p.beta),
            format!(" · β {:.2}/{target_beta}（KL 预热）", p.beta),
        )
    } else {
        String::new()
    };
    let (epoch, epochs, step, total, rate) = (
        (p.epochs_done + 1).min(p.epochs),
        p.epochs,
        p.step,
        p.total_steps,
        p.samples_per_sec,
    );
    l.text(
        format!(
            "{state} · epoch {epoch} of {epochs} · step {step} of {total}{loss}{warming} · {rate:.0} samples/s{eta}"
        ),
        format!(
            "{state} · 第 {epoch}/{epochs} 轮 · 第 {step}/{total} 步{loss}{warming} · {rate:.0} 样本/秒{eta}"
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_progress_line_says_state_epoch_step_loss_warm_up_speed_and_time_left() {
        let p = Progress {
            run: 1,
            state: RunState::Running,
            epochs_done: 2,
            epochs: 10,
            step: 200,
            total_steps: 630,
            steps_per_epoch: 63,
            step_in_epoch: 11,
            samples_per_sec: 4321.4,
            eta_seconds: Some(65.0),
            beta: 0.5,
            losses: Vec::new(),
        };
        assert_eq!(
            progress_line(&p, Some(123.46), 1.0, Lang::En),
            "training · epoch 3 of 10 · step 200 of 630 · loss 123.5 · β 0.50 of 1 (KL warm-up) · 4321 samples/s · ETA 1:05"
        );
        assert_eq!(
            progress_line(&p, None, 0.5, Lang::Zh),
            "训练中 · 第 3/10 轮 · 第 200/630 步 · 4321 样本/秒 · 预计剩余 1:05"
        );
    }

    #[test]
    fn the_curves_keep_their_english_names_whatever_their_labels_say() {
        let en = epoch_series_names(true, Lang::En);
        let zh = epoch_series_names(true, Lang::Zh);
        assert_eq!(en.map(|(name, _)| name), zh.map(|(name, _)| name));
        assert_eq!(zh[0].1, "测试集 −ELBO");
        assert_eq!(epoch_series_names(false, Lang::En)[1].0, "recon (training)");
    }

    #[test]
    fn clocks_read_minutes_then_hours() {
        assert_eq!(clock_text(65.0), "1:05");
        assert_eq!(clock_text(3725.0), "1:02:05");
        assert_eq!(clock_text(-3.0), "0:00");
    }

    #[test]
    fn every_kind_is_named_and_its_width_explained_in_both_languages() {
        for kind in ModelKind::ALL {
            for lang in Lang::ALL {
                assert!(!kind_label(kind, lang).is_empty());
                let (min, max) = kind.hidden_range();
                let words = hidden_words(kind, lang);
                assert!(
                    words.contains(&min.to_string()) && words.contains(&max.to_string()),
                    "{words}"
                );
            }
        }
    }
}
