//! Keys → [`Action`]s through one keymap. Defaults are in code; the config file's `[keys]`
//! table replaces the keys of the actions it names. The help screen and the footer are
//! generated from the keymap, so they always tell the truth.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use serde::{Deserialize, Deserializer};

/// Everything a key can do in the main view.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    Quit,
    Help,
    NextPane,
    PrevPane,
    Up,
    Down,
    Top,
    Bottom,
    PageUp,
    PageDown,
    Enter,
    Back,
    Filter,
    Command,
    Refresh,
    /// Drain the selected node (after a safety check).
    Drain,
    /// Set the selected node active.
    Activate,
    /// Pause the selected node.
    Pause,
    /// Edit the selected node's labels.
    Labels,
    /// Promote the selected worker to manager.
    Promote,
    /// Demote the selected manager to worker.
    Demote,
    /// Force-update unevenly spread services so tasks spread again.
    Rebalance,
    /// Open the global JSON config editor.
    EditConfig,
    /// In the config editor: validate, then show the plan.
    Save,
    /// In the config editor: pretty-print the JSON.
    Format,
    /// In the config editor: hand the text to `$VISUAL` / `$EDITOR`.
    ExternalEdit,
    /// Deploy a new service (the wizard).
    NewService,
    /// Edit the selected service in the wizard.
    EditService,
    /// In the wizard: check this step and go to the next.
    NextStep,
    /// In the wizard: the previous step.
    PrevStep,
    /// Scale the selected replicated service.
    Scale,
    /// Force-update (restart) the selected service: every task redeployed, same spec.
    ForceUpdate,
    /// Roll the selected service back to its previous spec.
    Rollback,
    /// Set the selected service's image.
    UpdateImage,
    /// Remove the selected service (its name typed to confirm).
    RemoveService,
    /// Collapse or expand the stack under the cursor in the services pane.
    ToggleStack,
    /// Show the selected item's hidden value for a while (a join token in `:cluster`).
    Reveal,
    /// Rotate the selected item (a join token in `:cluster`), after a confirm.
    Rotate,
    /// Copy the selected item's ready-to-paste command (OSC 52; `:cluster`: the join command).
    Copy,
    /// Create a new one in this list (`:networks`: an attachable overlay), after a form and
    /// a confirm.
    Create,
    /// Remove the selected item (`:networks`), after a confirm; refused while it is in use.
    Delete,
    /// In `:secrets` / `:configs`: create one (a form, then a confirm).
    NewObject,
    /// In `:secrets` / `:configs`: delete the selected one (refused while in use).
    DeleteObject,
    /// In `:secrets`: rotate the selected secret (`NAME.vN+1`, services moved to it).
    RotateSecret,
    /// In `:configs`: expand or collapse a global config document's versions.
    ToggleGroup,
    /// Follow the selected service's or task's logs (the logs view).
    Logs,
    /// In the logs view: the last lines (the tail), following.
    WindowTail,
    /// In the logs view: the last minute.
    #[serde(rename = "window_1m")]
    Window1m,
    /// In the logs view and `:errors`: the last 5 minutes.
    #[serde(rename = "window_5m")]
    Window5m,
    /// In the logs view and `:errors`: the last 15 minutes.
    #[serde(rename = "window_15m")]
    Window15m,
    /// In the logs view: the last 30 minutes.
    #[serde(rename = "window_30m")]
    Window30m,
    /// In the logs view and `:errors`: the last hour.
    #[serde(rename = "window_1h")]
    Window1h,
    /// In the logs view: the next (newer) match of the search.
    NextMatch,
    /// In the logs view: the previous (older) match of the search.
    PrevMatch,
    /// In the logs view: wrap long lines, or cut them at the edge.
    Wrap,
    /// In the logs view: show or hide the timestamps.
    Timestamps,
    /// In the logs view: stop scrolling (lines still arrive), or follow again.
    PauseLogs,
    /// In the logs view: save the lines held to a file.
    SaveLogs,
    /// In the logs view: reconnect the stream now (after it ended).
    Reconnect,
    /// In `:errors`: the last 6 hours.
    #[serde(rename = "window_6h")]
    Window6h,
    /// In `:errors`: the last 24 hours.
    #[serde(rename = "window_24h")]
    Window24h,
}

/// The views that have their own key table (`[keys.<view>]` in the config file). Keys not
/// bound there come from the global table (`[keys]`).
pub const CONTEXTS: &[&str] = &[
    "nodes",
    "services",
    "tasks",
    "vips",
    "audit",
    "events",
    "task",
    "help",
    "labels",
    "confirm",
    "drain",
    "rebalance",
    "command",
    "filter",
    "config",
    "plan",
    "rollout",
    "conflict",
    "drift",
    "history",
    "draft",
    "deploy",
    "registries",
    "cluster",
    "clusters",
    "networks",
    "volumes",
    "secrets",
    "configs",
    "logs",
    "errors",
];

/// Built-in keys that differ in one view: (view, action, keys). The config editor takes
/// Ctrl-f for pretty-printing, so there PageDown is PgDn only. The services pane's own
/// actions (scale, force update, rollback, image, remove, stacks) have keys there only, so
/// the other panes keep those letters.
const VIEW_DEFAULTS: &[(&str, Action, &[&str])] = &[
    ("config", Action::PageDown, &["pgdn"]),
    ("config", Action::Save, &["ctrl-s"]),
    ("config", Action::Format, &["ctrl-f"]),
    ("config", Action::ExternalEdit, &["ctrl-e"]),
    ("deploy", Action::NextStep, &["ctrl-n"]),
    ("deploy", Action::PrevStep, &["ctrl-p"]),
    ("deploy", Action::Save, &["ctrl-s"]),
    ("services", Action::Scale, &["s"]),
    ("services", Action::ForceUpdate, &["u"]),
    ("services", Action::Rollback, &["b"]),
    ("services", Action::UpdateImage, &["i"]),
    ("services", Action::RemoveService, &["ctrl-d"]),
    ("services", Action::ToggleStack, &["z", "space"]),
    ("cluster", Action::Reveal, &["r"]),
    ("cluster", Action::Rotate, &["R"]),
    ("cluster", Action::Copy, &["c"]),
    ("networks", Action::Create, &["n"]),
    ("networks", Action::Delete, &["ctrl-d"]),
    ("secrets", Action::NewObject, &["n"]),
    ("secrets", Action::DeleteObject, &["ctrl-d"]),
    ("secrets", Action::RotateSecret, &["r"]),
    ("configs", Action::NewObject, &["n"]),
    ("configs", Action::DeleteObject, &["ctrl-d"]),
    ("configs", Action::ToggleGroup, &["space"]),
    // the typed text of a new config, in its editor
    ("configs", Action::Save, &["ctrl-s"]),
    // `l` follows logs where there is a service or a task to follow (a user's global `l`
    // keeps working everywhere else)
    ("services", Action::Logs, &["l"]),
    ("tasks", Action::Logs, &["l"]),
    ("task", Action::Logs, &["l"]),
    ("logs", Action::WindowTail, &["0"]),
    ("logs", Action::Window1m, &["1"]),
    ("logs", Action::Window5m, &["2"]),
    ("logs", Action::Window15m, &["3"]),
    ("logs", Action::Window30m, &["4"]),
    ("logs", Action::Window1h, &["5"]),
    ("logs", Action::NextMatch, &["n"]),
    ("logs", Action::PrevMatch, &["N"]),
    ("logs", Action::Wrap, &["w"]),
    ("logs", Action::Timestamps, &["t"]),
    ("logs", Action::PauseLogs, &["p", "space"]),
    ("logs", Action::SaveLogs, &["s", "ctrl-s"]),
    ("logs", Action::Reconnect, &["r"]),
    ("errors", Action::Refresh, &["r", "ctrl-r"]),
    ("errors", Action::Window5m, &["1"]),
    ("errors", Action::Window15m, &["2"]),
    ("errors", Action::Window1h, &["3"]),
    ("errors", Action::Window6h, &["4"]),
    ("errors", Action::Window24h, &["5"]),
];

impl Action {
    /// The context an action belongs to: "global" (everywhere), or the one view it acts in.
    pub fn home(self) -> &'static str {
        match self {
            Action::Save | Action::Format | Action::ExternalEdit => "config",
            Action::NextStep | Action::PrevStep => "deploy",
            Action::NewService
            | Action::EditService
            | Action::Scale
            | Action::ForceUpdate
            | Action::Rollback
            | Action::UpdateImage
            | Action::RemoveService
            | Action::ToggleStack => "services",
            Action::Reveal | Action::Rotate | Action::Copy => "cluster",
            Action::Create | Action::Delete => "networks",
            Action::NewObject | Action::DeleteObject | Action::RotateSecret => "secrets",
            Action::ToggleGroup => "configs",
            Action::Logs => "services",
            Action::WindowTail
            | Action::Window1m
            | Action::Window5m
            | Action::Window15m
            | Action::Window30m
            | Action::Window1h
            | Action::NextMatch
            | Action::PrevMatch
            | Action::Wrap
            | Action::Timestamps
            | Action::PauseLogs
            | Action::SaveLogs
            | Action::Reconnect => "logs",
            Action::Window6h | Action::Window24h => "errors",
            a if a.is_write() => "nodes",
            _ => "global",
        }
    }

    /// The action with this config name.
    pub fn from_name(name: &str) -> Option<Action> {
        Action::ALL.iter().copied().find(|a| a.name() == name)
    }

    /// Every action, in help-screen order.
    pub const ALL: &'static [Action] = &[
        Action::Help,
        Action::Quit,
        Action::NextPane,
        Action::PrevPane,
        Action::Up,
        Action::Down,
        Action::Top,
        Action::Bottom,
        Action::PageUp,
        Action::PageDown,
        Action::Enter,
        Action::Back,
        Action::Filter,
        Action::Command,
        Action::Refresh,
        Action::Drain,
        Action::Activate,
        Action::Pause,
        Action::Labels,
        Action::Promote,
        Action::Demote,
        Action::Rebalance,
        Action::EditConfig,
        Action::Save,
        Action::Format,
        Action::ExternalEdit,
        Action::NewService,
        Action::EditService,
        Action::NextStep,
        Action::PrevStep,
        Action::Scale,
        Action::ForceUpdate,
        Action::Rollback,
        Action::UpdateImage,
        Action::RemoveService,
        Action::ToggleStack,
        Action::Reveal,
        Action::Rotate,
        Action::Copy,
        Action::Create,
        Action::Delete,
        Action::NewObject,
        Action::DeleteObject,
        Action::RotateSecret,
        Action::ToggleGroup,
        Action::Logs,
        Action::WindowTail,
        Action::Window1m,
        Action::Window5m,
        Action::Window15m,
        Action::Window30m,
        Action::Window1h,
        Action::NextMatch,
        Action::PrevMatch,
        Action::Wrap,
        Action::Timestamps,
        Action::PauseLogs,
        Action::SaveLogs,
        Action::Reconnect,
        Action::Window6h,
        Action::Window24h,
    ];

    /// The name used in the config file's `[keys]` table.
    pub fn name(self) -> &'static str {
        match self {
            Action::Quit => "quit",
            Action::Help => "help",
            Action::NextPane => "next_pane",
            Action::PrevPane => "prev_pane",
            Action::Up => "up",
            Action::Down => "down",
            Action::Top => "top",
            Action::Bottom => "bottom",
            Action::PageUp => "page_up",
            Action::PageDown => "page_down",
            Action::Enter => "enter",
            Action::Back => "back",
            Action::Filter => "filter",
            Action::Command => "command",
            Action::Refresh => "refresh",
            Action::Drain => "drain",
            Action::Activate => "activate",
            Action::Pause => "pause",
            Action::Labels => "labels",
            Action::Promote => "promote",
            Action::Demote => "demote",
            Action::Rebalance => "rebalance",
            Action::EditConfig => "edit_config",
            Action::Save => "save",
            Action::Format => "format",
            Action::ExternalEdit => "external_edit",
            Action::NewService => "new_service",
            Action::EditService => "edit_service",
            Action::NextStep => "next_step",
            Action::PrevStep => "prev_step",
            Action::Scale => "scale",
            Action::ForceUpdate => "force_update",
            Action::Rollback => "rollback",
            Action::UpdateImage => "update_image",
            Action::RemoveService => "remove_service",
            Action::ToggleStack => "toggle_stack",
            Action::Reveal => "reveal",
            Action::Rotate => "rotate",
            Action::Copy => "copy",
            Action::Create => "create",
            Action::Delete => "delete",
            Action::NewObject => "new_object",
            Action::DeleteObject => "delete_object",
            Action::RotateSecret => "rotate_secret",
            Action::ToggleGroup => "toggle_group",
            Action::Logs => "logs",
            Action::WindowTail => "window_tail",
            Action::Window1m => "window_1m",
            Action::Window5m => "window_5m",
            Action::Window15m => "window_15m",
            Action::Window30m => "window_30m",
            Action::Window1h => "window_1h",
            Action::NextMatch => "next_match",
            Action::PrevMatch => "prev_match",
            Action::Wrap => "wrap",
            Action::Timestamps => "timestamps",
            Action::PauseLogs => "pause_logs",
            Action::SaveLogs => "save_logs",
            Action::Reconnect => "reconnect",
            Action::Window6h => "window_6h",
            Action::Window24h => "window_24h",
        }
    }

    /// One line for the help screen.
    pub fn description(self) -> &'static str {
        match self {
            Action::Quit => "quit",
            Action::Help => "this help",
            Action::NextPane => "next pane",
            Action::PrevPane => "previous pane",
            Action::Up => "move up",
            Action::Down => "move down",
            Action::Top => "first row",
            Action::Bottom => "last row",
            Action::PageUp => "page up",
            Action::PageDown => "page down",
            Action::Enter => "open: node or service → its tasks; task → its details",
            Action::Back => "back (leave drill-down, clear filter)",
            Action::Filter => "filter the focused pane",
            Action::Command => "command line (:nodes :services :tasks :q)",
            Action::Refresh => "re-read everything now",
            Action::Drain => "drain the node (safety check first, then live progress)",
            Action::Activate => "set the node active",
            Action::Pause => "pause the node (no new tasks)",
            Action::Labels => "edit the node's labels",
            Action::Promote => "promote the node to manager (quorum shown)",
            Action::Demote => "demote the manager to worker (refused if quorum breaks)",
            Action::Rebalance => "spread tasks again (force-update uneven services)",
            Action::EditConfig => "edit the global JSON config (:config NAME for another)",
            Action::Save => "validate, then show the plan before publishing",
            Action::Format => "pretty-print the JSON",
            Action::ExternalEdit => "edit the text in $VISUAL / $EDITOR",
            Action::NewService => "deploy a new service (the six-step wizard)",
            Action::EditService => {
                "edit the service in the wizard (what the form does not show is kept)"
            }
            Action::NextStep => "check this step, then the next",
            Action::PrevStep => "the previous step",
            Action::Scale => "scale the service (replicated only)",
            Action::ForceUpdate => {
                "force update: redeploy every task, same spec (a job runs again)"
            }
            Action::Rollback => "roll the service back to its previous spec (diff first)",
            Action::UpdateImage => {
                "set the service's image (pulled with config.json's credentials)"
            }
            Action::RemoveService => "remove the service (its name typed to confirm)",
            Action::ToggleStack => "collapse or expand the stack",
            Action::Reveal => "reveal the selected join token for 30 s",
            Action::Rotate => "rotate the selected join token (confirmed first)",
            Action::Copy => "copy the ready-to-paste join command (OSC 52)",
            Action::Create => "create one: an attachable overlay network (form, then confirm)",
            Action::Delete => "remove the selected network (refused while in use)",
            Action::NewObject => "create a secret or config (a form, then a confirm)",
            Action::DeleteObject => {
                "delete the secret or config (refused while a service uses it; its name typed)"
            }
            Action::RotateSecret => {
                "rotate the secret: NAME.vN+1, every service moved to it, then the old one offered for deletion"
            }
            Action::ToggleGroup => "expand or collapse a global config document's versions",
            Action::Logs => "follow the logs of the service or task (full screen)",
            Action::WindowTail => "logs: the last lines (the tail), following",
            Action::Window1m => "logs: the last minute",
            Action::Window5m => "the last 5 minutes (logs: then live; errors: read again)",
            Action::Window15m => "the last 15 minutes (the errors' default)",
            Action::Window30m => "logs: the last 30 minutes",
            Action::Window1h => "the last hour",
            Action::NextMatch => "next (newer) match of the search",
            Action::PrevMatch => "previous (older) match of the search",
            Action::Wrap => "wrap long lines, or cut them at the edge",
            Action::Timestamps => "show or hide the timestamps",
            Action::PauseLogs => "pause: stop scrolling (lines keep arriving), again to follow",
            Action::SaveLogs => "save the lines held to a file (asks for the path)",
            Action::Reconnect => "reconnect the log stream now",
            Action::Window6h => "errors of the last 6 hours (read again)",
            Action::Window24h => "errors of the last 24 hours (read again)",
        }
    }

    /// Whether the action changes the swarm. Readonly mode removes these from the keymap,
    /// the help screen and the command line.
    pub fn is_write(self) -> bool {
        matches!(
            self,
            Action::Drain
                | Action::Activate
                | Action::Pause
                | Action::Labels
                | Action::Promote
                | Action::Demote
                | Action::Rebalance
                | Action::NewService
                | Action::EditService
                | Action::Scale
                | Action::ForceUpdate
                | Action::Rollback
                | Action::UpdateImage
                | Action::RemoveService
                | Action::Rotate
                | Action::Create
                | Action::Delete
                | Action::NewObject
                | Action::DeleteObject
                | Action::RotateSecret
        )
    }

    fn defaults(self) -> &'static [&'static str] {
        match self {
            Action::Quit => &["q", "ctrl-c"],
            Action::Help => &["?"],
            Action::NextPane => &["tab"],
            Action::PrevPane => &["shift-tab"],
            Action::Up => &["k", "up"],
            Action::Down => &["j", "down"],
            Action::Top => &["g", "home"],
            Action::Bottom => &["G", "end"],
            Action::PageUp => &["pgup", "ctrl-b"],
            Action::PageDown => &["pgdn", "ctrl-f"],
            Action::Enter => &["enter"],
            Action::Back => &["esc"],
            Action::Filter => &["/"],
            Action::Command => &[":"],
            Action::Refresh => &["ctrl-r"],
            Action::Drain => &["D"],
            Action::Activate => &["A"],
            Action::Pause => &["P"],
            Action::Labels => &["L"],
            Action::Promote => &["+"],
            Action::Demote => &["-"],
            Action::Rebalance => &["R"],
            Action::EditConfig => &["E"],
            // the config editor's own keys (VIEW_DEFAULTS)
            Action::Save | Action::Format | Action::ExternalEdit => &[],
            Action::NextStep | Action::PrevStep => &[],
            // the services pane's own keys (VIEW_DEFAULTS)
            Action::Scale
            | Action::ForceUpdate
            | Action::Rollback
            | Action::UpdateImage
            | Action::RemoveService
            | Action::ToggleStack => &[],
            // keys of their own views only (VIEW_DEFAULTS)
            Action::Reveal | Action::Rotate | Action::Copy => &[],
            Action::Create | Action::Delete => &[],
            // their views' own keys (VIEW_DEFAULTS)
            Action::NewObject
            | Action::DeleteObject
            | Action::RotateSecret
            | Action::ToggleGroup => &[],
            // the error digest's own keys (VIEW_DEFAULTS)
            Action::Window6h | Action::Window24h => &[],
            Action::NewService => &["N"],
            Action::EditService => &["e"],
            // the logs view's own keys, and `l` where there is something to follow
            // (VIEW_DEFAULTS)
            Action::Logs
            | Action::WindowTail
            | Action::Window1m
            | Action::Window5m
            | Action::Window15m
            | Action::Window30m
            | Action::Window1h
            | Action::NextMatch
            | Action::PrevMatch
            | Action::Wrap
            | Action::Timestamps
            | Action::PauseLogs
            | Action::SaveLogs
            | Action::Reconnect => &[],
        }
    }
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// One key with its modifiers, as written in the config file (`"ctrl-r"`, `"shift-tab"`, `"G"`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct KeyBinding {
    pub code: KeyCode,
    pub mods: KeyModifiers,
}

impl KeyBinding {
    /// Ctrl-c: it always quits, from anywhere; no config can take it away or rebind it.
    pub fn ctrl_c() -> Self {
        KeyBinding {
            code: KeyCode::Char('c'),
            mods: KeyModifiers::CONTROL,
        }
    }

    pub const CTRL_C_RESERVED: &'static str =
        "Ctrl-c always quits and cannot be bound to another action";

    /// Normalise a terminal key event: shift is part of a character, and Shift-Tab is BackTab.
    pub fn from_event(ev: &KeyEvent) -> Self {
        let mut mods =
            ev.modifiers & (KeyModifiers::CONTROL | KeyModifiers::ALT | KeyModifiers::SHIFT);
        let code = match ev.code {
            KeyCode::BackTab => {
                mods.remove(KeyModifiers::SHIFT);
                KeyCode::BackTab
            }
            KeyCode::Char(c) => {
                mods.remove(KeyModifiers::SHIFT);
                KeyCode::Char(c)
            }
            other => other,
        };
        KeyBinding { code, mods }
    }
}

impl FromStr for KeyBinding {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let mut mods = KeyModifiers::NONE;
        let mut rest = s;
        loop {
            let lower = rest.to_ascii_lowercase();
            if rest.len() > 1 && lower.starts_with("ctrl-") {
                mods |= KeyModifiers::CONTROL;
                rest = &rest[5..];
            } else if rest.len() > 1 && lower.starts_with("alt-") {
                mods |= KeyModifiers::ALT;
                rest = &rest[4..];
            } else if rest.len() > 1 && lower.starts_with("shift-") {
                mods |= KeyModifiers::SHIFT;
                rest = &rest[6..];
            } else {
                break;
            }
        }
        let mut chars = rest.chars();
        let code = match (chars.next(), chars.next()) {
            (Some(c), None) => KeyCode::Char(c),
            _ => match rest.to_ascii_lowercase().as_str() {
                "tab" if mods.contains(KeyModifiers::SHIFT) => {
                    mods.remove(KeyModifiers::SHIFT);
                    KeyCode::BackTab
                }
                "tab" => KeyCode::Tab,
                "backtab" => KeyCode::BackTab,
                "enter" | "return" => KeyCode::Enter,
                "esc" | "escape" => KeyCode::Esc,
                "space" => KeyCode::Char(' '),
                "up" => KeyCode::Up,
                "down" => KeyCode::Down,
                "left" => KeyCode::Left,
                "right" => KeyCode::Right,
                "pgup" | "pageup" => KeyCode::PageUp,
                "pgdn" | "pagedown" => KeyCode::PageDown,
                "home" => KeyCode::Home,
                "end" => KeyCode::End,
                "backspace" => KeyCode::Backspace,
                "delete" | "del" => KeyCode::Delete,
                "insert" | "ins" => KeyCode::Insert,
                f if f.starts_with('f') && f.len() <= 3 => match f[1..].parse::<u8>() {
                    Ok(n @ 1..=12) => KeyCode::F(n),
                    _ => return Err(format!("unknown key {s:?}")),
                },
                _ => {
                    return Err(format!(
                        "unknown key {s:?} (examples: \"j\", \"ctrl-r\", \"shift-tab\", \"pgdn\", \"f5\")"
                    ));
                }
            },
        };
        if let KeyCode::Char(c) = code {
            // "shift-g" means "G"
            if mods.contains(KeyModifiers::SHIFT) {
                mods.remove(KeyModifiers::SHIFT);
                return Ok(KeyBinding {
                    code: KeyCode::Char(c.to_ascii_uppercase()),
                    mods,
                });
            }
        }
        Ok(KeyBinding { code, mods })
    }
}

impl<'de> Deserialize<'de> for KeyBinding {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

impl fmt::Display for KeyBinding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.mods.contains(KeyModifiers::CONTROL) {
            f.write_str("Ctrl-")?;
        }
        if self.mods.contains(KeyModifiers::ALT) {
            f.write_str("Alt-")?;
        }
        if self.mods.contains(KeyModifiers::SHIFT) {
            f.write_str("Shift-")?;
        }
        match self.code {
            KeyCode::Char(' ') => f.write_str("Space"),
            KeyCode::Char(c) => write!(f, "{c}"),
            KeyCode::Tab => f.write_str("Tab"),
            KeyCode::BackTab => f.write_str("Shift-Tab"),
            KeyCode::Enter => f.write_str("Enter"),
            KeyCode::Esc => f.write_str("Esc"),
            KeyCode::Up => f.write_str("↑"),
            KeyCode::Down => f.write_str("↓"),
            KeyCode::Left => f.write_str("←"),
            KeyCode::Right => f.write_str("→"),
            KeyCode::PageUp => f.write_str("PgUp"),
            KeyCode::PageDown => f.write_str("PgDn"),
            KeyCode::Home => f.write_str("Home"),
            KeyCode::End => f.write_str("End"),
            KeyCode::Backspace => f.write_str("Backspace"),
            KeyCode::Delete => f.write_str("Del"),
            KeyCode::Insert => f.write_str("Ins"),
            KeyCode::F(n) => write!(f, "F{n}"),
            other => write!(f, "{other:?}"),
        }
    }
}

/// Keys as the config file writes them: one key or a list.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(untagged)]
pub enum KeyList {
    One(KeyBinding),
    Many(Vec<KeyBinding>),
}

impl KeyList {
    pub fn keys(&self) -> Vec<KeyBinding> {
        match self {
            KeyList::One(k) => vec![*k],
            KeyList::Many(v) => v.clone(),
        }
    }
}

/// The `[keys]` table of the config file: global overrides, and per-view tables
/// (`[keys.nodes]`, `[keys.help]`…) that apply in that view only.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct KeyTable {
    pub global: BTreeMap<Action, KeyList>,
    pub views: BTreeMap<String, BTreeMap<Action, KeyList>>,
}

impl From<BTreeMap<Action, KeyList>> for KeyTable {
    fn from(global: BTreeMap<Action, KeyList>) -> Self {
        KeyTable {
            global,
            views: BTreeMap::new(),
        }
    }
}

impl<'de> Deserialize<'de> for KeyTable {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = KeyTable;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a table of actions and views")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> Result<KeyTable, A::Error> {
                let mut table = KeyTable::default();
                /// A name that is an action and a view (`help`, `drain`…): keys or a table.
                #[derive(Deserialize)]
                #[serde(untagged)]
                enum Entry {
                    Keys(KeyList),
                    Table(BTreeMap<Action, KeyList>),
                }
                while let Some(name) = map.next_key::<String>()? {
                    let action = Action::from_name(&name);
                    let view = CONTEXTS.contains(&name.as_str());
                    if let (Some(action), true) = (action, view) {
                        match map.next_value::<Entry>()? {
                            Entry::Keys(k) => {
                                table.global.insert(action, k);
                            }
                            Entry::Table(t) => {
                                table.views.insert(name, t);
                            }
                        }
                    } else if let Some(action) = action {
                        table.global.insert(action, map.next_value()?);
                    } else if view {
                        table.views.insert(name, map.next_value()?);
                    } else {
                        let actions: Vec<String> =
                            Action::ALL.iter().map(|a| format!("`{a}`")).collect();
                        let views: Vec<String> =
                            CONTEXTS.iter().map(|c| format!("`{c}`")).collect();
                        return Err(serde::de::Error::custom(format!(
                            "unknown action `{name}` in [keys]; expected one of {}, or a view's table: {}",
                            actions.join(", "),
                            views.join(", ")
                        )));
                    }
                }
                Ok(table)
            }
        }
        d.deserialize_map(V)
    }
}

/// The resolved keymap.
#[derive(Debug, Clone)]
pub struct Keymap {
    bindings: BTreeMap<Action, Vec<KeyBinding>>,
    /// Per-view overrides: in that view, these actions have exactly these keys.
    views: BTreeMap<String, BTreeMap<Action, Vec<KeyBinding>>>,
    /// The view entries that are built in ([`VIEW_DEFAULTS`]) and not the user's: in their
    /// view they win over a global key (`ctrl-n` is the wizard's next step even when the
    /// config file binds it to `down`).
    builtin: std::collections::BTreeSet<(String, Action)>,
}

impl Default for Keymap {
    fn default() -> Self {
        let bindings = Action::ALL
            .iter()
            .map(|a| {
                let keys = a
                    .defaults()
                    .iter()
                    .map(|k| {
                        k.parse()
                            .unwrap_or_else(|e| panic!("built-in key {k}: {e}"))
                    })
                    .collect();
                (*a, keys)
            })
            .collect();
        let mut views: BTreeMap<String, BTreeMap<Action, Vec<KeyBinding>>> = BTreeMap::new();
        for (view, action, keys) in VIEW_DEFAULTS {
            let keys = keys
                .iter()
                .map(|k| {
                    k.parse()
                        .unwrap_or_else(|e| panic!("built-in key {k}: {e}"))
                })
                .collect();
            views
                .entry((*view).to_string())
                .or_default()
                .insert(*action, keys);
        }
        let builtin = VIEW_DEFAULTS
            .iter()
            .map(|(v, a, _)| ((*v).to_string(), *a))
            .collect();
        Keymap {
            bindings,
            views,
            builtin,
        }
    }
}

impl Keymap {
    /// Defaults with the user's overrides. `readonly` removes every write action.
    /// Errors name the conflicting keys.
    pub fn new(table: &KeyTable, readonly: bool) -> Result<Self, String> {
        let mut map = Keymap::default();
        let ctrl_c = KeyBinding::ctrl_c();
        let list = |action: Action, keys: &KeyList| -> Result<Vec<KeyBinding>, String> {
            let mut out: Vec<KeyBinding> = Vec::new();
            for k in keys.keys() {
                if k == ctrl_c && action != Action::Quit {
                    return Err(format!("{action}: {}", KeyBinding::CTRL_C_RESERVED));
                }
                if !out.contains(&k) {
                    out.push(k);
                }
            }
            Ok(out)
        };
        for (action, keys) in &table.global {
            map.bindings.insert(*action, list(*action, keys)?);
        }
        for (view, actions) in &table.views {
            let mut t = BTreeMap::new();
            for (action, keys) in actions {
                t.insert(*action, list(*action, keys)?);
            }
            // over the built-in view keys, action by action (restating a built-in key
            // keeps it built in: it still wins over a global key in its view)
            for (a, keys) in &t {
                let same = map
                    .views
                    .get(view)
                    .and_then(|v| v.get(a))
                    .is_some_and(|b| b == keys);
                if !same {
                    map.builtin.remove(&(view.clone(), *a));
                }
            }
            map.views.entry(view.clone()).or_default().extend(t);
        }
        // one way out that no config can remove
        if let Some(quit) = map.bindings.get_mut(&Action::Quit)
            && !quit.contains(&ctrl_c)
        {
            quit.push(ctrl_c);
        }
        if readonly {
            map.bindings.retain(|a, _| !a.is_write());
            for t in map.views.values_mut() {
                t.retain(|a, _| !a.is_write());
            }
        }
        map.check()?;
        Ok(map)
    }

    /// Every key means one action in each context (its own table and the global one).
    fn check(&self) -> Result<(), String> {
        for ctx in std::iter::once("global").chain(CONTEXTS.iter().copied()) {
            let mut seen: BTreeMap<String, Action> = BTreeMap::new();
            for action in Action::ALL {
                for k in self.keys_in(ctx, *action) {
                    if let Some(other) = seen.insert(k.to_string(), *action)
                        && other != *action
                        && !self.shadows(ctx, *action, other, k)
                    {
                        let place = if ctx == "global" {
                            String::new()
                        } else {
                            format!(" in [keys.{ctx}]")
                        };
                        return Err(format!(
                            "key {k} is bound to both {other} and {action}{place}"
                        ));
                    }
                }
            }
        }
        Ok(())
    }

    /// Whether `k`, bound to both `a` and `b` in view `ctx`, is a built-in view key that
    /// shadows a global one there (allowed: the view's key wins in its view).
    fn shadows(&self, ctx: &str, a: Action, b: Action, k: &KeyBinding) -> bool {
        let in_view = |x: Action| {
            self.views
                .get(ctx)
                .and_then(|t| t.get(&x))
                .is_some_and(|keys| keys.contains(k))
        };
        let builtin = |x: Action| self.builtin.contains(&(ctx.to_string(), x)) && in_view(x);
        (builtin(a) && !in_view(b)) || (builtin(b) && !in_view(a))
    }

    /// The action a key means in view `ctx`: its own table first, then the global one.
    pub fn action_in(&self, ctx: &str, ev: &KeyEvent) -> Option<Action> {
        let key = KeyBinding::from_event(ev);
        if let Some(t) = self.views.get(ctx)
            && let Some(a) = Action::ALL
                .iter()
                .copied()
                .find(|a| t.get(a).is_some_and(|keys| keys.contains(&key)))
        {
            return Some(a);
        }
        Action::ALL
            .iter()
            .copied()
            .find(|a| self.keys_in(ctx, *a).contains(&key))
    }

    /// The keys of an action in view `ctx`.
    pub fn keys_in(&self, ctx: &str, action: Action) -> &[KeyBinding] {
        match self.views.get(ctx).and_then(|t| t.get(&action)) {
            Some(keys) => keys,
            None => self.keys(action),
        }
    }

    /// (keys, description) for the help screen of view `ctx`: the global actions and the
    /// view's own, with the keys in force there.
    pub fn help_rows_in(&self, ctx: &str, own: &[Action]) -> Vec<(String, &'static str)> {
        Action::ALL
            .iter()
            .filter(|a| a.home() == "global" || own.contains(a))
            .filter(|a| !self.keys_in(ctx, **a).is_empty())
            .map(|a| {
                let text = self
                    .keys_in(ctx, *a)
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join(", ");
                (text, a.description())
            })
            .collect()
    }

    pub fn action(&self, ev: &KeyEvent) -> Option<Action> {
        let key = KeyBinding::from_event(ev);
        self.bindings
            .iter()
            .find(|(_, keys)| keys.contains(&key))
            .map(|(a, _)| *a)
    }

    pub fn keys(&self, action: Action) -> &[KeyBinding] {
        self.bindings.get(&action).map(Vec::as_slice).unwrap_or(&[])
    }

    /// "j, ↓" for the help screen.
    pub fn keys_text(&self, action: Action) -> String {
        self.keys(action)
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// (keys, description) for every bound action, in help order.
    pub fn help_rows(&self) -> Vec<(String, &'static str)> {
        Action::ALL
            .iter()
            .filter(|a| !self.keys(**a).is_empty())
            .map(|a| (self.keys_text(*a), a.description()))
            .collect()
    }

    /// Every bound action (for tests that walk the keymap).
    pub fn actions(&self) -> impl Iterator<Item = Action> + '_ {
        self.bindings
            .iter()
            .filter(|(_, k)| !k.is_empty())
            .map(|(a, _)| *a)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ratatui::crossterm::event::KeyEventKind;

    fn key(code: KeyCode, mods: KeyModifiers) -> KeyEvent {
        KeyEvent::new_with_kind(code, mods, KeyEventKind::Press)
    }

    #[test]
    fn defaults_resolve() {
        let km = Keymap::default();
        assert_eq!(
            km.action(&key(KeyCode::Char('j'), KeyModifiers::NONE)),
            Some(Action::Down)
        );
        assert_eq!(
            km.action(&key(KeyCode::Down, KeyModifiers::NONE)),
            Some(Action::Down)
        );
        // terminals report G with or without SHIFT
        assert_eq!(
            km.action(&key(KeyCode::Char('G'), KeyModifiers::SHIFT)),
            Some(Action::Bottom)
        );
        assert_eq!(
            km.action(&key(KeyCode::Char('G'), KeyModifiers::NONE)),
            Some(Action::Bottom)
        );
        assert_eq!(
            km.action(&key(KeyCode::BackTab, KeyModifiers::SHIFT)),
            Some(Action::PrevPane)
        );
        assert_eq!(
            km.action(&key(KeyCode::Char('c'), KeyModifiers::CONTROL)),
            Some(Action::Quit)
        );
        assert_eq!(
            km.action(&key(KeyCode::Char('x'), KeyModifiers::NONE)),
            None
        );
    }

    #[test]
    fn secrets_and_configs_have_their_own_keys_and_no_write_key_in_readonly() {
        let km = Keymap::default();
        let r = key(KeyCode::Char('r'), KeyModifiers::NONE);
        let n = key(KeyCode::Char('n'), KeyModifiers::NONE);
        let ctrl_d = key(KeyCode::Char('d'), KeyModifiers::CONTROL);
        let space = key(KeyCode::Char(' '), KeyModifiers::NONE);
        assert_eq!(km.action_in("secrets", &r), Some(Action::RotateSecret));
        assert_eq!(km.action_in("nodes", &r), None);
        assert_eq!(km.action_in("secrets", &n), Some(Action::NewObject));
        assert_eq!(km.action_in("configs", &n), Some(Action::NewObject));
        assert_eq!(km.action_in("configs", &ctrl_d), Some(Action::DeleteObject));
        assert_eq!(km.action_in("configs", &space), Some(Action::ToggleGroup));
        assert_eq!(km.action_in("nodes", &n), None);
        let ro = Keymap::new(&KeyTable::default(), true).unwrap();
        for k in [&r, &n, &ctrl_d] {
            assert_eq!(ro.action_in("secrets", k), None, "{k:?}");
            assert_eq!(ro.action_in("configs", k), None, "{k:?}");
        }
        assert_eq!(ro.action_in("configs", &space), Some(Action::ToggleGroup));
    }

    #[test]
    fn every_action_name_reads_back_as_the_action() {
        // `[keys.<view>]` tables read actions through serde, `[keys]` through `from_name`
        for a in Action::ALL {
            let t: BTreeMap<String, Action> =
                toml::from_str(&format!("x = \"{}\"", a.name())).unwrap();
            assert_eq!(t["x"], *a);
            assert_eq!(Action::from_name(a.name()), Some(*a));
        }
    }

    #[test]
    fn logs_keys_are_where_there_is_something_to_follow() {
        let km = Keymap::default();
        let ch = |c| key(KeyCode::Char(c), KeyModifiers::NONE);
        for view in ["services", "tasks", "task"] {
            assert_eq!(km.action_in(view, &ch('l')), Some(Action::Logs), "{view}");
        }
        assert_eq!(km.action_in("nodes", &ch('l')), None);
        // in the logs view its own keys win: N is the previous match, not a new service
        let big_n = key(KeyCode::Char('N'), KeyModifiers::SHIFT);
        assert_eq!(km.action_in("logs", &big_n), Some(Action::PrevMatch));
        assert_eq!(km.action_in("services", &big_n), Some(Action::NewService));
        assert_eq!(km.action_in("logs", &ch('n')), Some(Action::NextMatch));
        assert_eq!(km.action_in("logs", &ch(' ')), Some(Action::PauseLogs));
        assert_eq!(km.action_in("logs", &ch('p')), Some(Action::PauseLogs));
        assert_eq!(
            km.action_in("nodes", &ch('p')),
            None,
            "P pauses a node, p nothing"
        );
        let ctrl_s = key(KeyCode::Char('s'), KeyModifiers::CONTROL);
        assert_eq!(km.action_in("logs", &ctrl_s), Some(Action::SaveLogs));
        assert_eq!(km.action_in("logs", &ch('s')), Some(Action::SaveLogs));
        assert_eq!(km.action_in("services", &ch('s')), Some(Action::Scale));
        for (c, a) in [
            ('0', Action::WindowTail),
            ('1', Action::Window1m),
            ('2', Action::Window5m),
            ('3', Action::Window15m),
            ('4', Action::Window30m),
            ('5', Action::Window1h),
        ] {
            assert_eq!(km.action_in("logs", &ch(c)), Some(a));
            assert_eq!(km.action_in("nodes", &ch(c)), None);
        }
        assert_eq!(km.action_in("logs", &ch('/')), Some(Action::Filter));
        assert_eq!(km.action_in("logs", &ch('G')), Some(Action::Bottom));
        // a user's global `l` still loads and works everywhere else
        let mut o = BTreeMap::new();
        o.insert(
            Action::NextPane,
            KeyList::Many(vec!["tab".parse().unwrap(), "l".parse().unwrap()]),
        );
        let km = Keymap::new(&KeyTable::from(o), false).expect("a global l loads");
        assert_eq!(km.action_in("nodes", &ch('l')), Some(Action::NextPane));
        assert_eq!(km.action_in("services", &ch('l')), Some(Action::Logs));
        // readonly keeps them all: they only read
        let ro = Keymap::new(&KeyTable::default(), true).unwrap();
        assert_eq!(ro.action_in("services", &ch('l')), Some(Action::Logs));
        assert_eq!(ro.action_in("logs", &ch('s')), Some(Action::SaveLogs));
    }

    #[test]
    fn the_error_digest_has_its_own_keys_in_readonly_mode_too() {
        let ch = |c| key(KeyCode::Char(c), KeyModifiers::NONE);
        for km in [
            Keymap::default(),
            Keymap::new(&KeyTable::default(), true).unwrap(),
        ] {
            assert_eq!(km.action_in("errors", &ch('1')), Some(Action::Window5m));
            assert_eq!(km.action_in("errors", &ch('3')), Some(Action::Window1h));
            assert_eq!(km.action_in("errors", &ch('5')), Some(Action::Window24h));
            assert_eq!(km.action_in("errors", &ch('r')), Some(Action::Refresh));
            let ctrl_r = key(KeyCode::Char('r'), KeyModifiers::CONTROL);
            assert_eq!(km.action_in("errors", &ctrl_r), Some(Action::Refresh));
            assert_eq!(km.action_in("nodes", &ch('1')), None);
            assert_eq!(km.action_in("nodes", &ch('r')), None);
        }
        assert_eq!(Action::from_name("window_6h"), Some(Action::Window6h));
        assert_eq!(Action::Window6h.home(), "errors");
    }

    #[test]
    fn a_built_in_view_key_wins_in_its_view_over_a_global_binding() {
        let mut o = BTreeMap::new();
        o.insert(
            Action::Down,
            KeyList::Many(vec!["j".parse().unwrap(), "ctrl-n".parse().unwrap()]),
        );
        let km = Keymap::new(&KeyTable::from(o), false).expect("ctrl-n for down loads");
        let ctrl_n = key(KeyCode::Char('n'), KeyModifiers::CONTROL);
        assert_eq!(km.action_in("nodes", &ctrl_n), Some(Action::Down));
        assert_eq!(km.action_in("deploy", &ctrl_n), Some(Action::NextStep));
        // the user's own view table still may not clash
        let mut t = KeyTable::default();
        let mut deploy = BTreeMap::new();
        deploy.insert(Action::Down, KeyList::One("ctrl-n".parse().unwrap()));
        t.views.insert("deploy".into(), deploy);
        assert!(Keymap::new(&t, false).is_err());
    }

    #[test]
    fn the_resource_popups_keys_are_theirs_and_writes_go_in_readonly() {
        let km = Keymap::default();
        let ch = |c| key(KeyCode::Char(c), KeyModifiers::NONE);
        let big_r = key(KeyCode::Char('R'), KeyModifiers::SHIFT);
        assert_eq!(km.action_in("cluster", &big_r), Some(Action::Rotate));
        assert_eq!(km.action_in("nodes", &big_r), Some(Action::Rebalance));
        assert_eq!(km.action_in("cluster", &ch('r')), Some(Action::Reveal));
        assert_eq!(km.action_in("cluster", &ch('c')), Some(Action::Copy));
        assert_eq!(km.action_in("nodes", &ch('r')), None);
        let ctrl_d = key(KeyCode::Char('d'), KeyModifiers::CONTROL);
        assert_eq!(km.action_in("networks", &ctrl_d), Some(Action::Delete));
        assert_eq!(km.action_in("networks", &ch('n')), Some(Action::Create));
        // restating a built-in view key loads, and still wins in its view
        let mut t = KeyTable::default();
        let mut cluster = BTreeMap::new();
        cluster.insert(Action::Rotate, KeyList::One("R".parse().unwrap()));
        t.views.insert("cluster".into(), cluster);
        let km = Keymap::new(&t, false).expect("the example's own lines load");
        assert_eq!(km.action_in("cluster", &big_r), Some(Action::Rotate));
        // readonly: no rotate, create or delete; reveal and copy stay (they only read)
        let ro = Keymap::new(&KeyTable::default(), true).unwrap();
        assert_eq!(ro.action_in("cluster", &big_r), None);
        assert_eq!(ro.action_in("networks", &ctrl_d), None);
        assert_eq!(ro.action_in("networks", &ch('n')), None);
        assert_eq!(ro.action_in("cluster", &ch('r')), Some(Action::Reveal));
        assert_eq!(ro.action_in("cluster", &ch('c')), Some(Action::Copy));
    }

    #[test]
    fn every_action_has_a_default_key_and_help() {
        let km = Keymap::default();
        for a in Action::ALL {
            // the config editor's, the wizard's, the services pane's and the resource
            // popups' own actions have their keys in their view only
            let ctx = VIEW_DEFAULTS
                .iter()
                .find(|(_, x, _)| x == a && a.defaults().is_empty())
                .map_or("global", |(v, _, _)| *v);
            assert!(!km.keys_in(ctx, *a).is_empty(), "{a} has no key in {ctx}");
            assert!(
                a.home() == "global" || CONTEXTS.contains(&a.home()),
                "{a}'s home is a view"
            );
        }
        let own = [Action::Save, Action::Format, Action::ExternalEdit];
        let services = km.help_rows_in("services", &[Action::Scale, Action::RemoveService]);
        assert!(
            services
                .iter()
                .any(|(k, d)| k == "Ctrl-d" && *d == Action::RemoveService.description())
        );
        assert!(
            km.keys_in("nodes", Action::Scale).is_empty(),
            "services only"
        );
        // the actions with keys in their own views only
        let view_only = Action::ALL
            .iter()
            .filter(|a| a.defaults().is_empty())
            .count();
        assert_eq!(km.help_rows().len(), Action::ALL.len() - view_only);
        let rows = km.help_rows_in("config", &own);
        assert!(
            rows.iter()
                .any(|(k, d)| k == "Ctrl-f" && *d == Action::Format.description())
        );
        assert!(
            rows.iter()
                .any(|(k, d)| k == "PgDn" && *d == Action::PageDown.description()),
            "in the editor, PageDown is PgDn only: {rows:?}"
        );
    }

    #[test]
    fn overrides_replace_and_conflicts_are_refused() {
        let mut o = BTreeMap::new();
        o.insert(Action::Quit, KeyList::One("x".parse().unwrap()));
        let km = Keymap::new(&KeyTable::from(o.clone()), false).unwrap();
        assert_eq!(
            km.action(&key(KeyCode::Char('x'), KeyModifiers::NONE)),
            Some(Action::Quit)
        );
        assert_eq!(
            km.action(&key(KeyCode::Char('q'), KeyModifiers::NONE)),
            None
        );
        assert!(
            km.help_rows()
                .iter()
                .any(|(k, d)| k == "x, Ctrl-c" && *d == "quit")
        );

        let mut o = BTreeMap::new();
        o.insert(Action::Quit, KeyList::One("j".parse().unwrap()));
        let err = Keymap::new(&KeyTable::from(o.clone()), false).unwrap_err();
        assert!(err.contains("j is bound to both"), "{err}");
    }

    #[test]
    fn view_tables_override_in_their_view_only() {
        let mut views = BTreeMap::new();
        let mut nodes = BTreeMap::new();
        nodes.insert(Action::Drain, KeyList::One("x".parse().unwrap()));
        views.insert("nodes".to_string(), nodes);
        let mut help = BTreeMap::new();
        help.insert(Action::Down, KeyList::One("n".parse().unwrap()));
        views.insert("help".to_string(), help);
        let table = KeyTable {
            global: BTreeMap::new(),
            views,
        };
        let km = Keymap::new(&table, false).unwrap();
        let x = key(KeyCode::Char('x'), KeyModifiers::NONE);
        let n = key(KeyCode::Char('n'), KeyModifiers::NONE);
        let j = key(KeyCode::Char('j'), KeyModifiers::NONE);
        assert_eq!(km.action_in("nodes", &x), Some(Action::Drain));
        assert_eq!(km.action_in("services", &x), None);
        assert_eq!(km.action_in("help", &n), Some(Action::Down));
        assert_eq!(km.action_in("help", &j), None, "j is replaced in help");
        assert_eq!(km.action_in("nodes", &j), Some(Action::Down));
        // the help of the nodes view lists drain with its key there
        assert!(
            km.help_rows_in("nodes", &[Action::Drain])
                .iter()
                .any(|(k, d)| k == "x" && d.starts_with("drain"))
        );
        // a clash inside one view's context is refused and names it
        let mut views = BTreeMap::new();
        let mut nodes = BTreeMap::new();
        nodes.insert(Action::Drain, KeyList::One("j".parse().unwrap()));
        views.insert("nodes".to_string(), nodes);
        let err = Keymap::new(
            &KeyTable {
                global: BTreeMap::new(),
                views,
            },
            false,
        )
        .unwrap_err();
        assert!(err.contains("[keys.nodes]"), "{err}");
    }

    #[test]
    fn ctrl_c_always_quits() {
        let ctrl_c = key(KeyCode::Char('c'), KeyModifiers::CONTROL);
        // no keys for quit: Ctrl-c stays
        let mut o = BTreeMap::new();
        o.insert(Action::Quit, KeyList::Many(vec![]));
        let km = Keymap::new(&KeyTable::from(o.clone()), false).unwrap();
        assert_eq!(km.action(&ctrl_c), Some(Action::Quit));
        assert_eq!(
            km.action(&key(KeyCode::Char('q'), KeyModifiers::NONE)),
            None
        );
        // other keys for quit: Ctrl-c too
        o.insert(Action::Quit, KeyList::One("x".parse().unwrap()));
        assert_eq!(
            Keymap::new(&KeyTable::from(o.clone()), false)
                .unwrap()
                .action(&ctrl_c),
            Some(Action::Quit)
        );
        // Ctrl-c for another action is refused, whatever quit has
        let mut o = BTreeMap::new();
        o.insert(Action::Help, KeyList::One("ctrl-c".parse().unwrap()));
        let err = Keymap::new(&KeyTable::from(o.clone()), false).unwrap_err();
        assert!(err.contains("Ctrl-c always quits"), "{err}");
        // a key listed twice for the same action is the same key
        let mut o = BTreeMap::new();
        o.insert(
            Action::Quit,
            KeyList::Many(vec!["q".parse().unwrap(), "q".parse().unwrap()]),
        );
        let km = Keymap::new(&KeyTable::from(o.clone()), false).unwrap();
        assert_eq!(
            km.keys_text(Action::Quit),
            Keymap::default().keys_text(Action::Quit)
        );
    }

    #[test]
    fn key_syntax() {
        assert_eq!(
            "shift-tab".parse::<KeyBinding>().unwrap().code,
            KeyCode::BackTab
        );
        assert_eq!(
            "shift-g".parse::<KeyBinding>().unwrap().code,
            KeyCode::Char('G')
        );
        assert_eq!("F5".parse::<KeyBinding>().unwrap().code, KeyCode::F(5));
        let k: KeyBinding = "ctrl-r".parse().unwrap();
        assert_eq!(k.to_string(), "Ctrl-r");
        assert!("hyper-x".parse::<KeyBinding>().is_err());
        assert!("f13".parse::<KeyBinding>().is_err());
    }
}
