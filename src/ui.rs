//! Rendering: a pure function of the state. No I/O, no locks, no changes to the state (a
//! view may remember its layout, e.g. a list's scroll offset, in a `Cell`). The header, the
//! footer and the layout are here; every pane and popup draws itself ([`crate::view`]).

use ratatui::Frame;
use ratatui::layout::{Alignment, Constraint, Layout, Rect};
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Clear, Paragraph, Wrap};

use crate::app::{App, ConnState, Level};
use crate::theme::Theme;
use crate::view::DrawCtx;
pub use crate::view::pane::nodes::{LEADER_MARK, VIP_MARK};

/// What views draw with.
pub fn draw_ctx<'a>(app: &'a App, theme: &'a Theme) -> DrawCtx<'a> {
    DrawCtx {
        store: &app.store,
        ops: &app.ops,
        keymap: &app.keymap,
        theme,
        now: app.now,
        readonly: app.readonly,
        follow: app.follow.as_ref(),
        drill: app.drill.as_ref(),
    }
}

/// Draw the whole dashboard.
pub fn draw(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    frame.render_widget(Block::default().style(theme.text), area);
    let cx = draw_ctx(app, theme);
    // The bottom line is the footer; an open `:` or `/` prompt takes it at any height (down
    // to one line), over everything else, so nobody types blind.
    let [rest, bottom] = Layout::vertical([Constraint::Fill(1), Constraint::Length(1)]).areas(area);
    let prompt = app.top().and_then(|v| v.prompt_line(&cx, bottom.width));
    let screen = if prompt.is_some() { rest } else { area };
    // a full-screen popup (the config editor) hides the panes; the footer stays
    let first = app.popups.iter().rposition(|p| p.view.full_screen());
    if let Some(first) = first {
        for p in &app.popups[first..] {
            p.view.draw(frame, rest, &cx);
        }
        if prompt.is_none() {
            draw_footer(frame, bottom, app, theme);
        }
    } else {
        draw_main(frame, screen, rest, bottom, app, &cx, prompt.is_some());
    }
    if let Some(line) = prompt {
        frame.render_widget(Clear, bottom);
        frame.render_widget(Paragraph::new(line), bottom);
        // what the prompt just refused (a paste of several lines) shows right above it
        if let Some(n) = app.current_notice()
            && rest.height > 0
        {
            let above = Rect {
                y: bottom.y - 1,
                height: 1,
                ..bottom
            };
            frame.render_widget(Clear, above);
            frame.render_widget(
                Paragraph::new(Line::styled(
                    format!(" {}", n.text),
                    level_style(n.level, theme),
                )),
                above,
            );
        }
    }
}

fn level_style(level: Level, theme: &Theme) -> ratatui::style::Style {
    crate::view::level_style(level, theme)
}

fn draw_connect_error(
    frame: &mut Frame,
    area: Rect,
    app: &App,
    errors: &[crate::engine::ConnectError],
    theme: &Theme,
) {
    let headline = match app.clusters.header() {
        Some((what, name)) => format!(
            "swarmdeck cannot reach a swarm manager of {} {}",
            if what == "context" {
                "docker context"
            } else {
                "cluster"
            },
            crate::text::printable(name)
        ),
        None => "swarmdeck cannot reach a swarm manager".to_string(),
    };
    let mut lines = vec![Line::styled(headline, theme.danger), Line::default()];
    for e in errors {
        lines.push(Line::styled(format!("• {e}"), theme.text));
    }
    lines.push(Line::default());
    lines.push(Line::styled(
        "Retrying every 2 s. Choose managers with --host ENDPOINT (repeatable), --context NAME, `endpoints` in the config file, or DOCKER_HOST.",
        theme.muted,
    ));
    if app.clusters.list.len() > 1 {
        lines.push(Line::styled(
            ":clusters lists the other clusters and switches to one.",
            theme.muted,
        ));
    }
    lines.push(Line::styled("q quits.", theme.muted));
    let block = Block::bordered()
        .border_type(BorderType::Rounded)
        .border_style(theme.danger)
        .title(Span::styled(" not connected ", theme.title));
    frame.render_widget(
        Paragraph::new(lines)
            .block(block)
            .wrap(Wrap { trim: false }),
        area,
    );
}

/// The header, the panes, the footer and the popups over them.
#[allow(clippy::too_many_arguments)]
fn draw_main(
    frame: &mut Frame,
    screen: Rect,
    rest: Rect,
    bottom: Rect,
    app: &App,
    cx: &DrawCtx<'_>,
    prompting: bool,
) {
    let theme = cx.theme;
    let store = &app.store;
    if store.nodes.is_empty()
        && store.updated_at.is_none()
        && let ConnState::Failed { errors } = &store.conn
    {
        draw_connect_error(frame, screen, app, errors, theme);
    } else {
        let [header, body] =
            Layout::vertical([Constraint::Length(3), Constraint::Min(6)]).areas(rest);
        draw_header(frame, header, app, theme);
        // the alerts bar, right under the header, only while something is wrong
        let body = if store.alerts.is_empty() {
            body
        } else {
            let [bar, body] =
                Layout::vertical([Constraint::Length(1), Constraint::Min(5)]).areas(body);
            draw_alerts(frame, bar, &store.alerts, theme);
            body
        };
        draw_body(frame, body, app, cx);
        if !prompting {
            draw_footer(frame, bottom, app, theme);
        }
    }
    for p in &app.popups {
        p.view.draw(frame, screen, cx);
    }
}

/// The alerts bar: the worst alert in full, then as many more as fit, then "+N more";
/// critical ones in the danger style (bold), warnings in the warn style.
pub fn draw_alerts(
    frame: &mut Frame,
    area: Rect,
    alerts: &[crate::health::alerts::Alert],
    theme: &Theme,
) {
    use crate::health::alerts::Severity;
    use unicode_width::UnicodeWidthStr;
    let style = |s: Severity| match s {
        Severity::Critical => theme.danger.add_modifier(Modifier::BOLD),
        Severity::Warning => theme.warn,
    };
    const SEP: &str = " · ";
    let width = usize::from(area.width);
    let more = |n: usize| format!("{SEP}+{n} more");
    let mut spans = Vec::new();
    let mut used = 0;
    let mut shown = 0;
    for (i, a) in alerts.iter().enumerate() {
        let text = if i == 0 {
            format!(" {}", a.text)
        } else {
            a.text.clone()
        };
        let w = text.width() + if i == 0 { 0 } else { SEP.width() };
        let left = alerts.len() - i - 1;
        let room = if left > 0 { more(left).width() } else { 0 };
        if i > 0 && used + w + room > width {
            break;
        }
        if i > 0 {
            spans.push(Span::styled(SEP, theme.muted));
        }
        spans.push(Span::styled(text, style(a.severity)));
        used += w;
        shown += 1;
    }
    if shown < alerts.len() {
        spans.push(Span::styled(more(alerts.len() - shown), theme.muted));
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}

fn draw_header(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let bar = theme.bar;
    let wide = area.width >= 140;
    let mut l1 = vec![Span::styled(
        " swarmdeck ",
        bar.add_modifier(Modifier::BOLD),
    )];
    if app.readonly {
        l1.push(Span::styled(
            " READONLY ",
            theme.warn.add_modifier(Modifier::BOLD),
        ));
    }
    let word = |w: &'static str| Span::styled(if wide { w } else { " " }, theme.muted);
    // the cluster shown, by its name, when there are several (or it is a docker context)
    if let Some((what, name)) = app.clusters.header() {
        l1.push(Span::styled(
            if wide {
                format!(" {what} ")
            } else {
                " ".to_string()
            },
            theme.muted,
        ));
        l1.push(Span::styled(
            crate::text::printable(name).into_owned(),
            theme.accent.add_modifier(Modifier::BOLD),
        ));
    }
    let cluster = app
        .store
        .info
        .as_ref()
        .map(|i| {
            i.cluster_id
                .chars()
                .take(if wide { 12 } else { 8 })
                .collect::<String>()
        })
        .unwrap_or_default();
    if !cluster.is_empty() {
        l1.push(word(" cluster "));
        l1.push(Span::styled(cluster, theme.text));
    }
    // a cluster's name takes room from the endpoint
    let named = app.clusters.header().map_or(0, |(what, name)| {
        name.chars().count() + if wide { what.len() + 2 } else { 1 }
    });
    let max_ep = (if wide { 60 } else { 28 } as usize)
        .saturating_sub(named)
        .max(if wide { 36 } else { 24 });
    let (endpoint, conn_style) = match &app.store.conn {
        ConnState::Connected { endpoint } => (crate::endpoint::label(endpoint, max_ep), theme.text),
        ConnState::Connecting { endpoint } => (
            format!("{} (connecting)", crate::endpoint::label(endpoint, max_ep)),
            theme.warn,
        ),
        ConnState::Lost { endpoint, .. } => (
            format!("{} (lost)", crate::endpoint::label(endpoint, max_ep)),
            theme.danger,
        ),
        ConnState::Failed { .. } => ("no manager reachable".into(), theme.danger),
    };
    l1.push(word(" via "));
    l1.push(Span::styled(endpoint, conn_style));
    let failover = app.store.failover.len();
    if failover > 0 {
        l1.push(Span::styled(
            if wide {
                format!(" (+{failover} failover)")
            } else {
                format!(" +{failover}")
            },
            theme.muted,
        ));
    }
    if let Some(info) = &app.store.info {
        l1.push(word(" engine "));
        l1.push(Span::styled(
            format!("{} API {}", info.engine_version, info.api_version),
            theme.text,
        ));
    }
    // data age, right aligned on the first line
    let age = match app.age_secs() {
        None => Span::styled("no data ", theme.warn),
        Some(_) if !app.is_stale() => Span::styled("● live ", theme.ok),
        Some(a) => Span::styled(format!("● stale {a}s "), theme.danger),
    };

    let q = &app.store.quorum;
    let store = &app.store;
    let mut l2 = vec![Span::styled(" leader ", theme.muted)];
    let unreachable_managers = store
        .nodes
        .iter()
        .filter(|n| n.is_manager() && store.unreachable_from_here(&n.id))
        .count();
    if let Some(since) = store.no_leader_since {
        // the engine says there is none: the last list read is no longer the truth about raft
        let secs = (app.now.as_second() - since.as_second()).max(0);
        l2.clear();
        l2.push(Span::styled(
            format!(" no leader — election in progress ({secs}s)"),
            theme.danger.add_modifier(Modifier::BOLD),
        ));
        let managers = store.nodes.iter().filter(|n| n.is_manager()).count();
        if managers > 0 {
            l2.push(Span::styled("  managers ", theme.muted));
            l2.push(Span::styled(
                {
                    let answer = managers - unreachable_managers;
                    let majority = managers / 2 + 1;
                    if answer < majority {
                        format!("{answer}/{managers} answer from here, a quorum needs {majority}")
                    } else {
                        format!("{answer}/{managers} answer from here")
                    }
                },
                if unreachable_managers > 0 {
                    theme.danger
                } else {
                    theme.text
                },
            ));
        }
    } else {
        if !matches!(store.conn, ConnState::Connected { .. }) && !store.nodes.is_empty() {
            // no manager answers now: what follows is the last thing one said
            l2[0] = Span::styled(" last known: leader ", theme.muted);
        }
        match app.store.leader() {
            Some(n) => l2.push(Span::styled(
                format!("{LEADER_MARK} {}", n.hostname),
                theme.leader,
            )),
            None if app.store.nodes.is_empty() => l2.push(Span::styled("?", theme.muted)),
            None => l2.push(Span::styled("none", theme.danger)),
        }
        l2.push(Span::styled("  managers ", theme.muted));
        if q.total == 0 {
            l2.push(Span::styled("?", theme.muted));
        } else {
            let qstyle = if !q.has_quorum {
                theme.danger
            } else if q.at_risk() {
                theme.warn
            } else {
                theme.ok
            };
            l2.push(Span::styled(
                format!("{}/{} reachable", q.reachable, q.total),
                qstyle,
            ));
            l2.push(Span::styled(
                format!(", majority {}", q.majority),
                theme.muted,
            ));
            if !q.has_quorum {
                l2.push(Span::styled(
                    ", NO QUORUM",
                    theme.danger.add_modifier(Modifier::BOLD),
                ));
            } else {
                let tol_style = if q.tolerates == 0 {
                    theme.danger
                } else {
                    theme.ok
                };
                let word = if q.tolerates == 1 {
                    "failure"
                } else {
                    "failures"
                };
                l2.push(Span::styled(", tolerates ", theme.muted));
                l2.push(Span::styled(format!("{} {word}", q.tolerates), tol_style));
            }
            if q.even {
                l2.push(Span::styled(" · even count", theme.warn));
            }
        }
        if unreachable_managers > 0 {
            l2.push(Span::styled(
                format!(" · {unreachable_managers} unreachable from here"),
                theme.danger,
            ));
        }
    }
    let mut l3 = Vec::new();
    // The VIP first: the first question when something breaks.
    let alarms = app.store.vip_alarms();
    if let Some((Level::Danger, text)) = alarms.first() {
        // the alerts bar right below says it too: once is enough
        if app.store.alerts.is_empty() {
            l3.push(Span::styled(
                format!(" {text}"),
                theme.danger.add_modifier(Modifier::BOLD),
            ));
        }
    } else {
        for v in app.store.vips.iter().take(2) {
            match v.owner() {
                Some(o) => l3.push(Span::styled(format!(" VIP {VIP_MARK} {o}"), theme.vip)),
                None if v.current.is_some() => {
                    l3.push(Span::styled(" VIP not visible", theme.muted))
                }
                None => {}
            }
        }
        if !l3.is_empty() {
            l3.push(Span::styled(" ·", theme.muted));
        }
    }
    if let ConnState::Lost { reason, .. } = &app.store.conn {
        l3.push(Span::styled(
            format!(" manager lost ({reason}), reconnecting"),
            theme.danger,
        ));
    } else if let ConnState::Failed { errors } = &app.store.conn {
        l3.push(Span::styled(
            format!(
                " no manager answers ({} tried, retrying): {}",
                errors.len(),
                errors.first().map(ToString::to_string).unwrap_or_default()
            ),
            theme.danger,
        ));
    } else if let Some(err) = app
        .store
        .fetch_error
        .as_ref()
        .filter(|e| !matches!(e, crate::engine::FetchError::NoLeader(_)))
    {
        l3.push(Span::styled(format!(" {err}"), theme.danger));
    } else if let (Some(crate::engine::FetchError::NoLeader(why)), None) =
        (&app.store.fetch_error, app.store.updated_at)
    {
        // nothing read yet: the engine's own words on why
        l3.push(Span::styled(format!(" the engine: {why}"), theme.warn));
    } else {
        let down = app.store.nodes.iter().filter(|n| n.is_down()).count();
        let suspect = app
            .store
            .nodes
            .iter()
            .filter(|n| !n.is_down() && app.store.unreachable_from_here(&n.id))
            .count();
        let degraded = app
            .store
            .services
            .iter()
            .filter(|s| s.is_degraded())
            .count();
        l3.push(Span::styled(
            format!(
                " {} nodes, {} services",
                app.store.nodes.len(),
                app.store.services.len()
            ),
            theme.muted,
        ));
        if down > 0 {
            l3.push(Span::styled(format!(" · {down} down"), theme.danger));
        }
        if suspect > 0 {
            l3.push(Span::styled(
                format!(" · {suspect} unreachable from here"),
                theme.danger,
            ));
        }
        if degraded > 0 {
            l3.push(Span::styled(
                format!(" · {degraded} below desired"),
                theme.warn,
            ));
        }
    }

    let [top, line3] = Layout::vertical([Constraint::Length(2), Constraint::Length(1)]).areas(area);
    let age_w = age.width() as u16;
    let [left, right] =
        Layout::horizontal([Constraint::Min(10), Constraint::Length(age_w)]).areas(line3);
    frame.render_widget(
        Paragraph::new(vec![Line::from(l1), Line::from(l2)]).style(theme.text),
        top,
    );
    frame.render_widget(Paragraph::new(Line::from(l3)).style(theme.text), left);
    frame.render_widget(
        Paragraph::new(Line::from(age)).alignment(Alignment::Right),
        right,
    );
}

fn draw_body(frame: &mut Frame, area: Rect, app: &App, cx: &DrawCtx<'_>) {
    let data = app.data();
    let shown: Vec<usize> = (0..app.panes.len())
        .filter(|i| app.panes[*i].visible(data))
        .collect();
    let constraints: Vec<Constraint> = shown
        .iter()
        .map(|i| app.panes[*i].constraint(data, app.focus == *i, area.height))
        .collect();
    let areas = Layout::vertical(constraints).split(area);
    for (i, a) in shown.iter().zip(areas.iter()) {
        if a.height > 0 {
            app.panes[*i].draw_in(frame, *a, cx, app.focus == *i);
        }
    }
}

fn draw_footer(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    if let Some(n) = app.current_notice() {
        let style = level_style(n.level, theme);
        frame.render_widget(
            Paragraph::new(Line::styled(format!(" {}", n.text), style)),
            area,
        );
        return;
    }
    let mut spans = Vec::new();
    for (key, word) in footer_hints(app) {
        spans.push(Span::styled(format!(" {key}"), theme.footer_key));
        spans.push(Span::styled(format!(" {word} "), theme.footer_text));
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}

/// The footer's hints: the top popup's, else the global keys around the focused pane's.
pub fn footer_hints(app: &App) -> Vec<(String, String)> {
    if let Some(top) = app.top() {
        return top.hints(&app.keymap);
    }
    let pane = &app.panes[app.focus];
    let ctx = pane.context();
    let mut hints = crate::view::hints_for(
        &app.keymap,
        ctx,
        &[
            (crate::keymap::Action::Help, "help"),
            (crate::keymap::Action::Quit, "quit"),
            (crate::keymap::Action::NextPane, "pane"),
        ],
    );
    // the pane's first two (Enter, filter), the command line, then the pane's others
    let own = pane.hints(&app.keymap);
    let cmd = crate::view::hints_for(&app.keymap, ctx, &[(crate::keymap::Action::Command, "cmd")]);
    let split = own.len().min(2);
    hints.extend(own[..split].iter().cloned());
    hints.extend(cmd);
    hints.extend(own[split..].iter().cloned());
    hints
}
