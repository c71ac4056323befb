//! What `meshborder simulate` says about Envoy, beside the filter's answer: the
//! host hands the filter the request as given, but Envoy's HTTP/1.1 codec refuses
//! some requests before any filter runs, lowercases every header name, and adds
//! headers of its own before and after the filter, which the byte counters count.
//! All are checked against Envoy 1.36 and 1.40 by the differential suite (see the
//! proxy-wasm host's README, "Checked against Envoy").

use proxy_wasm_host::admission;

use super::request::Headers;

/// The notes for a request whose headers, as the filter gets them, are `headers`
/// (pseudo-headers first), given on the command line as `given` (`--header`);
/// `bytes_counted` when a byte counter moved.
pub fn notes(headers: &Headers, given: &[String], bytes_counted: bool) -> Vec<String> {
    let mut notes = Vec::new();
    let value = |name: &str| {
        headers
            .iter()
            .find(|(k, _)| k == name)
            .map_or("", |(_, v)| v.as_str())
    };
    let lines: Vec<(&str, &[u8])> = std::iter::once(("host", value(":authority").as_bytes()))
        .chain(
            headers
                .iter()
                .filter(|(k, _)| !k.starts_with(':'))
                .map(|(k, v)| (k.as_str(), v.as_bytes())),
        )
        .collect();
    let method = value(":method").as_bytes();
    let path = value(":path").as_bytes();
    if let Some(refusal) = admission::codec_refusal(method, path, &lines) {
        notes.push(format!(
            "Envoy's HTTP/1.1 codec refuses this request with {} ({}) before any filter \
             runs: the filter never sees it",
            refusal.status, refusal.reason
        ));
    }
    let renamed: Vec<String> = given
        .iter()
        .filter_map(|raw| {
            let name = raw.split(['=', ':']).next().unwrap_or_default().trim();
            (name.bytes().any(|b| b.is_ascii_uppercase()))
                .then(|| format!("{name} as {}", name.to_ascii_lowercase()))
        })
        .collect();
    if !renamed.is_empty() {
        notes.push(format!(
            "Envoy lowercases header names before the filter sees them: {}",
            renamed.join(", ")
        ));
    }
    if bytes_counted {
        notes.push(
            "the byte counts are of the request as given and a reply of only its status; \
             Envoy counts more: the x-forwarded-proto and x-request-id it adds, the \
             router's x-envoy-expected-rq-timeout-ms, and the reply's headers and body"
                .to_owned(),
        );
    }
    notes
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&str, &str)]) -> Headers {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    const GET: [(&str, &str); 4] = [
        (":method", "GET"),
        (":scheme", "http"),
        (":authority", "eu-user-data"),
        (":path", "/users/1"),
    ];

    #[test]
    fn a_plain_request_gets_no_note() {
        assert!(notes(&headers(&GET), &["x-user-region=eu".to_owned()], false).is_empty());
    }

    #[test]
    fn a_request_over_60_kib_is_refused_before_the_filter() {
        let big = "a".repeat(70_000);
        let mut all = headers(&GET);
        all.push(("x-big".to_owned(), big));
        let notes = notes(&all, &[], false);
        assert_eq!(notes.len(), 1, "{notes:?}");
        assert!(notes[0].contains("431"), "{notes:?}");
    }

    #[test]
    fn counted_bytes_are_said_to_be_fewer_than_envoys() {
        let notes = notes(&headers(&GET), &[], true);
        assert_eq!(notes.len(), 1);
        assert!(notes[0].contains("Envoy counts more"), "{notes:?}");
    }

    #[test]
    fn mixed_case_names_are_said_to_be_lowercased() {
        let notes = notes(&headers(&GET), &["X-User-Region: eu".to_owned()], false);
        assert_eq!(
            notes,
            [
                "Envoy lowercases header names before the filter sees them: X-User-Region as x-user-region"
            ]
        );
    }
}
