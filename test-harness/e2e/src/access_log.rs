//! Reading the access log the shipped configs write (`include/access-log.yaml`):
//! one `access key=value ...` line per request.

use std::collections::BTreeMap;

/// One access log line, by field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessEntry(BTreeMap<String, String>);

impl AccessEntry {
    /// The value of `field` as logged (`-` when Envoy had none).
    pub fn get(&self, field: &str) -> Option<&str> {
        self.0.get(field).map(String::as_str)
    }

    /// The value of `field` as a number.
    pub fn number(&self, field: &str) -> Option<u64> {
        self.get(field)?.parse().ok()
    }

    /// `request_headers_bytes + request_body_bytes`: what the filter's
    /// `request.total_size` should be.
    pub fn request_bytes(&self) -> Option<u64> {
        Some(self.number("request_headers_bytes")? + self.number("request_body_bytes")?)
    }

    /// `response_headers_bytes + response_body_bytes`: what the filter's
    /// `response.total_size` should be.
    pub fn response_bytes(&self) -> Option<u64> {
        Some(self.number("response_headers_bytes")? + self.number("response_body_bytes")?)
    }
}

/// Every complete access log line in `text`. A last line without its newline is
/// one Envoy is still writing (a long line reaches the file in pieces), and is
/// left for the next read.
pub fn entries(text: &str) -> Vec<AccessEntry> {
    text.split_inclusive('\n')
        .filter_map(|line| line.strip_suffix('\n'))
        .map(|line| line.strip_suffix('\r').unwrap_or(line))
        .filter_map(|line| line.strip_prefix("access "))
        .map(|fields| {
            AccessEntry(
                fields
                    .split(' ')
                    .filter_map(|field| field.split_once('='))
                    .map(|(key, value)| (key.to_owned(), value.to_owned()))
                    .collect(),
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_line_still_being_written_is_not_an_entry_yet() {
        let text = "access status=200 response_body_bytes=10\naccess status=200 response_bo";
        let all = entries(text);
        assert_eq!(all.len(), 1);
        assert_eq!(
            all.first().and_then(|e| e.number("response_body_bytes")),
            Some(10)
        );
    }

    #[test]
    fn reads_the_fields_and_byte_sums_of_a_line() {
        let text = "noise\naccess method=GET path=/users/1 status=403 source_cluster=us-east \
                    request_headers_bytes=200 request_body_bytes=5 response_headers_bytes=90 \
                    response_body_bytes=150\n";
        let all = entries(text);
        assert_eq!(all.len(), 1);
        let entry = all.first().unwrap();
        assert_eq!(entry.get("source_cluster"), Some("us-east"));
        assert_eq!(entry.number("status"), Some(403));
        assert_eq!(entry.request_bytes(), Some(205));
        assert_eq!(entry.response_bytes(), Some(240));
    }
}
