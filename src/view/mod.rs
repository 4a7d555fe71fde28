//! Views: every pane and every popup is one module with its own state, keys, drawing and
//! hints, behind the [`View`] trait.
//!
//! - **Panes** ([`pane`]) are the lists of the main screen (nodes, services, tasks, VIPs),
//!   each an instance of the one generic [`list::ListPane`]. They are registered in
//!   [`pane::registry`]: adding a pane is one new file plus one line there.
//! - **Popups** sit on a stack owned by the app ([`crate::app::App::popups`]); the top one
//!   gets keys first and answers with an [`Outcome`]: ignored (the key goes on to the focused
//!   pane, then to the global keys), handled, close, push another popup, or replace itself
//!   (multi-screen flows: confirm → progress; edit → validate → plan → conflict). The stack is
//!   borrowed, never cloned: views are not `Clone`.
//! - Views read the swarm from the [`Store`] and never change it; what they want done
//!   (engine commands, writes, notices, focus changes) goes into [`Effects`] and the app
//!   carries it out. A write's result comes back to the view that asked
//!   ([`View::write_done`]).

pub mod audit;
pub mod cluster;
pub mod clusters;
pub mod command;
pub mod config;
pub mod confirm;
pub mod deploy;
pub mod drain;
pub mod errors;
pub mod events;
pub mod filter;
pub mod help;
pub mod labels;
pub mod list;
pub mod logs;
pub mod networks;
pub mod pane;
pub mod rebalance;
pub mod registries;
pub mod secrets;
pub mod service_ops;
pub mod task_detail;
pub mod volumes;

use jiff::Timestamp;
use ratatui::Frame;
use ratatui::crossterm::event::KeyEvent;
use ratatui::layout::Rect;

use crate::app::ops::{Ops, PendingWrite};
use crate::engine::write::{WriteError, WriteOutcome};
use crate::engine::{EngineCmd, TaskScope};
use crate::keymap::{Action, Keymap};
use crate::store::{Changed, Level, Store};
use crate::theme::Theme;

/// How a view answered a key (or a paste).
pub enum Outcome {
    /// Not this view's key: it goes on (popup → focused pane → global keys).
    Ignored,
    Handled,
    /// Close this popup.
    Close,
    /// Open another popup on top of this one.
    Push(Box<dyn View>),
    /// Replace this popup with another (the next step of a flow).
    Replace(Box<dyn View>),
}

/// What the app is asked to do, besides the view's own state.
#[derive(Debug)]
pub enum AppCmd {
    /// Drill into a node's or service's task history.
    Drill(TaskScope),
    /// Run a command-line command.
    Command(String),
    /// Set the filter of the pane with this context name.
    SetFilter(&'static str, String),
    /// Send a confirmed write; its result comes back to the view that asked, with `follow`
    /// saying what the app follows afterwards (a drain's progress…).
    Write(PendingWrite),
    /// Start the rebalance queue with these services.
    StartRebalance(Vec<crate::maint::check::Unbalanced>),
    /// Run a global config command; its progress and answer come back to the view that
    /// asked ([`View::config_msg`]).
    Config(crate::engine::gconf::ConfigCmd),
    /// Hand `text` to `$VISUAL` / `$EDITOR` (the terminal restored meanwhile); the result
    /// comes back to the view that asked ([`View::external_done`]). `suffix`: the temporary
    /// file's extension (".json").
    ExternalEdit { text: String, suffix: String },
    /// Open a popup on top of the stack (from a view that is not on it: a pane).
    Open(OpenView),
    /// Close every popup with this context (the editor, once what it held is published).
    CloseViews(&'static str),
    /// Run a deploy-wizard command; its answer comes back to the view that asked
    /// ([`View::deploy_msg`]).
    Deploy(crate::engine::deploy::DeployCmd),
    /// Put this text on the terminal's clipboard (OSC 52: works over SSH).
    Clipboard(String),
    /// Run a resource popup's command (`:cluster`, `:networks`, `:volumes`); its answer
    /// comes back to the view that asked ([`View::cluster_msg`]).
    Cluster(crate::engine::cluster::ClusterCmd),
    /// Read the recent error lines of these services' logs (`:errors`); every service's
    /// part comes back to the view that asked as it is read ([`View::digest_msg`]).
    Digest(crate::engine::digest::DigestCmd),
    /// Run a secrets or configs command; its answer (and a rotation's progress, as
    /// [`View::config_msg`]) comes back to the view that asked ([`View::secrets_msg`]).
    Secrets(crate::engine::secrets::SecretsCmd),
    /// Check every cluster's health now (`:clusters`); each answer comes to the open
    /// clusters list ([`View::clusters_msg`]).
    CheckClusters,
    /// Switch the dashboard to the cluster with this index in the list.
    SwitchCluster(usize),
    /// Open the logs view of a service or a task (`l`, and Enter in `:errors`).
    OpenLogs(LogsRequest),
}

/// What the logs view is asked to show ([`AppCmd::OpenLogs`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogsRequest {
    pub service: crate::domain::ServiceId,
    pub service_name: String,
    /// One task of the service only (`l` on a task), with its label ("api.2").
    pub task: Option<(crate::domain::TaskId, String)>,
    /// Start the window here (the first occurrence of an error group), not at the tail.
    pub since: Option<jiff::Timestamp>,
    /// Search for this text at once (the view jumps to its first match).
    pub find: Option<String>,
}

/// A popup the app opens for a view (a boxed view cannot travel in a `Debug` enum).
pub struct OpenView(pub Box<dyn View>);

impl std::fmt::Debug for OpenView {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "OpenView({})", self.0.context())
    }
}

/// What comes back for a config command a view sent.
#[derive(Debug)]
pub enum ConfigMsg {
    /// A rollout's progress.
    Progress(crate::gconfig::io::RolloutEvent),
    /// The command finished.
    Done(Box<crate::engine::gconf::ConfigAnswer>),
}

impl ConfigMsg {
    /// The answer, if the command finished.
    pub fn answer(self) -> Option<crate::engine::gconf::ConfigAnswer> {
        match self {
            ConfigMsg::Done(a) => Some(*a),
            ConfigMsg::Progress(_) => None,
        }
    }
}

/// What views want done; the app carries it out after the call.
#[derive(Debug, Default)]
pub struct Effects {
    pub engine: Vec<EngineCmd>,
    pub notices: Vec<(Level, String)>,
    pub app: Vec<AppCmd>,
}

impl Effects {
    pub fn notify(&mut self, level: Level, text: impl Into<String>) {
        self.notices.push((level, text.into()));
    }
}

/// What a view can read and ask for while it handles a key.
pub struct Ctx<'a> {
    pub store: &'a Store,
    pub ops: &'a Ops,
    pub keymap: &'a Keymap,
    pub now: Timestamp,
    pub readonly: bool,
    /// Rows a page moves.
    pub page: usize,
    /// The task scope the tasks pane follows without a drill-down (the selected node or
    /// service), and the drill-down when there is one.
    pub follow: Option<TaskScope>,
    pub drill: Option<TaskScope>,
    /// Where drafts go, retention, the cluster's name for drafts.
    pub env: &'a config::ConfigEnv,
    pub fx: &'a mut Effects,
}

impl Ctx<'_> {
    /// The action a key means in this view's context (its own table, then the global one).
    pub fn action(&self, view: &'static str, key: &KeyEvent) -> Option<Action> {
        self.keymap.action_in(view, key)
    }
}

/// What a view can read while it draws.
pub struct DrawCtx<'a> {
    pub store: &'a Store,
    pub ops: &'a Ops,
    pub keymap: &'a Keymap,
    pub theme: &'a Theme,
    pub now: Timestamp,
    pub readonly: bool,
    pub follow: Option<&'a TaskScope>,
    pub drill: Option<&'a TaskScope>,
}

/// Views as `Any`, for the tests (and the app) to look inside the one they expect.
pub trait AsAny {
    fn as_any(&self) -> &dyn std::any::Any;
}

impl<T: std::any::Any> AsAny for T {
    fn as_any(&self) -> &dyn std::any::Any {
        self
    }
}

/// A pane or a popup.
pub trait View: AsAny {
    /// The keymap context (`[keys.<context>]` in the config file) and the view's name.
    fn context(&self) -> &'static str;
    /// Answer a key.
    fn key(&mut self, key: &KeyEvent, cx: &mut Ctx<'_>) -> Outcome;
    /// Answer a bracketed paste: the focused input takes it, or says why not.
    fn paste(&mut self, _text: &str, _cx: &mut Ctx<'_>) -> Outcome {
        Outcome::Ignored
    }
    /// Draw into `area` (a popup places itself inside it). Pure: reads, never changes state.
    fn draw(&self, frame: &mut Frame, area: Rect, cx: &DrawCtx<'_>);
    /// (key, word) pairs for the footer while this view is on top.
    fn hints(&self, keymap: &Keymap) -> Vec<(String, String)>;
    /// The actions this view answers, for the help screen.
    fn actions(&self) -> &'static [Action] {
        &[]
    }
    /// The task histories this view shows (the store keeps them while it is open).
    fn scopes(&self) -> Vec<TaskScope> {
        Vec::new()
    }
    /// A filter typed for this view (`/`); whether it filters.
    fn apply_filter(&mut self, _filter: &str, _data: list::Data<'_>) -> bool {
        false
    }
    /// The swarm data changed.
    fn changed(&mut self, _what: Changed, _cx: &mut Ctx<'_>) {}
    /// A write this view asked for finished.
    fn write_done(
        &mut self,
        _result: &Result<WriteOutcome, WriteError>,
        _cx: &mut Ctx<'_>,
    ) -> Outcome {
        Outcome::Handled
    }
    /// The view was put on the popup stack (its id is known: what it asks now comes back
    /// to it).
    fn opened(&mut self, _cx: &mut Ctx<'_>) {}
    /// A config command this view sent reported progress or finished.
    fn config_msg(&mut self, _msg: ConfigMsg, _cx: &mut Ctx<'_>) -> Outcome {
        Outcome::Handled
    }
    /// A deploy command this view sent finished.
    fn deploy_msg(
        &mut self,
        _answer: crate::engine::deploy::DeployAnswer,
        _cx: &mut Ctx<'_>,
    ) -> Outcome {
        Outcome::Handled
    }
    /// A resource command this view sent finished.
    fn cluster_msg(
        &mut self,
        _answer: crate::engine::cluster::ClusterAnswer,
        _cx: &mut Ctx<'_>,
    ) -> Outcome {
        Outcome::Handled
    }
    /// A part of the error digest this view asked for (`:errors`): one service read, or
    /// the end of the read.
    fn digest_msg(
        &mut self,
        _generation: u64,
        _part: crate::engine::digest::DigestPart,
        _cx: &mut Ctx<'_>,
    ) -> Outcome {
        Outcome::Handled
    }
    /// A secrets or configs command this view sent finished.
    fn secrets_msg(
        &mut self,
        _answer: crate::engine::secrets::SecretsAnswer,
        _cx: &mut Ctx<'_>,
    ) -> Outcome {
        Outcome::Handled
    }
    /// Lines of a log stream this view follows, or its end.
    fn logs_msg(
        &mut self,
        _stream: u64,
        _event: crate::engine::logs::LogsEvent,
        _cx: &mut Ctx<'_>,
    ) -> Outcome {
        Outcome::Handled
    }
    /// A cluster's health was checked (`:clusters`).
    fn clusters_msg(
        &mut self,
        _checked: &crate::clusters::poll::Checked,
        _cx: &mut Ctx<'_>,
    ) -> Outcome {
        Outcome::Handled
    }
    /// The external editor this view asked for returned: the new text, or why not.
    fn external_done(&mut self, _result: Result<String, String>, _cx: &mut Ctx<'_>) -> Outcome {
        Outcome::Handled
    }
    /// Once a second (drafts are saved from here); whether something visible changed.
    fn tick(&mut self, _cx: &mut Ctx<'_>) -> bool {
        false
    }
    /// The dashboard is ending (a quit or a signal): save what must not be lost.
    fn flush(&mut self, _cx: &mut Ctx<'_>) {}
    /// Whether this popup fills the screen (the panes are not drawn under it).
    fn full_screen(&self) -> bool {
        false
    }
    /// A one-line prompt (`:` or `/`) that must stay visible at any terminal height.
    fn prompt_line(&self, _cx: &DrawCtx<'_>, _width: u16) -> Option<ratatui::text::Line<'_>> {
        None
    }
}

/// The theme's style for a notice level.
pub fn level_style(level: Level, theme: &Theme) -> ratatui::style::Style {
    match level {
        Level::Info => theme.info,
        Level::Warn => theme.warn,
        Level::Danger => theme.danger,
    }
}

/// Footer hints from the keymap: the first key of each action, in this view's context.
pub fn hints_for(
    keymap: &Keymap,
    context: &'static str,
    actions: &[(Action, &str)],
) -> Vec<(String, String)> {
    actions
        .iter()
        .filter_map(|(a, word)| {
            Some((
                keymap.keys_in(context, *a).first()?.to_string(),
                (*word).to_string(),
            ))
        })
        .collect()
}

/// A prompt on the bottom line: the prefix (`:` or `/`), what is typed with its cursor, and
/// when it does not fit, `…` where its start gave way, so the end and the cursor stay seen.
pub fn prompt_spans<'a>(
    prefix: &'static str,
    input: &'a crate::widget::TextInput,
    width: u16,
    theme: &Theme,
) -> Vec<ratatui::text::Span<'a>> {
    use ratatui::style::Modifier;
    use ratatui::text::Span;
    let typed = Span::raw(input.text()).width() as u16 + 1;
    let room = width.saturating_sub(1);
    let mut spans = vec![Span::styled(prefix, theme.accent)];
    let cursor = theme.accent.add_modifier(Modifier::REVERSED);
    if typed <= room {
        spans.extend(input.line(typed, theme.accent, cursor, true).spans);
    } else if room >= 3 {
        spans.push(Span::styled("…", theme.accent));
        spans.extend(input.line(room - 1, theme.accent, cursor, true).spans);
    } else {
        spans.extend(input.line(room, theme.accent, cursor, true).spans);
    }
    spans
}

/// A scroll position over lines that stops at the last one: the most it can be is learnt when
/// the lines are drawn (only then is the height known), and kept for the next key.
pub struct Scroll {
    pos: u16,
    max: std::cell::Cell<u16>,
}

impl Default for Scroll {
    fn default() -> Self {
        Scroll {
            pos: 0,
            max: std::cell::Cell::new(u16::MAX),
        }
    }
}

impl Scroll {
    /// The first line shown.
    pub fn pos(&self) -> u16 {
        self.pos.min(self.max.get())
    }

    /// While drawing: `lines` rows into `height`; the first line to show.
    pub fn fit(&self, lines: usize, height: u16) -> u16 {
        let max = u16::try_from(lines)
            .unwrap_or(u16::MAX)
            .saturating_sub(height);
        self.max.set(max);
        self.pos.min(max)
    }

    /// A navigation action; whether it was one.
    pub fn action(&mut self, action: Option<Action>, page: usize) -> bool {
        let max = self.max.get();
        let page = u16::try_from(page).unwrap_or(u16::MAX);
        self.pos = match action {
            Some(Action::Down) => self.pos.saturating_add(1).min(max),
            Some(Action::Up) => self.pos().saturating_sub(1),
            Some(Action::PageDown) => self.pos.saturating_add(page).min(max),
            Some(Action::PageUp) => self.pos().saturating_sub(page),
            Some(Action::Top) => 0,
            Some(Action::Bottom) => max,
            _ => return false,
        };
        true
    }
}
