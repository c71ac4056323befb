//! Prometheus's HTTP API as the tests ask it: instant queries (`/api/v1/query`, now
//! or at a given time; a range selector's result is every sample in the range), the active alerts (`/api/v1/alerts`) and every rule's health
//! (`/api/v1/rules`), over the rig's own HTTP client ([`crate::client`]), each answer
//! parsed with serde_json into the few fields a test reads.

use std::collections::BTreeMap;
use std::net::SocketAddr;

use percent_encoding::{NON_ALPHANUMERIC, utf8_percent_encode};
use serde::Deserialize;
use serde::de::DeserializeOwned;

use crate::client::Request;
use crate::error::{HarnessError, Result};

/// One series of an instant query's result.
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    /// Its labels, `__name__` included when the result keeps it.
    pub labels: BTreeMap<String, String>,
    /// The evaluation time, or a range's sample's own time, in seconds since the
    /// epoch (millisecond precision).
    pub timestamp: f64,
    /// Its value.
    pub value: f64,
}

impl Series {
    /// The value of label `name`.
    pub fn label(&self, name: &str) -> Option<&str> {
        self.labels.get(name).map(String::as_str)
    }
}

/// An alert that is pending or firing.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct ActiveAlert {
    /// Its labels: `alertname`, the rule's labels and the expression's.
    pub labels: BTreeMap<String, String>,
    /// Its rendered annotations.
    #[serde(default)]
    pub annotations: BTreeMap<String, String>,
    /// `pending` (inside the rule's `for`) or `firing`.
    pub state: String,
    /// The expression's value, as text (`"2.5e+00"`).
    pub value: String,
}

impl ActiveAlert {
    /// Its name.
    pub fn name(&self) -> &str {
        self.labels.get("alertname").map_or("", String::as_str)
    }

    /// `alerts` as one line for a test's output: each one's name, labels and state.
    pub fn summary(alerts: &[Self]) -> String {
        alerts
            .iter()
            .map(|alert| format!("{} {:?} {}", alert.name(), alert.labels, alert.state))
            .collect::<Vec<_>>()
            .join("; ")
    }
}

/// How one rule of the rule file is doing.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RuleHealth {
    /// The series it records or the alert it raises.
    pub name: String,
    /// `ok`, `err` or `unknown` (not evaluated yet).
    pub health: String,
    /// The error of its last evaluation, if it failed.
    #[serde(default)]
    pub last_error: String,
    /// `recording` or `alerting`.
    #[serde(rename = "type")]
    pub kind: String,
    /// An alerting rule's state: `inactive`, `pending` or `firing`.
    pub state: Option<String>,
}

/// A client of one Prometheus.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PrometheusApi {
    addr: SocketAddr,
}

impl PrometheusApi {
    /// The API of the Prometheus listening on `addr`.
    pub fn new(addr: SocketAddr) -> Self {
        Self { addr }
    }

    /// `expr` evaluated now.
    pub fn query(&self, expr: &str) -> Result<Vec<Series>> {
        self.instant(&[("query", expr)])
    }

    /// `expr` evaluated at `time` (seconds since the epoch), as a rule evaluated
    /// then saw the data. A range selector (`name{…}[5s]`) gives one [`Series`]
    /// per sample in the range, each with its own timestamp.
    pub fn query_at(&self, expr: &str, time: f64) -> Result<Vec<Series>> {
        self.instant(&[("query", expr), ("time", &format!("{time:.3}"))])
    }

    /// Every pending or firing alert.
    pub fn alerts(&self) -> Result<Vec<ActiveAlert>> {
        #[derive(Deserialize)]
        struct Alerts {
            alerts: Vec<ActiveAlert>,
        }
        Ok(self.get::<Alerts>("/api/v1/alerts")?.alerts)
    }

    /// Every rule of every group, in order.
    pub fn rules(&self) -> Result<Vec<RuleHealth>> {
        #[derive(Deserialize)]
        struct Groups {
            groups: Vec<Group>,
        }
        #[derive(Deserialize)]
        struct Group {
            rules: Vec<RuleHealth>,
        }
        let groups = self.get::<Groups>("/api/v1/rules")?.groups;
        Ok(groups.into_iter().flat_map(|group| group.rules).collect())
    }

    fn instant(&self, params: &[(&str, &str)]) -> Result<Vec<Series>> {
        let query: Vec<String> = params
            .iter()
            .map(|(name, value)| format!("{name}={}", utf8_percent_encode(value, NON_ALPHANUMERIC)))
            .collect();
        let target = format!("/api/v1/query?{}", query.join("&"));
        let result: QueryResult = self.get(&target)?;
        result
            .series()
            .map_err(|reason| self.failure(&target, reason))
    }

    /// GETs `target` and returns the `data` of a `success` answer.
    fn get<T: DeserializeOwned>(&self, target: &str) -> Result<T> {
        #[derive(Deserialize)]
        struct Answer<T> {
            status: String,
            data: Option<T>,
            error: Option<String>,
        }
        let response = Request::get(target).send(self.addr)?;
        let answer: Answer<T> = serde_json::from_slice(&response.body).map_err(|e| {
            let reason = format!("{} answered {e}: {}", response.status, response.text());
            self.failure(target, reason)
        })?;
        match answer {
            Answer {
                status,
                data: Some(data),
                ..
            } if status == "success" => Ok(data),
            Answer { status, error, .. } => {
                let reason = format!("{status}: {}", error.unwrap_or_default());
                Err(self.failure(target, reason))
            }
        }
    }

    fn failure(&self, target: &str, reason: String) -> HarnessError {
        HarnessError::Http {
            context: format!("GET http://{}{target}", self.addr),
            reason,
        }
    }
}

/// The `data` of an instant query.
#[derive(Deserialize)]
#[serde(tag = "resultType", content = "result", rename_all = "camelCase")]
enum QueryResult {
    Vector(Vec<VectorSample>),
    Scalar((f64, String)),
    Matrix(Vec<MatrixSeries>),
}

#[derive(Deserialize)]
struct MatrixSeries {
    metric: BTreeMap<String, String>,
    values: Vec<(f64, String)>,
}

#[derive(Deserialize)]
struct VectorSample {
    metric: BTreeMap<String, String>,
    value: (f64, String),
}

impl QueryResult {
    fn series(self) -> std::result::Result<Vec<Series>, String> {
        let samples = match self {
            Self::Vector(samples) => samples,
            Self::Scalar(value) => vec![VectorSample {
                metric: BTreeMap::new(),
                value,
            }],
            Self::Matrix(series) => series
                .into_iter()
                .flat_map(|series| {
                    let metric = series.metric;
                    series.values.into_iter().map(move |value| VectorSample {
                        metric: metric.clone(),
                        value,
                    })
                })
                .collect(),
        };
        samples
            .into_iter()
            .map(|sample| {
                let (timestamp, text) = sample.value;
                let value = text
                    .parse()
                    .map_err(|e| format!("the value `{text}` is not a number: {e}"))?;
                Ok(Series {
                    labels: sample.metric,
                    timestamp,
                    value,
                })
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_a_vector_and_a_scalar_result() {
        let vector: QueryResult = serde_json::from_str(
            r#"{"resultType":"vector","result":[
                {"metric":{"__name__":"up","proxy":"eu-west"},"value":[1700000000.125,"1"]}]}"#,
        )
        .unwrap();
        let series = vector.series().unwrap();
        assert_eq!(series.len(), 1);
        assert_eq!(series[0].label("proxy"), Some("eu-west"));
        assert_eq!(
            (series[0].timestamp, series[0].value),
            (1_700_000_000.125, 1.0)
        );

        let scalar: QueryResult =
            serde_json::from_str(r#"{"resultType":"scalar","result":[1700000000,"NaN"]}"#).unwrap();
        let series = scalar.series().unwrap();
        assert!(series[0].labels.is_empty() && series[0].value.is_nan());

        let matrix: QueryResult = serde_json::from_str(
            r#"{"resultType":"matrix","result":[
                {"metric":{"proxy":"eu-west"},"values":[[1700000000,"1"],[1700000001,"2"]]}]}"#,
        )
        .unwrap();
        let samples = matrix.series().unwrap();
        let values: Vec<(f64, f64)> = samples.iter().map(|s| (s.timestamp, s.value)).collect();
        assert_eq!(values, [(1_700_000_000.0, 1.0), (1_700_000_001.0, 2.0)]);
        assert_eq!(samples[1].label("proxy"), Some("eu-west"));
    }
}
