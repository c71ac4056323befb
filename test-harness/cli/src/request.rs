//! The request of `meshborder simulate`: `'METHOD URL'` and `--header` values,
//! turned into the header list Envoy would hand the filter.

/// Request headers, pseudo-headers first, names lowercased.
pub type Headers = Vec<(String, String)>;

/// Parses `'GET http://host/path?query'` plus `name=value` (or `name: value`)
/// headers. A path-only target takes its authority from a `host` header.
pub fn parse(request: &str, extra: &[String]) -> Result<Headers, String> {
    let (method, target) = request
        .trim()
        .split_once(char::is_whitespace)
        .ok_or_else(|| format!("bad --request `{request}`: expected 'METHOD URL', e.g. 'GET http://eu-user-data/users/1'"))?;
    let target = target.trim();
    let mut others = Vec::with_capacity(extra.len());
    for header in extra {
        others.push(parse_header(header)?);
    }
    let (scheme, authority, path) = split_target(target, &others)?;
    let mut headers = vec![
        (":method".to_owned(), method.to_ascii_uppercase()),
        (":scheme".to_owned(), scheme),
        (":authority".to_owned(), authority),
        (":path".to_owned(), path),
    ];
    headers.extend(others.into_iter().filter(|(name, _)| name != "host"));
    Ok(headers)
}

fn split_target(
    target: &str,
    headers: &[(String, String)],
) -> Result<(String, String, String), String> {
    for scheme in ["http", "https"] {
        if let Some(rest) = target.strip_prefix(&format!("{scheme}://")) {
            let (authority, path) = match rest.find(['/', '?']) {
                Some(at) => rest.split_at(at),
                None => (rest, "/"),
            };
            if authority.is_empty() {
                return Err(format!("bad URL `{target}`: no host"));
            }
            let path = if path.starts_with('?') {
                format!("/{path}")
            } else {
                path.to_owned()
            };
            return Ok((scheme.to_owned(), authority.to_owned(), path));
        }
    }
    if target.starts_with('/') {
        let host = headers
            .iter()
            .find(|(name, _)| name == "host")
            .map(|(_, value)| value.clone())
            .ok_or_else(|| format!("bad URL `{target}`: use an absolute URL (http://host/path) or add --header host=NAME"))?;
        return Ok(("http".to_owned(), host, target.to_owned()));
    }
    Err(format!("bad URL `{target}`: expected http://host/path"))
}

fn parse_header(raw: &str) -> Result<(String, String), String> {
    let split = match (raw.find('='), raw.find(':')) {
        (Some(eq), Some(colon)) if colon < eq && colon > 0 => raw.split_at(colon),
        (Some(eq), _) => raw.split_at(eq),
        (None, Some(colon)) if colon > 0 => raw.split_at(colon),
        _ => return Err(format!("bad --header `{raw}`: expected NAME=VALUE")),
    };
    let (name, value) = split;
    let name = name.trim().to_ascii_lowercase();
    let value = value.get(1..).unwrap_or_default().trim().to_owned();
    if name.is_empty() {
        return Err(format!("bad --header `{raw}`: empty name"));
    }
    Ok((name, value))
}

#[cfg(test)]
mod tests {
    use super::parse;

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn an_absolute_url_gives_the_pseudo_headers() {
        assert_eq!(
            parse("get https://eu-user-data:8443/users/1?x=2", &[]).unwrap(),
            pairs(&[
                (":method", "GET"),
                (":scheme", "https"),
                (":authority", "eu-user-data:8443"),
                (":path", "/users/1?x=2"),
            ])
        );
        assert_eq!(parse("GET http://shop", &[]).unwrap()[3].1, "/");
    }

    #[test]
    fn headers_take_either_separator_and_host_names_a_path_only_target() {
        let extra = [
            "X-User-Region=eu".to_owned(),
            "host: shop".to_owned(),
            "a: b=c".to_owned(),
        ];
        assert_eq!(
            parse("POST /cart", &extra).unwrap(),
            pairs(&[
                (":method", "POST"),
                (":scheme", "http"),
                (":authority", "shop"),
                (":path", "/cart"),
                ("x-user-region", "eu"),
                ("a", "b=c"),
            ])
        );
    }

    #[test]
    fn unclear_requests_are_refused_with_the_expected_form() {
        assert!(
            parse("GET", &[])
                .unwrap_err()
                .contains("expected 'METHOD URL'")
        );
        assert!(
            parse("GET /x", &[])
                .unwrap_err()
                .contains("--header host=NAME")
        );
        assert!(
            parse("GET ftp://x/", &[])
                .unwrap_err()
                .contains("expected http://host/path")
        );
        assert!(parse("GET http:///x", &[]).unwrap_err().contains("no host"));
        assert!(
            parse("GET http://x/", &["novalue".to_owned()])
                .unwrap_err()
                .contains("NAME=VALUE")
        );
    }
}
