//! One request through one VM of the host, as one Envoy carries it: presented
//! ([`super::presented`]), filtered, then answered locally, by a model of the echo
//! app ([`super::routes`] picks which), or not at all when Envoy refuses it before
//! the filter; and the stream ended with the sizes Envoy would report.

use meshborder_filter::contract::header;
use proxy_wasm_host::{HostResult, HttpStream, Vm};

use super::case::Case;
use super::counters::Readings;
use super::outcome::{Ending, Outcome, Upstream};
use super::presented::{self, Admission, HeaderMap, Listener};
use super::routes;
use crate::topology::{EU_WEST_APP, EU_WEST_REGION};
use crate::{upstream, wire};

/// `xds.listener_direction` of an inbound listener.
pub(super) const INBOUND: u64 = 1;
/// `xds.listener_direction` of an outbound listener.
pub(super) const OUTBOUND: u64 = 2;

/// A local reply: status, headers, body.
pub(super) type Reply = (u16, Vec<(String, String)>, Vec<u8>);

/// One filter's part in a request: the map it left and its reply, if any.
pub(super) struct Filtered {
    pub(super) map: HeaderMap,
    pub(super) reply: Option<Reply>,
}

/// A request from the internet through the gateway's `vm`: an outbound listener,
/// its route table ([`routes::gateway`]) choosing the app by region.
pub(super) fn gateway(vm: &mut Vm, case: &Case, size: Option<u64>) -> HostResult<Outcome> {
    let presented =
        presented::present(&case.method, &case.target, &case.headers, Listener::GATEWAY);
    let map = match presented {
        Admission::Presented(map) => map,
        unfiltered => return Ok(before_filter(unfiltered)),
    };
    let mut stream = vm
        .http_stream()
        .property(["xds", "listener_direction"], OUTBOUND);
    let filtered = filter(&mut stream, &map, &case.body)?;
    if let Some(reply) = filtered.reply {
        finish(&mut stream, &filtered.map, &case.body, size)?;
        return Ok(local_reply(reply));
    }
    let forwarded = presented::routed(&filtered.map);
    let app = routes::gateway(&filtered.map);
    let outcome = answered(app.name, app.region, &forwarded, case.body.len());
    finish(&mut stream, &forwarded, &case.body, size)?;
    Ok(outcome)
}

/// Who is on the other end of eu-west's downstream connection.
#[derive(Debug, Clone, Copy)]
pub(super) enum Peer<'a> {
    /// A client of the suite, in plaintext.
    None,
    /// A client of the suite over mTLS, with this URI SAN.
    Client(&'a str),
    /// A caller's sidecar, relaying its app's request, with this URI SAN.
    Relayed(&'a str),
}

/// A request arriving at eu-west's `vm` from `peer`. `size` is the response size
/// eu-west logged; a local reply to a caller's sidecar is sized by the host itself
/// (to a client of the suite Envoy also adds `connection: close`, which the host
/// does not model).
pub(super) fn inbound(
    vm: &mut Vm,
    case: &Case,
    peer: Peer<'_>,
    size: Option<u64>,
) -> HostResult<Outcome> {
    let (listener, san) = match peer {
        Peer::None => (Listener::INBOUND_PLAINTEXT, None),
        Peer::Client(san) | Peer::Relayed(san) => (Listener::INBOUND_MTLS, Some(san)),
    };
    let presented = presented::present(&case.method, &case.target, &case.headers, listener);
    let map = match presented {
        Admission::Presented(map) => map,
        unfiltered => return Ok(before_filter(unfiltered)),
    };
    let mut stream = vm
        .http_stream()
        .property(["xds", "listener_direction"], INBOUND);
    if let Some(san) = san {
        stream = stream.connection_mtls(san);
    }
    let filtered = filter(&mut stream, &map, &case.body)?;
    if let Some(reply) = filtered.reply {
        let size = if matches!(peer, Peer::Relayed(_)) {
            None
        } else {
            size
        };
        finish(&mut stream, &filtered.map, &case.body, size)?;
        return Ok(local_reply(reply));
    }
    let forwarded = presented::routed(&filtered.map);
    let outcome = answered(EU_WEST_APP, EU_WEST_REGION, &forwarded, case.body.len());
    finish(&mut stream, &forwarded, &case.body, size)?;
    Ok(outcome)
}

/// The outcome of a request no filter sees.
pub(super) fn before_filter(admission: Admission) -> Outcome {
    match admission {
        Admission::Refused(refusal) => Outcome {
            ending: Ending::RefusedByCodec,
            status: refusal.status,
            ..empty()
        },
        Admission::Redirected { location } => Outcome {
            ending: Ending::LocalReply,
            status: 307,
            reply_headers: vec![(
                "location".to_owned(),
                String::from_utf8_lossy(&location).into_owned(),
            )],
            ..empty()
        },
        Admission::Presented(_) => empty(),
    }
}

pub(super) fn empty() -> Outcome {
    Outcome {
        ending: Ending::LocalReply,
        status: 0,
        reply_headers: Vec::new(),
        reply_body: Vec::new(),
        upstream: None,
        route_region: None,
        counters: Readings::new(),
        logs: Vec::new(),
    }
}

pub(super) fn filter(
    stream: &mut HttpStream<'_>,
    map: &HeaderMap,
    body: &[u8],
) -> HostResult<Filtered> {
    let pairs: Vec<(&str, &[u8])> = map
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_slice()))
        .collect();
    stream.request_headers(&pairs, body.is_empty())?;
    if !body.is_empty() && stream.local_response().is_none() {
        stream.request_body(body, true)?;
    }
    let reply = stream.local_response().map(|reply| {
        let headers = reply
            .headers
            .iter()
            .map(|(k, v)| (k.clone(), String::from_utf8_lossy(v).into_owned()))
            .collect();
        (
            u16::try_from(reply.status).unwrap_or(0),
            headers,
            reply.body.clone(),
        )
    });
    Ok(Filtered {
        map: stream.request_header_map().to_vec(),
        reply,
    })
}

/// Ends the stream with the sizes Envoy would report: the request as it left
/// (`map`, plus the body), the response as Envoy logged it.
pub(super) fn finish(
    stream: &mut HttpStream<'_>,
    map: &HeaderMap,
    body: &[u8],
    response_size: Option<u64>,
) -> HostResult<()> {
    stream.set_property(
        ["request", "total_size"],
        presented::total_size(map, body.len()),
    );
    if let Some(size) = response_size {
        stream.set_property(["response", "total_size"], size);
    }
    stream.finish()
}

pub(super) fn local_reply((status, headers, body): Reply) -> Outcome {
    Outcome {
        ending: Ending::LocalReply,
        status,
        reply_headers: headers,
        reply_body: body,
        ..empty()
    }
}

/// The echo app `app`'s answer to the request `forwarded` (the router's map).
pub(super) fn answered(
    app: &str,
    region: &str,
    forwarded: &HeaderMap,
    body_bytes: usize,
) -> Outcome {
    let (start_line, lines) = presented::on_the_wire(forwarded);
    let head = wire::Head {
        start_line: start_line.clone(),
        headers: lines
            .iter()
            .map(|(k, v)| (k.clone(), String::from_utf8_lossy(v).into_owned()))
            .collect(),
        raw_headers: lines.clone(),
    };
    let body = upstream::echo_body(app, region, &head, body_bytes);
    let route_region = lines
        .iter()
        .find(|(k, _)| k == header::ROUTE_REGION)
        .map(|(_, v)| v.clone());
    Outcome {
        ending: Ending::Forwarded,
        status: 200,
        reply_headers: vec![
            ("content-type".to_owned(), "application/json".to_owned()),
            ("content-length".to_owned(), body.len().to_string()),
        ],
        reply_body: body.into_bytes(),
        upstream: Some(Upstream {
            app: app.to_owned(),
            start_line,
            headers: lines,
        }),
        route_region,
        ..empty()
    }
}

pub(super) fn request_line(start_line: &str) -> (Vec<u8>, Vec<u8>) {
    let mut parts = start_line.split(' ');
    let method = parts.next().unwrap_or_default().as_bytes().to_vec();
    let target = parts.next().unwrap_or_default().as_bytes().to_vec();
    (method, target)
}
