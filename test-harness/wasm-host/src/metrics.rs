//! Metrics the plugin defined, with Envoy's semantics, and lookup by the
//! Prometheus name and labels a dashboard would show.
//!
//! Envoy keeps the metric type in the two low bits of an id and hands out ids in
//! steps of four, so the first counter is 4, the first gauge 5 and the first
//! histogram 6; defining a name twice yields a new id for the same metric. A
//! counter only goes up: an increment by zero or less is `BadArgument`.
//!
//! Names are kept as the plugin defined them: reading labels out of a name (Istio's
//! embedded tags, say) is the caller's business, as it is Envoy's `stats_tags`'.

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

    /// How many ids have been handed out: one per `proxy_define_metric` call, since
    /// a name defined again gets a new id, as in Envoy, which keeps each for the
    /// VM's life.
    pub fn definitions(&self) -> usize {
        self.ids.len()
    }

    /// Every metric, in the order first defined.
    pub fn all(&self) -> &[Metric] {
        &self.metrics
    }

    /// The counter defined under exactly this name (embedded tags included).
    pub fn counter(&self, name: &str) -> Option<u64> {
        self.metrics.iter().find_map(|metric| match metric.value {
            MetricValue::Counter(value) if metric.name == name => Some(value),
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
