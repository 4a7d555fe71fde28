//! Shared helpers for the integration tests.
#![allow(dead_code)]

pub mod lab;
pub mod tmux;

use std::path::PathBuf;

use bollard::models as bm;
use jiff::Timestamp;
use swarmdeck::app::App;
use swarmdeck::domain::{EngineInfo, Node, Service, Task};
use swarmdeck::engine::{EngineMsg, TaskScope};
use swarmdeck::keymap::Keymap;

pub fn fixture_path(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

pub fn fixture(name: &str) -> String {
    std::fs::read_to_string(fixture_path(name)).unwrap_or_else(|e| panic!("fixture {name}: {e}"))
}

pub fn nodes() -> Vec<Node> {
    let raw: Vec<bm::Node> =
        serde_json::from_str(&fixture("engine-nodes.json")).expect("nodes fixture");
    let mut v: Vec<Node> = raw.into_iter().map(Node::from).collect();
    v.sort_by(|a, b| a.hostname.cmp(&b.hostname));
    v
}

pub fn services() -> Vec<Service> {
    let raw: Vec<bm::Service> =
        serde_json::from_str(&fixture("engine-services.json")).expect("services fixture");
    let mut v: Vec<Service> = raw.into_iter().map(Service::from).collect();
    v.sort_by(|a, b| a.name.cmp(&b.name));
    v
}

pub fn tasks() -> Vec<Task> {
    let raw: Vec<bm::Task> =
        serde_json::from_str(&fixture("engine-tasks.json")).expect("tasks fixture");
    raw.into_iter().map(Task::from).collect()
}

pub fn info() -> EngineInfo {
    let info: bm::SystemInfo =
        serde_json::from_str(&fixture("engine-info.json")).expect("info fixture");
    let version: bm::SystemVersion =
        serde_json::from_str(&fixture("engine-version.json")).expect("version fixture");
    EngineInfo::from((info, version))
}

/// The newest timestamp in the task fixture plus a minute: a fixed "now" for snapshots.
pub fn fixture_now() -> Timestamp {
    let newest = tasks()
        .iter()
        .filter_map(|t| t.since)
        .max()
        .expect("tasks have timestamps");
    newest + jiff::SignedDuration::from_secs(60)
}

pub const ENDPOINT: &str = "unix:///var/lib/swarmdeck-lab/sdlab/node1/docker.sock";

/// An app fed with the recorded swarm, as the engine would feed it.
pub fn populated_app() -> App {
    let now = fixture_now();
    let mut app = App::new(Keymap::default(), now);
    app.apply(EngineMsg::Connected {
        endpoint: ENDPOINT.into(),
        info: info(),
    });
    app.apply(EngineMsg::Nodes(nodes()));
    app.apply(EngineMsg::Services(services()));
    let live: Vec<Task> = tasks()
        .into_iter()
        .filter(|t| t.desired.as_str() == "running")
        .collect();
    app.apply(EngineMsg::Tasks {
        scope: TaskScope::Live,
        tasks: live,
    });
    app.dirty = false;
    app
}

/// The app drawn on a test terminal of `w` × `h`.
pub fn render(app: &App, w: u16, h: u16) -> ratatui::buffer::Buffer {
    let theme = swarmdeck::theme::Theme::builtin_default();
    let mut terminal =
        ratatui::Terminal::new(ratatui::backend::TestBackend::new(w, h)).expect("test terminal");
    terminal
        .draw(|f| swarmdeck::ui::draw(f, f.area(), app, &theme))
        .expect("draw");
    terminal.backend().buffer().clone()
}

/// A buffer's characters, a line per row.
pub fn text(buf: &ratatui::buffer::Buffer) -> String {
    let mut out = String::new();
    for y in 0..buf.area.height {
        for x in 0..buf.area.width {
            out.push_str(buf[(x, y)].symbol());
        }
        out.push('\n');
    }
    out
}

/// A key without modifiers, as the terminal sends it.
pub fn key(app: &mut App, code: ratatui::crossterm::event::KeyCode) {
    use ratatui::crossterm::event::{KeyEvent, KeyModifiers};
    app.on_key(KeyEvent::new(code, KeyModifiers::NONE));
}

/// Ctrl and a letter.
pub fn ctrl(app: &mut App, c: char) {
    use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
    app.on_key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::CONTROL));
}

/// Type text a key at a time (`\n` as Enter).
pub fn type_str(app: &mut App, s: &str) {
    use ratatui::crossterm::event::KeyCode;
    for c in s.chars() {
        if c == '\n' {
            key(app, KeyCode::Enter);
        } else {
            key(app, KeyCode::Char(c));
        }
    }
}

/// Engine timings for lab tests: fast polls, no periodic reconcile (counts must follow the
/// events and the task poll), a 1 s heartbeat.
pub fn fast_timings() -> swarmdeck::engine::Timings {
    use std::time::Duration;
    swarmdeck::engine::Timings {
        task_poll: Duration::from_millis(500),
        node_poll: Duration::from_secs(1),
        reconcile: Duration::from_secs(600),
        heartbeat: Duration::from_secs(1),
        heartbeat_failures: 2,
        debounce: Duration::from_millis(50),
        retry: Duration::from_millis(500),
    }
}
