//! Stat names with embedded tags, Istio's form: `base_label=.=value;.;label=.=value;.;`.
//!
//! The filter defines each counter under such a name; the `stats_tags` that
//! envoy-config/ ships hold one regex per label, `(_?label=\.=(.*?);\.;)`, which cuts
//! each tag out of the name and makes it a Prometheus label. [`parse_stat_name`]
//! reads a name the way those regexes do, for the crates that check what the filter
//! defined.

use super::label;

/// Between a label and its value.
const TAG_VALUE: &str = "=.=";
/// After a value.
const TAG_END: &str = ";.;";

/// Builds a stat name with embedded tags: `base_l1=.=v1;.;l2=.=v2;.;`, or `base`
/// alone when there are no labels.
pub fn stat_name(base: &str, labels: &[(&str, &str)]) -> String {
    let tags: usize = labels
        .iter()
        .map(|(l, v)| l.len() + v.len() + TAG_VALUE.len() + TAG_END.len())
        .sum();
    let mut name = String::with_capacity(base.len() + 1 + tags);
    name.push_str(base);
    if !labels.is_empty() {
        name.push('_');
    }
    for (label, value) in labels {
        name.push_str(label);
        name.push_str(TAG_VALUE);
        name.push_str(value);
        name.push_str(TAG_END);
    }
    name
}

/// A stat name split into its base and its embedded tags.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatName<'a> {
    /// The name before the tags, as written (`meshborder.xcluster_bytes_total`).
    pub base: &'a str,
    /// The tags, `(label, value)`, in the order they are written.
    pub labels: Vec<(&'a str, &'a str)>,
}

/// Splits a stat name that [`stat_name`] built, or that Envoy's `stats_tags` would
/// read: the base, then tags of the labels in [`label::ALL`], each preceded by an
/// optional `_` as those regexes allow. `None` when the name holds a label they do
/// not know, a tag without its end, or no base.
///
/// The first label is found by name, since both the base and a label may hold `_`
/// (`..._total_source_cluster=.=`); no label of the contract ends in `_` plus
/// another, so the split is unambiguous.
///
/// ```
/// use meshborder_filter::contract::{StatName, parse_stat_name};
///
/// let name = "meshborder.residency_decisions_total_rule=.=eu-user-data;.;decision=.=deny;.;";
/// assert_eq!(
///     parse_stat_name(name),
///     Some(StatName {
///         base: "meshborder.residency_decisions_total",
///         labels: vec![("rule", "eu-user-data"), ("decision", "deny")],
///     })
/// );
/// ```
pub fn parse_stat_name(name: &str) -> Option<StatName<'_>> {
    let Some(first_value) = name.find(TAG_VALUE) else {
        let plain = !name.is_empty() && !name.contains(TAG_END);
        return plain.then_some(StatName {
            base: name,
            labels: Vec::new(),
        });
    };
    let head = name.get(..first_value)?;
    let first = label::ALL
        .iter()
        .filter(|l| {
            head.strip_suffix(**l)
                .is_some_and(|before| before.ends_with('_'))
        })
        .max_by_key(|l| l.len())?;
    let base_end = head.len().checked_sub(first.len() + 1)?;
    let base = name
        .get(..base_end)
        .filter(|base| !base.is_empty() && !base.contains(TAG_END))?;
    let mut rest = name.get(base_end + 1..)?;
    let mut labels = Vec::new();
    while !rest.is_empty() {
        if !labels.is_empty() {
            rest = rest.strip_prefix('_').unwrap_or(rest);
        }
        let (label, after) = rest.split_once(TAG_VALUE)?;
        let (value, after) = after.split_once(TAG_END)?;
        if !label::ALL.contains(&label) || value.contains(TAG_VALUE) {
            return None;
        }
        labels.push((label, value));
        rest = after;
    }
    Some(StatName { base, labels })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::contract::metric;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn stat_names_use_embedded_tags() {
        assert_eq!(
            stat_name(
                "meshborder.x_total",
                &[("direction", "request"), ("source_cluster", "a")]
            ),
            "meshborder.x_total_direction=.=request;.;source_cluster=.=a;.;"
        );
        assert_eq!(
            stat_name("meshborder.unknown_source_total", &[]),
            "meshborder.unknown_source_total"
        );
    }

    #[test]
    fn a_name_with_underscores_between_its_tags_parses_as_stats_tags_read_it() {
        let parsed =
            parse_stat_name("meshborder_residency_decisions_total_rule=.=eu;.;_decision=.=deny;.;");
        assert_eq!(
            parsed,
            Some(StatName {
                base: "meshborder_residency_decisions_total",
                labels: vec![("rule", "eu"), ("decision", "deny")],
            })
        );
    }

    #[test]
    fn every_metric_of_the_contract_parses_back_to_its_name_and_labels() {
        for metric in metric::ALL {
            let values: Vec<(&str, &str)> = metric.labels.iter().map(|l| (*l, "v-1.x")).collect();
            for base in [metric.stat, metric.prometheus] {
                let name = stat_name(base, &values);
                let parsed = parse_stat_name(&name).unwrap();
                assert_eq!(
                    (parsed.base, parsed.labels),
                    (base, values.clone()),
                    "{name}"
                );
            }
        }
    }

    #[test]
    fn no_label_ends_in_an_underscore_and_another_label() {
        for a in label::ALL {
            for b in label::ALL {
                assert!(!a.ends_with(&format!("_{b}")), "`{a}` ends in `_{b}`");
            }
        }
    }

    #[test]
    fn names_the_stats_tags_would_not_read_are_refused() {
        for name in [
            "",
            "x_total_zone=.=a;.;",
            "x_total_rule=.=a",
            "_rule=.=a;.;",
            "x_total_rule=.=a;.;zone=.=b;.;",
            "x_total_rule=.=a=.=b;.;",
            "x;.;_rule=.=a;.;",
            "x_total;.;",
        ] {
            assert_eq!(parse_stat_name(name), None, "{name}");
        }
    }

    #[cfg(not(target_arch = "wasm32"))]
    mod properties {
        use proptest::prelude::*;

        use super::super::*;
        use crate::policy::names::is_valid_name;

        /// A name of the alphabet `policy::names` allows for clusters, regions and rules.
        const NAME: &str = "[A-Za-z0-9._-]{1,128}";

        fn tags() -> impl Strategy<Value = Vec<(&'static str, String)>> {
            prop::collection::vec((prop::sample::select(label::ALL.to_vec()), NAME), 0..8)
        }

        proptest! {
            #[test]
            fn a_built_name_parses_back_to_its_base_and_tags(base in NAME, tags in tags()) {
                let pairs: Vec<(&str, &str)> = tags.iter().map(|(l, v)| (*l, v.as_str())).collect();
                prop_assert!(is_valid_name(&base));
                prop_assert!(pairs.iter().all(|(_, v)| is_valid_name(v)));
                let name = stat_name(&base, &pairs);
                let parsed = parse_stat_name(&name);
                prop_assert_eq!(parsed, Some(StatName { base: &base, labels: pairs.clone() }));

                let separated = pairs.iter().enumerate().fold(base.clone(), |mut name, (i, (l, v))| {
                    name.push_str(if i == 0 { "_" } else { ";.;_" });
                    name.push_str(&format!("{l}=.={v}"));
                    name
                }) + if pairs.is_empty() { "" } else { ";.;" };
                let parsed = parse_stat_name(&separated);
                prop_assert_eq!(parsed, Some(StatName { base: &base, labels: pairs }));
            }
        }
    }
}
