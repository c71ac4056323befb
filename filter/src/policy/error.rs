//! Configuration errors and their messages.
//!
//! Messages are lowercase, put the user's input in backticks, and name where the
//! problem is, e.g. ``rule `eu-user-data`: unknown region group `eu-wst` (known: eu, us)``.

use std::fmt;

/// Why a plugin configuration was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConfigError {
    /// The bytes are not valid JSON for the config types (unknown field, wrong type...).
    Json {
        /// Where in the document, e.g. `residency.rules[0].match`.
        path: String,
        /// What serde reported.
        message: String,
    },
    /// Neither config nor node metadata names the local cluster.
    NoCluster,
    /// A cluster, region, group or rule name with characters that cannot be a label.
    BadName {
        /// The field the name appeared in.
        field: String,
        /// The offending value.
        value: String,
    },
    /// A region list names something that is neither a region nor a group.
    UnknownRegion {
        /// The offending value.
        value: String,
        /// Names of the configured groups.
        known_groups: Vec<String>,
    },
    /// A `regionGroups` name that is also a region name.
    GroupIsRegion {
        /// The ambiguous name.
        name: String,
    },
    /// A list that must not be empty is empty.
    EmptyList {
        /// The field.
        field: String,
    },
    /// Two rules share a name.
    DuplicateRule {
        /// The repeated name.
        name: String,
    },
    /// A host, path, header, method or peer pattern that cannot be compiled.
    BadPattern {
        /// The field the pattern appeared in.
        field: String,
        /// The offending pattern.
        value: String,
        /// What is allowed instead.
        expected: &'static str,
    },
    /// A country code that is not two ASCII letters.
    BadCountry {
        /// The offending code.
        value: String,
    },
    /// `metrics.maxClusters` out of range.
    BadLimit {
        /// The offending value.
        value: u32,
        /// The largest allowed value.
        max: u32,
    },
    /// Context: the error happened inside this rule.
    InRule {
        /// The rule's name.
        rule: String,
        /// The error.
        error: Box<ConfigError>,
    },
    /// Context: the error happened inside this section or field.
    In {
        /// Section or field, e.g. `routing.sources[1]`.
        at: String,
        /// The error.
        error: Box<ConfigError>,
    },
}

impl ConfigError {
    /// Wraps the error with the rule it happened in.
    pub fn in_rule(self, rule: &str) -> Self {
        Self::InRule {
            rule: rule.to_owned(),
            error: Box::new(self),
        }
    }

    /// Wraps the error with the section or field it happened in.
    pub fn at(self, at: impl Into<String>) -> Self {
        Self::In {
            at: at.into(),
            error: Box::new(self),
        }
    }
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Json { path, message } if matches!(path.as_str(), "" | "." | "?") => {
                write!(f, "invalid configuration: {message}")
            }
            Self::Json { path, message } => write!(f, "invalid configuration at `{path}`: {message}"),
            Self::NoCluster => f.write_str(
                "no local cluster: set `cluster` in the plugin configuration, or CLUSTER_ID in the node metadata",
            ),
            Self::BadName { field, value } => write!(
                f,
                "`{field}`: bad name `{value}` (use 1 to 128 characters of a-z, A-Z, 0-9, `.`, `_`, `-`)"
            ),
            Self::UnknownRegion {
                value,
                known_groups,
            } => {
                let known = if known_groups.is_empty() {
                    "none".to_owned()
                } else {
                    known_groups.join(", ")
                };
                write!(
                    f,
                    "unknown region group `{value}` (known: {known}); a region must be listed in `regionGroups` or `clusters`"
                )
            }
            Self::GroupIsRegion { name } => write!(
                f,
                "`regionGroups`: `{name}` is both a group and a region; give the group another name"
            ),
            Self::EmptyList { field } => {
                write!(f, "`{field}` is empty (omit it to leave it unconstrained)")
            }
            Self::DuplicateRule { name } => write!(f, "duplicate rule name `{name}`"),
            Self::BadPattern {
                field,
                value,
                expected,
            } => write!(f, "`{field}`: bad pattern `{value}` (expected {expected})"),
            Self::BadCountry { value } => write!(
                f,
                "bad country code `{value}` (expected ISO 3166-1 alpha-2, two letters such as `DE`)"
            ),
            Self::BadLimit { value, max } => {
                write!(f, "`metrics.maxClusters` is {value}, the most allowed is {max}")
            }
            Self::InRule { rule, error } => write!(f, "rule `{rule}`: {error}"),
            Self::In { at, error } => write!(f, "{at}: {error}"),
        }
    }
}

impl std::error::Error for ConfigError {}
