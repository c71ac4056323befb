//! Two outcomes' differences, field by field, in the one form the HTTP and the TCP
//! comparisons report them: `<field>:`, then Envoy's value and the host's.

use std::fmt::{Debug, Display};

/// The fields found to differ so far.
#[derive(Debug, Default)]
pub struct FieldDifferences(Vec<String>);

impl FieldDifferences {
    /// Records field `name` when Envoy's text and the host's differ.
    pub fn text(&mut self, name: &str, envoy: String, host: String) {
        if envoy != host {
            self.0
                .push(format!("{name}:\n      envoy {envoy}\n      host  {host}"));
        }
    }

    /// Records field `name` when the two values' `Debug` texts differ.
    pub fn debug(&mut self, name: &str, envoy: &impl Debug, host: &impl Debug) {
        self.text(name, format!("{envoy:?}"), format!("{host:?}"));
    }

    /// The differing fields, in the order recorded.
    pub fn into_lines(self) -> Vec<String> {
        self.0
    }
}

/// What the suite prints for a request or connection whose outcomes differ: what
/// it was, both outcomes, and the differing `fields`; `None` when none differ.
pub fn report(
    what: &str,
    envoy: &impl Display,
    host: &impl Display,
    fields: &[String],
) -> Option<String> {
    (!fields.is_empty()).then(|| {
        format!(
            "{what}\n  envoy: {envoy}\n  host:  {host}\n  differs in\n    {}",
            fields.join("\n    ")
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_fields_that_differ_are_recorded_with_both_values() {
        let mut found = FieldDifferences::default();
        found.debug("status", &200, &200);
        found.debug("counters", &[1, 2], &[1, 3]);
        found.text("body", "a".to_owned(), "b".to_owned());
        let lines = found.into_lines();
        assert_eq!(lines.len(), 2);
        assert!(lines.first().is_some_and(|l| l.starts_with("counters:")
            && l.contains("envoy [1, 2]")
            && l.contains("host  [1, 3]")));
    }
}
