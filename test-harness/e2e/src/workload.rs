//! The performance workload, written once for `make bench` and the fuel tests: a
//! plugin config of `n` residency rules over `h` hosts with a country routing table,
//! and the three requests every measurement sends, one per kind of work the filter
//! does (tag only, deny, route).
//!
//! The filter runs as an outbound sidecar of `us-east` (us-east-1). Rule `i` covers
//! paths `/r<i>/*` on host `svc-<i mod h>.example` (and `svc-<i mod h>.example.*`),
//! and lets callers from `eu` (even `i`) or `us` (odd `i`) through; from us-east an
//! even rule denies. The requests all go to the host of the last even rule, so
//! the filter looks at every rule of that host before it decides.

use serde_json::{Map, Value, json};

/// The local cluster the workload runs in.
pub const CLUSTER: &str = "us-east";
/// The local region.
pub const REGION: &str = "us-east-1";
/// The header the routed request carries.
pub const COUNTRY_HEADER: &str = "cf-ipcountry";
/// The country the routed request names.
pub const ROUTED_COUNTRY: &str = "DE";
/// The path of the tag-only and routed requests: covered by no rule.
pub const UNCOVERED_PATH: &str = "/health";

/// 50 ISO 3166-1 codes and the region each is routed to.
pub const COUNTRIES: [(&str, &str); 50] = [
    ("AT", "eu-central-1"),
    ("BE", "eu-west-1"),
    ("BG", "eu-central-1"),
    ("CH", "eu-central-1"),
    ("CY", "eu-central-1"),
    ("CZ", "eu-central-1"),
    ("DE", "eu-west-1"),
    ("DK", "eu-west-1"),
    ("EE", "eu-central-1"),
    ("ES", "eu-west-1"),
    ("FI", "eu-central-1"),
    ("FR", "eu-west-1"),
    ("GB", "eu-west-1"),
    ("GR", "eu-central-1"),
    ("HR", "eu-central-1"),
    ("HU", "eu-central-1"),
    ("IE", "eu-west-1"),
    ("IS", "eu-west-1"),
    ("IT", "eu-central-1"),
    ("LT", "eu-central-1"),
    ("LU", "eu-west-1"),
    ("LV", "eu-central-1"),
    ("MT", "eu-central-1"),
    ("NL", "eu-west-1"),
    ("NO", "eu-west-1"),
    ("PL", "eu-central-1"),
    ("PT", "eu-west-1"),
    ("RO", "eu-central-1"),
    ("SE", "eu-west-1"),
    ("SI", "eu-central-1"),
    ("SK", "eu-central-1"),
    ("US", "us-east-1"),
    ("CA", "us-east-1"),
    ("MX", "us-west-2"),
    ("BR", "us-east-1"),
    ("AR", "us-east-1"),
    ("CL", "us-west-2"),
    ("CO", "us-east-1"),
    ("PE", "us-west-2"),
    ("JP", "ap-northeast-1"),
    ("KR", "ap-northeast-1"),
    ("CN", "ap-northeast-1"),
    ("TW", "ap-northeast-1"),
    ("IN", "ap-south-1"),
    ("SG", "ap-south-1"),
    ("ID", "ap-south-1"),
    ("TH", "ap-south-1"),
    ("VN", "ap-south-1"),
    ("AU", "ap-south-1"),
    ("NZ", "ap-south-1"),
];

/// The clusters of the mesh, and the region of each (the config's `clusters`).
pub const CLUSTERS: [(&str, &str); 6] = [
    ("us-east", "us-east-1"),
    ("us-west", "us-west-2"),
    ("eu-west", "eu-west-1"),
    ("eu-central", "eu-central-1"),
    ("ap-south", "ap-south-1"),
    ("ap-northeast", "ap-northeast-1"),
];

/// The region of `cluster` in [`CLUSTERS`].
pub fn cluster_region(cluster: &str) -> Option<&'static str> {
    CLUSTERS
        .iter()
        .find(|(name, _)| *name == cluster)
        .map(|(_, region)| *region)
}

/// What a request makes the filter do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum RequestKind {
    /// Tagged, checked against the rules of its host, covered by none, not routed.
    TagOnly,
    /// Denied by a residency rule: a local 403 reply and a log line.
    Denied,
    /// Tagged, covered by no rule, routed by its country header.
    Routed,
}

impl RequestKind {
    /// Every kind, in report order.
    pub const ALL: [Self; 3] = [Self::TagOnly, Self::Denied, Self::Routed];

    /// A short name for tables and JSON.
    pub fn name(self) -> &'static str {
        match self {
            Self::TagOnly => "tag-only",
            Self::Denied => "denied",
            Self::Routed => "routed",
        }
    }
}

/// One request: its host, path and extra headers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkloadRequest {
    /// The `:authority`.
    pub authority: String,
    /// The `:path`.
    pub path: String,
    /// Headers besides the pseudo-headers.
    pub headers: Vec<(String, String)>,
}

/// A workload of `rules` rules over `hosts` hosts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Workload {
    /// How many residency rules.
    pub rules: usize,
    /// How many hosts they cover.
    pub hosts: usize,
}

impl Workload {
    /// The realistic config `make bench` runs in Envoy: 50 rules over 20 hosts.
    pub const BENCH: Self = Self {
        rules: 50,
        hosts: 20,
    };

    /// `n` rules over `n` hosts, as the fuel figures scale.
    pub fn scaled(n: usize) -> Self {
        Self { rules: n, hosts: n }
    }

    /// The rule the denied request hits: the last one that allows only `eu`.
    pub fn denying_rule(&self) -> usize {
        let last = self.rules.saturating_sub(1);
        if last.is_multiple_of(2) {
            last
        } else {
            last.saturating_sub(1)
        }
    }

    /// The host every request goes to: the denying rule's.
    pub fn host(&self) -> String {
        host_name(self.denying_rule() % self.hosts.max(1))
    }

    /// The path prefix the denying rule covers, without its trailing `/*`.
    pub fn denied_prefix(&self) -> String {
        format!("/r{}", self.denying_rule())
    }

    /// The name of rule `i`.
    pub fn rule_name(i: usize) -> String {
        format!("rule-{i}")
    }

    /// The request of `kind`.
    pub fn request(&self, kind: RequestKind) -> WorkloadRequest {
        let path = match kind {
            RequestKind::Denied => format!("{}/items/42", self.denied_prefix()),
            RequestKind::TagOnly | RequestKind::Routed => UNCOVERED_PATH.to_owned(),
        };
        let headers = match kind {
            RequestKind::Routed => vec![(COUNTRY_HEADER.to_owned(), ROUTED_COUNTRY.to_owned())],
            RequestKind::TagOnly | RequestKind::Denied => Vec::new(),
        };
        WorkloadRequest {
            authority: self.host(),
            path,
            headers,
        }
    }

    /// The floor filter's plugin config (`bench/floor-filter`) on an outbound
    /// listener: the local identity and the path prefix the denying rule covers.
    pub fn floor_outbound_config(&self) -> String {
        format!("outbound {CLUSTER} {REGION} {}/", self.denied_prefix())
    }

    /// The floor filter's plugin config on an inbound listener.
    pub fn floor_inbound_config(&self) -> String {
        format!("inbound {CLUSTER} {REGION}")
    }

    /// The plugin config: identity, clusters, region groups, the rules, routing by
    /// `x-user-region` then by country, and the metrics bound.
    pub fn plugin_config(&self) -> Value {
        let rules: Vec<Value> = (0..self.rules)
            .map(|i| {
                let host = host_name(i % self.hosts.max(1));
                let (groups, local) = if i.is_multiple_of(2) {
                    (json!(["eu"]), Some(json!(["eu"])))
                } else {
                    (json!(["us"]), None)
                };
                let mut rule = json!({
                    "name": Self::rule_name(i),
                    "match": { "hosts": [host.clone(), format!("{host}.*")], "paths": [format!("/r{i}/*")] },
                    "allowSourceRegions": groups,
                    "unknownSource": "deny",
                });
                if let (Some(local), Some(object)) = (local, rule.as_object_mut()) {
                    object.insert("allowLocalRegions".to_owned(), local);
                }
                rule
            })
            .collect();
        let clusters: Map<String, Value> = CLUSTERS
            .iter()
            .map(|(cluster, region)| ((*cluster).to_owned(), json!({ "region": region })))
            .collect();
        let countries: Map<String, Value> = COUNTRIES
            .iter()
            .map(|(code, region)| ((*code).to_owned(), json!(region)))
            .collect();
        json!({
            "cluster": CLUSTER,
            "region": REGION,
            "clusters": clusters,
            "regionGroups": {
                "eu": ["eu-west-1", "eu-central-1"],
                "us": ["us-east-1", "us-west-2"],
                "ap": ["ap-south-1", "ap-northeast-1"]
            },
            "direction": "auto",
            "trustedPeers": ["spiffe://cluster.local/ns/*/sa/*"],
            "residency": { "mode": "enforce", "rules": rules },
            "routing": {
                "sources": [
                    { "header": "x-user-region" },
                    { "header": COUNTRY_HEADER, "countries": countries }
                ],
                "residencyGuard": true
            },
            "metrics": { "maxClusters": 64 }
        })
    }
}

fn host_name(h: usize) -> String {
    format!("svc-{h}.example")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bench_workload_denies_with_the_last_eu_rule_of_its_host() {
        let workload = Workload::BENCH;
        assert_eq!(workload.denying_rule(), 48);
        assert_eq!(workload.host(), "svc-8.example");
        let denied = workload.request(RequestKind::Denied);
        assert_eq!(denied.path, "/r48/items/42");
        let rules = workload.plugin_config()["residency"]["rules"]
            .as_array()
            .map_or(0, Vec::len);
        assert_eq!(rules, 50);
    }

    #[test]
    fn an_odd_rule_count_still_denies_with_an_eu_rule() {
        assert_eq!(Workload::scaled(10).denying_rule(), 8);
        assert_eq!(Workload::scaled(1).denying_rule(), 0);
    }

    #[test]
    fn the_country_table_has_fifty_distinct_codes() {
        let mut codes: Vec<&str> = COUNTRIES.iter().map(|(code, _)| *code).collect();
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(codes.len(), 50);
    }
}
