//! The host index: which rule a host finds, and that a long host costs little.

use crate::policy::host_index::HostIndex;
use crate::policy::matchers::HostPattern;
#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

fn index(rules: &[&[&str]]) -> HostIndex {
    let mut index = HostIndex::default();
    for (id, hosts) in rules.iter().enumerate() {
        let patterns: Vec<HostPattern> = hosts
            .iter()
            .map(|h| HostPattern::parse(h).unwrap())
            .collect();
        index.insert(id, &patterns);
    }
    index
}

fn first(index: &HostIndex, host: &str) -> Option<usize> {
    index.first_match(host, |_| true)
}

#[test]
fn exact_suffix_and_prefix_patterns_find_their_rules() {
    let index = index(&[
        &["eu-user-data"],
        &["*.eu.example"],
        &["api.*"],
        &["*.b.c", "x.y.*"],
    ]);
    assert_eq!(first(&index, "eu-user-data"), Some(0));
    assert_eq!(first(&index, "shop.eu.example"), Some(1));
    assert_eq!(first(&index, "a.b.shop.eu.example"), Some(1));
    assert_eq!(
        first(&index, "eu.example"),
        None,
        "`*.` needs a label before"
    );
    assert_eq!(
        first(&index, "xeu.example"),
        None,
        "the suffix starts at a dot"
    );
    assert_eq!(first(&index, "api.shop"), Some(2));
    assert_eq!(first(&index, "api"), None, "`.*` needs a label after");
    assert_eq!(first(&index, "apix.shop"), None, "the prefix ends at a dot");
    assert_eq!(first(&index, "a.b.c"), Some(3));
    assert_eq!(first(&index, "x.y.z"), Some(3));
    assert_eq!(first(&index, "api.b.c"), Some(2), "the earliest rule wins");
    assert_eq!(first(&index, "other"), None);
}

#[test]
fn rules_without_hosts_match_every_host_after_earlier_rules() {
    let index = index(&[&["*.eu.example"], &[]]);
    assert_eq!(first(&index, "a.eu.example"), Some(0));
    assert_eq!(first(&index, "anything"), Some(1));
    assert_eq!(index.first_match("a.eu.example", |id| id != 0), Some(1));
}

#[test]
fn a_host_of_many_dots_is_looked_up_by_pattern_length_not_by_label() {
    let index = index(&[&["*.eu.example"], &["api.*"]]);
    let mut lookups = 0;
    let dots = ".".repeat(200_000);
    assert_eq!(
        index.first_match(&dots, |_| {
            lookups += 1;
            true
        }),
        None
    );
    assert_eq!(lookups, 0);
    let long = format!("{dots}eu.example");
    assert_eq!(first(&index, &long), Some(0));
    let long = format!("api{dots}");
    assert_eq!(first(&index, &long), Some(1));
}
