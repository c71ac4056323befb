//! `meshborder simulate`: one request through the filter, configured from a file,
//! on a node of the given cluster, and a report of what it did; a `tcp`
//! configuration gets one connection instead ([`connection`](super::connection)),
//! and the flags of the other layer are refused.
//!
//! The report is what the real `.wasm` did on the host (its reply, the headers it
//! left, its counters and logs), so a user sees the filter's behaviour, not a model
//! of it; only the `trustedPeers` entry that matched, which leaves no trace on the
//! host, is asked of the engine ([`caller`](super::caller)).

use std::collections::BTreeMap;

use meshborder_cli::configs::{FoundConfig, NodeIdentity, Source};
use meshborder_filter::policy::Layer;
use proxy_wasm_host::{HostError, MetricValue, Plugin, Vm};

use super::caller::{self, Engine, Observed};
use super::report::{
    Fuel, HeaderChange, LogLine, MetricDelta, Node, PeerEntry, Reply, Report, Tag,
};
use meshborder_filter::contract::{header, log_line, metric, parse_stat_name};

use super::connection;
use super::envoy_notes;
use super::request;
use super::{Direction, SimulateArgs};

/// The upstream's answer to a forwarded request when `--response-status` does
/// not say.
const DEFAULT_STATUS: u16 = 200;

/// The tag headers, in the order the report shows them.
const TAGS: [&str; 3] = [
    header::SOURCE_CLUSTER,
    header::SOURCE_REGION,
    header::SOURCE_ZONE,
];

/// Runs the simulation and prints the report; `Ok(true)` when it ran.
pub fn run(
    filter: impl FnOnce() -> Result<Plugin, String>,
    args: &SimulateArgs,
) -> Result<bool, String> {
    let found = pick(args)?;
    let file = args.config.display().to_string();
    // The flags are checked against the layer the configuration declares before
    // the filter is loaded; a layer the filter does not know, it refuses itself.
    let declared = declared_layer(&found.config);
    if let Some(layer) = declared {
        check_flags(args, layer, &file)?;
    }
    let node = merge(&args.node.identity(), &found.node);
    let mut vm = start(filter()?, &found, &node)?;
    let layer = match declared {
        Some(layer) => layer,
        None => {
            check_flags(args, Layer::Http, &file)?;
            Layer::Http
        }
    };
    // The filter accepted the configuration; the engine it is built from sees the
    // same one.
    let engine = Engine::new(&found.config, &node);
    let json = match layer {
        Layer::Http => {
            let request = args.request.as_deref().unwrap_or_default();
            let headers = request::parse(request, &args.headers)?;
            let report =
                simulate(&mut vm, args, request, &headers, &engine).map_err(|e| e.to_string())?;
            if !args.json {
                say!("{}", report.text().trim_end());
                return Ok(true);
            }
            serde_json::to_string_pretty(&report)
        }
        Layer::Tcp => {
            let report = connection::simulate(&mut vm, args, &engine)?;
            if !args.json {
                say!("{}", report.text().trim_end());
                return Ok(true);
            }
            serde_json::to_string_pretty(&report)
        }
    };
    say!("{}", json.map_err(|e| e.to_string())?);
    Ok(true)
}

/// Starts the filter on the configuration, on a node of `node`'s identity.
fn start(plugin: Plugin, found: &FoundConfig, node: &NodeIdentity) -> Result<Vm, String> {
    let mut plugin = plugin.config(found.config.clone());
    if let Some(cluster) = &node.cluster {
        plugin = plugin.property(["xds", "node", "metadata", "CLUSTER_ID"], cluster.as_str());
    }
    if let Some(region) = &node.region {
        plugin = plugin.property(["xds", "node", "locality", "region"], region.as_str());
    }
    if let Some(zone) = &node.zone {
        plugin = plugin.property(["xds", "node", "locality", "zone"], zone.as_str());
    }
    plugin.start().map_err(|error| match error {
        HostError::ConfigureRejected { reason } if node.cluster.is_none() => {
            format!("the filter refused the configuration: {reason} (pass --cluster)")
        }
        HostError::ConfigureRejected { reason } => {
            format!("the filter refused the configuration: {reason}")
        }
        other => other.to_string(),
    })
}

/// The layer a configuration declares, read as the filter reads `layer`: `http`
/// when absent; `None` when it is not one the filter knows, or the configuration
/// is no JSON object (the filter refuses it and says why).
fn declared_layer(config: &[u8]) -> Option<Layer> {
    if config.iter().all(u8::is_ascii_whitespace) {
        return Some(Layer::Http);
    }
    let value: serde_json::Value = serde_json::from_slice(config).ok()?;
    match value.as_object()?.get("layer") {
        None => Some(Layer::Http),
        Some(layer) => serde_json::from_value(layer.clone()).ok(),
    }
}

/// Refuses the flags of the other layer, and an `http` simulation without a
/// request, saying which flags go with which layer.
fn check_flags(args: &SimulateArgs, layer: Layer, file: &str) -> Result<(), String> {
    match layer {
        Layer::Tcp => {
            let wrong = given(&[
                ("--request", args.request.is_some()),
                ("--header", !args.headers.is_empty()),
                ("--response-status", args.response_status.is_some()),
            ]);
            match wrong {
                None => Ok(()),
                Some((flags, verb)) => Err(format!(
                    "{file} is a `tcp` configuration (\"layer\": \"tcp\"): simulate runs a \
                     connection through it, not a request, so {flags} {verb} not apply \
                     (--request, --header and --response-status are for an `http` \
                     configuration); a connection takes --peer, --port, --sni, --send and \
                     --receive"
                )),
            }
        }
        Layer::Http => {
            let wrong = given(&[
                ("--port", args.port.is_some()),
                ("--sni", args.sni.is_some()),
                ("--send", args.send.is_some()),
                ("--receive", args.receive.is_some()),
            ]);
            if let Some((flags, verb)) = wrong {
                return Err(format!(
                    "{file} is an `http` configuration: simulate runs a request through it, \
                     not a connection, so {flags} {verb} not apply (--port, --sni, --send and \
                     --receive are for a `tcp` configuration, with \"layer\": \"tcp\"); a \
                     request takes --request, --header, --peer and --response-status"
                ));
            }
            if args.request.is_none() {
                return Err(format!(
                    "{file} is an `http` configuration: give the request with --request \
                     'METHOD URL', e.g. --request 'GET http://eu-user-data/users/1'"
                ));
            }
            Ok(())
        }
    }
}

/// The flags that were given, as `--a`, `--a and --b` or `--a, --b and --c`, with
/// the verb that agrees with them; `None` when none was.
fn given(flags: &[(&str, bool)]) -> Option<(String, &'static str)> {
    let named: Vec<&str> = flags
        .iter()
        .filter(|(_, given)| *given)
        .map(|(flag, _)| *flag)
        .collect();
    match named.as_slice() {
        [] => None,
        [one] => Some(((*one).to_owned(), "does")),
        [init @ .., last] => Some((format!("{} and {last}", init.join(", ")), "do")),
    }
}

fn pick(args: &SimulateArgs) -> Result<FoundConfig, String> {
    let mut found = Source::File {
        path: args.config.clone(),
        explicit: true,
    };
    if args.config.is_dir() {
        found = Source::Kustomization {
            dir: args.config.clone(),
        };
    }
    let mut found = found.find().map_err(|e| e.to_string())?.configs;
    let file = args.config.display();
    match (args.pick, found.len()) {
        (_, 0) => Err(format!("{file}: no meshborder plugin configuration found")),
        (None, 1) => Ok(found.remove(0)),
        (None, n) => {
            let list: Vec<String> = found
                .iter()
                .enumerate()
                .map(|(i, f)| format!("  {}: {}", i + 1, f.location))
                .collect();
            Err(format!(
                "{file} holds {n} configurations; choose one with --pick:\n{}",
                list.join("\n")
            ))
        }
        (Some(k), n) if (1..=n).contains(&k) => Ok(found.remove(k - 1)),
        (Some(k), n) => Err(format!("--pick {k}: {file} holds {n} configurations")),
    }
}

fn merge(explicit: &NodeIdentity, file: &NodeIdentity) -> NodeIdentity {
    let pick = |a: &Option<String>, b: &Option<String>| a.clone().or_else(|| b.clone());
    NodeIdentity {
        cluster: pick(&explicit.cluster, &file.cluster),
        region: pick(&explicit.region, &file.region),
        zone: pick(&explicit.zone, &file.zone),
    }
}

fn simulate(
    vm: &mut Vm,
    args: &SimulateArgs,
    request: &str,
    headers: &request::Headers,
    engine: &Result<Engine, String>,
) -> Result<Report, HostError> {
    let configured = configured_node(vm);
    let before = counters(vm);
    let engine = engine.as_ref();
    let taken = engine.map_or(args.direction, |e| e.direction(args.direction));
    let peer_entry = peer_entry(engine, taken, args.peer.as_deref(), |engine| {
        engine.entry(taken, args.peer.as_deref(), headers)
    });
    let mut stream = vm.http_stream().property(
        ["xds", "listener_direction"],
        listener_direction(args.direction),
    );
    if let Some(peer) = &args.peer {
        stream = stream.connection_mtls(peer);
    }
    let pairs: Vec<(&str, &str)> = headers
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    stream.request_headers(&pairs, true)?;
    let after_headers = stream.request_header_map().to_vec();
    let reply = stream.local_response().map(|r| Reply {
        status: r.status,
        headers: r
            .headers
            .iter()
            .map(|(k, v)| (k.clone(), String::from_utf8_lossy(v).into_owned()))
            .collect(),
        body: r.body_text(),
    });
    if reply.is_none() {
        let status = args.response_status.unwrap_or(DEFAULT_STATUS).to_string();
        stream.response_headers(&[(":status", status.as_str())], true)?;
    }
    stream.finish()?;
    let route_cache_cleared = stream.route_cache_clears() > 0;
    let calls = stream.calls();
    let logs = LogLine::all(&stream.logs());

    let header_changes = if reply.is_some() {
        Vec::new()
    } else {
        changes(headers, &after_headers)
    };
    let route_region = if reply.is_some() {
        None
    } else {
        after_headers
            .iter()
            .find(|(k, _)| k == header::ROUTE_REGION)
            .map(|(_, v)| String::from_utf8_lossy(v).into_owned())
    };
    let tags = reply.is_none().then(|| {
        TAGS.iter()
            .map(|&name| Tag {
                header: name,
                value: values(&after_headers, name),
            })
            .collect::<Vec<_>>()
    });
    let metrics = deltas(vm, &before);
    let notes = envoy_notes::notes(headers, &args.headers, counts_bytes(&metrics));
    let seen = Observed {
        direction: taken,
        peer: args.peer.as_deref(),
        node: &configured,
        reply: reply.as_ref(),
        tags: tags.as_deref(),
        metrics: &metrics,
        logs: &logs,
        request: headers,
    };
    let source = caller::source(&seen, &peer_entry, engine.ok());
    let mismatch = caller::mismatch(&seen);
    Ok(Report {
        layer: "http",
        request: request.trim().to_owned(),
        direction: match taken {
            Direction::Inbound => "inbound",
            Direction::Outbound => "outbound",
        },
        peer: args.peer.clone(),
        node: configured,
        source,
        peer_entry,
        mismatch,
        decision: if reply.is_some() { "deny" } else { "pass" },
        reply,
        header_changes,
        tags,
        route_region,
        route_cache_cleared,
        metrics,
        logs,
        fuel: Fuel {
            request_headers: calls
                .iter()
                .filter(|c| c.callback.export() == "proxy_on_request_headers")
                .map(|c| c.fuel)
                .sum(),
            total: calls.iter().map(|c| c.fuel).sum(),
        },
        notes,
    })
}

/// Whether a byte counter moved.
fn counts_bytes(metrics: &[MetricDelta]) -> bool {
    let bytes = [
        metric::XCLUSTER_BYTES.prometheus,
        metric::XZONE_BYTES.prometheus,
    ];
    metrics.iter().any(|m| bytes.contains(&m.name.as_str()))
}

/// The identity the filter logged when it configured.
pub fn configured_node(vm: &Vm) -> Node {
    let line = vm
        .logs()
        .iter()
        .rev()
        .find_map(|l| serde_json::from_str::<serde_json::Value>(&l.message).ok())
        .filter(|v| v.get(log_line::EVENT).and_then(|e| e.as_str()) == Some(log_line::CONFIGURED));
    let text = |key: &str| {
        line.as_ref()
            .and_then(|v| v.get(key))
            .and_then(|v| v.as_str())
            .map(str::to_owned)
    };
    Node {
        cluster: text("cluster").unwrap_or_else(|| "unknown".to_owned()),
        region: text("region"),
        zone: text("zone"),
    }
}

/// Every value of `name`, joined with `, `; `None` when the header is absent.
fn values(pairs: &[(String, Vec<u8>)], name: &str) -> Option<String> {
    let found: Vec<String> = pairs
        .iter()
        .filter(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| String::from_utf8_lossy(v).into_owned())
        .collect();
    (!found.is_empty()).then(|| found.join(", "))
}

pub fn counters(vm: &Vm) -> BTreeMap<String, u64> {
    vm.metrics()
        .iter()
        .filter_map(|m| match m.value {
            MetricValue::Counter(value) => Some((m.name.clone(), value)),
            _ => None,
        })
        .collect()
}

pub fn deltas(vm: &Vm, before: &BTreeMap<String, u64>) -> Vec<MetricDelta> {
    vm.metrics()
        .iter()
        .filter_map(|m| {
            let MetricValue::Counter(now) = m.value else {
                return None;
            };
            let delta = now.saturating_sub(before.get(&m.name).copied().unwrap_or(0));
            (delta > 0).then(|| {
                let (name, labels) = prometheus(&m.name);
                MetricDelta {
                    name,
                    labels,
                    delta,
                }
            })
        })
        .collect()
}

fn changes(before: &request::Headers, after: &[(String, Vec<u8>)]) -> Vec<HeaderChange> {
    let value_in = |pairs: &[(String, Vec<u8>)], name: &str| {
        pairs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| String::from_utf8_lossy(v).into_owned())
    };
    let mut out = Vec::new();
    for (name, old) in before {
        if value_in(after, name).is_none() {
            out.push(HeaderChange {
                header: name.clone(),
                change: "removed",
                value: old.clone(),
            });
        }
    }
    for (name, value) in after {
        let old = before
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_bytes());
        if old != Some(value.as_slice()) {
            out.push(HeaderChange {
                header: name.clone(),
                change: "set",
                value: String::from_utf8_lossy(value).into_owned(),
            });
        }
    }
    out
}

/// A stat's name and labels as Prometheus shows them through the shipped
/// `stats_tags`: a `.` in the name becomes `_`.
fn prometheus(defined: &str) -> (String, Vec<(String, String)>) {
    parse_stat_name(defined).map_or_else(
        || (defined.replace('.', "_"), Vec::new()),
        |stat| {
            let labels = stat
                .labels
                .iter()
                .map(|(label, value)| ((*label).to_owned(), (*value).to_owned()))
                .collect();
            (stat.base.replace('.', "_"), labels)
        },
    )
}

/// `xds.listener_direction` as Envoy encodes it: 1 inbound, 2 outbound.
pub fn listener_direction(direction: Direction) -> u64 {
    match direction {
        Direction::Inbound => 1,
        Direction::Outbound => 2,
    }
}

/// The `trustedPeers` entry `matched` finds with the engine; when the engine this
/// CLI is built with refused the configuration, why, unless no peer is in question.
pub fn peer_entry<'e>(
    engine: Result<&'e Engine, &String>,
    taken: Direction,
    peer: Option<&str>,
    matched: impl FnOnce(&'e Engine) -> PeerEntry,
) -> PeerEntry {
    match engine {
        Ok(engine) => matched(engine),
        Err(_) if taken == Direction::Outbound || peer.is_none() => PeerEntry::NotApplicable,
        Err(why) => PeerEntry::Unavailable(format!(
            "the engine this CLI is built with refused the configuration: {why}"
        )),
    }
}
