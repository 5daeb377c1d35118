//! The data the worker trains on, seen from the page: the built-in digits or the page's own
//! dataset ([`Lab::own_data`](crate::ui::state::Lab)), sent with `Command::UseData`, sent again
//! to a worker that started afresh, and given up (back to the digits, with the reason) when the
//! worker refuses it.

use std::sync::Arc;

use leptos::prelude::*;

use super::{DataStatus, Training};
use crate::ml::data::ImageSet;
use crate::protocol::{Command, RunState};
use crate::ui_logic::error_words::Worded;
use crate::ui_logic::said::Said;
use crate::worker::runner::BUILT_IN_DATA;

impl Training {
    /// Trains from now on on the page's chosen data ([`Lab::own_data`], or the digits): the
    /// current run ends (its model stays in the library), and training waits for the worker
    /// to have the data.
    ///
    /// [`Lab::own_data`]: crate::ui::state::Lab
    pub fn use_chosen_data(&self) {
        if self.plan.with_untracked(Option::is_some) {
            self.reset();
        }
        self.data.set(DataStatus::Loading);
        self.data_pending.set_value(true);
        let file = self
            .lab
            .own_data
            .with_untracked(|d| d.as_ref().map(|d| d.file.to_vec()));
        self.send(Command::UseData { dataset: file });
    }

    /// Whether a run is under way that switching data would end (not finished).
    pub fn has_unfinished_run(&self) -> bool {
        self.plan.with_untracked(Option::is_some)
            && self.state_untracked() != Some(RunState::Finished)
    }

    /// The worker has `dataset`. A worker that started afresh (after a crash) has the digits:
    /// it is handed the page's own dataset again before a run goes on.
    pub(super) fn on_data_ready(self, dataset: &str) {
        let wanted = self
            .lab
            .own_data
            .with_untracked(|d| d.as_ref().map(|d| (d.name.clone(), d.file.clone())));
        match wanted {
            Some((name, file)) if name != dataset => {
                self.send(Command::UseData {
                    dataset: Some(file.to_vec()),
                });
                return;
            }
            None if dataset != BUILT_IN_DATA => {
                self.send(Command::UseData { dataset: None });
                return;
            }
            _ => {}
        }
        self.data_pending.set_value(false);
        self.data.set(DataStatus::Ready);
        if self.detached.get_untracked() {
            self.reattach();
        }
    }

    /// The worker's copy of the digits' test split ([`Event::TestDigits`]): the page's test
    /// digits (the plane's dots, the chapters' examples), shown unless a dataset of one's own
    /// is in use. A worker started afresh sends them again; the page keeps the first.
    ///
    /// [`Event::TestDigits`]: crate::protocol::Event::TestDigits
    pub(super) fn on_test_digits(self, file: &[u8]) {
        let lab = self.lab;
        if lab.digits_test.with_untracked(Option::is_some) {
            return;
        }
        match ImageSet::parse(file) {
            Ok(test) => {
                let test = Arc::new(test);
                lab.digits_test.set(Some(test.clone()));
                if lab.own_data.with_untracked(Option::is_none) {
                    lab.test.set(Some(test));
                }
                lab.test_error.set(None);
            }
            Err(e) => lab.test_error.set(Some(e.said())),
        }
    }

    /// The digits could not be loaded: no test digits either (the chapters that show them say
    /// why); a dataset of one's own does not need them.
    pub(super) fn on_data_unavailable(self, message: Said) {
        if self.lab.digits_test.with_untracked(Option::is_none) {
            self.lab.test_error.set(Some(message.clone()));
        }
        match self
            .lab
            .own_data
            .with_untracked(|d| d.as_ref().map(|d| d.file.clone()))
        {
            Some(file) => self.send(Command::UseData {
                dataset: Some(file.to_vec()),
            }),
            None => self.data.set(DataStatus::Unavailable(message)),
        }
    }

    /// An error of no run while the page waits for the worker to take its data: the worker
    /// kept its own, so both sides go back to the digits and the page says why. Returns whether
    /// the error was that.
    pub(super) fn data_refused(self, message: &Said) -> bool {
        if !self.data_pending.get_value() {
            return false;
        }
        self.data_pending.set_value(false);
        self.lab.use_data(None);
        crate::ui::datasets::forget_in_use();
        self.send(Command::UseData { dataset: None });
        self.message.set(Some(
            message
                .within(
                    |why| format!("Training stays on the MNIST digits: {why}."),
                    |why| format!("训练仍使用 MNIST 数字：{why}。"),
                )
                .into(),
        ));
        true
    }
}
