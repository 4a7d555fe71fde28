//! `:audit` shows the audit log: read by the engine (not on the UI task), newest first, bad
//! lines counted, shown in the audit view.

use std::time::Duration;

use jiff::Timestamp;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use swarmdeck::app::App;
use swarmdeck::audit::{self, AuditEntry};
use swarmdeck::engine::{self, EngineOptions};
use swarmdeck::keymap::Keymap;
use swarmdeck::theme::Theme;
use tokio::time::Instant;

fn entry(action: &str, result: &str) -> AuditEntry {
    AuditEntry {
        time: "2026-11-21T10:00:00Z".into(),
        user: "ops".into(),
        ssh_client: Some("198.51.100.1".into()),
        endpoint: "unix:///var/run/docker.sock".into(),
        kind: "node".into(),
        id: "abc".into(),
        name: "node3".into(),
        action: action.into(),
        before: serde_json::json!({"Availability": "active"}),
        after: serde_json::json!({"Availability": "drain"}),
        result: result.into(),
    }
}

#[tokio::test]
async fn audit_view_shows_the_log_newest_first() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("audit.jsonl");
    audit::append(&path, &entry("availability active → drain", "ok")).expect("append");
    audit::append(
        &path,
        &entry(
            "availability drain → active",
            "conflict: someone else changed it",
        ),
    )
    .expect("append");
    let mut text = std::fs::read_to_string(&path).expect("read");
    text.push_str("not json\n");
    std::fs::write(&path, text).expect("write");

    // the engine answers the audit request even with no manager reachable
    let mut engine = engine::spawn_with(
        vec!["unix:///nonexistent/docker.sock".into()],
        EngineOptions {
            audit_log: Some(path.clone()),
            ..Default::default()
        },
    );
    let mut app = App::new(Keymap::default(), Timestamp::now());
    app.run_command("audit");
    assert_eq!(app.popup_names(), ["audit"]);
    for out in app.outbox.drain(..) {
        if let swarmdeck::app::Outgoing::Engine(c) = out {
            engine.cmd.send(c).expect("engine alive");
        }
    }
    let deadline = Instant::now() + Duration::from_secs(10);
    while app.ops.audit.loading || app.ops.audit.entries.is_empty() {
        let msg = engine::recv_until(&mut engine.rx, deadline)
            .await
            .expect("the audit log arrives");
        app.apply(msg);
    }
    assert_eq!(app.ops.audit.entries.len(), 2);
    assert_eq!(
        app.ops.audit.entries[0].action, "availability drain → active",
        "newest first"
    );
    assert_eq!(app.ops.audit.unreadable_lines, 1);

    let theme = Theme::builtin_default();
    let mut term = Terminal::new(TestBackend::new(120, 30)).expect("terminal");
    term.draw(|f| swarmdeck::ui::draw(f, f.area(), &app, &theme))
        .expect("draw");
    let screen: String = term
        .backend()
        .buffer()
        .content()
        .iter()
        .map(|c| c.symbol())
        .collect();
    assert!(
        screen.contains("ops from 198.51.100.1"),
        "who and from where"
    );
    assert!(screen.contains("node3"), "{screen}");
    assert!(screen.contains("availability drain → active"), "{screen}");
    assert!(screen.contains("1 line(s) could not be read"));
}
