//! Reading Envoy's `/stats/prometheus` text: the samples of one metric, each with
//! its labels and value, so a test can pin a counter by its exact label set.

/// One sample line: `name{label="value",...} value`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sample {
    /// Its labels, in the order printed.
    pub labels: Vec<(String, String)>,
    /// Its value (counters are whole numbers).
    pub value: u64,
}

impl Sample {
    /// The value of label `name`.
    pub fn label(&self, name: &str) -> Option<&str> {
        self.labels
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.as_str())
    }

    /// Whether the labels are exactly `expected`, in any order.
    pub fn has_labels(&self, expected: &[(&str, &str)]) -> bool {
        self.labels.len() == expected.len()
            && expected
                .iter()
                .all(|(name, value)| self.label(name) == Some(value))
    }
}

/// Every sample of metric `name` in `text`.
pub fn samples(text: &str, name: &str) -> Vec<Sample> {
    text.lines()
        .filter_map(|line| {
            let rest = line.strip_prefix(name)?;
            let (labels, value) = match rest.strip_prefix('{') {
                Some(labelled) => labelled.split_once("} ")?,
                None => ("", rest.strip_prefix(' ')?),
            };
            Some(Sample {
                labels: parse_labels(labels)?,
                value: value.trim().parse().ok()?,
            })
        })
        .collect()
}

/// The value of the sample of `name` whose labels are exactly `labels`.
pub fn value(text: &str, name: &str, labels: &[(&str, &str)]) -> Option<u64> {
    samples(text, name)
        .into_iter()
        .find(|sample| sample.has_labels(labels))
        .map(|sample| sample.value)
}

/// `a="1",b="2"` as pairs; `None` when malformed. Values here never hold quotes.
fn parse_labels(text: &str) -> Option<Vec<(String, String)>> {
    if text.is_empty() {
        return Some(Vec::new());
    }
    text.split("\",")
        .map(|pair| {
            let (name, value) = pair.split_once("=\"")?;
            Some((name.to_owned(), value.trim_end_matches('"').to_owned()))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use meshborder_filter::contract::{label, metric};

    const REQUESTS: &str = metric::XCLUSTER_REQUESTS.prometheus;
    const UNKNOWN_SOURCE: &str = metric::UNKNOWN_SOURCE.prometheus;

    /// An exposition as Envoy writes it: the sample text spells the names out.
    const TEXT: &str = "# TYPE meshborder_unknown_source_total counter\n\
        meshborder_unknown_source_total{} 3\n\
        meshborder_xcluster_requests_total{source_cluster=\"us-east\",destination_cluster=\"eu-west\"} 7\n\
        meshborder_xcluster_requests_total_other 1\n";

    #[test]
    fn finds_a_sample_by_its_exact_labels() {
        let labels = [
            (label::DESTINATION_CLUSTER, "eu-west"),
            (label::SOURCE_CLUSTER, "us-east"),
        ];
        assert_eq!(value(TEXT, REQUESTS, &labels), Some(7));
        assert_eq!(
            value(TEXT, REQUESTS, &[(label::SOURCE_CLUSTER, "us-east")]),
            None
        );
    }

    #[test]
    fn reads_a_sample_without_labels() {
        assert_eq!(value(TEXT, UNKNOWN_SOURCE, &[]), Some(3));
    }

    #[test]
    fn does_not_take_a_longer_name_for_the_metric() {
        assert_eq!(samples(TEXT, REQUESTS).len(), 1);
    }
}
