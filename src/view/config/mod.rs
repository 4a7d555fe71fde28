//! The global JSON config in the dashboard: the full-screen editor and the screens of its
//! flow (edit → validate → plan → publish and roll out; a conflict; drift; history; a draft
//! offered after a crash). Every engine call is an [`crate::engine::gconf::ConfigCmd`] sent
//! through [`crate::view::AppCmd::Config`]; its answer comes back to the view that asked.
//! docs/config-editor.md is the user's guide.

pub mod conflict;
pub mod draft;
pub mod drift;
pub mod editor;
pub mod history;
pub mod plan;
pub mod rollout;
pub mod subscribe;

use std::path::PathBuf;

use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};

use crate::gconfig::Change;
use crate::theme::Theme;

/// What the config screens need from outside: where drafts go, how many versions to keep,
/// and which cluster this is (drafts of two clusters never mix).
#[derive(Debug, Clone)]
pub struct ConfigEnv {
    /// The drafts directory (None: drafts cannot be saved; the editor says so).
    pub drafts: Option<PathBuf>,
    /// The cluster's name for drafts: the first endpoint.
    pub cluster: String,
    /// Versions of a document to keep (`config_keep`).
    pub keep: usize,
}

impl Default for ConfigEnv {
    fn default() -> Self {
        ConfigEnv {
            drafts: None,
            cluster: String::new(),
            keep: crate::gconfig::DEFAULT_KEEP,
        }
    }
}

/// "1.2 KiB" for a status line.
pub fn size_text(bytes: usize) -> String {
    if bytes < 1024 {
        format!("{bytes} B")
    } else {
        format!("{:.1} KiB", bytes as f64 / 1024.0)
    }
}

/// A change by pointer as one line: `+ /a: 1`, `- /b`, `~ /c: 1 → 2`.
pub fn change_line<'a>(c: &Change, width: usize, theme: &Theme) -> Line<'a> {
    let p = |ptr: &str| {
        if ptr.is_empty() {
            "(the document)".to_string()
        } else {
            crate::text::printable(ptr).into_owned()
        }
    };
    let short = |v: &serde_json::Value| {
        let t = crate::text::printable(&v.to_string()).into_owned();
        let max = (width / 3).max(12);
        if t.chars().count() > max {
            format!("{}…", t.chars().take(max - 1).collect::<String>())
        } else {
            t
        }
    };
    let (sign, style, text) = match c {
        Change::Added { pointer, value } => {
            ("+", theme.ok, format!("{}: {}", p(pointer), short(value)))
        }
        Change::Removed { pointer, value } => (
            "-",
            theme.danger,
            format!("{} (was {})", p(pointer), short(value)),
        ),
        Change::Changed { pointer, old, new } => (
            "~",
            theme.warn,
            format!("{}: {} → {}", p(pointer), short(old), short(new)),
        ),
    };
    Line::from(vec![
        Span::styled(format!(" {sign} "), style),
        Span::styled(text, theme.text),
    ])
}

/// Fill `area` with the theme's text background (a full-screen view hides the panes).
pub fn clear(frame: &mut ratatui::Frame, area: Rect, theme: &Theme) {
    frame.render_widget(ratatui::widgets::Clear, area);
    frame.render_widget(ratatui::widgets::Block::default().style(theme.text), area);
}

/// A one-line bar: `left` then `right` aligned to the right edge.
pub fn bar<'a>(left: Vec<Span<'a>>, right: Vec<Span<'a>>, width: u16, style: Style) -> Line<'a> {
    let lw: usize = left.iter().map(Span::width).sum();
    let rw: usize = right.iter().map(Span::width).sum();
    let gap = usize::from(width).saturating_sub(lw + rw);
    let mut spans = left;
    spans.push(Span::styled(" ".repeat(gap), style));
    spans.extend(right);
    Line::from(spans).style(style)
}

/// A task's node for a row: "(not placed)" while the scheduler has not placed it yet.
pub fn node_name(node: &str) -> String {
    if node.is_empty() {
        "(not placed)".to_string()
    } else {
        crate::text::printable(node).into_owned()
    }
}
