//! Metrics the plugin defined, with Envoy's semantics, and lookup by the
//! Prometheus name and labels a dashboard would show.
//!
//! Envoy keeps the metric type in the two low bits of an id and hands out ids in
//! steps of four, so the first counter is 4, the first gauge 5 and the first
//! histogram 6; defining a name twice yields a new id for the same metric. A
//! counter only goes up: an increment by zero or less is `BadArgument`.
//!
//! Labels travel in Istio's embedded-tag form, `base_label=.=value;.;...`, which
//! Envoy's `stats_tags` turn into Prometheus labels. [`MetricStore::counter`] does
//! the same, guided by the name asked for, so `meshborder_residency_decisions_total`
//! with `rule` and `decision` finds `meshborder.residency_decisions_total_rule=.=...`.

use std::collections::BTreeMap;

use super::abi::{MetricType, Status};

/// The value of one metric.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MetricValue {
    /// A counter's total.
    Counter(u64),
    /// A gauge's current value.
    Gauge(i64),
    /// Every value recorded into a histogram.
    Histogram(Vec<u64>),
}

/// One metric, under the name the plugin defined.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Metric {
    /// The name as defined, embedded tags included.
    pub name: String,
    /// The value.
    pub value: MetricValue,
}

impl Metric {
    /// The Prometheus-style name and labels, given the label names Envoy's
    /// `stats_tags` know (the first label's name is otherwise ambiguous: a name such
    /// as `x_total_source_cluster=.=` could be label `cluster` or `source_cluster`;
    /// without a known name, the shortest is taken).
    pub fn prometheus(&self, known_labels: &[&str]) -> (String, Vec<(String, String)>) {
        split_embedded(&self.name, known_labels)
    }
}

/// The metrics of one VM.
#[derive(Debug, Clone, Default)]
pub struct MetricStore {
    metrics: Vec<Metric>,
    ids: BTreeMap<u32, usize>,
    next_id: [u32; 3],
}

impl MetricStore {
    /// Defines a metric, returning its new id.
    pub fn define(&mut self, kind: MetricType, name: &str) -> u32 {
        let slot = match self
            .metrics
            .iter()
            .position(|m| m.name == name && kind_of(&m.value) == kind)
        {
            Some(slot) => slot,
            None => {
                self.metrics.push(Metric {
                    name: name.to_owned(),
                    value: match kind {
                        MetricType::Counter => MetricValue::Counter(0),
                        MetricType::Gauge => MetricValue::Gauge(0),
                        MetricType::Histogram => MetricValue::Histogram(Vec::new()),
                    },
                });
                self.metrics.len().saturating_sub(1)
            }
        };
        let counter = match kind {
            MetricType::Counter => &mut self.next_id[0],
            MetricType::Gauge => &mut self.next_id[1],
            MetricType::Histogram => &mut self.next_id[2],
        };
        *counter = counter.saturating_add(1);
        let id = counter.saturating_mul(4) | kind.code();
        self.ids.insert(id, slot);
        id
    }

    /// `proxy_increment_metric`.
    pub fn increment(&mut self, id: u32, offset: i64) -> Status {
        let Some(metric) = self.by_id(id) else {
            return missing_or_bad_kind(id);
        };
        match &mut metric.value {
            MetricValue::Counter(value) if offset > 0 => {
                *value = value.saturating_add(offset.unsigned_abs());
                Status::Ok
            }
            MetricValue::Gauge(value) => {
                *value = value.saturating_add(offset);
                Status::Ok
            }
            MetricValue::Counter(_) | MetricValue::Histogram(_) => Status::BadArgument,
        }
    }

    /// `proxy_record_metric`.
    pub fn record(&mut self, id: u32, value: u64) -> Status {
        let Some(metric) = self.by_id(id) else {
            return Status::NotFound;
        };
        match &mut metric.value {
            MetricValue::Counter(total) => *total = total.saturating_add(value),
            MetricValue::Gauge(current) => *current = i64::try_from(value).unwrap_or(i64::MAX),
            MetricValue::Histogram(samples) => samples.push(value),
        }
        Status::Ok
    }

    /// `proxy_get_metric`.
    pub fn get(&self, id: u32) -> Result<u64, Status> {
        let Some(metric) = self.ids.get(&id).and_then(|slot| self.metrics.get(*slot)) else {
            return Err(missing_or_bad_kind(id));
        };
        match &metric.value {
            MetricValue::Counter(value) => Ok(*value),
            MetricValue::Gauge(value) => Ok(u64::try_from(*value).unwrap_or(0)),
            MetricValue::Histogram(_) => Err(Status::BadArgument),
        }
    }

    /// Every metric, in the order first defined.
    pub fn all(&self) -> &[Metric] {
        &self.metrics
    }

    /// The counter with this Prometheus name (`.` read as `_`) and exactly these
    /// labels, in any order; `None` when the plugin never defined it.
    pub fn counter(&self, name: &str, labels: &[(&str, &str)]) -> Option<u64> {
        self.metrics.iter().find_map(|metric| match metric.value {
            MetricValue::Counter(value) if matches_query(&metric.name, name, labels) => Some(value),
            _ => None,
        })
    }

    fn by_id(&mut self, id: u32) -> Option<&mut Metric> {
        let slot = *self.ids.get(&id)?;
        self.metrics.get_mut(slot)
    }
}

fn kind_of(value: &MetricValue) -> MetricType {
    match value {
        MetricValue::Counter(_) => MetricType::Counter,
        MetricValue::Gauge(_) => MetricType::Gauge,
        MetricValue::Histogram(_) => MetricType::Histogram,
    }
}

/// Envoy answers `NotFound` for an unknown counter or gauge id, `BadArgument` for
/// an id whose type bits name a histogram or nothing.
fn missing_or_bad_kind(id: u32) -> Status {
    match id & 3 {
        0 | 1 => Status::NotFound,
        _ => Status::BadArgument,
    }
}

/// `a.b_c` and `a_b_c` are the same Prometheus name; the embedded tags (from the
/// first `=.=` on) keep their separators and values as they are.
fn prometheus_name(name: &str) -> String {
    match name.find(TAG_VALUE) {
        Some(at) => {
            let (head, tags) = name.split_at(at);
            format!("{}{tags}", head.replace('.', "_"))
        }
        None => name.replace('.', "_"),
    }
}

/// Between a label and its value.
const TAG_VALUE: &str = "=.=";
/// After a value.
const TAG_END: &str = ";.;";

fn matches_query(defined: &str, query: &str, labels: &[(&str, &str)]) -> bool {
    let defined = prometheus_name(defined);
    let query = prometheus_name(query);
    if labels.is_empty() {
        return defined == query;
    }
    let Some(tags) = defined
        .strip_prefix(query.as_str())
        .and_then(|rest| rest.strip_prefix('_'))
    else {
        return false;
    };
    let Some(mut found) = parse_tags(tags) else {
        return false;
    };
    let mut wanted: Vec<(String, String)> = labels
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    found.sort();
    wanted.sort();
    found == wanted
}

/// Parses `l1=.=v1;.;l2=.=v2;.;` (the trailing `;.;` optional).
fn parse_tags(text: &str) -> Option<Vec<(String, String)>> {
    let mut tags = Vec::new();
    for part in text.split(TAG_END).filter(|p| !p.is_empty()) {
        let (label, value) = part.split_once(TAG_VALUE)?;
        tags.push((label.to_owned(), value.to_owned()));
    }
    Some(tags)
}

fn split_embedded(name: &str, known_labels: &[&str]) -> (String, Vec<(String, String)>) {
    let normalized = prometheus_name(name);
    let Some((head, _)) = normalized.split_once(TAG_VALUE) else {
        return (normalized, Vec::new());
    };
    let known = known_labels
        .iter()
        .filter(|label| head.ends_with(&format!("_{label}")))
        .max_by_key(|label| label.len())
        .map(|label| head.len().saturating_sub(label.len() + 1));
    let cut = known.or_else(|| head.rfind('_'));
    let Some(cut) = cut else {
        return (normalized, Vec::new());
    };
    let base = normalized.get(..cut).unwrap_or_default().to_owned();
    let tags = normalized
        .get(cut.saturating_add(1)..)
        .and_then(parse_tags)
        .unwrap_or_default();
    (base, tags)
}
