//! Where a JSON pointer's value starts in a document's text: schema errors name pointers,
//! the editor jumps to lines.

/// The (line, column) — both from 0, the column in characters — where the value at
/// `pointer` starts in `text`, or where the nearest existing parent starts when the pointer
/// names something absent (a missing required property points at its object). None when the
/// text is not JSON far enough to tell.
pub fn pointer_position(text: &str, pointer: &str) -> Option<(usize, usize)> {
    let want: Vec<String> = if pointer.is_empty() {
        Vec::new()
    } else {
        pointer
            .strip_prefix('/')?
            .split('/')
            .map(super::unescape_token)
            .collect()
    };
    let mut s = Scanner {
        chars: text.chars().collect(),
        i: 0,
        line: 0,
        col: 0,
    };
    let mut best = None;
    s.value(&want, 0, &mut best);
    best
}

struct Scanner {
    chars: Vec<char>,
    i: usize,
    line: usize,
    col: usize,
}

impl Scanner {
    fn peek(&self) -> Option<char> {
        self.chars.get(self.i).copied()
    }

    fn bump(&mut self) -> Option<char> {
        let c = self.peek()?;
        self.i += 1;
        if c == '\n' {
            self.line += 1;
            self.col = 0;
        } else {
            self.col += 1;
        }
        Some(c)
    }

    fn ws(&mut self) {
        while matches!(self.peek(), Some(' ' | '\t' | '\n' | '\r')) {
            self.bump();
        }
    }

    fn string(&mut self) -> Option<String> {
        if self.bump()? != '"' {
            return None;
        }
        let mut out = String::new();
        loop {
            match self.bump()? {
                '"' => return Some(out),
                '\\' => match self.bump()? {
                    'n' => out.push('\n'),
                    't' => out.push('\t'),
                    'r' => out.push('\r'),
                    'b' => out.push('\u{8}'),
                    'f' => out.push('\u{c}'),
                    'u' => {
                        let hex: String = (0..4).filter_map(|_| self.bump()).collect();
                        let c = u32::from_str_radix(&hex, 16)
                            .ok()
                            .and_then(char::from_u32)
                            .unwrap_or('\u{fffd}');
                        out.push(c);
                    }
                    c => out.push(c),
                },
                c => out.push(c),
            }
        }
    }

    /// Scan one value; record its position when the path so far is `want[..depth]`.
    /// Returns false when the text stops being JSON (or the pointer was found).
    fn value(&mut self, want: &[String], depth: usize, best: &mut Option<(usize, usize)>) -> bool {
        self.ws();
        let on_path = depth <= want.len();
        if on_path {
            *best = Some((self.line, self.col));
            if depth == want.len() {
                return false;
            }
        }
        match self.peek() {
            Some('{') => {
                self.bump();
                loop {
                    self.ws();
                    match self.peek() {
                        Some('}') => {
                            self.bump();
                            return true;
                        }
                        Some(',') => {
                            self.bump();
                        }
                        Some('"') => {
                            let Some(key) = self.string() else {
                                return false;
                            };
                            self.ws();
                            if self.bump() != Some(':') {
                                return false;
                            }
                            let deeper = on_path && want.get(depth) == Some(&key);
                            let cont = if deeper {
                                self.value(want, depth + 1, best)
                            } else {
                                self.value(want, usize::MAX, best)
                            };
                            if !cont || deeper {
                                return false;
                            }
                        }
                        _ => return false,
                    }
                }
            }
            Some('[') => {
                self.bump();
                let mut index = 0usize;
                loop {
                    self.ws();
                    match self.peek() {
                        Some(']') => {
                            self.bump();
                            return true;
                        }
                        Some(',') => {
                            self.bump();
                            index += 1;
                        }
                        Some(_) => {
                            let deeper = on_path && want.get(depth) == Some(&index.to_string());
                            let cont = if deeper {
                                self.value(want, depth + 1, best)
                            } else {
                                self.value(want, usize::MAX, best)
                            };
                            if !cont || deeper {
                                return false;
                            }
                        }
                        None => return false,
                    }
                }
            }
            Some('"') => self.string().is_some(),
            Some(_) => {
                while matches!(self.peek(), Some(c) if !matches!(c, ',' | '}' | ']' | ' ' | '\t' | '\n' | '\r'))
                {
                    self.bump();
                }
                true
            }
            None => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DOC: &str = "{\n  \"a\": 1,\n  \"b\": {\n    \"c/d\": [10, {\"e\": true}]\n  },\n  \"f\": \"x\\\"y\"\n}\n";

    #[test]
    fn finds_values_by_pointer() {
        assert_eq!(pointer_position(DOC, ""), Some((0, 0)));
        assert_eq!(pointer_position(DOC, "/a"), Some((1, 7)));
        assert_eq!(pointer_position(DOC, "/b"), Some((2, 7)));
        assert_eq!(pointer_position(DOC, "/b/c~1d"), Some((3, 11)));
        assert_eq!(pointer_position(DOC, "/b/c~1d/0"), Some((3, 12)));
        assert_eq!(pointer_position(DOC, "/b/c~1d/1/e"), Some((3, 22)));
        assert_eq!(pointer_position(DOC, "/f"), Some((5, 7)));
    }

    #[test]
    fn an_absent_pointer_gives_its_nearest_parent() {
        assert_eq!(pointer_position(DOC, "/b/zzz"), Some((2, 7)));
        assert_eq!(pointer_position(DOC, "/nope"), Some((0, 0)));
        assert_eq!(pointer_position(DOC, "/b/c~1d/7"), Some((3, 11)));
    }

    #[test]
    fn a_key_inside_a_string_is_not_a_key() {
        let t = "{\"s\": \"\\\"a\\\": 1\", \"a\": 2}";
        assert_eq!(pointer_position(t, "/a"), Some((0, 23)));
    }
}
