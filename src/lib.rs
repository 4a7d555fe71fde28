//! swarmdeck: a keyboard-driven terminal dashboard for highly available Docker Swarm clusters.
//!
//! Layout: [`domain`] is our model (bollard stops at `domain::convert`); [`engine`] does all
//! Docker I/O in background tasks and reports with messages; [`app`] is the state, owned by
//! the UI task; [`ui`] draws it as a pure function; [`tui`] is the loop that ties them.

pub mod app;
pub mod audit;
pub mod cli;
pub mod clusters;
pub mod config;
pub mod contexts;
pub mod deploy;
pub mod domain;
pub mod endpoint;
pub mod engine;
pub mod external;
pub mod gconfig;
pub mod health;
pub mod keymap;
pub mod lab;
pub mod maint;
pub mod status;
pub mod store;
pub mod term;
pub mod text;
pub mod theme;
pub mod tui;
pub mod ui;
pub mod view;
pub mod vip;
pub mod widget;
