//! The drift view (`:config drift [NAME]`): per subscribed service and per node, the version
//! the running tasks actually have, read from the tasks' own specs — how an operator sees a
//! change landed everywhere. Read again every 2 s while open.

use jiff::Timestamp;
use ratatui::Frame;
use ratatui::crossterm::event::{KeyCode, KeyEvent};
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Paragraph};

use super::{bar, clear, node_name};
use crate::engine::gconf::{ConfigAnswer, ConfigCmd};
use crate::gconfig::Drift;
use crate::keymap::{Action, Keymap};
use crate::view::{AppCmd, ConfigMsg, Ctx, DrawCtx, Outcome, Scroll, View};

const CONTEXT: &str = "drift";
const EVERY_SECS: i64 = 2;

pub struct DriftView {
    doc: String,
    drift: Option<Drift>,
    error: Option<String>,
    asked: Option<Timestamp>,
    in_flight: bool,
    read_at: Option<Timestamp>,
    scroll: Scroll,
}

impl DriftView {
    pub fn new(doc: &str) -> Self {
        DriftView {
            doc: doc.to_string(),
            drift: None,
            error: None,
            asked: None,
            in_flight: false,
            read_at: None,
            scroll: Scroll::default(),
        }
    }

    pub fn drift(&self) -> Option<&Drift> {
        self.drift.as_ref()
    }

    fn ask(&mut self, cx: &mut Ctx<'_>) {
        if self.in_flight {
            return;
        }
        self.in_flight = true;
        self.asked = Some(cx.now);
        cx.fx.app.push(AppCmd::Config(ConfigCmd::Drift {
            doc: self.doc.clone(),
        }));
    }

    fn lines(&self, theme: &crate::theme::Theme) -> Vec<Line<'static>> {
        let p = |s: &str| crate::text::printable(s).into_owned();
        let mut lines = Vec::new();
        let Some(d) = &self.drift else {
            lines.push(Line::styled(
                match &self.error {
                    Some(e) => format!("cannot read the drift: {}", p(e)),
                    None => format!("reading the tasks of {}'s subscribers …", self.doc),
                },
                if self.error.is_some() {
                    theme.danger
                } else {
                    theme.info
                },
            ));
            return lines;
        };
        let cur = d.current.map_or("none".to_string(), |n| format!("v{n}"));
        lines.push(Line::from(vec![
            Span::styled(format!("current {cur} · "), theme.text),
            if d.in_sync {
                Span::styled("every subscribed task runs it", theme.ok)
            } else {
                Span::styled("drift: not every task runs it", theme.warn)
            },
        ]));
        if let Some(e) = &self.error {
            lines.push(Line::styled(
                format!("(the last read failed: {})", p(e)),
                theme.danger,
            ));
        }
        if d.services.is_empty() {
            lines.push(Line::default());
            lines.push(Line::styled(
                "No service subscribes (swarmdeck config subscribe SERVICE PATH).",
                theme.muted,
            ));
        }
        for s in &d.services {
            lines.push(Line::default());
            for (i, line) in s.summary.iter().enumerate() {
                let style = if s.in_sync { theme.ok } else { theme.warn };
                let mark = if i > 0 {
                    "  "
                } else if s.in_sync {
                    "✓ "
                } else {
                    "! "
                };
                lines.push(Line::styled(format!("{mark}{}", p(line)), style));
            }
            lines.push(Line::styled(format!("    → {}", p(&s.target)), theme.muted));
            let mut tasks = s.tasks.clone();
            tasks.sort_by(|a, b| a.node.cmp(&b.node));
            for t in &tasks {
                let v = t.version.map_or("none".to_string(), |n| format!("v{n}"));
                let good = t.state == "running" && t.version == d.current && d.current.is_some();
                let err = if t.error.is_empty() {
                    String::new()
                } else {
                    format!(" — {}", p(&t.error))
                };
                lines.push(Line::styled(
                    format!(
                        "    {:<16} {:<6} {:<10} {}{err}",
                        node_name(&t.node),
                        v,
                        t.state,
                        short(&t.task)
                    ),
                    if good { theme.text } else { theme.danger },
                ));
            }
        }
        lines
    }
}

fn short(id: &str) -> &str {
    &id[..id.len().min(12)]
}

impl View for DriftView {
    fn context(&self) -> &'static str {
        CONTEXT
    }

    fn full_screen(&self) -> bool {
        true
    }

    fn opened(&mut self, cx: &mut Ctx<'_>) {
        self.ask(cx);
    }

    fn tick(&mut self, cx: &mut Ctx<'_>) -> bool {
        let due = self
            .asked
            .is_none_or(|t| cx.now.as_second() - t.as_second() >= EVERY_SECS);
        if due {
            self.ask(cx);
        }
        false
    }

    fn config_msg(&mut self, msg: ConfigMsg, cx: &mut Ctx<'_>) -> Outcome {
        if let Some(ConfigAnswer::Drift(r)) = msg.answer() {
            self.in_flight = false;
            match r {
                Ok(d) => {
                    self.drift = Some(d);
                    self.error = None;
                    self.read_at = Some(cx.now);
                }
                Err(e) => self.error = Some(e.to_string()),
            }
        }
        Outcome::Handled
    }

    fn key(&mut self, key: &KeyEvent, cx: &mut Ctx<'_>) -> Outcome {
        match key.code {
            KeyCode::Esc | KeyCode::Char('q') => return Outcome::Close,
            KeyCode::Char('r') => {
                self.ask(cx);
                return Outcome::Handled;
            }
            _ => {}
        }
        let action = cx.action(CONTEXT, key);
        if action == Some(Action::Refresh) {
            self.ask(cx);
        } else {
            self.scroll.action(action, cx.page);
        }
        Outcome::Handled
    }

    fn draw(&self, frame: &mut Frame, area: Rect, cx: &DrawCtx<'_>) {
        let theme = cx.theme;
        clear(frame, area, theme);
        if area.height < 3 {
            return;
        }
        let [top, body] =
            Layout::vertical([Constraint::Length(1), Constraint::Fill(1)]).areas(area);
        let age = self.read_at.map_or("reading …".to_string(), |t| {
            format!(
                "read {} s ago ",
                (cx.now.as_second() - t.as_second()).max(0)
            )
        });
        frame.render_widget(
            Paragraph::new(bar(
                vec![Span::styled(format!(" drift · {} ", self.doc), theme.title)],
                vec![Span::styled(age, theme.muted)],
                top.width,
                theme.text,
            )),
            top,
        );
        let block = Block::bordered()
            .border_type(BorderType::Rounded)
            .border_style(theme.border_focused)
            .title(Span::styled(
                " what the running tasks have, per node ",
                theme.title,
            ));
        let inner = block.inner(body);
        frame.render_widget(block, body);
        let lines = self.lines(theme);
        let first = self.scroll.fit(lines.len(), inner.height);
        frame.render_widget(Paragraph::new(lines).scroll((first, 0)), inner);
    }

    fn hints(&self, _keymap: &Keymap) -> Vec<(String, String)> {
        vec![
            ("r".into(), "read now".into()),
            ("Esc".into(), "close".into()),
        ]
    }
}
