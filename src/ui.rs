//! Rendering: a pure function of the state. No I/O, no locks, no changes to the state.

use ratatui::Frame;
use ratatui::layout::{Alignment, Constraint, Flex, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{
    Block, BorderType, Borders, Cell, Clear, Paragraph, Row, Table, TableState, Wrap,
};

use crate::app::{App, ConnState, Level, Modal, Pane};
use crate::domain::{
    Availability, NodeState, Reachability, ServiceMode, TaskState, UpdateState, short_age,
};
use crate::theme::Theme;
use crate::vip::Ownership;

pub const LEADER_MARK: &str = "★";
pub const VIP_MARK: &str = "◆";

/// Draw the whole dashboard.
pub fn draw(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    frame.render_widget(Block::default().style(theme.text), area);
    // The bottom line is the footer; an open `:` or `/` prompt takes it at any height (down
    // to one line), over everything else, so nobody types blind.
    let [rest, bottom] = Layout::vertical([Constraint::Fill(1), Constraint::Length(1)]).areas(area);
    let prompt = prompt_open(app);
    if app.nodes.is_empty()
        && app.updated_at.is_none()
        && let ConnState::Failed { errors } = &app.conn
    {
        let screen = if prompt { rest } else { area };
        draw_connect_error(frame, screen, errors, theme);
        draw_modals(frame, screen, app, theme);
    } else {
        let [header, body] =
            Layout::vertical([Constraint::Length(3), Constraint::Min(6)]).areas(rest);
        draw_header(frame, header, app, theme);
        draw_body(frame, body, app, theme);
        if !prompt {
            draw_footer(frame, bottom, app, theme);
        }
        draw_modals(frame, if prompt { rest } else { area }, app, theme);
    }
    if prompt {
        draw_prompt(frame, bottom, app, theme);
    }
}

fn prompt_open(app: &App) -> bool {
    matches!(
        app.modals.last(),
        Some(Modal::Command { .. } | Modal::Filter { .. })
    )
}

fn draw_connect_error(
    frame: &mut Frame,
    area: Rect,
    errors: &[crate::engine::ConnectError],
    theme: &Theme,
) {
    let mut lines = vec![
        Line::styled("swarmdeck cannot reach a swarm manager", theme.danger),
        Line::default(),
    ];
    for e in errors {
        lines.push(Line::styled(format!("• {e}"), theme.text));
    }
    lines.push(Line::default());
    lines.push(Line::styled(
        "Retrying every 2 s. Choose managers with --host ENDPOINT (repeatable), `endpoints` in the config file, or DOCKER_HOST.",
        theme.muted,
    ));
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

/// An endpoint short enough for the header: long socket paths keep their last two parts.
fn endpoint_label(ep: &str, max: usize) -> String {
    if ep.chars().count() <= max {
        return ep.to_string();
    }
    if let Some(path) = ep.strip_prefix("unix://") {
        let parts: Vec<&str> = path.rsplitn(3, '/').collect();
        if parts.len() == 3 {
            return format!("…/{}/{}", parts[1], parts[0]);
        }
    }
    let tail: String = ep
        .chars()
        .rev()
        .take(max.saturating_sub(1))
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    format!("…{tail}")
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
    let cluster = app
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
    let max_ep = if wide { 60 } else { 28 };
    let (endpoint, conn_style) = match &app.conn {
        ConnState::Connected { endpoint } => (endpoint_label(endpoint, max_ep), theme.text),
        ConnState::Connecting { endpoint } => (
            format!("{} (connecting)", endpoint_label(endpoint, max_ep)),
            theme.warn,
        ),
        ConnState::Lost { endpoint, .. } => (
            format!("{} (lost)", endpoint_label(endpoint, max_ep)),
            theme.danger,
        ),
        ConnState::Failed { .. } => ("no manager reachable".into(), theme.danger),
    };
    l1.push(word(" via "));
    l1.push(Span::styled(endpoint, conn_style));
    if let Some(info) = &app.info {
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

    let q = &app.quorum;
    let mut l2 = vec![Span::styled(" leader ", theme.muted)];
    match app.leader() {
        Some(n) => l2.push(Span::styled(
            format!("{LEADER_MARK} {}", n.hostname),
            theme.leader,
        )),
        None if app.nodes.is_empty() => l2.push(Span::styled("?", theme.muted)),
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
    let mut l3 = Vec::new();
    // The VIP first: the first question when something breaks.
    let alarms = app.vip_alarms();
    if let Some((Level::Danger, text)) = alarms.first() {
        l3.push(Span::styled(
            format!(" {text}"),
            theme.danger.add_modifier(Modifier::BOLD),
        ));
    } else {
        for v in app.vips.iter().take(2) {
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
    if let ConnState::Lost { reason, .. } = &app.conn {
        l3.push(Span::styled(
            format!(" manager lost ({reason}), reconnecting"),
            theme.danger,
        ));
    } else if let Some(err) = &app.fetch_error {
        l3.push(Span::styled(format!(" {err}"), theme.danger));
    } else {
        let down = app.nodes.iter().filter(|n| n.is_down()).count();
        let degraded = app.services.iter().filter(|s| s.is_degraded()).count();
        l3.push(Span::styled(
            format!(
                " {} nodes, {} services",
                app.nodes.len(),
                app.services.len()
            ),
            theme.muted,
        ));
        if down > 0 {
            l3.push(Span::styled(format!(" · {down} down"), theme.danger));
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

fn draw_body(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    // The focused pane gets the most room; the nodes pane never takes more than it needs
    // (or more than half).
    let weight = |p: Pane| if app.focus == p { 3 } else { 2 };
    let nodes_need = app.views[0].len() as u16 + 3;
    let nodes_h = nodes_need.min(area.height / 2).max(4);
    // The VIP pane (when VIPs are watched) shows its VIPs, plus their moves when focused.
    let vips_h = if app.vips.is_empty() {
        0
    } else {
        let history = if app.focus == Pane::Vips { 6 } else { 0 };
        (app.vips.len() as u16 + 3 + history)
            .min(area.height / 3)
            .max(4)
    };
    let constraints = [
        Constraint::Length(nodes_h),
        Constraint::Fill(weight(Pane::Services)),
        Constraint::Fill(weight(Pane::Tasks)),
        Constraint::Length(vips_h),
    ];
    let [nodes, services, tasks, vips] = Layout::vertical(constraints).areas(area);
    draw_nodes(frame, nodes, app, theme);
    draw_services(frame, services, app, theme);
    draw_tasks(frame, tasks, app, theme);
    if vips_h > 0 {
        draw_vips(frame, vips, app, theme);
    }
}

fn draw_vips(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let title = format!("vips ({})", app.views[3].len());
    let block = pane_block(app, Pane::Vips, title, theme);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let table_h = (app.views[3].len() as u16 + 1).min(inner.height);
    let [table_area, history_area] =
        Layout::vertical([Constraint::Length(table_h), Constraint::Fill(1)]).areas(inner);
    let header = vec!["VIP", "HOLDER", "HOW", "SINCE", "PORT", "NOTE"];
    let widths = [
        Constraint::Length(16),
        Constraint::Length(14),
        Constraint::Length(6),
        Constraint::Length(6),
        Constraint::Length(11),
        Constraint::Fill(1),
    ];
    let alarms = app.vip_alarms();
    let rows: Vec<Vec<Line>> = app.views[3]
        .iter()
        .map(|i| {
            let v = &app.vips[*i];
            let Some(obs) = &v.current else {
                return vec![
                    Line::from(Span::styled(v.spec.addr.to_string(), theme.text)),
                    Line::from(Span::styled("looking…", theme.muted)),
                ];
            };
            let holder = match &obs.ownership {
                Ownership::Owner { hostname, .. } => {
                    Span::styled(format!("{VIP_MARK} {hostname}"), theme.vip)
                }
                Ownership::Unseen { .. } => Span::styled("not visible", theme.muted),
                Ownership::Stranger { .. } => Span::styled(obs.ownership.label(), theme.warn),
                _ => Span::styled(
                    obs.ownership.label(),
                    theme.danger.add_modifier(Modifier::BOLD),
                ),
            };
            let how = match &obs.ownership {
                Ownership::Owner { method, .. } => method.short(),
                _ => "-",
            };
            let since = v.since.map(|t| short_age(t, app.now)).unwrap_or_default();
            let port = match obs.reachable {
                Some(true) => Span::styled(format!("{} open", obs.port), theme.ok),
                Some(false) => Span::styled(format!("{} closed", obs.port), theme.warn),
                None => Span::styled(format!("{} ?", obs.port), theme.muted),
            };
            let prefix = format!("VIP {}", v.spec.addr);
            let note = match alarms.iter().find(|(_, t)| t.starts_with(&prefix)) {
                Some((Level::Danger, t)) => Span::styled(t.clone(), theme.danger),
                Some((Level::Warn, t)) => Span::styled(t.clone(), theme.warn),
                Some((Level::Info, t)) => Span::styled(t.clone(), theme.info),
                None => Span::styled(obs.ownership.detail(), theme.muted),
            };
            vec![
                Line::from(Span::styled(v.spec.addr.to_string(), theme.text)),
                Line::from(holder),
                Line::from(Span::styled(how, theme.muted)),
                Line::from(Span::styled(since, theme.muted)),
                Line::from(port),
                Line::from(note),
            ]
        })
        .collect();
    draw_table(
        frame,
        table_area,
        app,
        Pane::Vips,
        TableParts {
            rows,
            widths: widths.to_vec(),
            header,
            block: None,
            empty: "no VIP matches the filter",
        },
        theme,
    );
    if history_area.height == 0 {
        return;
    }
    let Some(v) = app.selected_vip() else { return };
    let mut lines = vec![Line::styled(
        format!("moves of {} (newest first)", v.spec.addr),
        theme.header,
    )];
    if v.history.is_empty() {
        lines.push(Line::styled(
            "no move seen since swarmdeck started",
            theme.muted,
        ));
    }
    for m in v.history.iter().rev() {
        lines.push(Line::from(vec![
            Span::styled(
                format!("{} ", m.at.strftime("%Y-%m-%d %H:%M:%S UTC")),
                theme.muted,
            ),
            Span::styled(m.from.clone(), theme.text),
            Span::styled(" → ", theme.muted),
            Span::styled(m.to.clone(), theme.vip),
        ]));
    }
    frame.render_widget(Paragraph::new(lines), history_area);
}

fn pane_block<'a>(app: &App, pane: Pane, title: String, theme: &Theme) -> Block<'a> {
    let focused = app.focus == pane;
    let filter = app.effective_filter(pane);
    let mut block = Block::default()
        .borders(Borders::ALL)
        .border_type(BorderType::Rounded)
        .border_style(theme.border_style(focused))
        .title(Span::styled(
            format!(" {title} "),
            if focused { theme.title } else { theme.muted },
        ));
    if !filter.is_empty() {
        block = block.title(Span::styled(format!(" /{filter} "), theme.accent));
    }
    block
}

fn table_state(app: &App, pane: Pane) -> TableState {
    let view = &app.views[pane.index()];
    let sel = (!view.is_empty()).then_some(app.panes[pane.index()].selected);
    TableState::default().with_selected(sel)
}

fn draw_nodes(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let wide = area.width >= 100;
    let title = format!("nodes ({})", app.views[0].len());
    let block = pane_block(app, Pane::Nodes, title, theme);
    let mut header = vec![
        "HOSTNAME", "ROLE", "AVAIL", "STATE", "MANAGER", "ADDRESS", "TASKS",
    ];
    let name_w = app
        .nodes
        .iter()
        .map(|n| n.hostname.chars().count())
        .max()
        .unwrap_or(8) as u16
        + 2;
    let mut widths = vec![
        Constraint::Length(name_w.clamp(10, 28)),
        Constraint::Length(7),
        Constraint::Length(if app.drains.values().any(|d| d.done_at.is_none()) {
            10
        } else {
            6
        }),
        Constraint::Length(7),
        Constraint::Length(11),
        Constraint::Length(15),
        Constraint::Length(5),
    ];
    if wide {
        header.push("ENGINE");
        widths.push(Constraint::Length(15));
    }
    header.push("LABELS");
    widths.push(Constraint::Fill(1));
    let rows: Vec<Vec<Line>> = app.views[0]
        .iter()
        .map(|i| {
            let n = &app.nodes[*i];
            let mut name = vec![Span::styled(
                n.hostname.clone(),
                if n.is_down() {
                    theme.danger
                } else {
                    theme.text
                },
            )];
            if n.is_leader() {
                name.push(Span::styled(format!(" {LEADER_MARK}"), theme.leader));
            }
            if app.holds_vip(&n.hostname) {
                name.push(Span::styled(format!(" {VIP_MARK}"), theme.vip));
            }
            let avail = match n.availability {
                Availability::Active => theme.ok,
                Availability::Pause => theme.warn,
                Availability::Drain => theme.warn,
                Availability::Unknown(_) => theme.danger,
            };
            let state = match n.state {
                NodeState::Ready => theme.ok,
                _ => theme.danger,
            };
            let (mgr, mgr_style) = match &n.manager {
                None => ("-".to_string(), theme.muted),
                Some(m) => (
                    m.reachability.to_string(),
                    if m.reachability == Reachability::Reachable {
                        theme.ok
                    } else {
                        theme.danger
                    },
                ),
            };
            let labels: Vec<String> = n.labels.iter().map(|(k, v)| format!("{k}={v}")).collect();
            let mut cells = vec![
                Line::from(name),
                Line::from(Span::styled(n.role.to_string(), theme.text)),
                Line::from(match app.drain_mark(&n.id) {
                    Some(mark) => Span::styled(mark, theme.warn),
                    None => Span::styled(n.availability.to_string(), avail),
                }),
                Line::from(Span::styled(n.state.to_string(), state)),
                Line::from(Span::styled(mgr, mgr_style)),
                Line::from(Span::styled(n.address().to_string(), theme.text)),
                Line::from(Span::styled(
                    app.running_per_node
                        .get(&n.id)
                        .copied()
                        .unwrap_or(0)
                        .to_string(),
                    theme.text,
                )),
            ];
            if wide {
                cells.push(Line::from(Span::styled(
                    n.engine_version.clone(),
                    theme.muted,
                )));
            }
            cells.push(Line::from(Span::styled(labels.join(","), theme.muted)));
            cells
        })
        .collect();
    let empty = if app.nodes.is_empty() {
        "no nodes yet"
    } else {
        "no node matches the filter"
    };
    draw_table(
        frame,
        area,
        app,
        Pane::Nodes,
        TableParts {
            rows,
            widths,
            header: header.to_vec(),
            block: Some(block),
            empty,
        },
        theme,
    );
}

/// One table: its cells (one line each), column widths and header, drawn by [`draw_table`].
struct TableParts<'a> {
    rows: Vec<Vec<Line<'a>>>,
    widths: Vec<Constraint>,
    header: Vec<&'static str>,
    /// Drawn around the table, when the table has its own.
    block: Option<Block<'a>>,
    /// What to say when there is no row.
    empty: &'a str,
}

const COLUMN_SPACING: u16 = 1;

/// The one table renderer: every cell longer than its column is cut to the column's display
/// width and ends in `…`, so a cut name is never taken for a whole one.
fn draw_table<'a>(
    frame: &mut Frame,
    area: Rect,
    app: &App,
    pane: Pane,
    parts: TableParts<'a>,
    theme: &Theme,
) {
    let TableParts {
        rows,
        widths,
        header,
        block,
        empty,
    } = parts;
    let inner = match &block {
        Some(b) => b.inner(area),
        None => area,
    };
    let columns = column_widths(&widths, inner.width);
    let fit_row = |cells: Vec<Line<'a>>| -> Row<'a> {
        Row::new(
            cells
                .into_iter()
                .zip(columns.iter())
                .map(|(line, w)| Cell::from(fit(line, *w)))
                .collect::<Vec<_>>(),
        )
    };
    let rows: Vec<Row> = if rows.is_empty() {
        vec![fit_row(vec![Line::styled(empty, theme.muted)])]
    } else {
        rows.into_iter().map(fit_row).collect()
    };
    let header = fit_row(header.into_iter().map(Line::raw).collect()).style(theme.header);
    let mut table = Table::new(rows, widths)
        .header(header)
        .row_highlight_style(highlight(app, pane, theme))
        .column_spacing(COLUMN_SPACING)
        .flex(Flex::Start);
    if let Some(b) = block {
        table = table.block(b);
    }
    frame.render_stateful_widget(table, area, &mut table_state(app, pane));
}

/// The width of each column, as [`Table`] lays them out (no highlight symbol, so no
/// selection column).
fn column_widths(widths: &[Constraint], width: u16) -> Vec<u16> {
    Layout::horizontal(widths.iter().copied())
        .flex(Flex::Start)
        .spacing(COLUMN_SPACING)
        .split(Rect::new(0, 0, width, 1))
        .iter()
        .map(|r| r.width)
        .collect()
}

/// `line` cut to `width` columns, ending in `…` when something was cut. Styles are kept.
fn fit(mut line: Line<'_>, width: u16) -> Line<'_> {
    let width = usize::from(width);
    if line.width() <= width {
        return line;
    }
    let room = width.saturating_sub(1); // for the `…`
    let mut used = 0;
    let mut spans = Vec::new();
    for span in std::mem::take(&mut line.spans) {
        let mut kept = String::new();
        let mut full = true;
        for g in span.styled_graphemes(Style::default()) {
            let w = Span::raw(g.symbol).width();
            if used + w > room {
                full = false;
                break;
            }
            used += w;
            kept.push_str(g.symbol);
        }
        if !full {
            if width > 0 {
                if !kept.is_empty() {
                    spans.push(Span::styled(kept, span.style));
                }
                spans.push(Span::styled("…", span.style));
            }
            break;
        }
        spans.push(Span::styled(kept, span.style));
    }
    line.spans = spans;
    line
}

fn highlight(app: &App, pane: Pane, theme: &Theme) -> Style {
    if app.focus == pane {
        theme.selected
    } else {
        Style::default().add_modifier(Modifier::BOLD)
    }
}

fn draw_services(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let title = format!("services ({})", app.views[1].len());
    let block = pane_block(app, Pane::Services, title, theme);
    let header = ["NAME", "MODE", "REPLICAS", "IMAGE", "UPDATE"];
    let widths = [
        Constraint::Fill(1),
        Constraint::Length(14),
        Constraint::Length(10),
        Constraint::Fill(1),
        Constraint::Length(10),
    ];
    let rows: Vec<Vec<Line>> = app.views[1]
        .iter()
        .map(|i| {
            let s = &app.services[*i];
            let (replicas, style) = match s.mode {
                ServiceMode::ReplicatedJob {
                    total_completions, ..
                } => (
                    format!("{}/{total_completions} done", s.completed),
                    if s.completed < total_completions {
                        theme.warn
                    } else {
                        theme.ok
                    },
                ),
                ServiceMode::GlobalJob => (
                    if s.running > 0 {
                        format!("{} done, {} running", s.completed, s.running)
                    } else {
                        format!("{} done", s.completed)
                    },
                    if s.running > 0 { theme.warn } else { theme.ok },
                ),
                _ => (
                    format!("{}/{}", s.running, s.desired),
                    if s.running < s.desired {
                        theme.warn
                    } else {
                        theme.ok
                    },
                ),
            };
            let update = match &s.update_state {
                None => Span::styled("-", theme.muted),
                Some(u @ (UpdateState::Completed | UpdateState::RollbackCompleted)) => {
                    Span::styled(u.to_string(), theme.ok)
                }
                Some(u @ UpdateState::Updating) => Span::styled(u.to_string(), theme.warn),
                Some(u) => Span::styled(u.to_string(), theme.danger),
            };
            vec![
                Line::from(Span::styled(s.name.clone(), theme.text)),
                Line::from(Span::styled(s.mode.name(), theme.text)),
                Line::from(Span::styled(replicas, style)),
                Line::from(Span::styled(s.image_short().to_string(), theme.muted)),
                Line::from(update),
            ]
        })
        .collect();
    let empty = if app.services.is_empty() {
        "no services"
    } else {
        "no service matches the filter"
    };
    draw_table(
        frame,
        area,
        app,
        Pane::Services,
        TableParts {
            rows,
            widths: widths.to_vec(),
            header: header.to_vec(),
            block: Some(block),
            empty,
        },
        theme,
    );
}

fn task_state_style(state: &TaskState, theme: &Theme) -> Style {
    match state {
        TaskState::Running | TaskState::Complete => theme.ok,
        TaskState::Failed | TaskState::Rejected | TaskState::Orphaned | TaskState::Unknown(_) => {
            theme.danger
        }
        TaskState::Shutdown | TaskState::Remove => theme.muted,
        _ => theme.warn,
    }
}

fn draw_tasks(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let title = format!("tasks {} ({})", app.task_scope_label(), app.views[2].len());
    let block = pane_block(app, Pane::Tasks, title, theme);
    let header = ["TASK", "NODE", "DESIRED", "STATE", "ERROR"];
    let widths = [
        Constraint::Min(14),
        Constraint::Length(12),
        Constraint::Length(8),
        Constraint::Length(24),
        Constraint::Fill(1),
    ];
    let source = app.task_source();
    let rows: Vec<Vec<Line>> = app.views[2]
        .iter()
        .filter_map(|i| source.get(*i))
        .map(|t| {
            let svc = app
                .service(&t.service_id)
                .map_or_else(|| t.service_id.short().to_string(), |s| s.name.clone());
            let name = match t.slot {
                Some(slot) if slot > 0 => format!("{svc}.{slot}"),
                _ => format!("{svc}.{}", t.node_id.as_ref().map_or("?", |n| n.short())),
            };
            let node = t
                .node_id
                .as_ref()
                .map(|id| {
                    app.node(id)
                        .map_or_else(|| id.short().to_string(), |n| n.hostname.clone())
                })
                .unwrap_or_else(|| "-".into());
            let age = t.since.map(|s| short_age(s, app.now)).unwrap_or_default();
            let down = app.task_on_down_node(t);
            let state = if down {
                Span::styled(format!("{} {age} (node down)", t.state), theme.danger)
            } else {
                Span::styled(
                    format!("{} {age}", t.state),
                    task_state_style(&t.state, theme),
                )
            };
            let err = if !t.error.is_empty() {
                t.error.clone()
            } else {
                String::new()
            };
            vec![
                Line::from(Span::styled(name, theme.text)),
                Line::from(Span::styled(
                    node,
                    if down { theme.danger } else { theme.text },
                )),
                Line::from(Span::styled(t.desired.to_string(), theme.muted)),
                Line::from(state),
                Line::from(Span::styled(err, theme.danger)),
            ]
        })
        .collect();
    let empty = if app.drill.is_some() && app.scoped_tasks.is_none() {
        "loading…"
    } else {
        "no tasks"
    };
    draw_table(
        frame,
        area,
        app,
        Pane::Tasks,
        TableParts {
            rows,
            widths: widths.to_vec(),
            header: header.to_vec(),
            block: Some(block),
            empty,
        },
        theme,
    );
}

fn draw_footer(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    if let Some(n) = app.current_notice() {
        let style = match n.level {
            Level::Info => theme.info,
            Level::Warn => theme.warn,
            Level::Danger => theme.danger,
        };
        frame.render_widget(
            Paragraph::new(Line::styled(format!(" {}", n.text), style)),
            area,
        );
        return;
    }
    let mut spans = Vec::new();
    for (key, word) in app.keymap.footer_hints() {
        spans.push(Span::styled(format!(" {key}"), theme.footer_key));
        spans.push(Span::styled(format!(" {word} "), theme.footer_text));
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}

/// The `:` or `/` prompt: what is typed and the cursor stay in view however narrow the line
/// (the start gives way to `…`), then the hints.
fn draw_prompt(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let (prefix, input, extra) = match app.modals.last() {
        Some(Modal::Command { input }) => (
            ":",
            input,
            format!("   {}", app.candidates(input).join(" ")),
        ),
        Some(Modal::Filter { input, .. }) => ("/", input, "   Enter keep · Esc clear".to_string()),
        _ => return,
    };
    let width = usize::from(area.width);
    let cursor = "█";
    let typed = format!("{prefix}{input}");
    let typed = if Span::raw(typed.as_str()).width() < width {
        typed
    } else if width >= prefix.len() + 3 {
        // prefix, "…", the end of the input, the cursor
        format!("{prefix}…{}", tail(input, width - prefix.len() - 2))
    } else {
        tail(&typed, width.saturating_sub(1)).to_string()
    };
    let line = Line::from(vec![
        Span::styled(typed, theme.accent),
        Span::styled(cursor, theme.accent),
        Span::styled(extra, theme.muted),
    ]);
    frame.render_widget(Clear, area);
    frame.render_widget(Paragraph::new(line), area);
}

/// The end of `s` that fits in `width` columns.
fn tail(s: &str, width: usize) -> &str {
    let mut used = 0;
    let mut start = s.len();
    for (i, c) in s.char_indices().rev() {
        let w = Span::raw(c.encode_utf8(&mut [0; 4]) as &str).width();
        if used + w > width {
            break;
        }
        used += w;
        start = i;
    }
    s.get(start..).unwrap_or_default()
}

fn draw_modals(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    for m in &app.modals {
        match m {
            Modal::Help { scroll } => draw_help(frame, area, app, *scroll, theme),
            Modal::Confirm(c) => draw_confirm(frame, area, c, theme),
            Modal::DrainProgress { node } => draw_drain(frame, area, app, node, theme),
            Modal::Labels(f) => draw_labels(frame, area, f, theme),
            Modal::Rebalance => draw_rebalance(frame, area, app, theme),
            Modal::Audit { scroll } => draw_audit(frame, area, app, *scroll, theme),
            Modal::Command { .. } | Modal::Filter { .. } => {}
        }
    }
}

fn level_style(level: Level, theme: &Theme) -> Style {
    match level {
        Level::Info => theme.text,
        Level::Warn => theme.warn,
        Level::Danger => theme.danger,
    }
}

/// A bordered dialog in the middle of the screen; returns its inner area.
fn dialog(
    frame: &mut Frame,
    area: Rect,
    (w, h): (u16, u16),
    title: &str,
    hint: &str,
    danger: bool,
    theme: &Theme,
) -> Rect {
    let rect = centered(area, w, h);
    frame.render_widget(Clear, rect);
    let block = Block::bordered()
        .border_type(BorderType::Rounded)
        .border_style(if danger {
            theme.danger
        } else {
            theme.border_style(true)
        })
        .title(Span::styled(format!(" {title} "), theme.title))
        .title_bottom(Span::styled(format!(" {hint} "), theme.muted))
        .style(theme.text);
    let inner = block.inner(rect);
    frame.render_widget(block, rect);
    inner
}

fn draw_confirm(frame: &mut Frame, area: Rect, c: &crate::app::maint::Confirm, theme: &Theme) {
    let mut lines: Vec<Line> = c
        .lines
        .iter()
        .map(|(l, t)| Line::styled(t.clone(), level_style(*l, theme)))
        .collect();
    lines.push(Line::default());
    let hint = match (&c.write, &c.expect, &c.then) {
        (None, _, crate::app::maint::After::Rebalance(_)) => {
            lines.push(Line::styled("y starts, Esc cancels", theme.accent));
            "y start · Esc cancel"
        }
        (None, _, _) => "Esc close",
        (Some(_), Some(expect), _) => {
            lines.push(Line::from(vec![
                Span::styled(
                    format!("This is dangerous. Type {expect} and Enter to confirm: "),
                    theme.danger,
                ),
                Span::styled(format!("{}█", c.typed), theme.accent),
            ]));
            "type the hostname · Enter confirm · Esc cancel"
        }
        (Some(_), None, _) => {
            lines.push(Line::styled("y confirms, n or Esc cancels", theme.accent));
            "y confirm · n/Esc cancel"
        }
    };
    let danger = c.expect.is_some()
        || c.write.is_none() && !matches!(c.then, crate::app::maint::After::Rebalance(_));
    let h = (lines.len() as u16 + 4).min(area.height);
    let inner = dialog(frame, area, (90, h), &c.title, hint, danger, theme);
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), inner);
}

fn draw_drain(
    frame: &mut Frame,
    area: Rect,
    app: &App,
    node: &crate::domain::NodeId,
    theme: &Theme,
) {
    let Some(d) = app.drains.get(node) else {
        return;
    };
    let elapsed = app.now.as_second() - d.started.as_second();
    let mut lines = Vec::new();
    match (&d.failed, &d.progress, d.done_at) {
        (Some(e), _, _) => lines.push(Line::styled(
            format!("the drain was not written: {e}"),
            theme.danger,
        )),
        (None, progress, Some(done)) => {
            let (moved, stranded) = progress.as_ref().map_or((0, 0), |p| (p.moved, p.stranded));
            lines.push(Line::styled(
                format!(
                    "done in {}s: no task left running · moved {moved} · stranded {stranded}",
                    done.as_second() - d.started.as_second()
                ),
                theme.ok,
            ));
        }
        (None, Some(p), None) => {
            lines.push(Line::styled(
                format!(
                    "{elapsed}s · moved {} · still stopping {} · stranded {} · left on {}: {}",
                    p.moved,
                    p.stopping,
                    p.stranded,
                    d.check.node,
                    p.left_running.len()
                ),
                theme.warn,
            ));
            for t in p.left_running.iter().take(12) {
                lines.push(Line::styled(format!("  {t}"), theme.muted));
            }
        }
        (None, None, None) => {
            lines.push(Line::styled(format!("{elapsed}s · writing…"), theme.muted))
        }
    }
    if !d.check.stranded.is_empty() {
        lines.push(Line::styled(
            format!(
                "{} task(s) stranded: they stay pending until a node satisfies their constraints",
                d.check.stranded.len()
            ),
            theme.danger,
        ));
    }
    let h = (lines.len() as u16 + 3).min(area.height);
    let title = format!("draining {}", d.check.node);
    let inner = dialog(
        frame,
        area,
        (90, h),
        &title,
        "Esc leaves (the drain goes on)",
        false,
        theme,
    );
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), inner);
}

fn draw_labels(frame: &mut Frame, area: Rect, f: &crate::app::maint::LabelForm, theme: &Theme) {
    let mut lines = Vec::new();
    let rows = f.rows();
    if rows.is_empty() {
        lines.push(Line::styled("no labels yet", theme.muted));
    }
    for (i, (k, v, mark)) in rows.iter().enumerate() {
        let style = match mark {
            '+' => theme.ok,
            '~' => theme.warn,
            '-' => theme.danger.add_modifier(Modifier::CROSSED_OUT),
            _ => theme.text,
        };
        let style = if i == f.selected {
            style.add_modifier(Modifier::REVERSED)
        } else {
            style
        };
        lines.push(Line::styled(format!("{mark} {k}={v}"), style));
    }
    lines.push(Line::default());
    for i in &f.impact {
        let style = if i.after.is_empty() {
            theme.danger
        } else {
            theme.warn
        };
        lines.push(Line::styled(i.describe(), style));
    }
    lines.push(Line::from(vec![
        Span::styled("key=value: ", theme.muted),
        Span::styled(format!("{}█", f.input), theme.accent),
    ]));
    if let Some(e) = &f.error {
        lines.push(Line::styled(e.clone(), theme.danger));
    }
    let h = (lines.len() as u16 + 3).min(area.height);
    let title = format!("labels of {}", f.hostname);
    let hint = "Enter add · ↑↓ select · Del remove · Enter on empty: review · Esc cancel";
    let inner = dialog(frame, area, (90, h), &title, hint, false, theme);
    frame.render_widget(Paragraph::new(lines), inner);
}

fn draw_rebalance(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    use crate::app::maint::RebalanceStep;
    let mut lines = Vec::new();
    for item in &app.rebalance {
        let (text, style) = match &item.state {
            RebalanceStep::Waiting => ("waiting".to_string(), theme.muted),
            RebalanceStep::Writing(_) => ("writing…".to_string(), theme.warn),
            RebalanceStep::Updating { since, .. } => (
                format!("rolling out ({}s)", app.now.as_second() - since.as_second()),
                theme.warn,
            ),
            RebalanceStep::Done => ("done".to_string(), theme.ok),
            RebalanceStep::Failed(e) => (format!("failed: {e}"), theme.danger),
        };
        lines.push(Line::from(vec![
            Span::styled(format!("{:<24} ", item.name), theme.text),
            Span::styled(format!("{text:<22} "), style),
            Span::styled(format!("was {}", item.spread_before), theme.muted),
        ]));
    }
    let h = (lines.len() as u16 + 3).min(area.height);
    let inner = dialog(
        frame,
        area,
        (90, h),
        "rebalance",
        "Esc leaves (it goes on)",
        false,
        theme,
    );
    frame.render_widget(Paragraph::new(lines), inner);
}

fn draw_audit(frame: &mut Frame, area: Rect, app: &App, scroll: u16, theme: &Theme) {
    let a = &app.audit;
    let mut lines = Vec::new();
    if a.loading {
        lines.push(Line::styled("reading…", theme.muted));
    }
    if let Some(e) = &a.error {
        lines.push(Line::styled(
            format!("cannot read the audit log: {e}"),
            theme.danger,
        ));
    }
    if !a.loading && a.error.is_none() && a.entries.is_empty() {
        lines.push(Line::styled("no write recorded yet", theme.muted));
    }
    for e in &a.entries {
        let who = match &e.ssh_client {
            Some(c) => format!("{} from {c}", e.user),
            None => e.user.clone(),
        };
        let style = if e.result == "ok" || e.result == "no-op" {
            theme.text
        } else {
            theme.danger
        };
        lines.push(Line::from(vec![
            Span::styled(
                format!("{} ", e.time.get(..19).unwrap_or(&e.time)),
                theme.muted,
            ),
            Span::styled(format!("{who} "), theme.accent),
            Span::styled(format!("{} {}: {} ", e.kind, e.name, e.action), style),
            Span::styled(format!("[{}]", e.result), style),
        ]));
    }
    if a.unreadable_lines > 0 {
        lines.push(Line::styled(
            format!("{} line(s) could not be read", a.unreadable_lines),
            theme.warn,
        ));
    }
    let rect_h = area.height.saturating_sub(4);
    let inner = dialog(
        frame,
        area,
        (area.width.saturating_sub(6), rect_h),
        "audit log (newest first)",
        "j/k scroll · Esc close",
        false,
        theme,
    );
    frame.render_widget(Paragraph::new(lines).scroll((scroll, 0)), inner);
}

fn centered(area: Rect, w: u16, h: u16) -> Rect {
    let w = w.min(area.width);
    let h = h.min(area.height);
    Rect {
        x: area.x + (area.width - w) / 2,
        y: area.y + (area.height - h) / 2,
        width: w,
        height: h,
    }
}

fn draw_help(frame: &mut Frame, area: Rect, app: &App, scroll: u16, theme: &Theme) {
    let rows = app.keymap.help_rows();
    let key_w = rows
        .iter()
        .map(|(k, _)| k.chars().count())
        .max()
        .unwrap_or(4)
        .min(22);
    let mut lines: Vec<Line> = rows
        .iter()
        .map(|(k, d)| {
            Line::from(vec![
                Span::styled(format!(" {k:<key_w$}  "), theme.accent),
                Span::styled(d.to_string(), theme.text),
            ])
        })
        .collect();
    lines.push(Line::default());
    lines.push(Line::styled(
        " Filter and command line: Enter keeps, Esc cancels, Tab completes.",
        theme.muted,
    ));
    lines.push(Line::styled(
        format!(" {LEADER_MARK} marks the Raft leader, {VIP_MARK} the node holding a VIP."),
        theme.muted,
    ));
    let h = (lines.len() as u16 + 2).min(area.height);
    let rect = centered(area, 72, h);
    frame.render_widget(Clear, rect);
    let block = Block::bordered()
        .border_type(BorderType::Rounded)
        .border_style(theme.border_style(true))
        .title(Span::styled(" keys ", theme.title))
        .title_bottom(Span::styled(" ? or Esc closes ", theme.muted));
    frame.render_widget(
        Paragraph::new(lines)
            .block(block)
            .scroll((scroll, 0))
            .style(theme.text),
        rect,
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use ratatui::style::Color;

    fn text_of(line: &Line) -> String {
        line.spans.iter().map(|s| s.content.as_ref()).collect()
    }

    #[test]
    fn fit_leaves_what_fits() {
        let line = fit(Line::raw("node1"), 5);
        assert_eq!(text_of(&line), "node1");
        assert_eq!(text_of(&fit(Line::raw(""), 0)), "");
    }

    #[test]
    fn fit_cuts_with_an_ellipsis_and_keeps_styles() {
        let red = Style::default().fg(Color::Red);
        let blue = Style::default().fg(Color::Blue);
        let line = Line::from(vec![
            Span::styled("node-", red),
            Span::styled("alpha", blue),
        ]);
        let cut = fit(line, 8);
        assert_eq!(text_of(&cut), "node-al…");
        assert_eq!(cut.width(), 8);
        assert_eq!(cut.spans[0].style, red);
        assert_eq!(cut.spans.last().map(|s| s.style), Some(blue));
        // the cut falls on the end of a span: the ellipsis takes that span's style
        let line = Line::from(vec![Span::styled("abc", red), Span::styled("def", blue)]);
        let cut = fit(line, 4);
        assert_eq!(text_of(&cut), "abc…");
        assert_eq!(cut.spans.last().map(|s| s.style), Some(blue));
        assert_eq!(text_of(&fit(Line::raw("abc"), 1)), "…");
        assert_eq!(text_of(&fit(Line::raw("abc"), 0)), "");
    }

    #[test]
    fn fit_counts_columns_not_chars() {
        // each of these is two columns wide
        let cut = fit(Line::raw("ノードノード"), 6);
        assert_eq!(text_of(&cut), "ノー…");
        assert_eq!(cut.width(), 5, "a wide char never straddles the edge");
        let cut = fit(Line::raw("ab★ノード"), 5);
        assert!(cut.width() <= 5, "{}", text_of(&cut));
        assert!(text_of(&cut).ends_with('…'));
    }

    #[test]
    fn tail_keeps_the_end_by_width() {
        assert_eq!(tail("filter", 3), "ter");
        assert_eq!(tail("filter", 10), "filter");
        assert_eq!(tail("filter", 0), "");
        assert_eq!(tail("abノード", 5), "ード");
    }

    #[test]
    fn column_widths_match_the_table() {
        // what Table draws: a cell filled to its column ends where the next column starts
        let widths = vec![
            Constraint::Fill(1),
            Constraint::Length(4),
            Constraint::Min(3),
        ];
        for width in [10u16, 17, 40, 81] {
            let cols = column_widths(&widths, width);
            let rows = vec![Row::new(
                cols.iter()
                    .map(|w| Cell::from("x".repeat(usize::from(*w))))
                    .collect::<Vec<_>>(),
            )];
            let table = Table::new(rows, widths.clone())
                .column_spacing(COLUMN_SPACING)
                .flex(Flex::Start);
            let area = Rect::new(0, 0, width, 1);
            let mut buf = ratatui::buffer::Buffer::empty(area);
            ratatui::widgets::Widget::render(table, area, &mut buf);
            let drawn: String = (0..width).map(|x| buf[(x, 0)].symbol()).collect();
            let expected: String = cols
                .iter()
                .map(|w| "x".repeat(usize::from(*w)))
                .collect::<Vec<_>>()
                .join(" ");
            assert_eq!(drawn.trim_end(), expected.trim_end(), "width {width}");
        }
    }
}
