//! A JSON object writer for the filter's few one-line outputs: the deny body and the
//! log lines.
//!
//! It writes what `serde_json` writes for the same fields, escapes included, in one
//! pass into one pre-sized string. A denial is on the request path, where serde's
//! generic serializer cost 4,600 fuel (about that many wasm instructions) more per
//! denial, measured on the harness's wasm host (BENCHMARKS.md, "JSON written
//! directly"). The property test
//! `json::writer::tests::properties::writes_what_serde_json_writes_for_any_fields`
//! compares it with `serde_json` byte for byte over arbitrary strings and numbers.

use std::fmt::Write as _;

/// One JSON object being written; keys are the filter's own and never escaped.
#[derive(Debug)]
pub struct JsonObject {
    out: String,
}

impl JsonObject {
    /// An empty object with room for about `capacity` bytes.
    pub fn with_capacity(capacity: usize) -> Self {
        let mut out = String::with_capacity(capacity);
        out.push('{');
        Self { out }
    }

    fn key(&mut self, key: &str) {
        if self.out.len() > 1 {
            self.out.push(',');
        }
        self.out.push('"');
        self.out.push_str(key);
        self.out.push_str("\":");
    }

    /// Adds a string field.
    pub fn string(&mut self, key: &str, value: &str) -> &mut Self {
        self.key(key);
        push_quoted(&mut self.out, value);
        self
    }

    /// Adds a string field, or `null`.
    pub fn optional(&mut self, key: &str, value: Option<&str>) -> &mut Self {
        match value {
            Some(value) => self.string(key, value),
            None => {
                self.key(key);
                self.out.push_str("null");
                self
            }
        }
    }

    /// Adds a number field.
    pub fn number(&mut self, key: &str, value: usize) -> &mut Self {
        self.key(key);
        let _ = write!(self.out, "{value}");
        self
    }

    /// Adds a boolean field.
    pub fn boolean(&mut self, key: &str, value: bool) -> &mut Self {
        self.key(key);
        self.out.push_str(if value { "true" } else { "false" });
        self
    }

    /// The finished object.
    pub fn finish(mut self) -> String {
        self.out.push('}');
        self.out
    }
}

/// Appends `value` as a JSON string, escaped as `serde_json` escapes it: `"`, `\`
/// and control characters, the common ones in their short form.
fn push_quoted(out: &mut String, value: &str) {
    out.push('"');
    // Nearly every value (names, hosts, paths) needs no escape: one tight pass.
    if !value.bytes().any(|b| b < 0x20 || b == b'"' || b == b'\\') {
        out.push_str(value);
        out.push('"');
        return;
    }
    let mut clean_from = 0;
    for (at, byte) in value.bytes().enumerate() {
        let escape = match byte {
            b'"' => "\\\"",
            b'\\' => "\\\\",
            b'\n' => "\\n",
            b'\r' => "\\r",
            b'\t' => "\\t",
            0x08 => "\\b",
            0x0c => "\\f",
            0x00..=0x1f => "",
            _ => continue,
        };
        out.push_str(value.get(clean_from..at).unwrap_or_default());
        if escape.is_empty() {
            let _ = write!(out, "\\u{byte:04x}");
        } else {
            out.push_str(escape);
        }
        clean_from = at + 1;
    }
    out.push_str(value.get(clean_from..).unwrap_or_default());
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn escapes_strings_exactly_as_serde_json_does() {
        let nasty = "a\"b\\c\nd\re\tf\u{8}g\u{c}h\u{1}i\u{1f}j\u{7f}k/é😀";
        let mut object = JsonObject::with_capacity(8);
        object.string("v", nasty);
        let expected = format!("{{\"v\":{}}}", serde_json::to_string(nasty).unwrap());
        assert_eq!(object.finish(), expected);
    }

    #[test]
    fn writes_fields_in_order_with_nulls_numbers_and_booleans() {
        let mut object = JsonObject::with_capacity(64);
        object
            .string("a", "x")
            .optional("b", None)
            .optional("c", Some("y"))
            .number("n", 42)
            .boolean("t", true);
        assert_eq!(
            object.finish(),
            r#"{"a":"x","b":null,"c":"y","n":42,"t":true}"#
        );
        assert_eq!(JsonObject::with_capacity(0).finish(), "{}");
    }

    #[cfg(not(target_arch = "wasm32"))]
    mod properties {
        use proptest::prelude::*;
        use serde::Serialize;

        use super::super::*;

        /// The same fields as serde sees them, in the writer's order.
        #[derive(Serialize)]
        struct Fields<'a> {
            s: &'a str,
            o: Option<&'a str>,
            n: usize,
            b: bool,
        }

        /// Any Unicode text, half of its characters drawn from those that need an
        /// escape or are easy to get wrong: each control character, quotes,
        /// backslashes, DEL and the line separators JavaScript does not allow.
        fn text() -> impl Strategy<Value = String> {
            let tricky = prop_oneof![
                (0_u8..0x20).prop_map(char::from),
                Just('"'),
                Just('\\'),
                Just('\u{7f}'),
                Just('\u{2028}'),
                Just('\u{2029}'),
            ];
            prop::collection::vec(prop_oneof![any::<char>(), tricky], 0..48)
                .prop_map(|chars| chars.into_iter().collect())
        }

        proptest! {
            #[test]
            fn writes_what_serde_json_writes_for_any_fields(
                s in text(),
                o in proptest::option::of(text()),
                n in any::<usize>(),
                b in any::<bool>(),
            ) {
                let mut object = JsonObject::with_capacity(0);
                object.string("s", &s).optional("o", o.as_deref()).number("n", n).boolean("b", b);
                let written = object.finish();
                let fields = Fields { s: &s, o: o.as_deref(), n, b };
                prop_assert_eq!(&written, &serde_json::to_string(&fields).unwrap());
                let read: serde_json::Value = serde_json::from_str(&written).unwrap();
                prop_assert_eq!(read["s"].as_str(), Some(s.as_str()));
                prop_assert_eq!(read["o"].as_str(), o.as_deref());
            }
        }
    }
}
