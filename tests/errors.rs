//! `:errors` (the error digest) against the swarm recorded from the lab, the engine's answers
//! made from fixed log lines (no lab needed): snapshots at 80×24 and 140×40, one group per
//! kind of error whatever its numbers, a service that does not answer, Enter → the logs view
//! at the first line, the `/` filter, `1`–`5` windows (an older window's answers dropped),
//! the read again after 30 s from the newest line, `:errors STACK` / `SERVICE` and their
//! refusals.

mod common;

use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp};
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use swarmdeck::app::{App, Outgoing};
use swarmdeck::domain::{NodeId, ServiceId};
use swarmdeck::engine::digest::{DigestCmd, DigestPart, ServiceRead};
use swarmdeck::engine::{EngineCmd, EngineMsg};
use swarmdeck::health::digest::{Digest, is_error};
use swarmdeck::view::errors::{ErrorsView, Scope};
use swarmdeck::view::{AppCmd, Ctx, Effects, LogsRequest};

use common::{key, render, text, type_str};

const WEB: &str = "aind2omfpn4m0mk6coir67wa6";
const AGENT: &str = "zb1qpfbf54o1rwb2lixyr84cb";
const SWEEP: &str = "g8337agcb9ym8pfhnh5pmarif";
const NODE1: &str = "59uybwwim5k1gwwwemc16fwtx";
const NODE2: &str = "qjutlk17zii3m7mhe75nlpj83";
const NODE3: &str = "ufssvoukv4cvjx9klo03qjo0z";

fn app() -> App {
    let mut app = common::populated_app();
    app.tz = TimeZone::UTC;
    app.outbox.clear();
    app
}

fn screen(app: &App, w: u16, h: u16) -> String {
    text(&render(app, w, h))
}

/// The digest reads the app queued (and forget the rest of the outbox).
fn reads(app: &mut App) -> Vec<(u64, DigestCmd)> {
    app.outbox
        .drain(..)
        .filter_map(|o| match o {
            Outgoing::Engine(EngineCmd::Digest { seq, cmd }) => Some((seq, cmd)),
            _ => None,
        })
        .collect()
}

fn one_read(app: &mut App) -> (u64, DigestCmd) {
    let mut r = reads(app);
    assert_eq!(r.len(), 1, "one read queued: {r:?}");
    r.remove(0)
}

/// A service's part as the engine folds it: these (seconds before now, node, stderr, line).
fn part(
    service: &str,
    name: &str,
    now: Timestamp,
    lines: &[(i64, Option<&str>, bool, &str)],
) -> ServiceRead {
    let id = ServiceId(service.into());
    let mut digest = Digest::default();
    let mut errors = 0;
    let mut newest = None;
    for (ago, node, stderr, line) in lines {
        let at = now - SignedDuration::from_secs(*ago);
        newest = newest.max(Some(at));
        if is_error(line, *stderr) {
            errors += 1;
            let node = node.map(|n| NodeId(n.into()));
            digest.add(&id, node.as_ref(), at, line);
        }
    }
    ServiceRead {
        service: id,
        name: name.into(),
        digest,
        lines: lines.len(),
        errors,
        newest,
        capped: false,
        details: true,
        error: None,
    }
}

fn send(app: &mut App, seq: u64, generation: u64, part: DigestPart) {
    app.apply(EngineMsg::Digest {
        seq,
        generation,
        part,
    });
}

fn view(app: &App) -> &ErrorsView {
    app.top_as::<ErrorsView>().expect("the errors popup")
}

/// `ERROR timeout after N ms` 12 times with N all different, on two nodes, plus others.
fn fill(app: &mut App, seq: u64, generation: u64) {
    let now = app.now;
    let mut web: Vec<(i64, Option<&str>, bool, String)> = Vec::new();
    for (i, n) in [7, 3, 12, 1, 9, 5, 11, 2, 8, 4, 10, 6].iter().enumerate() {
        let node = if i % 3 == 0 { NODE3 } else { NODE2 };
        web.push((
            300 - i as i64 * 20,
            Some(node),
            false,
            format!("2026-12-01T20:0{}:00Z ERROR db timeout after {n}ms", i % 10),
        ));
        web.push((
            299 - i as i64 * 20,
            Some(node),
            false,
            format!("INFO served {n}"),
        ));
    }
    web.push((
        40,
        Some(NODE2),
        true,
        "panic: runtime error: index out of range [5] with length 3".into(),
    ));
    let web: Vec<(i64, Option<&str>, bool, &str)> = web
        .iter()
        .map(|(a, n, e, l)| (*a, *n, *e, l.as_str()))
        .collect();
    send(
        app,
        seq,
        generation,
        DigestPart::Service(Box::new(part(WEB, "fx-web", now, &web))),
    );
    let agent = part(
        AGENT,
        "fx-agent",
        now,
        &[
            (
                600,
                Some(NODE1),
                false,
                r#"{"level":"error","msg":"dial tcp 10.0.1.7:5432: connect: connection refused","ts":"2026-12-01T20:00:00Z"}"#,
            ),
            (
                500,
                Some(NODE3),
                false,
                r#"{"level":"error","msg":"dial tcp 10.0.1.9:5432: connect: connection refused","ts":"2026-12-01T20:01:40Z"}"#,
            ),
            (
                10,
                Some(NODE1),
                true,
                "connection refused by upstream 10.0.1.9:8080",
            ),
            (
                5,
                Some(NODE1),
                false,
                "level=info msg=\"ERROR count reset\"",
            ),
        ],
    );
    send(app, seq, generation, DigestPart::Service(Box::new(agent)));
    let mut sweep = part(SWEEP, "fx-sweep", now, &[]);
    sweep.error = Some(
        "no answer within 10 s (is one of its nodes down?); what came before is counted".into(),
    );
    send(app, seq, generation, DigestPart::Service(Box::new(sweep)));
}

fn opened() -> (App, u64, DigestCmd) {
    let mut app = app();
    app.run_command("errors");
    assert_eq!(app.popup_names(), ["errors"]);
    let (seq, cmd) = one_read(&mut app);
    (app, seq, cmd)
}

#[test]
fn every_service_is_read_from_the_window_start_with_a_bounded_tail() {
    let (app, _, cmd) = opened();
    let mut names: Vec<&str> = cmd.targets.iter().map(|t| t.name.as_str()).collect();
    names.sort_unstable();
    assert_eq!(
        names,
        ["fx-agent", "fx-migrate", "fx-pinned", "fx-sweep", "fx-web"]
    );
    let start = app.now - SignedDuration::from_secs(15 * 60);
    assert!(cmd.targets.iter().all(|t| t.since == start), "{cmd:?}");
    assert_eq!(cmd.tail, 2000);
    let s = screen(&app, 140, 40);
    assert!(s.contains("reading the logs…"), "{s}");
    assert!(s.contains("reading 0/5…"), "{s}");
}

#[test]
fn the_digest_at_80x24_and_140x40() {
    let (mut app, seq, cmd) = opened();
    fill(&mut app, seq, cmd.generation);
    let s = screen(&app, 140, 40);
    assert!(s.contains("reading 3/5…"), "parts show as they come: {s}");
    send(&mut app, seq, cmd.generation, DigestPart::Done);
    for (w, h) in [(80, 24), (140, 40)] {
        insta::assert_snapshot!(format!("errors_{w}x{h}"), screen(&app, w, h));
    }
    let s = screen(&app, 140, 40);
    for want in [
        "12× ERROR db timeout after <n>ms · fx-web · node2, node3 · last 80 s ago",
        "1× panic: runtime error: index out of range [<n>] with length <n> · fx-web · node2 · last 40 s ago",
        "1× connection refused by upstream <ip> · fx-agent · node1 · last 10 s ago",
        "fx-sweep: no answer within 10 s (is one of its nodes down?)",
        "read 0 s ago",
    ] {
        assert!(s.contains(want), "{want:?} missing:\n{s}");
    }
    // newest group first
    let v = view(&app);
    let keys: Vec<&str> = v.list().rows.rows.iter().map(|r| r.key.as_str()).collect();
    assert_eq!(
        keys,
        [
            "connection refused by upstream <ip>",
            "panic: runtime error: index out of range [<n>] with length <n>",
            "ERROR db timeout after <n>ms",
            "ERROR dial tcp <ip>: connect: connection refused",
        ]
    );
    let g = &v.list().rows.rows[2];
    assert_eq!(g.count, 12);
    assert_eq!(g.services, ["fx-web"]);
    assert_eq!(g.nodes, ["node2", "node3"]);
    assert_eq!(g.first, app.now - SignedDuration::from_secs(300));
    assert_eq!(
        v.list().rows.rows[3].nodes,
        ["node1", "node3"],
        "two lines, one kind"
    );
    assert!(
        !keys.iter().any(|k| k.contains("count reset")),
        "level=info is not an error"
    );
}

/// Call the top popup's `key` with a context, and return what it asked the app for.
fn key_in_view(app: &mut App, code: KeyCode) -> Vec<AppCmd> {
    let mut fx = Effects::default();
    let now = app.now;
    let mut popup = app.popups.pop().expect("a popup");
    {
        let mut cx = Ctx {
            store: &app.store,
            ops: &app.ops,
            keymap: &app.keymap,
            now,
            readonly: false,
            page: 10,
            follow: None,
            drill: None,
            env: &app.env,
            fx: &mut fx,
        };
        let _ = popup
            .view
            .key(&KeyEvent::new(code, KeyModifiers::NONE), &mut cx);
    }
    app.popups.push(popup);
    fx.app
}

#[test]
fn enter_opens_the_logs_at_the_first_line_of_the_group() {
    let (mut app, seq, cmd) = opened();
    fill(&mut app, seq, cmd.generation);
    send(&mut app, seq, cmd.generation, DigestPart::Done);
    // the timeout group is the third row
    key(&mut app, KeyCode::Char('j'));
    key(&mut app, KeyCode::Char('j'));
    let asked = key_in_view(&mut app, KeyCode::Enter);
    let req = asked
        .into_iter()
        .find_map(|c| match c {
            AppCmd::OpenLogs(r) => Some(r),
            _ => None,
        })
        .expect("Enter asks for the logs view");
    assert_eq!(
        req,
        LogsRequest {
            service: ServiceId(WEB.into()),
            service_name: "fx-web".into(),
            task: None,
            since: Some(app.now - SignedDuration::from_secs(300)),
            find: Some("ERROR db timeout after".into()),
        }
    );
    // through the app's own key path too (the logs view answers it)
    key(&mut app, KeyCode::Enter);
    assert_eq!(app.popup_names()[0], "errors", "the digest stays under it");
}

#[test]
fn the_filter_narrows_the_groups() {
    let (mut app, seq, cmd) = opened();
    fill(&mut app, seq, cmd.generation);
    send(&mut app, seq, cmd.generation, DigestPart::Done);
    key(&mut app, KeyCode::Char('/'));
    type_str(&mut app, "refused\n");
    assert_eq!(app.popup_names(), ["errors"]);
    let v = view(&app);
    assert_eq!(v.list().shown(), 2, "the two refused groups");
    assert_eq!(v.list().filter(), "refused");
    let s = screen(&app, 140, 40);
    assert!(s.contains(" /refused "), "{s}");
    assert!(s.contains("(2 shown)"), "{s}");
    assert!(!s.contains("db timeout"), "{s}");
    // a node name filters too
    key(&mut app, KeyCode::Esc);
    assert_eq!(
        view(&app).list().filter(),
        "",
        "Esc clears the filter first"
    );
    key(&mut app, KeyCode::Char('/'));
    type_str(&mut app, "node3\n");
    assert_eq!(view(&app).list().shown(), 2);
    key(&mut app, KeyCode::Esc);
    key(&mut app, KeyCode::Esc);
    assert!(app.popups.is_empty(), "then Esc closes");
}

#[test]
fn the_logs_are_read_again_after_30_s_from_the_newest_line_and_the_window_slides() {
    let (mut app, seq, cmd) = opened();
    fill(&mut app, seq, cmd.generation);
    send(&mut app, seq, cmd.generation, DigestPart::Done);
    let t0 = app.now;
    app.tick(t0 + SignedDuration::from_secs(10));
    assert!(reads(&mut app).is_empty(), "not yet");
    app.tick(t0 + SignedDuration::from_secs(30));
    let (seq2, cmd2) = one_read(&mut app);
    assert_eq!(cmd2.generation, cmd.generation, "the same window");
    let since = |name: &str| {
        cmd2.targets
            .iter()
            .find(|t| t.name == name)
            .map(|t| t.since)
            .expect("read again")
    };
    assert_eq!(
        since("fx-web"),
        t0 - SignedDuration::from_secs(40),
        "from its newest line (an info line counts too)"
    );
    assert_eq!(since("fx-agent"), t0 - SignedDuration::from_secs(5));
    assert_eq!(
        since("fx-migrate"),
        t0 + SignedDuration::from_secs(30 - 15 * 60),
        "nothing read yet: the window's start now"
    );
    // a new timeout line joins its group; nothing is counted twice
    let later = t0 + SignedDuration::from_secs(30);
    let more = part(
        WEB,
        "fx-web",
        later,
        &[(1, Some(NODE1), false, "ERROR db timeout after 99ms")],
    );
    send(
        &mut app,
        seq2,
        cmd2.generation,
        DigestPart::Service(Box::new(more)),
    );
    send(&mut app, seq2, cmd2.generation, DigestPart::Done);
    let v = view(&app);
    let g = v
        .list()
        .rows
        .rows
        .iter()
        .find(|r| r.key == "ERROR db timeout after <n>ms")
        .expect("the group");
    assert_eq!(g.count, 13);
    assert_eq!(g.nodes, ["node1", "node2", "node3"]);
    assert_eq!(v.list().rows.rows[0].key, g.key, "newest first");
    // 15 minutes on, the first lines have left the window
    app.tick(t0 + SignedDuration::from_secs(15 * 60 + 20));
    let (seq3, cmd3) = one_read(&mut app);
    send(&mut app, seq3, cmd3.generation, DigestPart::Done);
    let v = view(&app);
    let left: Vec<(&str, usize)> = v
        .list()
        .rows
        .rows
        .iter()
        .map(|r| (r.key.as_str(), r.count))
        .collect();
    assert_eq!(
        left,
        [("ERROR db timeout after <n>ms", 1)],
        "only what is younger than 15 m"
    );
}

#[test]
fn a_window_key_reads_again_and_drops_the_older_windows_answers() {
    let (mut app, seq, cmd) = opened();
    key(&mut app, KeyCode::Char('3'));
    let (seq2, cmd2) = one_read(&mut app);
    assert!(cmd2.generation > cmd.generation);
    let start = app.now - SignedDuration::from_secs(3600);
    assert!(cmd2.targets.iter().all(|t| t.since == start));
    // the 15-minute read answers late: dropped
    fill(&mut app, seq, cmd.generation);
    send(&mut app, seq, cmd.generation, DigestPart::Done);
    assert!(view(&app).list().rows.rows.is_empty());
    assert!(view(&app).reading().is_some(), "still reading the hour");
    fill(&mut app, seq2, cmd2.generation);
    send(&mut app, seq2, cmd2.generation, DigestPart::Done);
    assert_eq!(view(&app).list().rows.rows.len(), 4);
    assert!(screen(&app, 140, 40).contains("last 1 h"));
    // r reads now, from where the last read ended
    key(&mut app, KeyCode::Char('r'));
    let (_, cmd3) = one_read(&mut app);
    assert_eq!(cmd3.generation, cmd2.generation);
    // while reading, r does not start another
    key(&mut app, KeyCode::Char('r'));
    assert!(reads(&mut app).is_empty());
}

#[test]
fn a_stack_or_a_service_by_name_and_the_refusals() {
    let mut app = app();
    let mut services = common::services();
    for s in &mut services {
        if s.name == "fx-web" || s.name == "fx-agent" {
            s.labels
                .insert("com.docker.stack.namespace".into(), "shop".into());
        }
        if s.name == "fx-migrate" {
            s.labels
                .insert("com.docker.stack.namespace".into(), "fx-mig".into());
        }
        // a stack and a service of the same name
        if s.name == "fx-sweep" {
            s.labels
                .insert("com.docker.stack.namespace".into(), "fx-pinned".into());
        }
    }
    app.apply(EngineMsg::Services(services));
    app.outbox.clear();
    app.run_command("errors shop");
    assert_eq!(view(&app).scope(), &Scope::Stack("shop".into()));
    let (_, cmd) = one_read(&mut app);
    let mut names: Vec<&str> = cmd.targets.iter().map(|t| t.name.as_str()).collect();
    names.sort_unstable();
    assert_eq!(names, ["fx-agent", "fx-web"]);
    assert!(screen(&app, 140, 40).contains("errors · stack shop · last 15 m"));
    key(&mut app, KeyCode::Esc);

    app.run_command("errors fx-web");
    assert_eq!(
        view(&app).scope(),
        &Scope::Service(ServiceId(WEB.into()), "fx-web".into())
    );
    let (_, cmd) = one_read(&mut app);
    assert_eq!(cmd.targets.len(), 1);
    key(&mut app, KeyCode::Esc);

    // a unique prefix; a stack's, even with its own services starting so
    app.run_command("errors sh");
    assert_eq!(view(&app).scope(), &Scope::Stack("shop".into()));
    key(&mut app, KeyCode::Esc);
    app.run_command("errors fx-mi");
    assert_eq!(view(&app).scope(), &Scope::Stack("fx-mig".into()));
    key(&mut app, KeyCode::Esc);
    app.run_command("errors fx-ag");
    assert!(matches!(view(&app).scope(), Scope::Service(_, n) if n == "fx-agent"));
    key(&mut app, KeyCode::Esc);
    reads(&mut app);

    let notice = |app: &App| {
        app.notices
            .back()
            .map(|n| n.text.clone())
            .unwrap_or_default()
    };
    for (cmd, want) in [
        (
            "errors fx-pinned",
            "both a stack and a service are named so; say :errors stack fx-pinned or :errors service fx-pinned",
        ),
        (
            "errors nothing",
            "no stack or service is named so (stacks: fx-mig, fx-pinned, shop)",
        ),
        ("errors fx", "stacks and services start so"),
        ("errors fx-pin", "2 stacks and services start so"),
        ("errors stack nope", "no such stack"),
        ("errors a b c", "usage: :errors"),
    ] {
        app.run_command(cmd);
        assert!(app.popups.is_empty(), "{cmd}: nothing opens");
        assert!(reads(&mut app).is_empty(), "{cmd}: nothing is read");
        assert!(notice(&app).contains(want), "{cmd}: {}", notice(&app));
    }
    app.run_command("errors stack fx-pinned");
    assert_eq!(view(&app).scope(), &Scope::Stack("fx-pinned".into()));
    key(&mut app, KeyCode::Esc);
    app.run_command("errors service fx-pinned");
    assert!(matches!(view(&app).scope(), Scope::Service(_, n) if n == "fx-pinned"));
}

#[test]
fn not_connected_answers_and_a_paste_change_nothing() {
    let (mut app, seq, cmd) = opened();
    let mut r = part(WEB, "fx-web", app.now, &[]);
    r.error = Some("not connected to a manager".into());
    r.details = false;
    send(
        &mut app,
        seq,
        cmd.generation,
        DigestPart::Service(Box::new(r)),
    );
    send(&mut app, seq, cmd.generation, DigestPart::Done);
    let s = screen(&app, 140, 40);
    assert!(s.contains("fx-web: not connected to a manager"), "{s}");
    assert!(s.contains("no error line in this window"), "{s}");
    app.on_paste("x");
    assert_eq!(app.popup_names(), ["errors"]);
    assert!(view(&app).list().filter().is_empty());
    // a popup that has closed hears nothing
    key(&mut app, KeyCode::Esc);
    send(&mut app, seq, cmd.generation, DigestPart::Done);
    assert!(app.popups.is_empty());
}

#[test]
fn the_digest_draws_at_any_size() {
    let (mut app, seq, cmd) = opened();
    fill(&mut app, seq, cmd.generation);
    for w in 1..=40 {
        for h in 1..=14 {
            let _ = render(&app, w, h);
        }
    }
    key(&mut app, KeyCode::Char('/'));
    type_str(&mut app, "timeout");
    for (w, h) in [(1, 1), (10, 3), (30, 8), (80, 24)] {
        let _ = render(&app, w, h);
    }
}
