//! Host, path and peer patterns, and the path decoding used against encoded paths.

use crate::policy::matchers::{
    HostPattern, PathPattern, canonical_host, decoded_path, path_without_query,
};
use crate::policy::peer_pattern::PeerPattern;
#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

#[test]
fn host_patterns_parse_into_their_kinds() {
    assert_eq!(
        HostPattern::parse("A.Svc.").unwrap(),
        HostPattern::Exact("a.svc".into())
    );
    assert_eq!(
        HostPattern::parse("*.svc").unwrap(),
        HostPattern::Suffix("svc".into())
    );
    assert_eq!(
        HostPattern::parse("api.*").unwrap(),
        HostPattern::Prefix("api".into())
    );
    for bad in ["", "*", "a:80", "a*b", "*.*", "*.", ".a", "a..b", "a/b"] {
        assert!(
            HostPattern::parse(bad).is_err(),
            "{bad:?} should be refused"
        );
    }
}

#[test]
fn canonical_host_drops_port_case_and_trailing_dot() {
    assert_eq!(canonical_host("Eu-User-Data.:8080"), "eu-user-data");
    assert_eq!(canonical_host("[::1]:443"), "[::1]");
    assert_eq!(canonical_host("svc"), "svc");
}

#[test]
fn path_patterns_parse_and_match() {
    let prefix = PathPattern::parse("/users/*").unwrap();
    assert!(prefix.matches("/users") && prefix.matches("/users/") && prefix.matches("/users/a/b"));
    assert!(!prefix.matches("/usersx"));
    let all = PathPattern::parse("/*").unwrap();
    assert!(all.matches("/") && all.matches("/anything"));
    for bad in ["users", "/a*/b", "/a/*/b", "/a?x"] {
        assert!(
            PathPattern::parse(bad).is_err(),
            "{bad:?} should be refused"
        );
    }
}

#[test]
fn query_and_fragment_are_not_part_of_the_path() {
    assert_eq!(path_without_query("/a?b#c"), "/a");
    assert_eq!(path_without_query("/a#c"), "/a");
}

#[test]
fn decoded_path_resolves_escapes_slashes_and_dots() {
    assert_eq!(decoded_path("/users"), None);
    assert_eq!(decoded_path("/users%2F1").as_deref(), Some("/users/1"));
    assert_eq!(decoded_path("//users//1").as_deref(), Some("/users/1"));
    assert_eq!(decoded_path("/a/../users/./1").as_deref(), Some("/users/1"));
    assert_eq!(decoded_path("/../../x").as_deref(), Some("/x"));
    assert_eq!(decoded_path("/a/%zz").as_deref(), Some("/a/%zz"));
    assert_eq!(decoded_path("/a/%ff").as_deref(), Some("/a/\u{fffd}"));
    assert_eq!(decoded_path("/users;x=1/1").as_deref(), Some("/users/1"));
    assert_eq!(
        decoded_path("/users;/1;jsessionid=a").as_deref(),
        Some("/users/1")
    );
}

#[test]
fn peer_patterns_refuse_partial_wildcards_and_wildcard_domains() {
    for bad in [
        "cluster.local/ns/*",
        "spiffe://*/ns/a",
        "spiffe://cluster.local",
        "spiffe://cluster.local/",
        "spiffe://cluster.local/ns/a*",
        "spiffe://cluster.local/ns//sa",
    ] {
        assert!(
            PeerPattern::parse(bad).is_err(),
            "{bad:?} should be refused"
        );
    }
}

/// What a path needs decoded, as the `str` patterns said it before the one-pass
/// byte scan replaced them.
fn needs_decoding_by_patterns(path: &str) -> bool {
    path.contains(['%', ';'])
        || path.contains("//")
        || path.contains("/./")
        || path.contains("/../")
        || path.ends_with("/.")
        || path.ends_with("/..")
}

#[test]
fn a_path_is_decoded_exactly_when_it_holds_something_to_decode() {
    let alphabet = ['/', '.', '%', ';', 'a'];
    let mut paths = vec![String::new()];
    let mut all = Vec::new();
    for _ in 0..6 {
        paths = paths
            .iter()
            .flat_map(|p| alphabet.iter().map(move |c| format!("{p}{c}")))
            .collect();
        all.extend(paths.iter().cloned());
    }
    for path in all {
        assert_eq!(
            decoded_path(&path).is_some(),
            needs_decoding_by_patterns(&path),
            "{path}"
        );
    }
    assert_eq!(decoded_path("/.well-known/x"), None);
    assert_eq!(decoded_path("/a/..b"), None);
}
