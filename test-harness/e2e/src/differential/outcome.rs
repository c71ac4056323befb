//! One request's outcome, read the same way on both sides, and the differences
//! between two of them, field by field.

use std::collections::BTreeMap;
use std::fmt;

use super::case::shown;
use super::fields::FieldDifferences;
use super::presented::HeaderMap;

/// How a request ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ending {
    /// Envoy's codec refused it; no filter ran. Envoy's own reply text is not
    /// compared.
    RefusedByCodec,
    /// Envoy or the filter answered without an upstream.
    LocalReply,
    /// An app answered.
    Forwarded,
}

/// What the upstream app received.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Upstream {
    /// The app that answered.
    pub app: String,
    /// Its request line.
    pub start_line: String,
    /// Every header line, in order, as received.
    pub headers: HeaderMap,
}

/// The outcome of one request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    /// How it ended.
    pub ending: Ending,
    /// The status the client got.
    pub status: u16,
    /// The reply's headers, without those Envoy adds to every reply.
    pub reply_headers: Vec<(String, String)>,
    /// The reply's body.
    pub reply_body: Vec<u8>,
    /// What the app received, when the request was forwarded.
    pub upstream: Option<Upstream>,
    /// `x-meshborder-route-region` as the app received it.
    pub route_region: Option<Vec<u8>>,
    /// Every counter that moved, `<envoy> <name>{labels}`, by how much.
    pub counters: BTreeMap<String, u64>,
    /// The filter's JSON log lines, `<envoy> <level> <message>`, in order.
    pub logs: Vec<String>,
}

impl Outcome {
    /// The fields in which `host` differs from `self` (Envoy's), each as
    /// `field: envoy … | host …`; empty when they agree.
    pub fn differences(&self, host: &Self) -> Vec<String> {
        let mut found = FieldDifferences::default();
        found.debug("ending", &self.ending, &host.ending);
        // Refused before the filter is one outcome: whether Envoy says 400 or 431
        // for a head with several faults depends on its parser's order, and no
        // filter ran either way.
        let both_refused =
            self.ending == Ending::RefusedByCodec && host.ending == Ending::RefusedByCodec;
        if !both_refused {
            found.text("status", self.status.to_string(), host.status.to_string());
            found.debug("reply headers", &self.reply_headers, &host.reply_headers);
            found.text(
                "reply body",
                shown(&self.reply_body),
                shown(&host.reply_body),
            );
        }
        found.debug(
            "answered by",
            &self.upstream.as_ref().map(|u| &u.app),
            &host.upstream.as_ref().map(|u| &u.app),
        );
        found.debug(
            "upstream request line",
            &self.upstream.as_ref().map(|u| &u.start_line),
            &host.upstream.as_ref().map(|u| &u.start_line),
        );
        found.text(
            "upstream headers",
            upstream_headers(self.upstream.as_ref()),
            upstream_headers(host.upstream.as_ref()),
        );
        found.debug(
            "routing header",
            &self.route_region.as_deref().map(shown),
            &host.route_region.as_deref().map(shown),
        );
        found.debug("counters", &self.counters, &host.counters);
        found.debug("log lines", &self.logs, &host.logs);
        found.into_lines()
    }
}

fn upstream_headers(upstream: Option<&Upstream>) -> String {
    upstream.map_or_else(
        || "none".to_owned(),
        |u| {
            let lines: Vec<String> = u
                .headers
                .iter()
                .map(|(k, v)| format!("{k}: {}", shown(v)))
                .collect();
            format!("[{}]", lines.join(" | "))
        },
    )
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?} {}", self.ending, self.status)?;
        if let Some(upstream) = &self.upstream {
            write!(
                f,
                " from {}: {}",
                upstream.app,
                upstream_headers(Some(upstream))
            )?;
        } else {
            write!(f, " {:?} {}", self.reply_headers, shown(&self.reply_body))?;
        }
        write!(f, "; counters {:?}; logs {:?}", self.counters, self.logs)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::differential::counters::Readings;

    fn forwarded() -> Outcome {
        Outcome {
            ending: Ending::Forwarded,
            status: 200,
            reply_headers: vec![("content-type".to_owned(), "application/json".to_owned())],
            reply_body: b"{}".to_vec(),
            upstream: Some(Upstream {
                app: "eu-west-app".to_owned(),
                start_line: "GET / HTTP/1.1".to_owned(),
                headers: vec![
                    ("host".to_owned(), b"a".to_vec()),
                    ("x-a".to_owned(), b"1".to_vec()),
                ],
            }),
            route_region: None,
            counters: Readings::new(),
            logs: Vec::new(),
        }
    }

    #[test]
    fn equal_outcomes_have_no_difference() {
        assert!(forwarded().differences(&forwarded()).is_empty());
    }

    #[test]
    fn a_reordered_upstream_header_a_counter_and_a_log_line_are_each_a_difference() {
        let mut host = forwarded();
        if let Some(upstream) = host.upstream.as_mut() {
            upstream.headers.reverse();
        }
        host.counters.insert("eu-west meshborder_x{}".to_owned(), 1);
        host.logs.push("eu-west info {}".to_owned());
        let fields: Vec<String> = forwarded()
            .differences(&host)
            .iter()
            .filter_map(|d| d.split(':').next().map(str::to_owned))
            .collect();
        assert_eq!(fields, ["upstream headers", "counters", "log lines"]);
    }

    #[test]
    fn two_refusals_differ_in_nothing_but_a_refusal_and_a_reply_differ() {
        let refused = |status| Outcome {
            ending: Ending::RefusedByCodec,
            status,
            upstream: None,
            ..forwarded()
        };
        assert!(refused(400).differences(&refused(431)).is_empty());
        assert!(!refused(400).differences(&forwarded()).is_empty());
    }
}
