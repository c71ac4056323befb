//! The Envoy side of the suite: a request sent into the running mesh, and its
//! outcome read off what Envoy and the app leave behind. The access log is the
//! barrier: a request is over once the Envoy it entered (and eu-west, when it went
//! on there) has logged it, and only then are the counters read. The filter's
//! lines are those its Envoy logged meanwhile (requests go one at a time).
//!
//! Envoy adds [`REPLY_ADDITIONS`] to every reply and `content-length` to a local
//! one; they are taken off before the reply is compared, and a reply that does not
//! carry exactly those is reported, so the list cannot hide a change.

use std::collections::BTreeMap;

use serde_json::Value;

use super::case::{Case, Entry};
use super::counters::{self, Readings};
use super::host_side::ResponseSizes;
use super::outcome::{Ending, Outcome, Upstream};
use super::presented::HeaderMap;
use super::sites::{self, Sites};
use crate::access_log::{self, AccessEntry};
use crate::client::Response;
use crate::envoy::Envoy;
use crate::error::Result;
use crate::poll;
use meshborder_filter::contract::header;

/// What Envoy adds to every reply it sends a client of the suite (which asks to
/// close the connection), once each.
pub const REPLY_ADDITIONS: [&str; 3] = ["date", "server", "connection"];
/// What Envoy adds to a reply that came from an upstream.
pub const UPSTREAM_TIMING: &str = "x-envoy-upstream-service-time";
/// The access log's flag of a request the codec refused.
const CODEC_REFUSED_FLAG: &str = "DPE";
/// The upstream cluster name of eu-west in a caller's config.
const EU_WEST_UPSTREAM: &str = "eu_west";

/// The Envoys as the suite reads them, with what it had read before the request.
pub struct EnvoyMesh<'m> {
    sites: &'m Sites,
    readings: Readings,
}

struct Marks {
    access: BTreeMap<String, usize>,
    log: BTreeMap<String, usize>,
}

impl<'m> EnvoyMesh<'m> {
    /// Starts reading `sites`.
    pub fn new(sites: &'m Sites) -> Result<Self> {
        let mut this = Self {
            sites,
            readings: Readings::new(),
        };
        this.readings = this.read_counters()?;
        Ok(this)
    }

    fn envoys(&self) -> Vec<(&'static str, &'m Envoy)> {
        self.sites.envoys()
    }

    fn envoy(&self, name: &str) -> Result<&'m Envoy> {
        self.sites.envoy(name)
    }

    fn read_counters(&self) -> Result<Readings> {
        let mut all = Readings::new();
        for (name, envoy) in self.envoys() {
            let text = envoy.admin_get("/stats/prometheus?filter=meshborder")?;
            all.extend(counters::from_prometheus(name, &text));
        }
        Ok(all)
    }

    fn marks(&self) -> Marks {
        let envoys = self.envoys();
        Marks {
            access: envoys
                .iter()
                .map(|(n, e)| ((*n).to_owned(), access_log::entries(&e.access_log()).len()))
                .collect(),
            log: envoys
                .iter()
                .map(|(n, e)| ((*n).to_owned(), e.log().len()))
                .collect(),
        }
    }

    /// Sends `case`, waits until it is over, and reads its outcome, with the
    /// response sizes Envoy logged.
    pub fn run(&mut self, case: &Case) -> Result<(Outcome, ResponseSizes)> {
        let marks = self.marks();
        let (addr, tls) = self.sites.entry_point(case.entry)?;
        let response = case.send(addr, tls.as_ref());
        let entry_name = sites::entered(case.entry);
        let entry = self.logged(entry_name, &marks)?;
        let mut sizes = ResponseSizes {
            entered: entry.response_bytes(),
            eu_west: None,
        };
        let caller = matches!(case.entry, Entry::Outbound(_));
        if caller && entry.get("upstream_cluster") == Some(EU_WEST_UPSTREAM) {
            sizes.eu_west = self.logged(sites::EU_WEST, &marks)?.response_bytes();
        }
        let after = self.read_counters()?;
        let moved = counters::changes(&self.readings, &after);
        self.readings = after;
        let refused = entry.get("flags") == Some(CODEC_REFUSED_FLAG);
        // A reply that came back from eu-west through the caller's sidecar.
        let relayed = sizes.eu_west.is_some();
        let mut outcome = match response {
            Ok(response) => outcome_of(&response, refused, relayed),
            Err(reason) => Outcome {
                ending: Ending::LocalReply,
                status: 0,
                reply_headers: vec![("no response".to_owned(), reason)],
                reply_body: Vec::new(),
                upstream: None,
                route_region: None,
                counters: Readings::new(),
                logs: Vec::new(),
            },
        };
        outcome.counters = moved;
        outcome.logs = self.new_logs(&marks, entry_name);
        Ok((outcome, sizes))
    }

    /// The access log line `name` wrote for this request, once it is there.
    fn logged(&self, name: &str, marks: &Marks) -> Result<AccessEntry> {
        let envoy = self.envoy(name)?;
        let seen = marks.access.get(name).copied().unwrap_or(0);
        poll::until(&format!("{name}'s access log line"), || {
            Ok(access_log::entries(&envoy.access_log()).get(seen).cloned())
        })
    }

    /// The filter's JSON lines logged since `marks`: the entry Envoy's first.
    fn new_logs(&self, marks: &Marks, entry: &str) -> Vec<String> {
        let mut envoys = self.envoys();
        envoys.sort_by_key(|(name, _)| *name != entry);
        envoys
            .iter()
            .flat_map(|(name, envoy)| {
                let text = envoy.log();
                let from = marks.log.get(*name).copied().unwrap_or(0);
                let fresh = text.get(from..).unwrap_or_default().to_owned();
                filter_messages(&fresh)
                    .into_iter()
                    .map(|(level, message)| format!("{name} {level} {message}"))
                    .collect::<Vec<_>>()
            })
            .collect()
    }
}

/// The filter's JSON messages in Envoy's log text, with Envoy's level names:
/// `[time][thread][level][wasm] [source] wasm log <names>: {…}`.
pub fn filter_messages(text: &str) -> Vec<(String, String)> {
    text.lines()
        .filter(|line| line.contains("][wasm] "))
        .filter_map(|line| {
            let level = line.split('[').nth(3)?.strip_suffix(']')?.to_owned();
            let after = line.get(line.find(" wasm log ")?..)?;
            let message = after.get(after.find(": {")? + 2..)?;
            Some((level, message.to_owned()))
        })
        .collect()
}

/// The outcome a client saw in `response`; `refused` when the access log says the
/// codec refused the request, `relayed` when it came through an upstream.
fn outcome_of(response: &Response, refused: bool, relayed: bool) -> Outcome {
    let echo: Option<Value> = serde_json::from_slice(&response.body).ok();
    let upstream = echo.as_ref().and_then(upstream_of);
    let forwarded = upstream.is_some();
    let ending = if forwarded {
        Ending::Forwarded
    } else if refused {
        Ending::RefusedByCodec
    } else {
        Ending::LocalReply
    };
    let route_region = upstream.as_ref().and_then(|u| {
        u.headers
            .iter()
            .find(|(k, _)| k == header::ROUTE_REGION)
            .map(|(_, v)| v.clone())
    });
    Outcome {
        ending,
        status: response.status,
        reply_headers: without_additions(&response.headers, forwarded, forwarded || relayed),
        reply_body: response.body.clone(),
        upstream,
        route_region,
        counters: Readings::new(),
        logs: Vec::new(),
    }
}

/// What the echo app says it received.
fn upstream_of(echo: &Value) -> Option<Upstream> {
    let text = |name: &str| echo.get(name).and_then(Value::as_str);
    let headers: HeaderMap = echo
        .get("rawHeaders")?
        .as_array()?
        .iter()
        .map(|pair| {
            let name = pair.get(0)?.as_str()?.to_owned();
            Some((name, unhex(pair.get(1)?.as_str()?)?))
        })
        .collect::<Option<_>>()?;
    Some(Upstream {
        app: text("app")?.to_owned(),
        start_line: format!("{} {} HTTP/1.1", text("method")?, text("path")?),
        headers,
    })
}

fn unhex(text: &str) -> Option<Vec<u8>> {
    (0..text.len())
        .step_by(2)
        .map(|at| u8::from_str_radix(text.get(at..at + 2)?, 16).ok())
        .collect()
}

/// `headers` without what Envoy adds; a note in their place when Envoy did not
/// add exactly [`REPLY_ADDITIONS`] once each, the upstream timing to a reply that
/// came through an upstream, and `content-length` to one the app did not send.
fn without_additions(
    headers: &[(String, String)],
    from_app: bool,
    via_upstream: bool,
) -> Vec<(String, String)> {
    let mut expected: Vec<&str> = REPLY_ADDITIONS.to_vec();
    if via_upstream {
        expected.push(UPSTREAM_TIMING);
    }
    if !from_app {
        expected.push("content-length");
    }
    let mut kept = Vec::new();
    let mut added: Vec<&str> = Vec::new();
    for (name, value) in headers {
        if expected.contains(&name.as_str()) {
            added.push(name);
        } else {
            kept.push((name.clone(), value.clone()));
        }
    }
    added.sort_unstable();
    expected.sort_unstable();
    if added != expected {
        kept.push((
            "(envoy's additions)".to_owned(),
            format!("{added:?}, documented {expected:?}"),
        ));
    }
    kept
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_filters_json_messages_with_envoys_level() {
        let log = "[2026-12-01 14:53:33.851][19721][warning][wasm] [source/extensions/common/wasm/context.cc:1154] wasm log meshborder meshborder: {\"decision\":\"deny\"}\n\
                   [2026-12-01 14:53:33.852][19721][info][main] [source/server/server.cc:1] starting\n";
        assert_eq!(
            filter_messages(log),
            [("warning".to_owned(), "{\"decision\":\"deny\"}".to_owned())]
        );
    }

    #[test]
    fn envoys_additions_are_taken_off_and_a_missing_one_is_reported() {
        let reply = |names: &[&str]| -> Vec<(String, String)> {
            names
                .iter()
                .map(|n| ((*n).to_owned(), "v".to_owned()))
                .collect()
        };
        let from_app = reply(&[
            "content-type",
            UPSTREAM_TIMING,
            "date",
            "server",
            "connection",
        ]);
        assert_eq!(
            without_additions(&from_app, true, true),
            reply(&["content-type"])
        );
        let no_server = reply(&["content-type", "content-length", "date", "connection"]);
        let kept = without_additions(&no_server, false, false);
        assert_eq!(kept.len(), 2, "{kept:?}");
        assert_eq!(
            kept.last().map(|(n, _)| n.as_str()),
            Some("(envoy's additions)")
        );
    }
}
