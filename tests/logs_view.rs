//! The logs view through key events and engine messages, against an app fed with the JSON
//! recorded from the lab (no lab needed): `l` on a service, a task and a task's details; the
//! stream's lines, a late stream's dropped; pause, search, wrap, windows; an ended stream
//! resumed with no line missing or doubled; the ring's bound; save; snapshots at 80×24 and
//! 140×40.

mod common;

use jiff::{SignedDuration, Timestamp};
use ratatui::crossterm::event::KeyCode;
use swarmdeck::app::{App, Outgoing};
use swarmdeck::domain::logs::{LogLine, LogStream};
use swarmdeck::domain::{NodeId, ServiceId, TaskId};
use swarmdeck::engine::logs::{Credit, FollowRequest, LogsEvent, LogsTarget};
use swarmdeck::engine::{EngineCmd, EngineMsg};
use swarmdeck::view::LogsRequest;
use swarmdeck::view::logs::{LogsView, StreamState, Window};

use common::{ctrl, key, render, text, type_str};

const WEB: &str = "aind2omfpn4m0mk6coir67wa6";
/// fx-web.1 on node3, fx-web.2 on node2.
const WEB1: (&str, &str) = ("vmh1emasms5kk1jvn4yl6a4wc", "ufssvoukv4cvjx9klo03qjo0z");
const WEB2: (&str, &str) = ("t89pzfrun65mbmttf06gbad8r", "qjutlk17zii3m7mhe75nlpj83");

fn app() -> App {
    let mut app = common::populated_app();
    app.tz = jiff::tz::TimeZone::UTC;
    app
}

fn screen(app: &App, w: u16, h: u16) -> String {
    text(&render(app, w, h))
}

/// The engine commands queued (the outbox emptied).
fn engine_cmds(app: &mut App) -> Vec<EngineCmd> {
    app.outbox
        .drain(..)
        .filter_map(|o| match o {
            Outgoing::Engine(c) => Some(c),
            _ => None,
        })
        .collect()
}

fn follows(cmds: &[EngineCmd]) -> Vec<FollowRequest> {
    cmds.iter()
        .filter_map(|c| match c {
            EngineCmd::FollowLogs(r) => Some(r.clone()),
            _ => None,
        })
        .collect()
}

fn stops(cmds: &[EngineCmd]) -> Vec<u64> {
    cmds.iter()
        .filter_map(|c| match c {
            EngineCmd::StopLogs { stream } => Some(*stream),
            _ => None,
        })
        .collect()
}

fn view(app: &App) -> &LogsView {
    app.top_as::<LogsView>().expect("the logs view is on top")
}

fn base() -> Timestamp {
    "2026-12-02T01:58:00Z".parse().expect("as set up")
}

/// Line `i` of a task, `i` × 100 ms after [`base`].
fn line(task: (&str, &str), i: i64, text: &str) -> LogLine {
    LogLine {
        ts: Some(base() + SignedDuration::from_millis(100 * i)),
        stream: LogStream::Stdout,
        task: Some(TaskId::from(task.0)),
        node: Some(NodeId::from(task.1)),
        text: text.to_string(),
        cut: false,
    }
}

fn lines(app: &mut App, stream: u64, lines: Vec<LogLine>) {
    app.apply(EngineMsg::Logs {
        stream,
        event: LogsEvent::Lines(lines, Credit::default()),
    });
}

fn web_request() -> LogsRequest {
    LogsRequest {
        service: ServiceId::from(WEB),
        service_name: "fx-web".into(),
        task: None,
        since: None,
        find: None,
    }
}

/// The logs of fx-web open, its stream id.
fn open_web(app: &mut App) -> u64 {
    app.open_logs(web_request());
    let f = follows(&engine_cmds(app));
    assert_eq!(f.len(), 1, "one stream started");
    f[0].stream
}

/// A fixed set of lines: both tasks, stdout and stderr, a long line, a tab.
fn fixed_lines() -> Vec<LogLine> {
    let mut v = Vec::new();
    for i in 0..30 {
        let t = if i % 2 == 0 { WEB1 } else { WEB2 };
        let mut l = line(t, i, &format!("GET /api/items/{i} 200 {}ms", 3 + i % 7));
        if i % 10 == 7 {
            l.stream = LogStream::Stderr;
            l.text = format!("error: upstream timeout after 5000ms (request {i})");
        }
        v.push(l);
    }
    v.push(line(
        WEB1,
        30,
        &format!("a long line:\t{}", "0123456789".repeat(20)),
    ));
    v
}

#[test]
fn l_on_a_service_a_task_and_a_task_detail_opens_its_logs() {
    let mut app = app();
    app.run_command("services");
    key(&mut app, KeyCode::Char('/'));
    type_str(&mut app, "fx-web\n");
    engine_cmds(&mut app);
    key(&mut app, KeyCode::Char('l'));
    assert_eq!(app.popup_names(), ["logs"]);
    let cmds = engine_cmds(&mut app);
    let f = follows(&cmds);
    assert_eq!(f.len(), 1);
    assert_eq!(f[0].target, LogsTarget::Service(ServiceId::from(WEB)));
    assert_eq!((f[0].since, f[0].tail), (None, Some(200)));
    assert_eq!(app.log_streams(), [f[0].stream]);
    // the service's task history is read: ended tasks' lines are named by their slot
    assert!(cmds.contains(&EngineCmd::ReadTasks(
        swarmdeck::engine::TaskScope::Service(ServiceId::from(WEB))
    )));
    assert_eq!(view(&app).window(), Window::Tail(200));
    assert!(screen(&app, 80, 24).contains("logs: fx-web · tail 200"));
    // Esc closes and stops the stream
    key(&mut app, KeyCode::Esc);
    assert!(app.popups.is_empty());
    assert_eq!(stops(&engine_cmds(&mut app)), [f[0].stream]);
    assert!(app.log_streams().is_empty());

    // a task in the tasks pane: that task's logs
    app.run_command("tasks");
    key(&mut app, KeyCode::Char('/'));
    type_str(&mut app, "fx-web node2\n");
    key(&mut app, KeyCode::Char('l'));
    let f = follows(&engine_cmds(&mut app));
    assert_eq!(f.len(), 1);
    assert_eq!(f[0].target, LogsTarget::Task(TaskId::from(WEB2.0)));
    assert!(screen(&app, 80, 24).contains("logs: fx-web.2"));
    key(&mut app, KeyCode::Char('q'));
    assert!(
        app.popups.is_empty(),
        "q closes the view, not the dashboard"
    );
    assert!(!app.quit);

    // in a task's details
    key(&mut app, KeyCode::Enter);
    assert_eq!(app.popup_names(), ["task"]);
    engine_cmds(&mut app);
    key(&mut app, KeyCode::Char('l'));
    assert_eq!(app.popup_names(), ["task", "logs"]);
    let f = follows(&engine_cmds(&mut app));
    assert_eq!(f[0].target, LogsTarget::Task(TaskId::from(WEB2.0)));
    key(&mut app, KeyCode::Esc);
    assert_eq!(app.popup_names(), ["task"], "back to the details");

    // the nodes pane has no logs: `l` is free there
    key(&mut app, KeyCode::Esc);
    app.run_command("nodes");
    engine_cmds(&mut app);
    key(&mut app, KeyCode::Char('l'));
    assert!(app.popups.is_empty());
    assert!(engine_cmds(&mut app).is_empty());
}

#[test]
fn lines_show_with_their_task_time_and_stream_and_late_streams_are_dropped() {
    let mut app = app();
    let s = open_web(&mut app);
    let shown = screen(&app, 80, 24);
    assert!(shown.contains("connecting…"), "{shown}");
    lines(&mut app, s, fixed_lines());
    let v = view(&app);
    assert_eq!(v.ring().len(), 31);
    assert_eq!(*v.state(), StreamState::Live);
    assert_eq!(v.source_of(0), Some("fx-web.1@node3"));
    assert_eq!(v.source_of(1), Some("fx-web.2@node2"));
    let shown = screen(&app, 140, 40);
    assert!(shown.contains("01:58:00.000 fx-web.1@node3"), "{shown}");
    assert!(
        shown.contains("! error: upstream timeout"),
        "stderr is marked:\n{shown}"
    );
    assert!(shown.contains("following · 31 lines"), "{shown}");
    // the newest line is at the bottom
    assert!(
        shown.contains("a long line:    0123"),
        "tab as spaces:\n{shown}"
    );
    // a stream the view does not follow: dropped, and stopped
    lines(&mut app, s + 1000, vec![line(WEB1, 99, "stray")]);
    assert_eq!(view(&app).ring().len(), 31, "nothing of it kept");
    assert_eq!(stops(&engine_cmds(&mut app)), [s + 1000]);
    // a task that has ended since: its short id, until the service's history names it
    let gone = ("oldtask0123456789abcdefgh", WEB1.1);
    lines(&mut app, s, vec![line(gone, 40, "from before the update")]);
    assert_eq!(view(&app).source_of(31), Some("oldtask01234@node3"));
    let mut old = common::tasks()
        .into_iter()
        .find(|t| t.id.as_str() == WEB1.0)
        .expect("fx-web.1");
    old.id = TaskId::from(gone.0);
    old.slot = Some(1);
    app.apply(EngineMsg::Tasks {
        scope: swarmdeck::engine::TaskScope::Service(ServiceId::from(WEB)),
        tasks: vec![old],
    });
    assert_eq!(view(&app).source_of(31), Some("fx-web.1@node3"));
    // times off
    key(&mut app, KeyCode::Char('t'));
    assert!(!view(&app).shows_times());
    assert!(!screen(&app, 140, 40).contains("01:58:00.000"));
}

#[test]
fn snapshots() {
    let mut app = app();
    let s = open_web(&mut app);
    lines(&mut app, s, fixed_lines());
    for (w, h) in [(80, 24), (140, 40)] {
        insta::assert_snapshot!(format!("logs_following_{w}x{h}"), screen(&app, w, h));
    }
    // paused, searched, wrapped
    key(&mut app, KeyCode::Char('/'));
    type_str(&mut app, "timeout\n");
    key(&mut app, KeyCode::Char('w'));
    for (w, h) in [(80, 24), (140, 40)] {
        insta::assert_snapshot!(format!("logs_search_wrap_{w}x{h}"), screen(&app, w, h));
    }
    // the stream ended
    app.apply(EngineMsg::Logs {
        stream: s,
        event: LogsEvent::Ended(Err("the connection was lost (no answer to 2 pings)".into())),
    });
    insta::assert_snapshot!("logs_ended_80x24", screen(&app, 80, 24));
    // one task's logs: no source column
    let mut app = self::app();
    app.open_logs(LogsRequest {
        task: Some((TaskId::from(WEB1.0), "fx-web.1".into())),
        ..web_request()
    });
    let s = follows(&engine_cmds(&mut app))[0].stream;
    lines(&mut app, s, fixed_lines().into_iter().step_by(2).collect());
    insta::assert_snapshot!("logs_task_80x24", screen(&app, 80, 24));
}

#[test]
fn pause_keeps_the_screen_while_lines_arrive() {
    let mut app = app();
    let s = open_web(&mut app);
    lines(&mut app, s, fixed_lines());
    screen(&app, 80, 24);
    key(&mut app, KeyCode::Char('p'));
    assert!(!view(&app).following());
    let before = screen(&app, 80, 24);
    lines(
        &mut app,
        s,
        (40..45)
            .map(|i| line(WEB2, i, &format!("new {i}")))
            .collect(),
    );
    let after = screen(&app, 80, 24);
    assert!(after.contains("paused, 5 new lines"), "{after}");
    assert!(!after.contains("new 44"), "the screen stayed");
    let body = |s: &str| s.lines().skip(1).take(20).collect::<Vec<_>>().join("\n");
    assert_eq!(body(&before), body(&after), "same lines on the screen");
    // Space pauses too (toggles): following again shows the newest
    key(&mut app, KeyCode::Char(' '));
    assert!(view(&app).following());
    assert!(screen(&app, 80, 24).contains("new 44"));
    // scrolling up pauses; G follows
    key(&mut app, KeyCode::Char('k'));
    assert!(!view(&app).following());
    key(&mut app, KeyCode::Char('g'));
    let top = screen(&app, 80, 24);
    assert!(
        top.contains("GET /api/items/0 "),
        "g: the oldest line:\n{top}"
    );
    key(&mut app, KeyCode::Char('G'));
    assert!(view(&app).following());
    // page keys move by what the screen holds
    key(&mut app, KeyCode::PageUp);
    screen(&app, 80, 24);
    key(&mut app, KeyCode::PageDown);
    key(&mut app, KeyCode::PageDown);
    assert!(screen(&app, 80, 24).contains("new 44"));
}

#[test]
fn search_jumps_highlights_and_steps_through_matches() {
    let mut app = app();
    let s = open_web(&mut app);
    lines(&mut app, s, fixed_lines());
    key(&mut app, KeyCode::Char('/'));
    type_str(&mut app, "TIMEOUT");
    // a capital: case matters; nothing matches
    assert_eq!(view(&app).current_match(), None);
    assert!(screen(&app, 80, 24).contains("no match"));
    for _ in 0..7 {
        key(&mut app, KeyCode::Backspace);
    }
    type_str(&mut app, "timeout\n");
    // the newest match (line 27), then older ones with N, newer with n
    assert_eq!(view(&app).current_match(), Some(27));
    assert!(!view(&app).following(), "a match pauses the screen");
    key(&mut app, KeyCode::Char('N'));
    assert_eq!(view(&app).current_match(), Some(17));
    key(&mut app, KeyCode::Char('N'));
    key(&mut app, KeyCode::Char('N'));
    assert_eq!(view(&app).current_match(), Some(7));
    assert!(
        app.notices
            .back()
            .expect("as set up")
            .text
            .contains("no older match")
    );
    key(&mut app, KeyCode::Char('n'));
    assert_eq!(view(&app).current_match(), Some(17));
    // the match is highlighted (reversed) on the screen
    let buf = render(&app, 140, 40);
    let row = (0..40)
        .find(|y| {
            (0..140)
                .map(|x| buf[(x, *y)].symbol())
                .collect::<String>()
                .contains("request 17")
        })
        .expect("the match is on the screen");
    let x = (0..130u16)
        .find(|x| {
            (0..7)
                .map(|d| buf[(x + d, row)].symbol())
                .collect::<String>()
                == "timeout"
        })
        .expect("the word");
    assert!(
        buf[(x, row)]
            .modifier
            .contains(ratatui::style::Modifier::REVERSED)
    );
    // Esc in the prompt clears the search and puts the screen back
    key(&mut app, KeyCode::Char('G'));
    key(&mut app, KeyCode::Char('/'));
    type_str(&mut app, "items/3");
    assert!(!view(&app).following());
    key(&mut app, KeyCode::Esc);
    assert!(view(&app).following());
    assert_eq!(view(&app).query(), "");
    assert_eq!(app.popup_names(), ["logs"], "Esc closed the prompt only");
    // n without a search says how to search
    key(&mut app, KeyCode::Char('n'));
    assert!(
        app.notices
            .back()
            .expect("as set up")
            .text
            .contains("/ searches")
    );
    // a paste into the prompt searches too
    key(&mut app, KeyCode::Char('/'));
    app.on_paste("items/12 ");
    assert_eq!(view(&app).current_match(), Some(12));
}

#[test]
fn a_window_key_restarts_the_stream_and_drops_the_lines_held() {
    let mut app = app();
    let s = open_web(&mut app);
    lines(&mut app, s, fixed_lines());
    key(&mut app, KeyCode::Char('2'));
    let cmds = engine_cmds(&mut app);
    assert_eq!(stops(&cmds), [s], "the old stream stops");
    let f = follows(&cmds);
    assert_eq!(f.len(), 1);
    assert_eq!(f[0].since, Some(app.now - SignedDuration::from_mins(5)));
    assert_eq!(f[0].tail, None);
    assert!(view(&app).ring().is_empty());
    assert!(screen(&app, 80, 24).contains("last 5m"));
    // what the old stream still sends is dropped
    lines(&mut app, s, vec![line(WEB1, 50, "late")]);
    assert!(view(&app).ring().is_empty());
    for (k, w) in [
        ('1', "last 1m"),
        ('3', "last 15m"),
        ('4', "last 30m"),
        ('5', "last 1h"),
        ('0', "tail 200"),
    ] {
        key(&mut app, KeyCode::Char(k));
        assert!(screen(&app, 80, 24).contains(w), "{k}: {w}");
    }
    let f = follows(&engine_cmds(&mut app));
    assert_eq!(f.last().expect("as set up").tail, Some(200));
}

#[test]
fn an_ended_stream_resumes_with_no_line_missing_or_doubled() {
    let mut app = app();
    let s = open_web(&mut app);
    // 1..=10 from task 1; 1..=5 from task 2 (slower, behind)
    let mut sent: Vec<LogLine> = (1..=10)
        .map(|i| line(WEB1, i * 2, &format!("a {i}")))
        .collect();
    sent.extend((1..=5).map(|i| line(WEB2, i * 2 + 1, &format!("b {i}"))));
    lines(&mut app, s, sent);
    app.apply(EngineMsg::Logs {
        stream: s,
        event: LogsEvent::Ended(Err("the connection was lost (no answer to 2 pings)".into())),
    });
    assert!(matches!(
        view(&app).state(),
        StreamState::Ended { retry: Some(_), .. }
    ));
    assert!(screen(&app, 80, 24).contains("stream ended, reconnecting in 1 s (r: now)"));
    assert!(
        app.log_streams().is_empty(),
        "the ended stream is forgotten"
    );
    // the back-off: tried again after a second, from the last lines seen
    let now = app.now;
    app.tick(now + SignedDuration::from_millis(1500));
    let f = follows(&engine_cmds(&mut app));
    assert_eq!(f.len(), 1, "reconnected");
    let r = f[0].stream;
    assert_ne!(r, s);
    // from the earliest of each task's last line: b 5 (t = 11 × 100 ms), all lines after
    assert_eq!(f[0].since, line(WEB2, 11, "").ts);
    assert_eq!(f[0].tail, None);
    assert_eq!(app.log_streams(), [r]);
    // the engine sends again from there: task 1's 6..=10 (seen), task 2's 5 (seen), and new
    let mut again: Vec<LogLine> = (6..=12)
        .map(|i| line(WEB1, i * 2, &format!("a {i}")))
        .collect();
    again.extend((5..=7).map(|i| line(WEB2, i * 2 + 1, &format!("b {i}"))));
    lines(&mut app, r, again);
    let v = view(&app);
    assert_eq!(v.doubles(), 6, "a 6..=10 and b 5 were sent again");
    let held: Vec<String> = v.ring().iter().map(|e| e.text.to_string()).collect();
    for i in 1..=12 {
        let n = held.iter().filter(|t| **t == format!("a {i}")).count();
        assert_eq!(n, 1, "a {i} once: {held:?}");
    }
    for i in 1..=7 {
        let n = held.iter().filter(|t| **t == format!("b {i}")).count();
        assert_eq!(n, 1, "b {i} once: {held:?}");
    }
    // `r` reconnects at once too; an ended task's stream waits for `r`
    app.apply(EngineMsg::Logs {
        stream: r,
        event: LogsEvent::Ended(Ok(())),
    });
    key(&mut app, KeyCode::Char('r'));
    assert_eq!(follows(&engine_cmds(&mut app)).len(), 1);
    // the engine says there is no such task: no retry by itself either
    let mut app = self::app();
    let s = open_web(&mut app);
    app.apply(EngineMsg::Logs {
        stream: s,
        event: LogsEvent::Ended(Err("No such task: 1234".into())),
    });
    assert!(matches!(
        view(&app).state(),
        StreamState::Ended { retry: None, .. }
    ));
    let mut app = self::app();
    // fx-sweep's task rc7o… has completed (its history read: the drill-down)
    app.run_command("services");
    key(&mut app, KeyCode::Char('/'));
    type_str(&mut app, "fx-sweep\n");
    key(&mut app, KeyCode::Enter);
    let sweep = ServiceId::from("g8337agcb9ym8pfhnh5pmarif");
    app.apply(EngineMsg::Tasks {
        scope: swarmdeck::engine::TaskScope::Service(sweep.clone()),
        tasks: common::tasks()
            .into_iter()
            .filter(|t| t.service_id == sweep)
            .collect(),
    });
    assert!(
        app.store
            .task(&TaskId::from("rc7oux6063posl5no9qa8u830"))
            .is_some()
    );
    engine_cmds(&mut app);
    app.open_logs(LogsRequest {
        service: ServiceId::from("g8337agcb9ym8pfhnh5pmarif"),
        service_name: "fx-sweep".into(),
        task: Some((
            TaskId::from("rc7oux6063posl5no9qa8u830"),
            "fx-sweep.x".into(),
        )),
        since: None,
        find: None,
    });
    let s = follows(&engine_cmds(&mut app))[0].stream;
    app.apply(EngineMsg::Logs {
        stream: s,
        event: LogsEvent::Ended(Ok(())),
    });
    assert!(matches!(
        view(&app).state(),
        StreamState::Ended { retry: None, .. }
    ));
    let now = app.now;
    app.tick(now + SignedDuration::from_secs(60));
    assert!(
        follows(&engine_cmds(&mut app)).is_empty(),
        "no retry by itself"
    );
    assert!(screen(&app, 80, 24).contains("r reconnects"));
}

#[test]
fn the_ring_holds_log_lines_at_most() {
    let mut app = app();
    app.log_lines = 100;
    let s = open_web(&mut app);
    for chunk in 0..3 {
        lines(
            &mut app,
            s,
            (0..50)
                .map(|i| line(WEB1, chunk * 50 + i, &format!("n {}", chunk * 50 + i)))
                .collect(),
        );
    }
    let v = view(&app);
    assert_eq!(v.ring().len(), 100);
    assert_eq!(v.ring().first(), 50);
    assert_eq!(&*v.ring().get(50).expect("as set up").text, "n 50");
    assert_eq!(&*v.ring().get(149).expect("as set up").text, "n 149");
}

#[test]
fn find_and_since_from_the_request() {
    let mut app = app();
    let since = base() + SignedDuration::from_secs(2);
    app.open_logs(LogsRequest {
        since: Some(since),
        find: Some("timeout".into()),
        ..web_request()
    });
    let f = follows(&engine_cmds(&mut app));
    assert_eq!((f[0].since, f[0].tail), (Some(since), None));
    assert!(screen(&app, 80, 24).contains("since 01:58:02.000"));
    // the first match jumps as soon as it arrives
    let all = fixed_lines();
    lines(&mut app, f[0].stream, all[..5].to_vec());
    assert_eq!(view(&app).current_match(), None);
    assert!(view(&app).following());
    lines(&mut app, f[0].stream, all[5..].to_vec());
    assert_eq!(view(&app).current_match(), Some(7));
    assert!(!view(&app).following());
    assert!(screen(&app, 80, 24).contains("timeout after 5000ms"));
}

#[test]
fn save_writes_the_lines_held_and_refuses_clearly() {
    let dir = tempfile::tempdir().expect("as set up");
    let mut app = app();
    let s = open_web(&mut app);
    key(&mut app, KeyCode::Char('s'));
    let path = dir.path().join("web.log");
    ctrl(&mut app, 'u');
    type_str(&mut app, &format!("{}\n", path.display()));
    assert!(
        app.notices
            .back()
            .expect("as set up")
            .text
            .contains("no lines held"),
        "nothing to save yet"
    );
    assert!(!path.exists());
    key(&mut app, KeyCode::Esc);
    lines(&mut app, s, fixed_lines());
    // the default path is offered: in the current directory, named after the service
    key(&mut app, KeyCode::Char('s'));
    let prompt = screen(&app, 140, 40);
    assert!(prompt.contains("save to: "), "{prompt}");
    assert!(prompt.contains("swarmdeck-fx-web-"), "{prompt}");
    ctrl(&mut app, 'u');
    type_str(&mut app, &format!("{}\n", path.display()));
    let notice = app.notices.back().expect("as set up").text.clone();
    assert_eq!(notice, format!("saved 31 lines to {}", path.display()));
    let saved = std::fs::read_to_string(&path).expect("as set up");
    let rows: Vec<&str> = saved.lines().collect();
    assert_eq!(rows.len(), 31);
    assert_eq!(
        rows[0],
        "2026-12-02T01:58:00Z fx-web.1@node3 out GET /api/items/0 200 3ms"
    );
    assert!(
        rows[7].contains(" err error: upstream timeout"),
        "{}",
        rows[7]
    );
    assert!(rows[30].contains("a long line:\t0123"), "the text as sent");
    // never over a file; the prompt stays for another name
    ctrl(&mut app, 's');
    ctrl(&mut app, 'u');
    type_str(&mut app, &format!("{}\n", path.display()));
    assert!(
        app.notices
            .back()
            .expect("as set up")
            .text
            .contains("exists")
    );
    assert!(screen(&app, 80, 24).contains("save to: "));
    ctrl(&mut app, 'u');
    type_str(
        &mut app,
        &format!("{}/no/such/dir.log\n", dir.path().display()),
    );
    let notice = app.notices.back().expect("as set up").text.clone();
    assert!(
        notice.starts_with("cannot save to ") && notice.contains("nothing written"),
        "{notice}"
    );
    key(&mut app, KeyCode::Esc);
    assert_eq!(app.popup_names(), ["logs"]);
    assert_eq!(
        std::fs::read_to_string(&path).expect("as set up"),
        saved,
        "unchanged"
    );
}

#[test]
fn help_and_hints_come_from_the_keymap() {
    let mut app = app();
    open_web(&mut app);
    let footer = swarmdeck::ui::footer_hints(&app);
    let words: Vec<String> = footer.iter().map(|(k, w)| format!("{k} {w}")).collect();
    for want in [
        "/ search",
        "n next",
        "p pause",
        "w wrap",
        "0–5 window",
        "s save",
        "Esc close",
    ] {
        assert!(words.iter().any(|w| w == want), "{want} in {words:?}");
    }
    key(&mut app, KeyCode::Char('?'));
    assert_eq!(app.popup_names(), ["logs", "help"]);
    let help = screen(&app, 100, 50);
    assert!(help.contains("pause: stop scrolling"), "{help}");
    assert!(
        help.contains("the last 5 minutes (logs: then live"),
        "{help}"
    );
    // a user's own keys for the view
    let mut t = swarmdeck::keymap::KeyTable::default();
    let mut logs = std::collections::BTreeMap::new();
    logs.insert(
        swarmdeck::keymap::Action::PauseLogs,
        swarmdeck::keymap::KeyList::One("f".parse().expect("as set up")),
    );
    t.views.insert("logs".into(), logs);
    let km = swarmdeck::keymap::Keymap::new(&t, false).expect("as set up");
    let mut app = App::new(km, common::fixture_now());
    app.open_logs(web_request());
    let footer = swarmdeck::ui::footer_hints(&app);
    assert!(
        footer.iter().any(|(k, w)| k == "f" && w == "pause"),
        "{footer:?}"
    );
}
