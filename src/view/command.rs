//! The `:` command line, on the bottom line: a command with Tab completion and the
//! candidates listed beside it.

use ratatui::Frame;
use ratatui::crossterm::event::{KeyCode, KeyEvent};
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};

use super::{AppCmd, Ctx, DrawCtx, Outcome, View};
use crate::keymap::Keymap;
use crate::store::Level;
use crate::widget::{InputResult, TextInput};

/// The command line's commands, for completion and the help screen.
pub const COMMANDS: &[(&str, &str)] = &[
    ("nodes", "focus the nodes pane"),
    ("services", "focus the services pane"),
    ("tasks", "focus the tasks pane"),
    ("vips", "focus the VIP pane"),
    ("help", "show the keys"),
    ("audit", "show the audit log of writes"),
    (
        "secrets",
        "the swarm's secrets: who uses each · create, delete, rotate",
    ),
    (
        "configs",
        "the swarm's configs: who uses each, content · create, delete",
    ),
    (
        "events",
        "the event timeline · events KIND (node, leader, service, task, vip, connection, suspicion)",
    ),
    (
        "errors",
        "the recent error lines of every service, grouped by message · errors STACK · errors SERVICE",
    ),
    (
        "config",
        "edit the global JSON config · config NAME · config drift · config history",
    ),
    (
        "cluster",
        "the swarm's settings, every node's addresses, the join tokens (reveal, copy, rotate)",
    ),
    (
        "clusters",
        "the clusters of the config file and every docker context: health · Enter switches",
    ),
    (
        "networks",
        "networks: who attaches, create an attachable overlay, remove an unused one",
    ),
    (
        "volumes",
        "this engine's volumes and the volumes the services' mounts declare across the cluster",
    ),
    (
        "rebalance",
        "spread tasks again (a write: absent in readonly mode)",
    ),
    (
        "deploy",
        "deploy a service: the six-step wizard (a write: absent in readonly mode)",
    ),
    (
        "registries",
        "the registries of ~/.docker/config.json and the services pulling from them",
    ),
    ("quit", "quit swarmdeck"),
    ("q", "quit swarmdeck"),
];

/// Commands that write: absent in readonly mode.
pub const WRITE_COMMANDS: &[&str] = &["rebalance", "deploy"];

/// The commands in force (no write command in readonly mode).
pub fn commands(readonly: bool) -> Vec<&'static str> {
    COMMANDS
        .iter()
        .map(|(c, _)| *c)
        .filter(|c| !(readonly && WRITE_COMMANDS.contains(c)))
        .collect()
}

/// Commands a prefix could become (shown beside the command line).
pub fn candidates(readonly: bool, prefix: &str) -> Vec<&'static str> {
    commands(readonly)
        .into_iter()
        .filter(|c| c.starts_with(prefix))
        .collect()
}

/// Complete a command-line prefix: the one command it starts, or the longest common prefix.
pub fn complete(commands: &[&str], prefix: &str) -> Option<String> {
    let matches: Vec<&str> = commands
        .iter()
        .copied()
        .filter(|c| c.starts_with(prefix) && *c != prefix)
        .collect();
    let first = matches.first()?;
    let mut common = first.to_string();
    for m in &matches[1..] {
        while !m.starts_with(&common) {
            common.pop();
        }
    }
    (common.len() > prefix.len()).then_some(common)
}

#[derive(Default)]
pub struct CommandLine {
    input: TextInput,
    readonly: bool,
}

impl CommandLine {
    pub fn new(readonly: bool) -> Self {
        CommandLine {
            input: TextInput::new().with_max_len(200),
            readonly,
        }
    }
}

impl View for CommandLine {
    fn context(&self) -> &'static str {
        "command"
    }

    fn key(&mut self, key: &KeyEvent, cx: &mut Ctx<'_>) -> Outcome {
        match key.code {
            KeyCode::Esc => Outcome::Close,
            KeyCode::Enter => {
                cx.fx
                    .app
                    .push(AppCmd::Command(self.input.text().trim().to_string()));
                Outcome::Close
            }
            KeyCode::Tab => {
                if let Some(done) = complete(&commands(self.readonly), self.input.text()) {
                    self.input.set_text(done);
                }
                Outcome::Handled
            }
            KeyCode::Backspace if self.input.is_empty() => Outcome::Close,
            _ => {
                let _: InputResult = self.input.key(key);
                Outcome::Handled
            }
        }
    }

    fn paste(&mut self, text: &str, cx: &mut Ctx<'_>) -> Outcome {
        if let Err(why) = self.input.paste(text) {
            cx.fx.notify(Level::Warn, why);
        }
        Outcome::Handled
    }

    fn draw(&self, _frame: &mut Frame, _area: Rect, _cx: &DrawCtx<'_>) {}

    fn hints(&self, _keymap: &Keymap) -> Vec<(String, String)> {
        vec![
            ("Enter".into(), "run".into()),
            ("Tab".into(), "complete".into()),
            ("Esc".into(), "cancel".into()),
        ]
    }

    fn prompt_line(&self, cx: &DrawCtx<'_>, width: u16) -> Option<Line<'_>> {
        let mut spans = super::prompt_spans(":", &self.input, width, cx.theme);
        spans.push(Span::styled(
            format!(
                "   {}",
                candidates(self.readonly, self.input.text()).join(" ")
            ),
            cx.theme.muted,
        ));
        Some(Line::from(spans))
    }
}
