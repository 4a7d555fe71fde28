use std::process::ExitCode;

use anyhow::Context;
use clap::Parser;
use jiff::Timestamp;

use swarmdeck::app::{App, Level};
use swarmdeck::cli::{Cli, Command, exit};
use swarmdeck::keymap::Keymap;
use swarmdeck::theme::Theme;
use swarmdeck::{config, lab, status, tui, vip};

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            // --help and --version are not errors; everything else is a usage error, with
            // its own exit code (clap's own is 2, which `status` uses for "no quorum")
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() {
                exit::USAGE
            } else {
                exit::OK
            });
        }
    };
    match real_main(cli) {
        Ok(code) => code,
        Err(e) => {
            swarmdeck::term::restore();
            eprintln!("swarmdeck: {e:#}");
            ExitCode::from(exit::INTERNAL)
        }
    }
}

/// A config error: said on stderr, with its own exit code.
fn config_error(what: impl std::fmt::Display) -> ExitCode {
    eprintln!("swarmdeck: bad config: {what}");
    ExitCode::from(exit::CONFIG)
}

fn real_main(cli: Cli) -> anyhow::Result<ExitCode> {
    let (cfg, _cfg_path) = match config::load(cli.config.as_deref()) {
        Ok(c) => c,
        Err(e) => return Ok(config_error(e)),
    };
    let readonly = cli.readonly || cfg.readonly;
    let keymap = match Keymap::new(&cfg.keys, readonly) {
        Ok(k) => k,
        Err(e) => return Ok(config_error(format!("[keys]: {e}"))),
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    let docker_env = swarmdeck::contexts::Env::from_process();
    let mut selected = match swarmdeck::contexts::select(
        &cli.hosts,
        cli.context.as_deref(),
        &cfg.endpoints,
        &docker_env,
    ) {
        Ok(s) => s,
        Err(e) => return Ok(config_error(e)),
    };
    let mut vip_flags = cli.vips.clone();
    let mut demo_warning = None;

    match cli.command {
        Some(Command::Status { json, no_probe }) => {
            let (vips, problems) = vip::resolve(
                &vip_flags,
                &cfg,
                cli.vip_port,
                cli.keepalived_conf.as_deref(),
            );
            let mut report = runtime.block_on(status::run(
                &selected.endpoints,
                &selected.tls,
                &vips,
                !no_probe,
            ));
            report.context = selected.context.clone();
            report.warnings.extend(problems);
            if json {
                println!("{}", serde_json::to_string_pretty(&report)?);
            } else {
                print!("{}", report.text());
            }
            return Ok(ExitCode::from(report.exit_code as u8));
        }
        Some(Command::Config { doc, cmd }) => {
            let audit = swarmdeck::audit::default_path();
            let code = runtime.block_on(swarmdeck::gconfig::cmd::run(
                &selected.endpoints,
                &selected.tls,
                &doc,
                cmd,
                audit,
                readonly,
                cfg.config_keep(),
            ));
            return Ok(ExitCode::from(code));
        }
        Some(Command::Lab { args }) => {
            let st = lab::run(&args)?;
            return Ok(ExitCode::from(st.code().unwrap_or(1).clamp(0, 255) as u8));
        }
        Some(Command::Demo { clean: true }) => return Ok(ExitCode::from(lab::clean_demo()?)),
        Some(Command::Demo { clean: false }) => {
            let st = lab::run(&["up".to_string()])?;
            if !st.success() {
                anyhow::bail!("the lab did not come up (see the messages above)");
            }
            demo_warning = lab::deploy_demo()?;
            let lab = lab::status()?;
            if cli.hosts.is_empty() && cli.context.is_none() {
                selected = swarmdeck::contexts::Selected {
                    endpoints: lab.managers,
                    tls: Default::default(),
                    context: None,
                    origin: swarmdeck::contexts::Origin::Demo,
                };
            }
            if vip_flags.is_empty() {
                vip_flags.extend(lab.vip);
            }
        }
        None => {}
    }

    let (theme, warning) = Theme::load(
        cli.theme.as_deref().or(cfg.theme.as_deref()),
        config::themes_dir().as_deref(),
        Theme::no_color_env(),
    );
    let mut app = App::new(keymap, Timestamp::now());
    app.readonly = readonly;
    app.store.alert_cfg = swarmdeck::health::alerts::AlertConfig::from_config(&cfg);
    app.bell.enabled = !cli.no_bell && cfg.bell.unwrap_or(true);
    app.log_lines = cfg.log_lines();
    if let Some(w) = warning {
        app.notify(Level::Warn, w);
    }
    if let Some(w) = demo_warning {
        app.notify(Level::Warn, w);
    }
    let (vips, problems) = vip::resolve(
        &vip_flags,
        &cfg,
        cli.vip_port,
        cli.keepalived_conf.as_deref(),
    );
    for p in problems {
        app.notify(Level::Warn, p);
    }
    app.set_vips(vips.clone());
    let endpoints = selected.endpoints.clone();
    let vip_port = cli
        .vip_port
        .or(cfg.vip_port.map(std::num::NonZeroU16::get))
        .unwrap_or(vip::DEFAULT_PORT);
    let contexts = docker_env
        .config_dir
        .as_deref()
        .map(swarmdeck::contexts::list)
        .unwrap_or_default();
    app.clusters = swarmdeck::clusters::Clusters::build(
        swarmdeck::clusters::Start {
            selected: selected.clone(),
            endpoint_template: cfg.endpoint_template.clone(),
            vips: vips.clone(),
        },
        &cfg.clusters,
        vip_port,
        contexts,
    );
    app.env = swarmdeck::view::config::ConfigEnv {
        drafts: swarmdeck::gconfig::draft::Drafts::default_dir(),
        cluster: endpoints.first().cloned().unwrap_or_default(),
        keep: cfg.config_keep(),
    };
    app.offer_drafts();
    app.events_log = swarmdeck::health::eventlog::default_path(
        endpoints.first().map(String::as_str).unwrap_or_default(),
    );
    app.load_events();
    let opts = tui::Options {
        endpoints,
        fps: cli.fps,
        engine: swarmdeck::engine::EngineOptions {
            timings: Default::default(),
            audit_log: swarmdeck::audit::default_path(),
            readonly,
            endpoint_template: cfg.endpoint_template.clone(),
            tls: selected.tls.clone(),
        },
        vips,
    };
    // the terminal is restored by the time run returns: 0 after a quit, 128 + N after signal N
    let ended = runtime.block_on(tui::run(app, theme, opts))?;
    Ok(ExitCode::from(ended.exit_code()))
}
