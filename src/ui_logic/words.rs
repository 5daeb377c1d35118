//! Numbers and names in the page's words.

/// What one image of the data in use is called in the page's text: the built-in set's images
/// are digits, a dataset of one's own holds pictures. Chapters write `noun.one()` where they
/// used to write "digit", so their words follow the Data menu.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Noun {
    Digit,
    Picture,
}

impl Noun {
    /// The singular: "digit", "picture".
    pub fn one(self) -> &'static str {
        match self {
            Noun::Digit => "digit",
            Noun::Picture => "picture",
        }
    }

    /// The plural: "digits", "pictures".
    pub fn many(self) -> &'static str {
        match self {
            Noun::Digit => "digits",
            Noun::Picture => "pictures",
        }
    }

    /// The adjective a model's output earns when it looks like the data: "digit-like".
    pub fn like(self) -> &'static str {
        match self {
            Noun::Digit => "digit-like",
            Noun::Picture => "like the training pictures",
        }
    }
}

/// `n` with a comma between thousands, as the page writes counts: "2,000", "10,000".
pub fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::{thousands, Noun};

    #[test]
    fn every_noun_has_a_singular_a_plural_and_a_likeness() {
        for noun in [Noun::Digit, Noun::Picture] {
            assert_eq!(noun.many(), format!("{}s", noun.one()));
            assert!(noun.like().contains(noun.one()));
        }
    }

    #[test]
    fn counts_get_a_comma_every_three_digits() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(2000), "2,000");
        assert_eq!(thousands(1_234_567), "1,234,567");
    }
}
