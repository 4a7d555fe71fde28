//! The terminal: raw mode and the alternate screen on the way in, always undone on the way
//! out (quit, error, panic, a terminating signal) and while the process is stopped (SIGTSTP,
//! taken again on SIGCONT). Frames are written through a buffered writer inside
//! synchronized-update markers, so a slow SSH link never shows half a frame.

use std::io::{self, BufWriter, Stdout, Write};
use std::sync::Once;

use ratatui::Terminal;
use ratatui::backend::CrosstermBackend;
use ratatui::crossterm::event::{DisableBracketedPaste, EnableBracketedPaste};
use ratatui::crossterm::terminal::{
    BeginSynchronizedUpdate, EndSynchronizedUpdate, EnterAlternateScreen, LeaveAlternateScreen,
    disable_raw_mode, enable_raw_mode,
};
use ratatui::crossterm::{cursor, execute, queue};

pub type Term = Terminal<CrosstermBackend<BufWriter<Stdout>>>;

/// Restores the terminal when dropped.
pub struct TermGuard {
    pub terminal: Term,
}

/// Undo everything [`enter`] did. Safe to call more than once.
pub fn restore() {
    let _ = disable_raw_mode();
    let mut out = io::stdout();
    let _ = execute!(
        out,
        EndSynchronizedUpdate,
        DisableBracketedPaste,
        LeaveAlternateScreen,
        cursor::Show
    );
    let _ = out.flush();
}

fn install_panic_hook() {
    static HOOK: Once = Once::new();
    HOOK.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            restore();
            previous(info);
        }));
    });
}

/// Raw mode, the alternate screen, bracketed paste, no cursor: what [`restore`] undoes.
fn take(out: &mut impl Write) -> io::Result<()> {
    enable_raw_mode()?;
    execute!(
        out,
        EnterAlternateScreen,
        EnableBracketedPaste,
        cursor::Hide
    )
}

/// Enter raw mode and the alternate screen.
pub fn enter() -> io::Result<TermGuard> {
    install_panic_hook();
    let mut out = BufWriter::with_capacity(64 * 1024, io::stdout());
    if let Err(e) = take(&mut out) {
        restore();
        return Err(e);
    }
    let terminal = match Terminal::new(CrosstermBackend::new(out)) {
        Ok(t) => t,
        Err(e) => {
            restore();
            return Err(e);
        }
    };
    Ok(TermGuard { terminal })
}

impl TermGuard {
    /// Draw one frame inside synchronized-update markers.
    pub fn draw(&mut self, f: impl FnOnce(&mut ratatui::Frame)) -> io::Result<()> {
        queue!(self.terminal.backend_mut(), BeginSynchronizedUpdate)?;
        self.terminal.draw(f)?;
        queue!(self.terminal.backend_mut(), EndSynchronizedUpdate)?;
        self.terminal.backend_mut().flush()
    }

    /// Give the terminal back to the shell as on the way out (before the process stops).
    pub fn suspend(&mut self) {
        let _ = self.terminal.backend_mut().flush();
        restore();
    }

    /// Take the terminal again (after the process was continued; harmless if it never left)
    /// and forget what is on screen, so the next frame is drawn in full.
    pub fn resume(&mut self) -> io::Result<()> {
        // Raw mode is set afresh: after a stop that was not ours (SIGSTOP), the shell may
        // have put its own modes back while crossterm still counts the terminal as raw.
        let _ = disable_raw_mode();
        if let Err(e) = take(self.terminal.backend_mut()) {
            restore();
            return Err(e);
        }
        // not Terminal::clear: it asks the terminal where the cursor is, and the answer
        // goes to the key reader
        ratatui::backend::Backend::clear(self.terminal.backend_mut())?;
        // both buffers empty: the next frame is compared with nothing, so drawn in full
        self.terminal.swap_buffers();
        self.terminal.swap_buffers();
        Ok(())
    }
}

impl Drop for TermGuard {
    fn drop(&mut self) {
        let _ = self.terminal.backend_mut().flush();
        restore();
    }
}
