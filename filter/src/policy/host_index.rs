//! Rules indexed by host, so finding the rules for a request costs a few hash lookups,
//! however many rules there are and however long the host is.
//!
//! Wildcard patterns are looked up by the lengths the configuration uses, not by
//! every dot of the host: a client-chosen `:authority` of thousands of labels costs
//! one byte test per distinct pattern length, where trying each label would hash
//! the host once per dot, quadratic in its length.
//!
//! Each rule id sits in the list of every host pattern it names (or in `any_host`).
//! Lists are in rule order, so the first match of a list is its earliest rule, and
//! the first matching rule overall is the smallest of those.

use super::fast_hash::FastMap;
use super::matchers::HostPattern;

/// Rule ids by exact host, by `*.suffix` and by `prefix.*`.
#[derive(Debug, Default)]
pub(super) struct HostIndex {
    exact: FastMap<String, Vec<usize>>,
    suffix: FastMap<String, Vec<usize>>,
    prefix: FastMap<String, Vec<usize>>,
    /// The distinct lengths of the `suffix` keys, ascending.
    suffix_lengths: Vec<usize>,
    /// The distinct lengths of the `prefix` keys, ascending.
    prefix_lengths: Vec<usize>,
    any_host: Vec<usize>,
}

impl HostIndex {
    /// Adds rule `id` (ids must be added in increasing order) under its host patterns.
    pub(super) fn insert(&mut self, id: usize, patterns: &[HostPattern]) {
        if patterns.is_empty() {
            self.any_host.push(id);
        }
        for pattern in patterns {
            let (map, key) = match pattern {
                HostPattern::Exact(h) => (&mut self.exact, h),
                HostPattern::Suffix(s) => {
                    add_length(&mut self.suffix_lengths, s.len());
                    (&mut self.suffix, s)
                }
                HostPattern::Prefix(p) => {
                    add_length(&mut self.prefix_lengths, p.len());
                    (&mut self.prefix, p)
                }
            };
            let ids = map.entry(key.clone()).or_default();
            if ids.last() != Some(&id) {
                ids.push(id);
            }
        }
    }

    /// The smallest rule id whose host pattern matches `host` (canonical: lowercase,
    /// no port) and for which `accept` holds.
    pub(super) fn first_match(
        &self,
        host: &str,
        mut accept: impl FnMut(usize) -> bool,
    ) -> Option<usize> {
        let mut best: Option<usize> = None;
        let mut scan = |ids: &[usize]| {
            for &id in ids {
                if best.is_some_and(|b| id >= b) {
                    return;
                }
                if accept(id) {
                    best = Some(id);
                    return;
                }
            }
        };
        if let Some(ids) = self.exact.get(host) {
            scan(ids);
        }
        let bytes = host.as_bytes();
        for &len in &self.suffix_lengths {
            // `*.suffix` matches when the last `len` bytes follow a dot.
            let Some(dot) = bytes.len().checked_sub(len + 1) else {
                break;
            };
            if bytes.get(dot) == Some(&b'.')
                && let Some(ids) = host.get(dot + 1..).and_then(|s| self.suffix.get(s))
            {
                scan(ids);
            }
        }
        for &len in &self.prefix_lengths {
            // `prefix.*` matches when the first `len` bytes come before a dot.
            if len >= bytes.len() {
                break;
            }
            if bytes.get(len) == Some(&b'.')
                && let Some(ids) = host.get(..len).and_then(|p| self.prefix.get(p))
            {
                scan(ids);
            }
        }
        scan(&self.any_host);
        best
    }
}

/// Adds `len` to the ascending set `lengths`.
fn add_length(lengths: &mut Vec<usize>, len: usize) {
    if let Err(at) = lengths.binary_search(&len) {
        lengths.insert(at, len);
    }
}
