//! What a PromQL expression reads: the metric names it selects and the label names
//! it matches or groups on, from the expression parsed by a real PromQL parser.
//! Grafana's `$__...` macros are replaced by durations first, as Grafana does.

use std::collections::BTreeSet;

use promql_parser::label::Matchers;
use promql_parser::parser::{self, Expr, LabelModifier, VectorMatchCardinality};

use super::Result;

/// The names an expression uses.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Uses {
    /// Metric names of every selector.
    pub metrics: BTreeSet<String>,
    /// Label names in matchers, `by`/`without`, `on`/`ignoring`, `group_*`, and the
    /// source labels of `label_replace` and `label_join`.
    pub labels: BTreeSet<String>,
    /// Labels the expression creates itself (`label_replace`, `label_join`).
    pub introduced: BTreeSet<String>,
}

/// Grafana macros and the durations they stand for in these checks.
/// `$__range_s` before `$__range`, which it starts with.
const GRAFANA_MACROS: [(&str, &str); 5] = [
    ("$__rate_interval", "5m"),
    ("$__interval", "1m"),
    ("$__range_s", "21600"),
    ("$__range", "6h"),
    ("${__range}", "6h"),
];

/// Parses `expr` (after Grafana macros) and collects what it uses.
pub fn uses(expr: &str) -> Result<Uses> {
    let mut text = expr.to_owned();
    for (grafana, duration) in GRAFANA_MACROS {
        text = text.replace(grafana, duration);
    }
    let parsed = parser::parse(&text).map_err(|e| format!("`{expr}` does not parse: {e}"))?;
    let mut found = Uses::default();
    walk(&parsed, &mut found);
    Ok(found)
}

fn walk(expr: &Expr, found: &mut Uses) {
    match expr {
        Expr::Aggregate(aggregate) => {
            modifier(aggregate.modifier.as_ref(), found);
            walk(&aggregate.expr, found);
            if let Some(param) = &aggregate.param {
                walk(param, found);
            }
        }
        Expr::Unary(unary) => walk(&unary.expr, found),
        Expr::Binary(binary) => {
            if let Some(bin_modifier) = &binary.modifier {
                modifier(bin_modifier.matching.as_ref(), found);
                if let VectorMatchCardinality::ManyToOne(labels)
                | VectorMatchCardinality::OneToMany(labels) = &bin_modifier.card
                {
                    found.labels.extend(labels.labels.iter().cloned());
                }
            }
            walk(&binary.lhs, found);
            walk(&binary.rhs, found);
        }
        Expr::Paren(paren) => walk(&paren.expr, found),
        Expr::Subquery(subquery) => walk(&subquery.expr, found),
        Expr::VectorSelector(selector) => {
            selected(selector.name.as_deref(), &selector.matchers, found);
        }
        Expr::MatrixSelector(matrix) => {
            selected(matrix.vs.name.as_deref(), &matrix.vs.matchers, found);
        }
        Expr::Call(call) => {
            let strings: Vec<Option<&str>> = call.args.args.iter().map(|arg| string(arg)).collect();
            match call.func.name {
                // label_replace(v, dst, replacement, src, regex)
                "label_replace" => {
                    found
                        .introduced
                        .extend(strings.get(1).copied().flatten().map(str::to_owned));
                    found
                        .labels
                        .extend(strings.get(3).copied().flatten().map(str::to_owned));
                }
                // label_join(v, dst, separator, src...)
                "label_join" => {
                    found
                        .introduced
                        .extend(strings.get(1).copied().flatten().map(str::to_owned));
                    found.labels.extend(
                        strings
                            .iter()
                            .skip(3)
                            .flatten()
                            .map(|label| (*label).to_owned()),
                    );
                }
                _ => {}
            }
            for arg in &call.args.args {
                walk(arg, found);
            }
        }
        Expr::NumberLiteral(_) | Expr::StringLiteral(_) | Expr::Extension(_) => {}
    }
}

fn string(expr: &Expr) -> Option<&str> {
    match expr {
        Expr::StringLiteral(literal) => Some(&literal.val),
        _ => None,
    }
}

fn modifier(modifier: Option<&LabelModifier>, found: &mut Uses) {
    if let Some(modifier) = modifier {
        found
            .labels
            .extend(modifier.labels().labels.iter().cloned());
    }
}

fn selected(name: Option<&str>, matchers: &Matchers, found: &mut Uses) {
    let mut name = name.map(str::to_owned);
    for matcher in matchers
        .matchers
        .iter()
        .chain(matchers.or_matchers.iter().flatten())
    {
        if matcher.name == "__name__" {
            name.get_or_insert_with(|| matcher.value.clone());
        } else {
            found.labels.insert(matcher.name.clone());
        }
    }
    if let Some(name) = name {
        found.metrics.insert(name);
    }
}
