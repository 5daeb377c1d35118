//! Choosing a test digit as the tool's input: by number, one step either way, or at random. The
//! digit is shown large where the drawing pad is, with what it is ("a 7").

use leptos::prelude::*;

use super::clock::now_ms;
use super::digit_view::DigitView;
use super::i18n::{said_in, tr, Lang, Said};
use super::state::use_lab;
use crate::ml::dataset::ImageShape;
use crate::ml::rng::Rng;
use crate::ui_logic::typed_number::problem_with;
use crate::ui_logic::words::Noun;

#[component]
pub fn TestDigitChooser() -> impl IntoView {
    let lab = use_lab();
    let count = move || lab.test.with(|t| t.as_ref().map_or(0, |t| t.len()));
    // Why the typed number was not taken, shown under the field until a good one is typed.
    let problem = RwSignal::new(None::<Said>);
    let choose = move |i: usize| {
        problem.set(None);
        lab.test_digit.set(i);
    };
    let on_change = move |ev: leptos::ev::Event| {
        let n = count();
        let typed = event_target_value(&ev);
        let out_of_range = |i: usize, l: Lang| {
            (i >= n).then(|| {
                let (noun, last) = (lab.noun_untracked(), n.max(1) - 1);
                l.text(
                    format!(
                        "There is no test {} {typed}: choose 0 to {last}.",
                        noun.one()
                    ),
                    format!("没有编号为 {typed} 的测试{}：请选 0 到 {last}。", noun.zh()),
                )
            })
        };
        // Said in both languages, so a switch of language rewords it.
        let problem_in = |l: Lang| problem_with::<usize>(&typed, l, |i| out_of_range(i, l));
        match problem_in(Lang::En) {
            None => choose(typed.trim().parse().unwrap_or_default()),
            Some(_) => problem.set(Some(Said::of(|l| problem_in(l).unwrap_or_default()))),
        }
    };
    // One step either way, round the ends.
    let step = move |by: isize| {
        let n = count();
        if n > 0 {
            let i = lab.test_digit.get_untracked() as isize + by;
            choose(i.rem_euclid(n as isize) as usize);
        }
    };
    let rng = StoredValue::new_local(Rng::new(now_ms().to_bits() ^ 0x7e57));
    let another = move |_| {
        let n = count();
        if n > 1 {
            let now = lab.test_digit.get_untracked();
            // Never the digit already shown, so the button always visibly does something.
            let next = rng
                .try_update_value(|r| (now + 1 + r.below(n - 1)) % n)
                .unwrap_or(0);
            choose(next);
        }
    };
    let pixels = Signal::derive(move || {
        let i = lab.test_digit.get();
        lab.test.with(|t| {
            t.as_ref().filter(|t| i < t.len()).map_or_else(
                || vec![0.0; ImageShape::DIGITS.values()],
                |t| t.image(i).to_vec(),
            )
        })
    });
    let what = move || lab.test_item_words(lab.test_digit.get());

    view! {
        <div class="test-digit">
            <figure class="test-digit-view">
                <DigitView pixels label=Signal::derive(move || what().unwrap_or_default()) />
                <figcaption>{move || what().unwrap_or_else(|| lab.lang().text(
                    format!("no test {} yet", lab.noun().many()),
                    format!("还没有测试{}", lab.noun().zh()),
                ))}</figcaption>
            </figure>
            <div class="test-digit-controls">
                <button on:click=move |_| step(-1) aria-label=lab.text(|l, n| match (l, n) {
                    (Lang::En, n) => format!("the previous test {}", n.one()),
                    (Lang::Zh, Noun::Digit) => "上一个测试数字".into(),
                    (Lang::Zh, Noun::Picture) => "上一张测试图片".into(),
                })>"‹"</button>
                <label>{tr("number ", "编号 ")}
                    <input type="number" class="test-index" min="0" max=move || count().max(1) - 1
                        prop:value=move || lab.test_digit.get().to_string() on:change=on_change
                        aria-invalid=move || problem.with(Option::is_some).to_string() />
                </label>
                <button on:click=move |_| step(1) aria-label=lab.text(|l, n| match (l, n) {
                    (Lang::En, n) => format!("the next test {}", n.one()),
                    (Lang::Zh, Noun::Digit) => "下一个测试数字".into(),
                    (Lang::Zh, Noun::Picture) => "下一张测试图片".into(),
                })>"›"</button>
                <button class="another" on:click=another>{lab.text(|l, n| match (l, n) {
                    (Lang::En, _) => "Another".into(),
                    (Lang::Zh, Noun::Digit) => "换一个".into(),
                    (Lang::Zh, Noun::Picture) => "换一张".into(),
                })}</button>
            </div>
            <p class="error" role="alert">{move || problem.with(|p| said_in(lab.lang(), p))}</p>
        </div>
    }
}
