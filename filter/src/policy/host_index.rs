//! Rules indexed by host, so finding the rules for a request costs a few hash lookups
//! per label of its host, however many rules there are.
//!
//! Each rule id sits in the list of every host pattern it names (or in `any_host`).
//! Lists are in rule order, so the first match of a list is its earliest rule, and
//! the first matching rule overall is the smallest of those.

use super::fast_hash::FastMap;
use super::matchers::HostPattern;

/// Rule ids by exact host, by `*.suffix` and by `prefix.*`.
#[derive(Debug, Default)]
pub struct HostIndex {
    exact: FastMap<String, Vec<usize>>,
    suffix: FastMap<String, Vec<usize>>,
    prefix: FastMap<String, Vec<usize>>,
    any_host: Vec<usize>,
}

impl HostIndex {
    /// Adds rule `id` (ids must be added in increasing order) under its host patterns.
    pub fn insert(&mut self, id: usize, patterns: &[HostPattern]) {
        if patterns.is_empty() {
            self.any_host.push(id);
        }
        for pattern in patterns {
            let (map, key) = match pattern {
                HostPattern::Exact(h) => (&mut self.exact, h),
                HostPattern::Suffix(s) => (&mut self.suffix, s),
                HostPattern::Prefix(p) => (&mut self.prefix, p),
            };
            let ids = map.entry(key.clone()).or_default();
            if ids.last() != Some(&id) {
                ids.push(id);
            }
        }
    }

    /// The smallest rule id whose host pattern matches `host` (canonical: lowercase,
    /// no port) and for which `accept` holds.
    pub fn first_match(&self, host: &str, mut accept: impl FnMut(usize) -> bool) -> Option<usize> {
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
        let dots = host
            .bytes()
            .enumerate()
            .filter_map(|(i, b)| (b == b'.').then_some(i));
        for dot in dots {
            if let Some(ids) = host.get(dot + 1..).and_then(|s| self.suffix.get(s)) {
                scan(ids);
            }
            if let Some(ids) = host.get(..dot).and_then(|p| self.prefix.get(p)) {
                scan(ids);
            }
        }
        scan(&self.any_host);
        best
    }
}
