//! Text output for people. Anything a statement, a file name or another
//! outside source carries (issuer, site, serial, subject, paths) goes into
//! text output through [`Escaped`], so control characters cannot move the
//! cursor, clear the screen or start a new line that forges a "verified ...
//! verdict: PASS" block (SPEC 7). JSON, SARIF and HTML escape by their own
//! rules and carry the text verbatim.

use std::fmt;

/// Whether a character is shown escaped: C0 and C1 controls and DEL
/// (`char::is_control`), and the invisible format characters that change
/// how text reads (bidirectional overrides and isolates, zero-width
/// characters, the byte-order mark, interlinear annotation, soft hyphen).
pub fn needs_escape(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{ad}'
                | '\u{61c}'
                | '\u{180e}'
                | '\u{200b}'..='\u{200f}'
                | '\u{2028}'..='\u{202e}'
                | '\u{2060}'..='\u{206f}'
                | '\u{feff}'
                | '\u{fff9}'..='\u{fffb}'
        )
}

/// Displays the inner value with every character [`needs_escape`] picks
/// written as `\u{..}` (e.g. ESC as `\u{1b}`, a newline as `\u{a}`).
pub struct Escaped<T>(pub T);

impl<T: fmt::Display> fmt::Display for Escaped<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = self.0.to_string();
        if !s.chars().any(needs_escape) {
            return f.pad(&s);
        }
        let mut out = String::with_capacity(s.len() + 8);
        for c in s.chars() {
            if needs_escape(c) {
                out.push_str(&format!("\\u{{{:x}}}", c as u32));
            } else {
                out.push(c);
            }
        }
        f.pad(&out)
    }
}

/// [`Escaped`] as a `String`.
pub fn escape(s: &str) -> String {
    Escaped(s).to_string()
}

/// Escapes every line of a multi-line text of hwprov's own making whose
/// lines carry outside text: the line breaks stay, everything else that
/// [`needs_escape`] picks is escaped.
pub fn escape_lines(s: &str) -> String {
    s.split('\n').map(escape).collect::<Vec<_>>().join("\n")
}

/// A share (0..1) as a percentage with one decimal, as every summary prints
/// shares and caps (`0.35` is `35.0%`).
pub fn percent(share: f64) -> String {
    format!("{:.1}%", share * 100.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn controls_and_invisible_format_characters_are_escaped() {
        assert_eq!(escape("penang-osat"), "penang-osat");
        assert_eq!(
            escape("x\n\u{1b}[2Kverdict: PASS\r"),
            "x\\u{a}\\u{1b}[2Kverdict: PASS\\u{d}"
        );
        assert_eq!(
            escape("a\u{202e}b\u{200b}c\u{7f}\u{85}"),
            "a\\u{202e}b\\u{200b}c\\u{7f}\\u{85}"
        );
        assert_eq!(escape("Zürich 東京"), "Zürich 東京");
        assert_eq!(escape_lines("a\u{1b}\nb"), "a\\u{1b}\nb");
        assert_eq!(format!("{:<6}|", Escaped("ab")), "ab    |");
    }
}
