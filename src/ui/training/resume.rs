//! A run kept across reloads: its settings, progress and curves are written to IndexedDB beside
//! its weights, and brought back (paused, ready to resume) when the page opens again.

use leptos::prelude::*;

use super::{now_ms, DataStatus, Plan, Training};
use crate::protocol::{thin_losses, RunState};
use crate::ui::storage::{self, StoredRun};
use crate::ui_logic::notice::Notice;
use crate::ui_logic::said::Said;
use crate::ui_logic::words::config_words;

/// Step losses written to IndexedDB with a run (thinned evenly): plenty for a smoothed chart.
const STORED_LOSSES: usize = 2_000;

impl Training {
    /// Brings back the last run saved in this browser (after a reload): its curves, and its
    /// snapshot ready to continue. Call once the library has been restored.
    pub async fn restore_run(self) {
        self.bring_back_last_run().await;
        self.restore_checked.set(true);
    }

    async fn bring_back_last_run(self) {
        let stored = match storage::latest_run().await {
            Ok(Some(stored)) => stored,
            Ok(None) => return,
            Err(e) => {
                self.message.set(Some(
                    e.within(
                        |why| format!("The last training run cannot be shown: {why}."),
                        |why| format!("上次的训练无法显示：{why}。"),
                    )
                    .into(),
                ));
                return;
            }
        };
        let known = self
            .library
            .entries
            .with_untracked(|list| list.iter().any(|e| e.id == stored.id));
        if !known || self.plan.with_untracked(Option::is_some) {
            return; // its model was deleted, or a new run has started meanwhile
        }
        let in_use = self
            .lab
            .own_data
            .with_untracked(|d| d.as_ref().map(|d| d.id.clone()));
        if stored.dataset != in_use {
            // It trained on other data than the page uses now (the dataset in use comes back
            // before this): it would go on with the wrong pictures. It stays kept for when its
            // data is in use again.
            return;
        }
        let run = self.last_run.get_value() + 1;
        self.last_run.set_value(run);
        let mut progress = stored.progress;
        progress.run = run;
        if progress.state == RunState::Running {
            progress.state = RunState::Paused;
        }
        progress.samples_per_sec = 0.0;
        progress.eta_seconds = None;
        let finished = progress.state == RunState::Finished;
        self.plan.set(Some(Plan {
            run,
            model: stored.model,
            train: stored.train,
            epochs: stored.epochs,
            entry_id: stored.id,
            dataset: stored.dataset,
        }));
        self.losses.set(stored.losses);
        self.reports.set(stored.reports);
        self.progress.set(Some(progress));
        self.snapshot_at.set_value(Some(stored.at));
        self.persisted_ms.set_value(now_ms());
        if finished {
            return;
        }
        self.detached.set(true);
        let (done, epochs, steps) = (stored.at.epochs_done, stored.epochs, stored.at.steps);
        self.message.set(Some(Notice::info(Said::of(|l| {
            let model = config_words(&stored.model, l);
            l.text(
                format!(
                    "The run from your last visit is back: {model}, {done} of {epochs} epochs, step {steps}. Press Resume to go on training it."
                ),
                format!(
                    "上次访问时的训练已恢复：{model}，已完成 {done}/{epochs} 轮，第 {steps} 步。按“继续”即可接着训练。"
                ),
            )
        }))));
        if self.worker_ready.get_untracked() && self.data.get_untracked() == DataStatus::Ready {
            self.attach(true);
        }
    }

    /// Writes the run's newest weights and its record (settings, where the weights were taken,
    /// progress, curves) to IndexedDB, in one transaction. Both are taken now, before anything
    /// else can happen, so they agree; a page closed mid-write keeps both or neither.
    pub(super) fn persist(self) {
        let Some(record) = self.run_record() else {
            return;
        };
        // A run on a dataset of one's own is kept with its dataset's id: after a reload it comes
        // back only while that dataset is in use again (`bring_back_last_run`).
        let Some(model) = self.library.to_keep(&record.id) else {
            return;
        };
        leptos::task::spawn_local(async move {
            if let Err(e) = storage::put_model_and_run(&model, &record).await {
                self.message.set(Some(
                    e.within(
                        |why| {
                            format!(
                                "The trained model and its curves could not be kept for the next \
                             visit: {why}."
                            )
                        },
                        |why| {
                            format!("训练好的模型及其曲线没能保存下来，下次访问时将不可用：{why}。")
                        },
                    )
                    .into(),
                ));
            }
        });
    }

    /// Forgets the saved record of the run (its model stays in the library).
    pub(super) fn forget_saved_run(self, id: String) {
        let message = self.message;
        leptos::task::spawn_local(async move {
            if let Err(e) = storage::delete_run(&id).await {
                message.set(Some(
                    e.within(
                        |why| {
                            format!("The reset run could not be removed from this browser: {why}.")
                        },
                        |why| format!("已重置的训练没能从这个浏览器中删除：{why}。"),
                    )
                    .into(),
                ));
            }
        });
    }

    fn run_record(self) -> Option<StoredRun> {
        let (Some(plan), Some(progress), Some(at)) = (
            self.plan.get_untracked(),
            self.progress.get_untracked(),
            self.snapshot_at.get_value(),
        ) else {
            return None;
        };
        Some(StoredRun {
            id: plan.entry_id,
            model: plan.model,
            train: plan.train,
            epochs: plan.epochs,
            at,
            progress,
            losses: self
                .losses
                .with_untracked(|l| thin_losses(l, STORED_LOSSES)),
            reports: self.reports.get_untracked(),
            saved_ms: now_ms(),
            dataset: plan.dataset,
        })
    }
}
