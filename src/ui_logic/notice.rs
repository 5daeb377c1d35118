//! A message to the person using the page, with its tone: news (a run brought back, a fresh
//! worker loaded) reads differently from a problem (a crash, a refused setting), so a note is
//! not dressed as an error.

use super::said::Said;

/// What kind of message it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tone {
    /// Something happened that is worth knowing; nothing is wrong.
    Info,
    /// Something went wrong or was refused; the text says what to do.
    Problem,
}

/// A message and its tone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice {
    pub tone: Tone,
    pub text: Said,
}

impl Notice {
    pub fn info(text: Said) -> Self {
        Self {
            tone: Tone::Info,
            text,
        }
    }

    pub fn problem(text: Said) -> Self {
        Self {
            tone: Tone::Problem,
            text,
        }
    }

    /// The CSS class that styles it.
    pub fn class(&self) -> &'static str {
        match self.tone {
            Tone::Info => "note",
            Tone::Problem => "error",
        }
    }
}

impl From<Said> for Notice {
    /// A message alone is a problem: most messages are about one.
    fn from(text: Said) -> Self {
        Self::problem(text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn news_and_problems_are_told_apart() {
        assert_eq!(Notice::info(Said::plain("back")).class(), "note");
        assert_eq!(Notice::problem(Said::plain("broke")).class(), "error");
        assert_eq!(Notice::from(Said::plain("broke")).tone, Tone::Problem);
    }
}
