//! What the worker says, and what the page does about it: progress and curves of the current
//! run, its epochs, its snapshots (kept in the library, followed by the explorer, stored for a
//! reload), and its errors.

use super::{now_ms, RunCodes, Training, MAX_LOSSES, PERSIST_EVERY_MS};
use crate::protocol::{wasm_memory_bytes, Event, ResumeAt, RunState};
use crate::ui_logic::said::Said;
use crate::ui_logic::words::config_words;
use leptos::prelude::*;

impl Training {
    pub(super) fn on_event(self, event: Event) {
        let pong = match event {
            Event::Pong { n, .. } => Some(n),
            _ => None,
        };
        self.heartbeat.update_value(|b| b.heard(now_ms(), pong));
        // Every event is handled here by name: a new kind of event must be given a place.
        match event {
            Event::Pong { n, memory_bytes } => {
                self.memory.set(Some((wasm_memory_bytes(), memory_bytes)));
                self.last_pong.set(n);
            }
            Event::Ready { version } => self.on_ready(version),
            Event::Threads { threads, why_one } => self.threads.set(Some((threads, why_one))),
            Event::DataReady { dataset, .. } => self.on_data_ready(&dataset),
            Event::DataUnavailable { message } => self.on_data_unavailable(message),
            // Read in a task of its own: decoding the message (1.6 MB) has had this one, and
            // the two together made one long task on a phone.
            Event::TestDigits { file } => {
                crate::ui::clock::spawn_after_this_task(async move { self.on_test_digits(&file) })
            }
            Event::Progress(mut progress) => {
                if !self.is_current(progress.run) {
                    return;
                }
                let losses = std::mem::take(&mut progress.losses);
                if !losses.is_empty() {
                    self.losses.update(|all| {
                        all.extend(losses);
                        if all.len() > MAX_LOSSES {
                            let mut keep = false;
                            all.retain(|_| {
                                keep = !keep;
                                keep
                            });
                        }
                    });
                }
                self.progress.set(Some(progress));
            }
            Event::Epoch { run, report } => {
                if self.is_current(run) {
                    self.reports.update(|r| r.push(report));
                }
            }
            Event::TestCodes {
                run,
                epoch,
                latent,
                codes,
            } => {
                if self.is_current(run) {
                    let codes = RunCodes::from_bytes(epoch, latent, &codes);
                    self.test_codes.set(Some(codes));
                }
            }
            Event::Snapshot {
                run,
                step,
                epochs_done,
                step_in_epoch,
                weights,
            } => {
                if self.is_current(run) {
                    let at = ResumeAt {
                        epochs_done,
                        steps: step.saturating_sub(step_in_epoch),
                    };
                    self.on_snapshot(at, weights);
                }
            }
            Event::Error { run, message } => {
                if run.is_none() && self.data_refused(&message) {
                    return;
                }
                // An error of no run in particular (a message the worker could not read, a
                // crash) always concerns the page.
                if run.is_none_or(|run| self.is_current(run)) {
                    self.message.set(Some(message.into()));
                }
            }
        }
    }

    /// New weights of the current run, which a continued run would go on from at `at`.
    fn on_snapshot(self, at: ResumeAt, weights: Vec<u8>) {
        let epochs_done = at.epochs_done;
        let Some(plan) = self.plan.get_untracked() else {
            return;
        };
        // Switching data ends a run, so the data in use now is the run's.
        let data = self
            .lab
            .own_data
            .with_untracked(|d| d.as_ref().map(|d| d.name.clone()));
        let epochs = plan.epochs;
        let name = Said::of(|l| {
            let on = data.as_ref().map_or(String::new(), |d| {
                l.text(format!(" on “{d}”"), format!("，数据：“{d}”"))
            });
            let model = config_words(&plan.model, l);
            l.text(
                format!("{model} · trained here{on}, {epochs_done}/{epochs} epochs"),
                format!("{model} · 本页训练{on}，{epochs_done}/{epochs} 轮"),
            )
        });
        if let Err(message) = self.library.update_run(
            self.lab,
            &plan.entry_id,
            name,
            weights,
            self.follow.get_untracked(),
        ) {
            self.message.set(Some(message.into()));
            return;
        }
        self.snapshot_at.set_value(Some(at));
        let settled = matches!(
            self.state_untracked(),
            Some(RunState::Paused | RunState::Finished | RunState::Diverged)
        );
        let now = now_ms();
        if settled || now - self.persisted_ms.get_value() >= PERSIST_EVERY_MS {
            self.persisted_ms.set_value(now);
            self.persist();
        }
    }
}
