//! A refused configuration names where the mistake is exactly as serde_path_to_error
//! would: every prefix of the SPEC example (cut short anywhere) and a set of typed
//! mistakes, each checked against serde_path_to_error itself.

use serde::Deserialize;

use super::fixtures::SPEC_CONFIG;
use crate::json::error_path;
use crate::policy::config::PluginConfig;
#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

/// The path serde_path_to_error names, and the one `error_path` names, for `json`;
/// `None` when it parses.
fn both(json: &str) -> Option<(String, String)> {
    let mut de = serde_json::Deserializer::from_str(json);
    let expected = match serde_path_to_error::deserialize::<_, PluginConfig>(&mut de) {
        Ok(_) => return None,
        Err(e) => e.path().to_string(),
    };
    let mut de = serde_json::Deserializer::from_str(json);
    let error = PluginConfig::deserialize(&mut de).err()?;
    let expected = if expected == "." {
        String::new()
    } else {
        expected
    };
    Some((expected, error_path(json.as_bytes(), &error)))
}

#[test]
fn names_the_same_path_wherever_the_document_is_cut_short() {
    for end in 0..SPEC_CONFIG.len() {
        let Some(prefix) = SPEC_CONFIG.get(..end) else {
            continue;
        };
        if let Some((expected, actual)) = both(prefix) {
            assert_eq!(actual, expected, "cut after {end} bytes: {prefix}");
        }
    }
}

#[test]
fn names_the_same_path_for_typed_mistakes() {
    let mistakes = [
        r#"{"clustr":"x"}"#,
        r#"{"cluster":7}"#,
        r#"{"direction":"sideways"}"#,
        r#"{"trustedPeers":"spiffe://a/b"}"#,
        r#"{"trustedPeers":["a", 3]}"#,
        r#"{"clusters":{"a":{"region":1}}}"#,
        r#"{"clusters":{"a":{}}}"#,
        r#"{"clusters":{"a":{"region":"r","zone":"z"}}}"#,
        r#"{"regionGroups":{"eu":"eu-west-1"}}"#,
        r#"{"regionGroups":{"eu":["eu-west-1",{}]}}"#,
        r#"{"residency":{"mode":"strict"}}"#,
        r#"{"residency":{"rules":{}}}"#,
        r#"{"residency":{"rules":[{"name":"a"},{"nam":"b"}]}}"#,
        r#"{"residency":{"rules":[{"name":"a"},{"match":{}}]}}"#,
        r#"{"residency":{"rules":[{"name":"r","match":{"hostz":[]}}]}}"#,
        r#"{"residency":{"rules":[{"name":"r","match":{"headers":{"x":1}}}]}}"#,
        r#"{"residency":{"rules":[{"name":"r","unknownSource":"maybe"}]}}"#,
        r#"{"routing":{"sources":[{"header":"h"},{"headr":"h"}]}}"#,
        r#"{"routing":{"sources":[{"header":"h","countries":{"DE":5}}]}}"#,
        r#"{"routing":{"default":["us-east-1"]}}"#,
        r#"{"routing":{"residencyGuard":"yes"}}"#,
        r#"{"metrics":{"maxClusters":1.5}}"#,
        r#"{"metrics":{"maxClusters":-1}}"#,
        r#"{"metrics":{"maxClusters":"64"}}"#,
        "{\n  \"residency\": {\n    \"rules\": [\n      { \"name\": \"r\",\n        \"mode\": \"loud\" }\n    ]\n  }\n}",
        r#"{"cluster":"a\"b","regio":"x"}"#,
        r#"[1,2]"#,
        r#""text""#,
        r#"{"cluster":"a",}"#,
        r#"{"cluster" "a"}"#,
    ];
    for json in mistakes {
        let (expected, actual) = both(json).unwrap_or_else(|| panic!("parses: {json}"));
        assert_eq!(actual, expected, "{json}");
    }
}

/// Every document made by putting `replacement` at one place of `value` (each
/// object member and array element, leaves and containers alike).
fn mutations(value: &serde_json::Value, replacement: &serde_json::Value) -> Vec<serde_json::Value> {
    let mut out = Vec::new();
    match value {
        serde_json::Value::Object(map) => {
            for (key, child) in map {
                let mut changed = map.clone();
                changed.insert(key.clone(), replacement.clone());
                out.push(serde_json::Value::Object(changed));
                for inner in mutations(child, replacement) {
                    let mut changed = map.clone();
                    changed.insert(key.clone(), inner);
                    out.push(serde_json::Value::Object(changed));
                }
            }
        }
        serde_json::Value::Array(items) => {
            for (i, child) in items.iter().enumerate() {
                let mut changed = items.clone();
                if let Some(slot) = changed.get_mut(i) {
                    *slot = replacement.clone();
                }
                out.push(serde_json::Value::Array(changed));
                for inner in mutations(child, replacement) {
                    let mut changed = items.clone();
                    if let Some(slot) = changed.get_mut(i) {
                        *slot = inner;
                    }
                    out.push(serde_json::Value::Array(changed));
                }
            }
        }
        _ => {}
    }
    out
}

/// The one difference: an object where a one-word enum belongs (`"mode": {"x": 1}`)
/// is named one level deeper (`mode.x`), as the text cannot tell that serde reads
/// it as an enum.
fn inside_enum_object(expected: &str, actual: &str) -> bool {
    let enums = ["direction", "mode", "unknownSource"];
    enums.iter().any(|field| expected.ends_with(field))
        && actual
            .strip_prefix(expected)
            .is_some_and(|rest| rest.starts_with('.') && !rest[1..].contains('.'))
}

#[test]
fn names_the_same_path_for_a_wrong_value_anywhere() {
    let spec: serde_json::Value = serde_json::from_str(SPEC_CONFIG).unwrap();
    let replacements = [
        serde_json::json!(1),
        serde_json::json!(-1.5),
        serde_json::json!("x"),
        serde_json::json!(true),
        serde_json::json!(null),
        serde_json::json!([]),
        serde_json::json!({}),
        serde_json::json!({"unexpected": 1}),
    ];
    let mut checked = 0;
    for replacement in &replacements {
        for document in mutations(&spec, replacement) {
            for text in [
                document.to_string(),
                serde_json::to_string_pretty(&document).unwrap(),
            ] {
                if let Some((expected, actual)) = both(&text) {
                    assert!(
                        actual == expected || inside_enum_object(&expected, &actual),
                        "{text}\n  expected `{expected}`\n  got `{actual}`"
                    );
                    checked += 1;
                }
            }
        }
    }
    assert!(checked > 100, "only {checked} refused documents");
}
