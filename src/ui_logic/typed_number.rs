//! Text typed into a number field: whether it is a number the setting can use, and if not, a
//! short reason to show under the field, in the page's language.

use super::lang::Lang;

/// Why `typed` is not a usable value, if it is not: not a number, or `check`'s objection.
pub fn problem_with<T: std::str::FromStr>(
    typed: &str,
    lang: Lang,
    check: impl Fn(T) -> Option<String>,
) -> Option<String> {
    let typed = typed.trim();
    if typed.is_empty() {
        return Some(
            lang.text("a number is needed here", "这里需要一个数")
                .to_string(),
        );
    }
    match typed.parse::<T>() {
        Ok(v) => check(v),
        Err(_) => Some(lang.text(
            format!("“{typed}” is not a number"),
            format!("“{typed}”不是一个数"),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_checked_as_a_number_then_by_the_setting() {
        let positive = |v: f64| (v <= 0.0).then(|| "choose a number above 0".to_string());
        assert_eq!(problem_with(" 0.5 ", Lang::En, positive), None);
        assert_eq!(
            problem_with("-1", Lang::En, positive).as_deref(),
            Some("choose a number above 0")
        );
        assert_eq!(
            problem_with::<f64>("1e", Lang::En, positive).as_deref(),
            Some("“1e” is not a number")
        );
        assert_eq!(
            problem_with::<f64>("  ", Lang::En, positive).as_deref(),
            Some("a number is needed here")
        );
    }

    #[test]
    fn the_reasons_are_given_in_the_language_asked_for() {
        let any = |_: f64| None;
        assert_eq!(
            problem_with::<f64>("x", Lang::Zh, any).as_deref(),
            Some("“x”不是一个数")
        );
        assert_eq!(
            problem_with::<f64>("", Lang::Zh, any).as_deref(),
            Some("这里需要一个数")
        );
    }
}
