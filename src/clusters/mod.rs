//! Several clusters: the one swarmdeck started on, the `[[clusters]]` of the config file and
//! every docker context, as one list (`:clusters`) the dashboard switches between. Pure: the
//! list and what a switch needs; [`poll`] is the background task that checks each one's
//! health while the list is open.

pub mod poll;

use crate::config::ClusterConfig;
use crate::contexts::{Context, Origin, Selected};
use crate::engine::connect::Tls;
use crate::vip::{VipSource, VipSpec};

/// Where a cluster entry comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// What swarmdeck started on when that was no docker context (`--host`, `endpoints`,
    /// `DOCKER_HOST`, the local socket): named `default`.
    Start(Origin),
    /// A `[[clusters]]` entry of the config file.
    Config,
    /// A docker context.
    Context,
}

impl Source {
    /// In words, for the list.
    pub fn words(self) -> &'static str {
        match self {
            Source::Start(o) => o.words(),
            Source::Config => "config",
            Source::Context => "context",
        }
    }
}

/// One cluster the dashboard can show.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cluster {
    pub name: String,
    pub source: Source,
    /// Its manager endpoints, canonical, tried in order (empty when it cannot be used).
    pub endpoints: Vec<String>,
    pub endpoint_template: Option<String>,
    pub tls: Tls,
    pub vips: Vec<VipSpec>,
    /// Why it cannot be used (a docker context that cannot be read): shown, never tried.
    pub problem: Option<String>,
    /// A docker context's description.
    pub description: String,
}

impl Cluster {
    /// What the health check tries.
    pub fn target(&self) -> poll::Target {
        poll::Target {
            endpoints: self.endpoints.clone(),
            tls: self.tls.clone(),
            vips: self.vips.clone(),
            problem: self.problem.clone(),
        }
    }

    /// What the dashboard needs to switch to it.
    pub fn switch(&self) -> Switch {
        Switch {
            name: self.name.clone(),
            endpoints: self.endpoints.clone(),
            endpoint_template: self.endpoint_template.clone(),
            tls: self.tls.clone(),
            vips: self.vips.clone(),
        }
    }
}

/// A switch the UI loop carries out: the engine restarted on these endpoints, the VIP and
/// probe watchers started anew.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Switch {
    pub name: String,
    pub endpoints: Vec<String>,
    pub endpoint_template: Option<String>,
    pub tls: Tls,
    pub vips: Vec<VipSpec>,
}

/// Every cluster, and the one shown.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Clusters {
    pub list: Vec<Cluster>,
    pub current: usize,
}

/// What the cluster swarmdeck starts on is made of.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Start {
    pub selected: Selected,
    /// The top-level `endpoint_template`.
    pub endpoint_template: Option<String>,
    /// The VIPs of the command line, the config file and keepalived.
    pub vips: Vec<VipSpec>,
}

impl Clusters {
    /// The list: the start (unless it is a docker context, then that context is it), the
    /// config file's `[[clusters]]` in order, then every docker context by name. The start
    /// keeps the top-level `endpoint_template` and VIPs; a `[[clusters]]` entry has its own
    /// (on `vip_port`); every other docker context gets the top-level `endpoint_template`
    /// (as `--context` would) and no VIP.
    pub fn build(
        start: Start,
        configured: &[ClusterConfig],
        vip_port: u16,
        contexts: Vec<Result<Context, (String, String)>>,
    ) -> Clusters {
        let mut list = Vec::new();
        let start_context = start.selected.context.clone();
        if start_context.is_none() {
            list.push(Cluster {
                name: crate::contexts::DEFAULT.into(),
                source: Source::Start(start.selected.origin),
                endpoints: start.selected.endpoints.clone(),
                endpoint_template: start.endpoint_template.clone(),
                tls: start.selected.tls.clone(),
                vips: start.vips.clone(),
                problem: None,
                description: String::new(),
            });
        }
        for c in configured {
            list.push(Cluster {
                name: c.name.clone(),
                source: Source::Config,
                endpoints: c
                    .endpoints
                    .iter()
                    .map(|e| crate::engine::connect::normalize(e))
                    .collect(),
                endpoint_template: c.endpoint_template.clone(),
                tls: Tls::Env,
                vips: c
                    .vips
                    .iter()
                    .map(|a| VipSpec {
                        addr: *a,
                        port: vip_port,
                        source: VipSource::Config,
                    })
                    .collect(),
                problem: None,
                description: String::new(),
            });
        }
        let mut current = 0;
        let mut seen_start = false;
        for c in contexts {
            let entry = match c {
                Ok(c) => Cluster {
                    name: c.name,
                    source: Source::Context,
                    endpoints: vec![c.host],
                    endpoint_template: start.endpoint_template.clone(),
                    tls: c.tls,
                    vips: Vec::new(),
                    problem: None,
                    description: c.description,
                },
                Err((name, why)) => Cluster {
                    name,
                    source: Source::Context,
                    endpoints: Vec::new(),
                    endpoint_template: None,
                    tls: Tls::Env,
                    vips: Vec::new(),
                    problem: Some(why),
                    description: String::new(),
                },
            };
            if start_context.as_deref() == Some(entry.name.as_str()) {
                seen_start = true;
                current = list.len();
                list.push(Cluster {
                    endpoints: start.selected.endpoints.clone(),
                    tls: start.selected.tls.clone(),
                    vips: start.vips.clone(),
                    problem: None,
                    ..entry
                });
            } else {
                list.push(entry);
            }
        }
        if let (Some(name), false) = (start_context, seen_start) {
            // read at start but not listed (the listing could not see it): still the current
            current = list.len();
            list.push(Cluster {
                name,
                source: Source::Context,
                endpoints: start.selected.endpoints,
                endpoint_template: start.endpoint_template,
                tls: start.selected.tls,
                vips: start.vips,
                problem: None,
                description: String::new(),
            });
        }
        Clusters { list, current }
    }

    /// The cluster shown.
    pub fn current(&self) -> Option<&Cluster> {
        self.list.get(self.current)
    }

    /// What the header says about it: `("context", name)` for a docker context, `("on",
    /// name)` for another when there are several to choose from, else nothing.
    pub fn header(&self) -> Option<(&'static str, &str)> {
        let c = self.current()?;
        match c.source {
            Source::Context => Some(("context", c.name.as_str())),
            _ if self.list.len() > 1 => Some(("on", c.name.as_str())),
            _ => None,
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn ctx(name: &str, host: &str) -> Context {
        Context {
            name: name.into(),
            description: String::new(),
            host: host.into(),
            tls: Tls::Context {
                name: name.into(),
                dir: format!("/x/{name}").into(),
                material: false,
            },
            meta_path: "/x/meta.json".into(),
        }
    }

    fn selected(endpoints: &[&str], context: Option<&str>, origin: Origin) -> Selected {
        Selected {
            endpoints: endpoints.iter().map(|s| s.to_string()).collect(),
            tls: match context {
                Some(n) => Tls::Context {
                    name: n.into(),
                    dir: format!("/x/{n}").into(),
                    material: false,
                },
                None => Tls::Env,
            },
            context: context.map(str::to_string),
            origin,
        }
    }

    fn vip(a: &str) -> VipSpec {
        VipSpec {
            addr: a.parse().unwrap(),
            port: 2377,
            source: VipSource::Cli,
        }
    }

    #[test]
    fn the_list_is_the_start_the_config_then_the_contexts() {
        let configured = vec![ClusterConfig {
            name: "prod".into(),
            endpoints: vec!["/run/prod.sock".into()],
            endpoint_template: Some("ssh://admin@{addr}".into()),
            vips: vec!["10.0.0.100".parse().unwrap()],
        }];
        let contexts = vec![
            Ok(ctx("a", "tcp://a:2375")),
            Err(("broken".to_string(), "why".to_string())),
        ];
        let start = Start {
            selected: selected(&["unix:///var/run/docker.sock"], None, Origin::Socket),
            endpoint_template: Some("tcp://{addr}:2375".into()),
            vips: vec![vip("10.0.0.1")],
        };
        let c = Clusters::build(start, &configured, 2400, contexts);
        let names: Vec<&str> = c.list.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(names, ["default", "prod", "a", "broken"]);
        assert_eq!(c.current, 0);
        assert_eq!(c.list[0].source.words(), "local socket");
        assert_eq!(c.list[0].vips, vec![vip("10.0.0.1")]);
        // a config cluster: its own template and VIPs (on vip_port), endpoints canonical
        assert_eq!(c.list[1].endpoints, ["unix:///run/prod.sock"]);
        assert_eq!(
            c.list[1].endpoint_template.as_deref(),
            Some("ssh://admin@{addr}")
        );
        assert_eq!(c.list[1].vips[0].port, 2400);
        // a context: the top-level template, no VIP, its TLS
        assert_eq!(
            c.list[2].endpoint_template.as_deref(),
            Some("tcp://{addr}:2375")
        );
        assert!(c.list[2].vips.is_empty());
        assert!(matches!(c.list[2].tls, Tls::Context { .. }));
        assert_eq!(c.list[3].problem.as_deref(), Some("why"));
        assert!(c.list[3].endpoints.is_empty());
        assert_eq!(c.header(), Some(("on", "default")));
    }

    #[test]
    fn a_context_started_on_is_the_current_entry() {
        let contexts = vec![Ok(ctx("a", "tcp://a:2375")), Ok(ctx("b", "tcp://b:2375"))];
        let start = Start {
            selected: selected(&["tcp://b:2375"], Some("b"), Origin::ContextFlag),
            endpoint_template: None,
            vips: vec![vip("10.0.0.1")],
        };
        let c = Clusters::build(start, &[], 2377, contexts);
        assert_eq!(
            c.list.len(),
            2,
            "no default entry: the context is the start"
        );
        assert_eq!(c.current, 1);
        assert_eq!(c.current().unwrap().name, "b");
        assert_eq!(c.current().unwrap().vips, vec![vip("10.0.0.1")]);
        assert_eq!(c.header(), Some(("context", "b")));
        // alone, the default says nothing in the header
        let start = Start {
            selected: selected(&["tcp://h:1"], None, Origin::Flags),
            endpoint_template: None,
            vips: Vec::new(),
        };
        let c = Clusters::build(start, &[], 2377, Vec::new());
        assert_eq!(c.header(), None);
        assert_eq!(c.current().unwrap().switch().endpoints, ["tcp://h:1"]);
    }
}
