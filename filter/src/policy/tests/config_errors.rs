//! Every kind of bad configuration is refused with a message that says where, then
//! what: the path in backticks (from the root, or from the rule the message names
//! first), the user's input in backticks, and what was expected or which names are
//! known.

use super::fixtures::{SPEC_CONFIG, refusal};
#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

/// `rule` as the only residency rule.
fn with_rule(rule: &str) -> String {
    format!(r#"{{"residency":{{"rules":[{rule}]}}}}"#)
}

/// A rule called `r` with this `match` block.
fn with_match(block: &str) -> String {
    with_rule(&format!(r#"{{"name":"r","match":{block}}}"#))
}

/// One routing source reading `cf-ipcountry` with this `countries` table.
fn with_countries(table: &str) -> String {
    format!(
        r#"{{"regionGroups":{{"eu":["eu-west-1"]}},"routing":{{"sources":[{{"header":"cf-ipcountry","countries":{table}}}]}}}}"#
    )
}

#[test]
fn an_unknown_top_level_field_is_named_with_the_known_ones() {
    let message = refusal(r#"{"clustr":"x"}"#);
    assert!(
        message
            .starts_with("`clustr`: unknown field `clustr`, expected one of `cluster`, `region`"),
        "{message}"
    );
}

#[test]
fn an_unknown_nested_field_is_named_by_its_path() {
    let message = refusal(&with_match(r#"{"hostz":[]}"#));
    assert!(
        message.starts_with(
            "`residency.rules[0].match.hostz`: unknown field `hostz`, expected one of `hosts`"
        ),
        "{message}"
    );
}

#[test]
fn a_wrong_type_or_enum_value_is_named_by_its_path() {
    let message = refusal(r#"{"direction":"sideways"}"#);
    assert!(
        message.starts_with("`direction`: unknown variant `sideways`, expected one of `auto`"),
        "{message}"
    );
    let message = refusal(r#"{"trustedPeers":"spiffe://a/b"}"#);
    assert!(
        message.starts_with("`trustedPeers`: invalid type: string"),
        "{message}"
    );
}

#[test]
fn malformed_json_is_refused_as_the_whole_configuration() {
    let message = refusal("{");
    assert!(
        message.starts_with("invalid configuration: EOF while parsing an object"),
        "{message}"
    );
    assert!(refusal("{} x").starts_with("invalid configuration: trailing characters"));
}

#[test]
fn a_mistyped_region_lists_the_known_regions_and_groups() {
    let json = SPEC_CONFIG.replace(
        r#""allowSourceRegions": ["eu"]"#,
        r#""allowSourceRegions": ["eu", "eu-wst"]"#,
    );
    assert_eq!(
        refusal(&json),
        "rule `eu-user-data`: `allowSourceRegions[1]`: unknown region or group `eu-wst` \
         (known groups: eu, us; known regions: eu-central-1, eu-west-1, us-east-1, us-west-2); \
         list a new region in `regionGroups` or `clusters`"
    );
}

#[test]
fn a_mistyped_routing_default_lists_the_known_regions_even_without_groups() {
    assert_eq!(
        refusal(r#"{"routing":{"default":"nowhere"}}"#),
        "`routing.default`: unknown region or group `nowhere` (known groups: none; known \
         regions: eu-west-1); list a new region in `regionGroups` or `clusters`"
    );
}

#[test]
fn a_mistyped_country_region_is_named_by_its_country() {
    assert_eq!(
        refusal(&with_countries(r#"{"DE":"eu-wst-1"}"#)),
        "`routing.sources[0].countries.DE`: unknown region or group `eu-wst-1` (known groups: \
         eu; known regions: eu-west-1); list a new region in `regionGroups` or `clusters`"
    );
}

#[test]
fn a_country_listed_twice_names_both_spellings_outside_the_backticks() {
    assert_eq!(
        refusal(&with_countries(r#"{"DE":"eu-west-1","de":"eu-west-1"}"#)),
        "`routing.sources[0].countries`: duplicate country code `de` (the same as `DE`: codes \
         are case-insensitive)"
    );
}

#[test]
fn a_bad_country_code_says_what_a_code_is() {
    assert_eq!(
        refusal(&with_countries(r#"{"DEU":"eu-west-1"}"#)),
        "`routing.sources[0].countries`: bad country code `DEU` (expected ISO 3166-1 alpha-2, \
         two letters such as `DE`)"
    );
}

#[test]
fn a_duplicated_rule_name_names_both_rules() {
    let rules =
        r#"{"name":"a","allowSourceClusters":["x"]},{"name":"a","allowSourceClusters":["y"]}"#;
    assert_eq!(
        refusal(&with_rule(rules)),
        "`residency.rules[1].name`: duplicate rule name `a` (also the name of `residency.rules[0]`)"
    );
}

#[test]
fn a_bad_match_entry_is_named_by_its_index_within_the_rule() {
    assert_eq!(
        refusal(&with_match(r#"{"hosts":["ok","a*b"]}"#)),
        "rule `r`: `match.hosts[1]`: bad host pattern `a*b` (expected `name`, `*.suffix` or \
         `prefix.*` without a port)"
    );
    assert_eq!(
        refusal(&with_match(r#"{"paths":["users/*"]}"#)),
        "rule `r`: `match.paths[0]`: bad path pattern `users/*` (expected an exact path \
         starting with `/`, or `/prefix/*`)"
    );
    assert_eq!(
        refusal(&with_match(r#"{"methods":["GET","GE T"]}"#)),
        "rule `r`: `match.methods[1]`: bad method `GE T` (expected an HTTP method such as `GET`)"
    );
}

#[test]
fn a_bad_header_name_is_named_by_the_map_it_is_a_key_of() {
    assert_eq!(
        refusal(&with_match(r#"{"headers":{"bad header":"v"}}"#)),
        "rule `r`: `match.headers`: bad header name `bad header` (expected an HTTP header name \
         such as `x-user-region`)"
    );
    assert_eq!(
        refusal(r#"{"routing":{"sources":[{"header":"x-a"},{"header":"x:b"}]}}"#),
        "`routing.sources[1].header`: bad header name `x:b` (expected an HTTP header name such \
         as `x-user-region`)"
    );
}

#[test]
fn a_bad_trusted_peer_is_named_by_its_index() {
    assert_eq!(
        refusal(r#"{"trustedPeers":["spiffe://a/b","spiffe://cluster.local/ns/a*"]}"#),
        "`trustedPeers[1]`: bad peer pattern `spiffe://cluster.local/ns/a*` (expected a SPIFFE \
         URI such as `spiffe://cluster.local/ns/*/sa/*`, where `*` is one whole path segment)"
    );
}

#[test]
fn an_empty_rule_list_says_to_omit_it() {
    assert_eq!(
        refusal(&with_rule(r#"{"name":"r","allowSourceRegions":[]}"#)),
        "rule `r`: `allowSourceRegions`: empty list (omit it to leave it unconstrained)"
    );
    assert_eq!(
        refusal(&with_rule(r#"{"name":"r","allowSourceClusters":[]}"#)),
        "rule `r`: `allowSourceClusters`: empty list (omit it to leave it unconstrained)"
    );
}

#[test]
fn an_empty_group_says_a_group_needs_a_region() {
    assert_eq!(
        refusal(r#"{"regionGroups":{"eu":[]}}"#),
        "`regionGroups.eu`: empty list (a group needs at least one region)"
    );
}

#[test]
fn a_bad_rule_name_is_named_by_its_path_not_by_itself() {
    assert_eq!(
        refusal(&with_rule(r#"{"name":"bad name"}"#)),
        "`residency.rules[0].name`: bad name `bad name` (expected 1 to 128 characters of a-z, \
         A-Z, 0-9, `.`, `_`, `-`)"
    );
}

#[test]
fn names_that_cannot_be_labels_are_named_by_their_path() {
    let bad = |json: &str, path: &str, value: &str| {
        assert_eq!(
            refusal(json),
            format!(
                "{path}bad name `{value}` (expected 1 to 128 characters of a-z, A-Z, 0-9, `.`, \
                 `_`, `-`)"
            ),
            "{json}"
        );
    };
    bad(
        r#"{"clusters":{"a;.;b":{"region":"r"}}}"#,
        "`clusters`: ",
        "a;.;b",
    );
    bad(
        r#"{"clusters":{"a":{"region":"r 1"}}}"#,
        "`clusters.a.region`: ",
        "r 1",
    );
    bad(
        r#"{"regionGroups":{"e u":["r"]}}"#,
        "`regionGroups`: ",
        "e u",
    );
    bad(
        r#"{"regionGroups":{"eu":["r","r;"]}}"#,
        "`regionGroups.eu[1]`: ",
        "r;",
    );
    bad(r#"{"cluster":"a b"}"#, "`cluster`: ", "a b");
    bad(r#"{"region":""}"#, "`region`: ", "");
    bad(
        &with_rule(r#"{"name":"r","allowSourceClusters":["a","b c"]}"#),
        "rule `r`: `allowSourceClusters[1]`: ",
        "b c",
    );
}

#[test]
fn a_group_named_like_a_region_is_refused() {
    assert_eq!(
        refusal(r#"{"regionGroups":{"eu-west-1":["eu-west-1"]}}"#),
        "`regionGroups`: `eu-west-1` is both a group and a region; give the group another name"
    );
}

#[test]
fn max_clusters_is_bounded() {
    assert_eq!(
        refusal(r#"{"metrics":{"maxClusters":100000}}"#),
        "`metrics.maxClusters`: `100000` is too large (expected at most 1024)"
    );
}

#[test]
fn every_message_is_lowercase_and_says_where_first() {
    let refused = [
        r#"{"clustr":"x"}"#.to_owned(),
        "{".to_owned(),
        r#"{"routing":{"default":"nowhere"}}"#.to_owned(),
        with_countries(r#"{"DE":"eu-west-1","de":"eu-west-1"}"#),
        with_match(r#"{"hosts":["a*b"]}"#),
        with_rule(r#"{"name":"r","allowSourceRegions":[]}"#),
        with_rule(r#"{"name":"bad name"}"#),
        r#"{"regionGroups":{"eu-west-1":["eu-west-1"]}}"#.to_owned(),
        r#"{"metrics":{"maxClusters":100000}}"#.to_owned(),
    ];
    for json in &refused {
        let message = refusal(json);
        let where_first = ["`", "rule `", "invalid configuration: "]
            .iter()
            .any(|start| message.starts_with(start));
        assert!(where_first, "{message}");
        let first_word = message.trim_start_matches(['`', ' ']);
        assert!(
            !first_word.starts_with(|c: char| c.is_ascii_uppercase()),
            "{message}"
        );
    }
}
