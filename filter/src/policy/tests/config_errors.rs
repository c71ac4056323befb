//! Every kind of bad configuration is refused with a message that says what and where.

use super::fixtures::refusal;
#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

#[test]
fn unknown_top_level_field() {
    let message = refusal(r#"{"clustr":"x"}"#);
    assert!(message.starts_with("invalid configuration at `clustr`: unknown field `clustr`, expected one of `cluster`, `region`"), "{message}");
}

#[test]
fn unknown_nested_field_names_its_path() {
    let message = refusal(r#"{"residency":{"rules":[{"name":"r","match":{"hostz":[]}}]}}"#);
    assert!(
        message.starts_with("invalid configuration at `residency.rules[0].match.hostz`: unknown field `hostz`, expected one of `hosts`"),
        "{message}"
    );
}

#[test]
fn wrong_type_and_bad_enum_value() {
    let message = refusal(r#"{"direction":"sideways"}"#);
    assert!(
        message.contains("`direction`") && message.contains("unknown variant `sideways`"),
        "{message}"
    );
    let message = refusal(r#"{"trustedPeers":"spiffe://a/b"}"#);
    assert!(
        message.contains("`trustedPeers`") && message.contains("expected a sequence"),
        "{message}"
    );
}

#[test]
fn malformed_json_and_trailing_garbage() {
    let message = refusal("{");
    assert!(
        message.starts_with("invalid configuration: EOF while parsing an object"),
        "{message}"
    );
    assert!(refusal("{} x").starts_with("invalid configuration: trailing characters"));
}

#[test]
fn unknown_region_group_in_a_rule() {
    let message = refusal(
        r#"{"regionGroups":{"eu":["eu-west-1"],"us":["us-east-1"]},
            "residency":{"rules":[{"name":"eu-user-data","allowSourceRegions":["eu-wst"]}]}}"#,
    );
    assert!(
        message.starts_with("rule `eu-user-data`: unknown region group `eu-wst` (known: eu, us)"),
        "{message}"
    );
}

#[test]
fn duplicate_rule_names() {
    let message = refusal(
        r#"{"residency":{"rules":[{"name":"a","allowSourceClusters":["x"]},{"name":"a","allowSourceClusters":["y"]}]}}"#,
    );
    assert_eq!(message, "duplicate rule name `a`");
}

#[test]
fn bad_host_path_method_and_header_patterns() {
    let rule = |m: &str| format!(r#"{{"residency":{{"rules":[{{"name":"r","match":{m}}}]}}}}"#);
    assert_eq!(
        refusal(&rule(r#"{"hosts":["a*b"]}"#)),
        "rule `r`: `match.hosts`: bad pattern `a*b` (expected `name`, `*.suffix` or `prefix.*` without a port)"
    );
    assert_eq!(
        refusal(&rule(r#"{"paths":["users/*"]}"#)),
        "rule `r`: `match.paths`: bad pattern `users/*` (expected an exact path starting with `/`, or `/prefix/*`)"
    );
    assert_eq!(
        refusal(&rule(r#"{"methods":["GE T"]}"#)),
        "rule `r`: `match.methods`: bad pattern `GE T` (expected an HTTP method such as `GET`)"
    );
    assert_eq!(
        refusal(&rule(r#"{"headers":{"bad header":"v"}}"#)),
        "rule `r`: match.headers: `header`: bad pattern `bad header` (expected an HTTP header name such as `x-user-region`)"
    );
}

#[test]
fn bad_trusted_peer_pattern() {
    assert_eq!(
        refusal(r#"{"trustedPeers":["spiffe://cluster.local/ns/a*"]}"#),
        "`trustedPeers`: bad pattern `spiffe://cluster.local/ns/a*` (expected a SPIFFE URI such as `spiffe://cluster.local/ns/*/sa/*`, where `*` is one whole path segment)"
    );
}

#[test]
fn bad_country_code_and_unknown_country_region() {
    let routing = |c: &str| {
        format!(
            r#"{{"regionGroups":{{"eu":["eu-west-1"]}},"routing":{{"sources":[{{"header":"cf-ipcountry","countries":{c}}}]}}}}"#
        )
    };
    assert_eq!(
        refusal(&routing(r#"{"DEU":"eu-west-1"}"#)),
        "routing.sources[0]: bad country code `DEU` (expected ISO 3166-1 alpha-2, two letters such as `DE`)"
    );
    assert!(refusal(&routing(r#"{"DE":"eu-wst-1"}"#)).starts_with(
        "routing.sources[0]: countries.DE: unknown region group `eu-wst-1` (known: eu)"
    ));
}

#[test]
fn unknown_routing_default() {
    assert!(
        refusal(r#"{"routing":{"default":"nowhere"}}"#)
            .starts_with("routing.default: unknown region group `nowhere` (known: none)")
    );
}

#[test]
fn empty_lists_are_refused() {
    assert_eq!(
        refusal(r#"{"residency":{"rules":[{"name":"r","allowSourceRegions":[]}]}}"#),
        "rule `r`: `allowSourceRegions` is empty (omit it to leave it unconstrained)"
    );
    assert_eq!(
        refusal(r#"{"regionGroups":{"eu":[]}}"#),
        "`regionGroups.eu` is empty (omit it to leave it unconstrained)"
    );
}

#[test]
fn names_that_cannot_be_labels_are_refused() {
    assert_eq!(
        refusal(r#"{"residency":{"rules":[{"name":"bad name"}]}}"#),
        "rule `bad name`: `name`: bad name `bad name` (use 1 to 128 characters of a-z, A-Z, 0-9, `.`, `_`, `-`)"
    );
    assert!(
        refusal(r#"{"clusters":{"a;.;b":{"region":"r"}}}"#)
            .starts_with("`clusters`: bad name `a;.;b`")
    );
}

#[test]
fn group_named_like_a_region_is_refused() {
    assert_eq!(
        refusal(r#"{"regionGroups":{"eu-west-1":["eu-west-1"]}}"#),
        "`regionGroups`: `eu-west-1` is both a group and a region; give the group another name"
    );
}

#[test]
fn max_clusters_is_bounded() {
    assert_eq!(
        refusal(r#"{"metrics":{"maxClusters":100000}}"#),
        "`metrics.maxClusters` is 100000, the most allowed is 1024"
    );
}
