//! `meshborder simulate` for a `tcp` configuration: one connection through the
//! filter as Envoy's network filter runs it, and a report of what it did.
//!
//! The connection goes as it goes in Envoy (docs/tcp.md): accepted
//! (`on_new_connection`), the caller's bytes (`on_downstream_data`, where the filter
//! decides: the certificate is known by then), the upstream's answer
//! (`on_upstream_data`), the caller's half-close and close, and the end of the
//! context. A connection the filter closes gets no further byte; it ends with the
//! close Envoy makes for it (`Local`). The close flushes the byte counters, so the
//! report shows them.
//!
//! As for a request, the report is what the real `.wasm` did on the host (the bytes
//! it let through, its close, counters and log lines); only the `trustedPeers`
//! entry that matched, and the cluster of a bound caller that left no trace in a
//! counter or a log line, are asked of the engine ([`caller`](super::caller)).

use meshborder_filter::contract::{label, log_line, metric, reply, value};
use proxy_wasm_host::{Direction as Flow, HostError, PeerType, TcpStream, Vm};
use serde_json::Value;

use super::caller::Engine;
use super::connection_report::{Bytes, ConnectionFuel, ConnectionReport, ConnectionView, RuleView};
use super::report::{LogLine, MetricDelta, Node, PeerEntry, SourceKind, SourceView, TrustedPeer};
use super::simulate::{configured_node, counters, deltas, listener_direction, peer_entry};
use super::{Direction, SimulateArgs};

/// The most bytes one chunk carries: the filter sees the caller's bytes (and the
/// upstream's) in pieces of at most this size.
const CHUNK: usize = 16 * 1024;
/// The most bytes `--send` or `--receive` may ask for: enough to see every counter
/// move, small enough to run at once.
const MAX_BYTES: u64 = 64 * 1024 * 1024;

/// Runs one connection through the filter in `vm` and reports it.
pub fn simulate(
    vm: &mut Vm,
    args: &SimulateArgs,
    engine: &Result<Engine, String>,
) -> Result<ConnectionReport, String> {
    let send = amount("--send", args.send)?;
    let receive = amount("--receive", args.receive)?;
    let configured = configured_node(vm);
    let before = counters(vm);
    let engine = engine.as_ref();
    let taken = engine.map_or(args.direction, |e| e.direction(args.direction));
    let peer_entry = peer_entry(engine, taken, args.peer.as_deref(), |engine| {
        engine.connection_entry(taken, args.peer.as_deref())
    });
    let mut stream = vm.tcp_stream().property(
        ["xds", "listener_direction"],
        listener_direction(args.direction),
    );
    if let Some(peer) = &args.peer {
        stream = stream.connection_mtls(peer);
    }
    if let Some(port) = args.port {
        stream = stream.property(["destination", "port"], u64::from(port));
    }
    if let Some(sni) = &args.sni {
        stream = stream.property(["connection", "requested_server_name"], sni.as_str());
    }
    let ran = run(&mut stream, send, receive).map_err(|e| e.to_string())?;
    let logs = LogLine::all(&stream.logs());
    let calls = stream.calls();
    let bytes = Bytes {
        from_caller: ran.from_caller,
        to_upstream: len_u64(stream.passed(Flow::Downstream).len()),
        from_upstream: ran.from_upstream,
        to_caller: len_u64(stream.passed(Flow::Upstream).len()),
    };
    let closed = stream.close_requested();
    let metrics = deltas(vm, &before);

    let line = decision_line(&logs);
    let rule = rule(line.as_ref(), &metrics);
    let seen = Seen {
        direction: taken,
        peer: args.peer.as_deref(),
        node: &configured,
        metrics: &metrics,
        line: line.as_ref(),
    };
    let source = source(&seen, &peer_entry, engine.ok());
    Ok(ConnectionReport {
        layer: "tcp",
        connection: ConnectionView {
            direction: match taken {
                Direction::Inbound => "inbound",
                Direction::Outbound => "outbound",
            },
            peer: args.peer.clone(),
            port: args.port,
            sni: args.sni.clone(),
        },
        node: configured,
        source,
        peer_entry,
        decision: if closed { "deny" } else { "pass" },
        closed,
        rule,
        bytes,
        metrics,
        logs,
        fuel: ConnectionFuel {
            first_downstream_data: calls
                .iter()
                .find(|c| c.callback.export() == "proxy_on_downstream_data")
                .map_or(0, |c| c.fuel),
            total: calls.iter().map(|c| c.fuel).sum(),
        },
    })
}

fn amount(flag: &str, given: Option<u64>) -> Result<u64, String> {
    let bytes = given.unwrap_or(0);
    if bytes > MAX_BYTES {
        return Err(format!(
            "{flag} {bytes}: at most {MAX_BYTES} bytes (64 MiB) are simulated; the counters \
             move by what is sent, whatever the amount"
        ));
    }
    Ok(bytes)
}

/// What the connection was given.
struct Ran {
    from_caller: u64,
    from_upstream: u64,
}

/// Drives the connection: accepted, the caller's bytes, the upstream's answer, the
/// caller's half-close and close; or, once the filter asked to close, Envoy's
/// close. The context ends either way.
fn run(stream: &mut TcpStream<'_>, send: u64, receive: u64) -> Result<Ran, HostError> {
    let mut ran = Ran {
        from_caller: 0,
        from_upstream: 0,
    };
    stream.new_connection()?;
    // A caller that sends nothing is first seen at its half-close.
    let mut half_closed = false;
    if !stream.close_requested() {
        if send == 0 {
            stream.downstream_data(&[], true)?;
            half_closed = true;
        } else {
            ran.from_caller = chunks(stream, send, Flow::Downstream)?;
        }
    }
    if stream.close_requested() {
        // Envoy closes the connection once the callback returns: no byte more is
        // read, and the upstream's answer never comes.
        stream.downstream_close(PeerType::Local)?;
    } else {
        ran.from_upstream = chunks(stream, receive, Flow::Upstream)?;
        if !stream.close_requested() && !half_closed {
            stream.downstream_data(&[], true)?;
        }
        let peer = if stream.close_requested() {
            PeerType::Local
        } else {
            PeerType::Remote
        };
        stream.downstream_close(peer)?;
    }
    stream.finish()?;
    Ok(ran)
}

/// Delivers `total` bytes in `direction`, chunk by chunk, until the filter asks to
/// close; returns how many were delivered.
fn chunks(stream: &mut TcpStream<'_>, total: u64, direction: Flow) -> Result<u64, HostError> {
    let chunk = [0_u8; CHUNK];
    let mut delivered = 0_u64;
    while delivered < total && !stream.close_requested() {
        let size = usize::try_from(total - delivered).map_or(CHUNK, |left| left.min(CHUNK));
        let bytes = chunk.get(..size).unwrap_or(&chunk);
        match direction {
            Flow::Downstream => stream.downstream_data(bytes, false)?,
            Flow::Upstream => stream.upstream_data(bytes, false)?,
        };
        delivered = delivered.saturating_add(len_u64(bytes.len()));
    }
    Ok(delivered)
}

fn len_u64(len: usize) -> u64 {
    u64::try_from(len).unwrap_or(u64::MAX)
}

/// The filter's decision line (a deny or an audit), parsed.
fn decision_line(logs: &[LogLine]) -> Option<Value> {
    logs.iter().find_map(|line| {
        let parsed: Value = serde_json::from_str(&line.message).ok()?;
        (parsed.get(reply::RULE).is_some() && parsed.get(log_line::MODE).is_some())
            .then_some(parsed)
    })
}

/// The rule that decided: from its log line, else from the decision counter.
fn rule(line: Option<&Value>, metrics: &[MetricDelta]) -> Option<RuleView> {
    let text = |key: &str| {
        line.and_then(|l| l.get(key))
            .and_then(Value::as_str)
            .map(str::to_owned)
    };
    if let Some(name) = text(reply::RULE) {
        return Some(RuleView {
            name,
            mode: text(log_line::MODE),
            reason: text("reason"),
        });
    }
    let counted = metrics
        .iter()
        .find(|m| m.name == metric::RESIDENCY_DECISIONS.prometheus)?;
    let label_of = |name: &str| {
        counted
            .labels
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
    };
    Some(RuleView {
        name: label_of(label::RULE)?,
        mode: label_of(label::DECISION).map(|d| {
            if d == value::AUDIT {
                "audit".to_owned()
            } else {
                "enforce".to_owned()
            }
        }),
        reason: None,
    })
}

/// What the filter did with the connection, as the host saw it.
struct Seen<'a> {
    direction: Direction,
    peer: Option<&'a str>,
    node: &'a Node,
    metrics: &'a [MetricDelta],
    line: Option<&'a Value>,
}

impl Seen<'_> {
    fn moved(&self, name: &str) -> Option<&MetricDelta> {
        self.metrics.iter().find(|m| m.name == name)
    }

    /// A label of a counter that moved, unless it is a stand-in value.
    fn label(&self, name: &str, label: &str) -> Option<String> {
        self.moved(name)?
            .labels
            .iter()
            .find(|(k, _)| k == label)
            .map(|(_, v)| v.clone())
            .filter(|v| v != value::UNKNOWN && v != value::OTHER)
    }

    /// A field of the decision line, unless it says `unknown`.
    fn logged(&self, field: &str) -> Option<String> {
        self.line?
            .get(field)
            .and_then(Value::as_str)
            .filter(|v| *v != value::UNKNOWN)
            .map(str::to_owned)
    }
}

/// The caller: the local node outbound; inbound, unknown when the filter counted
/// it so, else bound to the certificate, with the cluster and region the decision
/// line or the byte counters name (or the engine, when neither moved: a caller of
/// the local cluster on a port no rule covers).
fn source(seen: &Seen<'_>, entry: &PeerEntry, engine: Option<&Engine>) -> SourceView {
    if seen.direction == Direction::Outbound {
        return SourceView::local(seen.node);
    }
    if seen.moved(metric::UNKNOWN_SOURCE.prometheus).is_some() {
        return SourceView::unknown(unknown_reason(seen, entry, engine));
    }
    let bytes = metric::XCLUSTER_TCP_BYTES.prometheus;
    let connections = metric::XCLUSTER_TCP_CONNECTIONS.prometheus;
    let from_engine = || engine.and_then(|e| e.connection_source(seen.peer));
    let cluster = seen
        .logged(reply::SOURCE_CLUSTER)
        .or_else(|| seen.label(connections, label::SOURCE_CLUSTER))
        .or_else(|| seen.label(bytes, label::SOURCE_CLUSTER))
        .or_else(|| from_engine().map(|(cluster, _)| cluster));
    let region = seen
        .logged(reply::SOURCE_REGION)
        .or_else(|| seen.label(bytes, label::SOURCE_REGION))
        .or_else(|| from_engine().and_then(|(_, region)| region));
    SourceView {
        kind: SourceKind::Bound,
        cluster,
        region,
        zone: None,
        reason: None,
    }
}

fn unknown_reason(seen: &Seen<'_>, entry: &PeerEntry, engine: Option<&Engine>) -> Option<String> {
    if seen.peer.is_none() {
        return Some("no mTLS peer".to_owned());
    }
    if engine.is_some_and(|e| !e.trusts_anyone()) {
        return Some("trustedPeers is empty: no peer is trusted".to_owned());
    }
    match entry {
        PeerEntry::NoMatch => Some("the peer matches no trustedPeers entry".to_owned()),
        PeerEntry::Matched(TrustedPeer {
            bound_cluster: Some(cluster),
            ..
        }) => Some(format!(
            "the certificate's cluster {cluster} is not listed in `clusters`"
        )),
        PeerEntry::Matched(TrustedPeer { entry, .. }) => Some(format!(
            "trustedPeers[{entry}] believes tags, and a connection has none: only a \
             certificate-bound entry establishes the source of a connection"
        )),
        PeerEntry::NotApplicable | PeerEntry::Unavailable(_) => None,
    }
}
