//! The configurations a storm pushes: the gateway's shipped plugin config with 20
//! residency rules in front of its own. Every push moves each rule to other hosts,
//! so every push is a change Envoy must apply (Envoy skips a version whose filter
//! config is the last it saw). The first rule is the one the request loop meets: it
//! audits the loop's requests and keeps its name in every push, so its counter shows
//! whether counting continues across pushes.

use serde_json::{Value, json};

use crate::error::Result;
use crate::gateway;
use crate::plugin_config;

/// The rules in every pushed config, besides the shipped one.
pub const RULES: usize = 20;
/// The rule that audits the request loop's requests.
pub const AUDITED_RULE: &str = "storm-audited";
/// The host the request loop asks for, which [`AUDITED_RULE`] matches.
pub const AUDITED_HOST: &str = "storm-audited.example";
/// The path the request loop asks for.
pub const AUDITED_PATH: &str = "/storm/1";

/// Whether the rules keep their names from push to push.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RuleNames {
    /// The same names every push, only the hosts change (a routine edit).
    Kept,
    /// New names every push (each push retires the last push's rules). The audited
    /// rule keeps its name even so.
    Renamed,
}

impl RuleNames {
    /// How reports name it.
    pub fn describe(self) -> &'static str {
        match self {
            Self::Kept => "rule names kept",
            Self::Renamed => "rule names changed every push",
        }
    }
}

/// Builds the config of each push.
#[derive(Debug, Clone)]
pub struct StormConfigs {
    shipped: Value,
    names: RuleNames,
}

impl StormConfigs {
    /// The configs over the gateway's shipped plugin config.
    pub fn new(names: RuleNames) -> Result<Self> {
        Ok(Self {
            shipped: plugin_config::shipped(gateway::PLUGIN_CONFIG)?,
            names,
        })
    }

    /// The config of push `push` (0 is the one Envoy starts with).
    pub fn push(&self, push: u32) -> Value {
        let mut config = self.shipped.clone();
        let mut rules = vec![json!({
            "name": AUDITED_RULE,
            "match": { "hosts": [AUDITED_HOST], "paths": ["/storm/*"] },
            "allowSourceRegions": ["us"],
            "mode": "audit"
        })];
        rules.extend((1..RULES).map(|rule| {
            let name = match self.names {
                RuleNames::Kept => format!("storm-{rule}"),
                RuleNames::Renamed => format!("storm-{push}-{rule}"),
            };
            json!({
                "name": name,
                "match": { "hosts": [format!("app-{rule}.push-{push}.example")], "paths": ["/data/*"] },
                "allowSourceRegions": ["eu"]
            })
        }));
        if let Some(shipped) = config
            .pointer_mut("/residency/rules")
            .and_then(Value::as_array_mut)
        {
            rules.append(shipped);
            *shipped = rules;
        }
        config
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(config: &Value) -> Vec<String> {
        config["residency"]["rules"]
            .as_array()
            .unwrap()
            .iter()
            .map(|rule| rule["name"].as_str().unwrap().to_owned())
            .collect()
    }

    #[test]
    fn every_push_differs_from_the_last_and_keeps_its_rule_names() {
        let configs = StormConfigs::new(RuleNames::Kept).unwrap();
        let (first, second) = (configs.push(1), configs.push(2));
        assert_ne!(first, second);
        assert_eq!(names(&first), names(&second));
        assert_eq!(names(&first).len(), RULES + 1);
        assert_eq!(names(&first).first().unwrap(), AUDITED_RULE);
        assert_eq!(names(&first).last().unwrap(), "eu-user-data");
    }

    #[test]
    fn renamed_pushes_keep_only_the_audited_rule_and_the_shipped_one() {
        let configs = StormConfigs::new(RuleNames::Renamed).unwrap();
        let (first, second) = (names(&configs.push(1)), names(&configs.push(2)));
        let shared: Vec<&String> = first.iter().filter(|name| second.contains(name)).collect();
        assert_eq!(shared, [AUDITED_RULE, "eu-user-data"]);
    }
}
