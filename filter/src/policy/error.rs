//! Configuration errors and their messages, in one style.
//!
//! A message is lowercase and says where first: a path in backticks, in the notation
//! serde_path_to_error uses for the JSON errors (`routing.sources[0].countries.DE`),
//! from the document's root, or from the rule when the message starts with the
//! rule's name. Then what is wrong, the user's input in backticks, and in
//! parentheses what was expected, or the known names when the input must be one of
//! them:
//! ``rule `eu-user-data`: `allowSourceRegions[0]`: unknown region or group `eu-wst` (known groups: eu, us; known regions: eu-west-1, us-east-1); list a new region in `regionGroups` or `clusters` ``.

use std::fmt;

/// Why a plugin configuration was refused. Its `Display` is the message the filter
/// logs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    /// The rule the error is in, when it is in one; `path` is then relative to it.
    rule: Option<String>,
    /// Where in the configuration, e.g. `routing.sources[0].header`; empty for the
    /// configuration as a whole.
    path: String,
    problem: Problem,
}

/// What is wrong, without where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Problem {
    /// The bytes are not valid JSON for the config types: serde's message.
    Json(String),
    /// Neither config nor node metadata names the local cluster.
    NoCluster,
    /// A value not of the accepted form: a name, pattern, method, header name or
    /// country code.
    Bad {
        /// What the value is, e.g. `host pattern`.
        what: &'static str,
        /// The value.
        value: String,
        /// What is accepted instead.
        expected: &'static str,
    },
    /// A region list names something that is neither a region nor a group.
    UnknownRegion {
        /// The value.
        value: String,
        /// The configured groups, sorted.
        groups: Vec<String>,
        /// The known regions, sorted.
        regions: Vec<String>,
    },
    /// A `regionGroups` name that is also a region name.
    GroupIsRegion(String),
    /// A list that must not be empty is empty.
    EmptyList {
        /// What to do instead.
        hint: &'static str,
    },
    /// Two rules share a name.
    DuplicateRule {
        /// The name.
        name: String,
        /// The index of the rule that has it first.
        first: usize,
    },
    /// Two country codes that differ only in case.
    DuplicateCountry {
        /// The later code.
        value: String,
        /// The code it repeats.
        same_as: String,
    },
    /// A `trustedPeers` entry names a cluster the `clusters` table lacks.
    UnknownCluster {
        /// The value.
        value: String,
        /// The clusters of the table, sorted.
        known: Vec<String>,
    },
    /// A `{ "peer", "cluster" }` entry whose pattern also captures the cluster.
    CaptureAndCluster,
    /// A rule condition of the other layer: HTTP conditions in a `tcp` layer, or
    /// `ports`/`sni` in an `http` one.
    WrongLayer {
        /// The condition, e.g. `ports`.
        field: &'static str,
        /// Whether the configuration is a `tcp` layer.
        tcp: bool,
    },
    /// `routing` in a `tcp` layer.
    RoutingInTcp,
    /// A number above its limit.
    TooLarge {
        /// The value.
        value: u32,
        /// The largest allowed.
        max: u32,
    },
}

/// What `Problem::Bad` expects of a cluster, region, group or rule name.
const NAME_EXPECTED: &str = "1 to 128 characters of a-z, A-Z, 0-9, `.`, `_`, `-`";

impl Problem {
    /// A name with characters that cannot be a metric label or a header value.
    pub(super) fn bad_name(value: &str) -> Self {
        Self::Bad {
            what: "name",
            value: value.to_owned(),
            expected: NAME_EXPECTED,
        }
    }

    /// A value of the kind `what` that is not of the form `expected`.
    pub(super) fn bad(what: &'static str, value: &str, expected: &'static str) -> Self {
        Self::Bad {
            what,
            value: value.to_owned(),
            expected,
        }
    }
}

impl ConfigError {
    /// The error `problem` at `path` (from the root, or from the rule once
    /// [`ConfigError::in_rule`] wraps it).
    pub(super) fn new(path: impl Into<String>, problem: Problem) -> Self {
        Self {
            rule: None,
            path: path.into(),
            problem,
        }
    }

    /// The JSON error serde reported at `path`.
    pub(super) fn json(path: String, message: String) -> Self {
        let path = if matches!(path.as_str(), "." | "?") {
            String::new()
        } else {
            path
        };
        Self::new(path, Problem::Json(message))
    }

    /// No local cluster anywhere.
    pub(super) fn no_cluster() -> Self {
        Self::new(String::new(), Problem::NoCluster)
    }

    /// The error as it happened inside rule `rule`, its path relative to the rule.
    pub(super) fn in_rule(self, rule: &str) -> Self {
        Self {
            rule: Some(rule.to_owned()),
            ..self
        }
    }
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(rule) = &self.rule {
            write!(f, "rule `{rule}`: ")?;
        }
        if self.path.is_empty() {
            if let Problem::Json(message) = &self.problem {
                return write!(f, "invalid configuration: {message}");
            }
        } else {
            write!(f, "`{}`: ", self.path)?;
        }
        self.problem.fmt(f)
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Json(message) => f.write_str(message),
            Self::NoCluster => f.write_str(
                "no local cluster: set `cluster` in the plugin configuration, or `CLUSTER_ID` in the node metadata",
            ),
            Self::Bad {
                what,
                value,
                expected,
            } => write!(f, "bad {what} `{value}` (expected {expected})"),
            Self::UnknownRegion {
                value,
                groups,
                regions,
            } => write!(
                f,
                "unknown region or group `{value}` (known groups: {}; known regions: {}); list a new region in `regionGroups` or `clusters`",
                known(groups),
                known(regions)
            ),
            Self::GroupIsRegion(name) => write!(
                f,
                "`{name}` is both a group and a region; give the group another name"
            ),
            Self::EmptyList { hint } => write!(f, "empty list ({hint})"),
            Self::DuplicateRule { name, first } => write!(
                f,
                "duplicate rule name `{name}` (also the name of `residency.rules[{first}]`)"
            ),
            Self::DuplicateCountry { value, same_as } => write!(
                f,
                "duplicate country code `{value}` (the same as `{same_as}`: codes are case-insensitive)"
            ),
            Self::UnknownCluster { value, known: clusters } => write!(
                f,
                "unknown cluster `{value}` (known clusters: {}); list it in `clusters` with its region",
                known(clusters)
            ),
            Self::CaptureAndCluster => f.write_str(
                "a pattern with `{cluster}` cannot also have a `cluster`: use one or the other to say which cluster the peer is in",
            ),
            Self::WrongLayer { field, tcp: false } => write!(
                f,
                "`{field}` is matched by a network filter (`\"layer\": \"tcp\"`); an `http` layer matches `hosts`, `paths`, `methods` and `headers`"
            ),
            Self::WrongLayer { field, tcp: true } => write!(
                f,
                "`{field}` is matched by an HTTP filter (`\"layer\": \"http\"`); a `tcp` layer matches `ports` and `sni`"
            ),
            Self::RoutingInTcp => f.write_str(
                "routing is HTTP only: a `tcp` layer has no requests to route; remove `routing`, or use `\"layer\": \"http\"`",
            ),
            Self::TooLarge { value, max } => {
                write!(f, "`{value}` is too large (expected at most {max})")
            }
        }
    }
}

/// A list of known names, or `none`.
fn known(names: &[String]) -> String {
    if names.is_empty() {
        "none".to_owned()
    } else {
        names.join(", ")
    }
}

impl std::error::Error for ConfigError {}
