//! The panes of the main screen, top to bottom, in Tab order. Each is a [`ListPane`] over
//! its own [`super::list::Rows`]; adding a pane is one new file here (its `Rows` and
//! [`PaneRows`]) plus one line in the `panes!` list below.

use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};

use super::list::{Data, ListPane, Rows};
use super::{DrawCtx, View};
use crate::domain::{NodeId, ServiceId};

/// Declares each pane's module and lists its rows in [`registry`], in screen (and Tab)
/// order: one line per pane.
macro_rules! panes {
    ($($module:ident :: $rows:ident),* $(,)?) => {
        $(pub mod $module;)*

        /// Every pane, in screen order.
        pub fn registry() -> Vec<Box<dyn Pane>> {
            vec![$(Box::new(ListPane::new(<$module::$rows>::default())),)*]
        }
    };
}

panes! {
    nodes::NodeRows,
    services::ServiceRows,
    tasks::TaskRows,
    vips::VipRows,
}

/// What is selected in a pane, for the panes that follow it and the actions on it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Selection {
    None,
    Node(NodeId),
    Service(ServiceId),
    Vip(std::net::IpAddr),
}

/// What a pane adds to a [`View`]: the app lays panes out, filters them, asks them what is
/// selected, and tells them when the data or the followed scope changed.
pub trait Pane: View {
    fn filter(&self) -> &str;
    fn set_filter(&mut self, filter: String, data: Data<'_>);
    /// The data changed: rebuild the cached filter texts and the view.
    fn refresh(&mut self, data: Data<'_>);
    /// The followed scope changed: rebuild the view only.
    fn rebuild_view(&mut self, data: Data<'_>);
    fn visible(&self, data: Data<'_>) -> bool;
    fn shown(&self) -> usize;
    fn selection(&self, data: Data<'_>) -> Selection;
    fn select_id(&mut self, id: &str, data: Data<'_>);
    /// Its share of the body's height.
    fn constraint(&self, data: Data<'_>, focused: bool, body_height: u16) -> Constraint;
    fn draw_in(&self, frame: &mut Frame, area: Rect, cx: &DrawCtx<'_>, focused: bool);
    /// Whether the tasks pane follows this pane's selection.
    fn followed(&self) -> bool {
        false
    }
}

/// What panes' [`Rows`] add for the app.
pub trait PaneRows: Rows {
    fn selection(&self, data: Data<'_>, i: usize) -> Selection;
    fn constraint(&self, data: Data<'_>, shown: usize, focused: bool, body: u16) -> Constraint;
    fn followed(&self) -> bool {
        false
    }
}

impl<R: PaneRows + 'static> Pane for ListPane<R> {
    fn filter(&self) -> &str {
        ListPane::filter(self)
    }
    fn set_filter(&mut self, filter: String, data: Data<'_>) {
        ListPane::set_filter(self, filter, data);
    }
    fn refresh(&mut self, data: Data<'_>) {
        ListPane::refresh(self, data);
    }
    fn rebuild_view(&mut self, data: Data<'_>) {
        ListPane::rebuild_view(self, data);
    }
    fn visible(&self, data: Data<'_>) -> bool {
        self.rows.visible(data)
    }
    fn shown(&self) -> usize {
        ListPane::shown(self)
    }
    fn selection(&self, data: Data<'_>) -> Selection {
        self.selected()
            .map_or(Selection::None, |i| self.rows.selection(data, i))
    }
    fn select_id(&mut self, id: &str, data: Data<'_>) {
        ListPane::select_id(self, id, data);
    }
    fn constraint(&self, data: Data<'_>, focused: bool, body: u16) -> Constraint {
        self.rows.constraint(data, self.shown(), focused, body)
    }
    fn draw_in(&self, frame: &mut Frame, area: Rect, cx: &DrawCtx<'_>, focused: bool) {
        self.draw_pane(frame, area, cx, focused);
    }
    fn followed(&self) -> bool {
        self.rows.followed()
    }
}
