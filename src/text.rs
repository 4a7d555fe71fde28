//! Text from outside (the engine, a node, a config file) made safe to print on a terminal.
//!
//! A node controls its hostname, its labels, its error messages; a service's name and image
//! come from whoever deployed it. Printed raw, an escape sequence among them could clear the
//! operator's screen, set the window title, or forge a line of `swarmdeck status` output.
//! Every such string goes through [`printable`] before it reaches a terminal as text.

use std::borrow::Cow;
use std::fmt::Write;

/// Whether `c` must not reach a terminal as it is: C0 and C1 controls (ESC, BEL, CR, LF,
/// TAB…), DEL, and the Unicode bidirectional controls that reorder what is shown.
pub fn is_unsafe(c: char) -> bool {
    c.is_control()
        || matches!(c,
            '\u{061c}' | '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// `text` with every unsafe character written as a visible escape (`\x1b`, `\n`,
/// `\u{202e}`), so what was sent can still be read; borrowed when nothing needed it.
pub fn printable(text: &str) -> Cow<'_, str> {
    if !text.chars().any(is_unsafe) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if !is_unsafe(c) {
            out.push(c);
            continue;
        }
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x100 => {
                let _ = write!(out, "\\x{:02x}", c as u32);
            }
            c => {
                let _ = write!(out, "\\u{{{:x}}}", c as u32);
            }
        }
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_are_made_visible() {
        assert!(matches!(printable("node-1.example"), Cow::Borrowed(_)));
        assert_eq!(
            printable("\u{1b}[2J\u{1b}]0;PWNED\u{7}"),
            "\\x1b[2J\\x1b]0;PWNED\\x07"
        );
        assert_eq!(printable("a\nswarm: HEALTHY"), "a\\nswarm: HEALTHY");
        assert_eq!(printable("x\u{9b}31m\u{7f}"), "x\\x9b31m\\x7f");
        assert_eq!(printable("abc\u{202e}fed"), "abc\\u{202e}fed");
        assert_eq!(printable("émoji 🐳 ok"), "émoji 🐳 ok");
    }
}
