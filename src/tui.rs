//! The UI task: one loop that owns the [`App`], takes keys and engine messages, and draws
//! only when something changed, at most `fps` times a second.

use std::time::Duration;

use futures_util::StreamExt;
use jiff::Timestamp;
use ratatui::crossterm::event::{Event, EventStream, KeyEventKind};
use tokio::signal::unix::{SignalKind, signal};
use tokio::time::{Instant, interval, sleep_until};

use crate::app::{App, Outgoing};
use crate::engine::{self, EngineOptions};
use crate::term;
use crate::theme::Theme;
use crate::vip::{self, VipSpec};

pub struct Options {
    pub endpoints: Vec<String>,
    pub fps: u32,
    pub engine: EngineOptions,
    pub vips: Vec<VipSpec>,
}

/// Run the dashboard until the user quits or a signal arrives. The terminal is restored on
/// every way out (the guard's Drop, and the panic hook in [`term`]).
pub async fn run(mut app: App, theme: Theme, opts: Options) -> anyhow::Result<()> {
    let mut guard = term::enter()?;
    let mut engine = engine::spawn_with(opts.endpoints, opts.engine);
    let mut vips = vip::watch::spawn(opts.vips, vip::watch::WatchOptions::default());
    let mut keys = EventStream::new();
    let mut clock = interval(Duration::from_secs(1));
    let mut sigterm = signal(SignalKind::terminate())?;
    let mut sighup = signal(SignalKind::hangup())?;
    let frame_gap = Duration::from_millis(1000 / u64::from(opts.fps.clamp(1, 120)));
    let mut last_draw: Option<Instant> = None;

    loop {
        if app.dirty {
            let ready_at = last_draw.map_or_else(Instant::now, |t| t + frame_gap);
            if Instant::now() >= ready_at {
                let size = guard.terminal.size()?;
                app.page = usize::from(size.height / 4).max(1);
                guard.draw(|f| crate::ui::draw(f, f.area(), &app, &theme))?;
                app.dirty = false;
                last_draw = Some(Instant::now());
            }
        }
        let next_frame = last_draw.map_or_else(Instant::now, |t| t + frame_gap);
        tokio::select! {
            ev = keys.next() => match ev {
                Some(Ok(Event::Key(key))) if key.kind != KeyEventKind::Release => app.on_key(key),
                Some(Ok(Event::Resize(..))) => app.dirty = true,
                Some(Ok(_)) => {}
                Some(Err(e)) => return Err(e.into()),
                None => break,
            },
            msg = engine.rx.recv() => match msg {
                Some(msg) => {
                    app.apply(msg);
                    // take everything already queued, then draw once
                    while let Ok(more) = engine.rx.try_recv() {
                        app.apply(more);
                    }
                }
                None => break,
            },
            Some(msg) = vips.rx.recv() => app.apply_vip(msg),
            _ = clock.tick() => app.tick(Timestamp::now()),
            _ = sleep_until(next_frame), if app.dirty => {}
            _ = sigterm.recv() => break,
            _ = sighup.recv() => break,
        }
        for out in app.outbox.drain(..) {
            match out {
                Outgoing::Engine(cmd) => {
                    let _ = engine.cmd.send(cmd);
                }
                Outgoing::Vip(cmd) => {
                    let _ = vips.cmd.send(cmd);
                }
            }
        }
        if app.quit {
            break;
        }
    }
    drop(guard);
    Ok(())
}
