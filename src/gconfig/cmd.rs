//! `swarmdeck config …`: the CLI over [`super::io`]. Every refusal changes nothing and exits
//! with [`exit::REFUSED`]; a rollout that did not land exits 1.

use std::io::{BufRead, IsTerminal, Read, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

use super::io::{self, Ctx, GError, Published, RolloutEvent, RolloutOptions};
use super::{Kind, Plan, check_doc, diff, parse, text_diff};
use crate::cli::{ConfigCmd, RolloutArgs, exit};
use crate::text::printable;

/// Run one `config` command against the first endpoint that is a reachable manager.
/// In `readonly` mode every command that writes is refused. `keep` is how many versions
/// retention keeps when `--keep` is not given (`config_keep` in the config file).
pub async fn run(
    endpoints: &[String],
    tls: &crate::engine::connect::Tls,
    doc: &str,
    cmd: ConfigCmd,
    audit: Option<PathBuf>,
    readonly: bool,
    keep: usize,
) -> u8 {
    let writes = !matches!(
        cmd,
        ConfigCmd::Get { .. }
            | ConfigCmd::History { .. }
            | ConfigCmd::Diff { .. }
            | ConfigCmd::Drift { .. }
    );
    if readonly && writes {
        eprintln!("swarmdeck: readonly mode: nothing was changed");
        return exit::REFUSED;
    }
    let doc = match &cmd {
        ConfigCmd::Get { name: Some(n), .. } => n.clone(),
        _ => doc.to_string(),
    };
    if let Err(e) = check_doc(&doc) {
        eprintln!("swarmdeck: {e}");
        return exit::USAGE;
    }
    // a file that cannot be read is the user's input: said before connecting
    let file_text = match &cmd {
        ConfigCmd::Apply { file, .. } => match read_input(file) {
            Ok(t) => Some(t),
            Err(e) => {
                eprintln!("swarmdeck: {e}; nothing was published");
                return exit::USAGE;
            }
        },
        _ => None,
    };
    let mut errors = Vec::new();
    let mut conn = None;
    for ep in endpoints {
        match crate::engine::connect::connect_with(ep, tls).await {
            Ok(c) => {
                conn = Some(c);
                break;
            }
            Err(e) => errors.push(e),
        }
    }
    let Some(conn) = conn else {
        for e in &errors {
            eprintln!("swarmdeck: {e}");
        }
        eprintln!("swarmdeck: no manager could be reached; nothing was changed");
        return exit::UNREACHABLE;
    };
    let ctx = Ctx {
        docker: conn.docker.clone(),
        endpoint: conn.endpoint.clone(),
        audit,
    };
    match run_cmd(&ctx, &doc, cmd, file_text, keep).await {
        Ok(code) => code,
        Err(e) => {
            eprintln!("swarmdeck: {}", printable_block(&e.to_string()));
            error_code(&e)
        }
    }
}

/// The exit code of an error.
pub fn error_code(e: &GError) -> u8 {
    match e {
        GError::Usage(_) => exit::USAGE,
        GError::Invalid(_) | GError::Conflict { .. } | GError::Merge { .. } => exit::REFUSED,
        GError::NotFound(_) => exit::REFUSED,
        GError::Engine(_) => exit::DEGRADED,
    }
}

fn printable_block(text: &str) -> String {
    text.lines().map(printable).collect::<Vec<_>>().join("\n")
}

fn read_input(file: &Path) -> Result<String, String> {
    let bytes = if file == Path::new("-") {
        let mut b = Vec::new();
        std::io::stdin()
            .read_to_end(&mut b)
            .map_err(|e| format!("cannot read stdin: {e}"))?;
        b
    } else {
        std::fs::read(file).map_err(|e| format!("cannot read {}: {e}", file.display()))?
    };
    String::from_utf8(bytes).map_err(|_| format!("{} is not UTF-8 text", file.display()))
}

fn opts(timeout: u64) -> RolloutOptions {
    RolloutOptions {
        timeout: Duration::from_secs(timeout.max(1)),
        ..Default::default()
    }
}

async fn run_cmd(
    ctx: &Ctx,
    doc: &str,
    cmd: ConfigCmd,
    file_text: Option<String>,
    keep: usize,
) -> Result<u8, GError> {
    match cmd {
        ConfigCmd::Get {
            version, schema, ..
        } => {
            let kind = if schema { Kind::Schema } else { Kind::Document };
            let (_, text) = io::read_version(ctx, doc, kind, version).await?;
            print!("{text}");
            if !text.ends_with('\n') {
                println!();
            }
            Ok(exit::OK)
        }
        ConfigCmd::Apply { schema: true, .. } => {
            let text = file_text.unwrap_or_default();
            match io::publish_schema(ctx, doc, &text).await? {
                Published::Unchanged { current } => {
                    println!("{doc} schema: identical to v{current}: nothing published");
                }
                Published::Created { version } => {
                    println!("{doc} schema: published {}", version.name);
                }
            }
            Ok(exit::OK)
        }
        ConfigCmd::Apply {
            yes, base, rollout, ..
        } => {
            let text = file_text.unwrap_or_default();
            let plan = io::plan(ctx, doc, &text, base).await?;
            publish_flow(ctx, doc, &plan, yes, &rollout, keep).await
        }
        ConfigCmd::Rollback { n, yes, rollout } => {
            let plan = io::rollback_plan(ctx, doc, n).await?;
            println!("Roll back {doc} to v{n}'s content, as a new version:");
            publish_flow(ctx, doc, &plan, yes, &rollout, keep).await
        }
        ConfigCmd::History { json } => {
            let versions = io::list_versions(ctx, doc, Kind::Document).await?;
            if json {
                println!(
                    "{}",
                    serde_json::to_string_pretty(&versions).unwrap_or_default()
                );
                return Ok(exit::OK);
            }
            if versions.is_empty() {
                println!("{doc}: no versions");
            }
            let last = versions.last().map(|v| v.n);
            for v in versions.iter().rev() {
                println!(
                    "v{:<5} {:<25} {:>8} B  {}{}{}",
                    v.n,
                    printable(&v.created),
                    v.size,
                    printable(&v.author),
                    v.parent.map_or(String::new(), |p| format!("  (from v{p})")),
                    if Some(v.n) == last { "  current" } else { "" }
                );
            }
            Ok(exit::OK)
        }
        ConfigCmd::Diff { a, b } => {
            let (_, ta) = io::read_version(ctx, doc, Kind::Document, Some(a)).await?;
            let (_, tb) = io::read_version(ctx, doc, Kind::Document, Some(b)).await?;
            let stored = |t: &str, n: u64| {
                parse(t).map_err(|p| GError::Engine(format!("v{n} is not JSON: {p}")))
            };
            let (va, vb) = (stored(&ta, a)?, stored(&tb, b)?);
            let changes = diff(&va, &vb);
            println!("{doc}: v{a} → v{b}: {} changes", changes.len());
            for c in &changes {
                println!("  {}", printable(&c.to_string()));
            }
            for line in text_diff(&va, &vb, &format!("v{a}"), &format!("v{b}")).lines() {
                println!("{}", printable(line));
            }
            Ok(exit::OK)
        }
        ConfigCmd::Subscribe {
            service,
            path,
            timeout,
        } => {
            io::subscribe(ctx, doc, &service, &path, &opts(timeout), print_event).await?;
            println!("{service}: subscribed to {doc} at {path}");
            Ok(exit::OK)
        }
        ConfigCmd::Unsubscribe { service, timeout } => {
            io::unsubscribe(ctx, doc, &service, &opts(timeout), print_event).await?;
            println!("{service}: unsubscribed from {doc}");
            Ok(exit::OK)
        }
        ConfigCmd::Drift { json } => {
            let d = io::drift(ctx, doc).await?;
            if json {
                println!("{}", serde_json::to_string_pretty(&d).unwrap_or_default());
            } else {
                print!("{}", d.text());
            }
            Ok(if d.in_sync { exit::OK } else { exit::DEGRADED })
        }
    }
}

fn print_event(e: RolloutEvent) {
    let line = match e {
        RolloutEvent::Started { service, from, to } => format!(
            "{service}: updating {} → {}",
            from.map_or("none".to_string(), |n| format!("v{n}")),
            to.map_or("none".to_string(), |n| format!("v{n}"))
        ),
        RolloutEvent::Progress {
            service,
            on_new,
            total,
            state,
            tasks,
        } => {
            let nodes: Vec<String> = tasks
                .iter()
                .map(|t| {
                    format!(
                        "{}={}:{}",
                        t.node,
                        t.version.map_or("-".to_string(), |n| format!("v{n}")),
                        t.state
                    )
                })
                .collect();
            format!(
                "{service}: {on_new}/{total} on the new version{} [{}]",
                if state.is_empty() {
                    String::new()
                } else {
                    format!(" ({state})")
                },
                nodes.join(" ")
            )
        }
        RolloutEvent::Done {
            service,
            noop: true,
        } => format!("{service}: already on it"),
        RolloutEvent::Done { service, .. } => format!("{service}: done"),
        RolloutEvent::Skipped { service, reason } => format!("{service}: skipped: {reason}"),
        RolloutEvent::Failed { service, reason } => format!("{service}: FAILED: {reason}"),
    };
    println!("{}", printable(&line));
    let _ = std::io::stdout().flush();
}

/// Ask a yes/no question on the terminal; false without a terminal.
fn confirm(question: &str) -> bool {
    if !std::io::stdin().is_terminal() {
        return false;
    }
    print!("{question} [y/N] ");
    let _ = std::io::stdout().flush();
    let mut line = String::new();
    if std::io::stdin().lock().read_line(&mut line).is_err() {
        return false;
    }
    matches!(line.trim(), "y" | "Y" | "yes")
}

/// Print the plan, confirm, publish, roll out, prune to `--keep`, else `keep`.
async fn publish_flow(
    ctx: &Ctx,
    doc: &str,
    plan: &Plan,
    yes: bool,
    args: &RolloutArgs,
    keep: usize,
) -> Result<u8, GError> {
    let keep = args.keep.unwrap_or(keep).max(1);
    print!("{}", plan.text());
    if plan.unchanged {
        return Ok(exit::OK);
    }
    if !yes {
        if !std::io::stdin().is_terminal() {
            eprintln!(
                "swarmdeck: not publishing: no terminal to confirm on; pass --yes to publish \
                 without asking. Nothing was published."
            );
            return Ok(exit::REFUSED);
        }
        let q = format!(
            "Publish {doc} v{} and roll it out to {} service(s)?",
            plan.next,
            plan.subscribers.len()
        );
        if !confirm(&q) {
            eprintln!("swarmdeck: not confirmed; nothing was published");
            return Ok(exit::REFUSED);
        }
    }
    let version = match io::publish(ctx, plan).await? {
        Published::Unchanged { current } => {
            println!("{doc}: identical to v{current}: nothing published");
            return Ok(exit::OK);
        }
        Published::Created { version } => version,
    };
    println!("published {} (v{})", version.name, version.n);
    let opts = opts(args.timeout);
    let report = io::rollout(ctx, doc, &version, &plan.subscribers, &opts, print_event).await;
    let pruned = io::prune(ctx, doc, keep).await.unwrap_or_default();
    if !pruned.is_empty() {
        println!("retention (keep {keep}): deleted {}", pruned.join(", "));
    }
    if let Some((service, reason)) = &report.failed {
        eprintln!(
            "swarmdeck: the rollout of v{} stopped at {}: {}",
            version.n,
            printable(service),
            printable(reason)
        );
        let back: Vec<_> = report
            .moved
            .iter()
            .filter(|m| m.previous != Some(version.n))
            .cloned()
            .collect();
        if !back.is_empty() {
            let names: Vec<&str> = back.iter().map(|m| m.name.as_str()).collect();
            if confirm(&format!(
                "Return {} (already moved) to their previous version?",
                names.join(", ")
            )) {
                for (name, r) in io::return_to_previous(ctx, doc, &back, &opts, print_event).await {
                    match r {
                        Ok(()) => println!("{name}: returned"),
                        Err(e) => eprintln!("swarmdeck: {name}: not returned: {e}"),
                    }
                }
            } else {
                eprintln!(
                    "swarmdeck: {} stay on v{}; `swarmdeck config rollback N` publishes an \
                     older content again",
                    names.join(", "),
                    version.n
                );
            }
        }
        return Ok(exit::DEGRADED);
    }
    println!(
        "{doc} v{}: rolled out to {} service(s)",
        version.n,
        report.moved.len()
    );
    Ok(exit::OK)
}
