//! Text typed into a number field: whether it is a number the setting can use, and if not, a
//! short reason to show under the field.

/// Why `typed` is not a usable value, if it is not: not a number, or `check`'s objection.
pub fn problem_with<T: std::str::FromStr>(
    typed: &str,
    check: impl Fn(T) -> Option<String>,
) -> Option<String> {
    let typed = typed.trim();
    if typed.is_empty() {
        return Some("a number is needed here".to_string());
    }
    match typed.parse::<T>() {
        Ok(v) => check(v),
        Err(_) => Some(format!("“{typed}” is not a number")),
    }
}

#[cfg(test)]
mod tests {
    use super::problem_with;

    #[test]
    fn text_is_checked_as_a_number_then_by_the_setting() {
        let positive = |v: f64| (v <= 0.0).then(|| "choose a number above 0".to_string());
        assert_eq!(problem_with(" 0.5 ", positive), None);
        assert_eq!(
            problem_with("-1", positive).as_deref(),
            Some("choose a number above 0")
        );
        assert_eq!(
            problem_with::<f64>("1e", positive).as_deref(),
            Some("“1e” is not a number")
        );
        assert_eq!(
            problem_with::<f64>("  ", positive).as_deref(),
            Some("a number is needed here")
        );
    }
}
