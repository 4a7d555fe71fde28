//! `:config subscribe SERVICE PATH [NAME]` and `:config unsubscribe SERVICE [NAME]`: asked
//! first (it is one rolling update of the service), then followed until Swarm has updated it.

use ratatui::Frame;
use ratatui::crossterm::event::{KeyCode, KeyEvent};
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Clear, Paragraph, Wrap};

use crate::engine::gconf::{ConfigAnswer, ConfigCmd};
use crate::gconfig::io::RolloutEvent;
use crate::keymap::Keymap;
use crate::store::Level;
use crate::view::{AppCmd, ConfigMsg, Ctx, DrawCtx, Outcome, View};

const CONTEXT: &str = "rollout";

/// Where a subscribe is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum State {
    Asking,
    Running(String),
    Done(Result<(), String>),
}

pub struct SubscribeView {
    cmd: ConfigCmd,
    state: State,
}

impl SubscribeView {
    /// `cmd` is a [`ConfigCmd::Subscribe`] or [`ConfigCmd::Unsubscribe`].
    pub fn new(cmd: ConfigCmd) -> Self {
        SubscribeView {
            cmd,
            state: State::Asking,
        }
    }

    pub fn state(&self) -> &State {
        &self.state
    }

    fn what(&self) -> String {
        let p = |s: &str| crate::text::printable(s).into_owned();
        match &self.cmd {
            ConfigCmd::Subscribe {
                doc,
                service,
                target,
            } => format!(
                "Subscribe {} to {}: its containers get the current version at {}.",
                p(service),
                p(doc),
                p(target)
            ),
            ConfigCmd::Unsubscribe { doc, service } => format!(
                "Unsubscribe {} from {}: the label and the config are removed from it.",
                p(service),
                p(doc)
            ),
            other => format!("{other:?}"),
        }
    }
}

impl View for SubscribeView {
    fn context(&self) -> &'static str {
        CONTEXT
    }

    fn key(&mut self, key: &KeyEvent, cx: &mut Ctx<'_>) -> Outcome {
        match (&self.state, key.code) {
            (State::Asking, KeyCode::Char('y')) => {
                self.state = State::Running("sending the service update …".into());
                cx.fx.app.push(AppCmd::Config(self.cmd.clone()));
                Outcome::Handled
            }
            (State::Running(_), KeyCode::Esc) => {
                cx.fx.notify(
                    Level::Info,
                    "the update goes on; the services pane shows it",
                );
                Outcome::Close
            }
            (State::Running(_), _) => Outcome::Handled,
            (_, KeyCode::Esc | KeyCode::Enter | KeyCode::Char('n') | KeyCode::Char('q')) => {
                Outcome::Close
            }
            _ => Outcome::Handled,
        }
    }

    fn config_msg(&mut self, msg: ConfigMsg, cx: &mut Ctx<'_>) -> Outcome {
        match msg {
            ConfigMsg::Progress(e) => {
                let text = match e {
                    RolloutEvent::Started { service, .. } => format!("{service}: update sent"),
                    RolloutEvent::Progress {
                        service,
                        on_new,
                        total,
                        state,
                        ..
                    } => format!("{service}: {on_new}/{total} tasks updated ({state})"),
                    RolloutEvent::Done { service, .. } => format!("{service}: done"),
                    RolloutEvent::Skipped { service, reason }
                    | RolloutEvent::Failed { service, reason } => format!("{service}: {reason}"),
                };
                self.state = State::Running(text);
            }
            ConfigMsg::Done(a) => {
                if let ConfigAnswer::Subscribed(r) = *a {
                    let r = r.map_err(|e| e.to_string());
                    match &r {
                        Ok(()) => cx.fx.notify(Level::Info, self.what()),
                        Err(e) => cx.fx.notify(Level::Danger, format!("not done: {e}")),
                    }
                    self.state = State::Done(r);
                }
            }
        }
        Outcome::Handled
    }

    fn draw(&self, frame: &mut Frame, area: Rect, cx: &DrawCtx<'_>) {
        let theme = cx.theme;
        let mut lines = vec![Line::styled(self.what(), theme.text), Line::default()];
        match &self.state {
            State::Asking => {
                lines.push(Line::styled(
                    "This is one rolling update of the service, following its update config.",
                    theme.warn,
                ));
                lines.push(Line::default());
                lines.push(Line::from(vec![
                    Span::styled(" y ", theme.footer_key),
                    Span::styled("go on   ", theme.text),
                    Span::styled(" Esc ", theme.footer_key),
                    Span::styled("cancel", theme.text),
                ]));
            }
            State::Running(t) => lines.push(Line::styled(format!("↻ {t}"), theme.info)),
            State::Done(Ok(())) => lines.push(Line::styled("✓ done", theme.ok)),
            State::Done(Err(e)) => lines.push(Line::styled(
                format!("✗ not done: {}", crate::text::printable(e)),
                theme.danger,
            )),
        }
        // the height the wrapped lines take inside the box
        let inner_w = usize::from(area.width.min(76).saturating_sub(2)).max(1);
        let rows: usize = lines
            .iter()
            .map(|l| l.width().div_ceil(inner_w).max(1))
            .sum();
        let r = crate::widget::centered(area, 76, u16::try_from(rows + 2).unwrap_or(u16::MAX));
        frame.render_widget(Clear, r);
        frame.render_widget(
            Paragraph::new(lines).wrap(Wrap { trim: false }).block(
                Block::bordered()
                    .border_type(BorderType::Rounded)
                    .border_style(theme.border_focused)
                    .title(Span::styled(" config subscription ", theme.title)),
            ),
            r,
        );
    }

    fn hints(&self, _keymap: &Keymap) -> Vec<(String, String)> {
        match self.state {
            State::Asking => vec![
                ("y".into(), "go on".into()),
                ("Esc".into(), "cancel".into()),
            ],
            State::Running(_) => vec![("Esc".into(), "hide".into())],
            State::Done(_) => vec![("Esc".into(), "close".into())],
        }
    }
}
