//! The plugin configs the soak swaps into eu-west, one per tick, alternating a bad
//! one and a good one. Each bad one is distinct (the region group is misspelt
//! differently each time), because Envoy skips a version whose filter config is
//! the last one it saw, and the soak must see every bad one refused. The good ones
//! alternate between the shipped config and the shipped config with one more rule
//! that the load never meets, so every good one is a change Envoy must apply, and
//! every good one denies exactly what the shipped one denies.

use meshborder_filter::contract::log_line::REFUSED;
use serde_json::{Value, json};

use crate::error::Result;
use crate::plugin_config;
use crate::topology::ResidencyMode;

/// What a swap carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SwapKind {
    /// A config the filter accepts.
    Good,
    /// A config the filter refuses, saying this in Envoy's log.
    Bad {
        /// The filter's refusal, as logged.
        refusal: String,
    },
}

/// One planned swap: its config and what it is.
#[derive(Debug, Clone)]
pub struct PlannedSwap {
    /// The plugin config.
    pub config: Value,
    /// Good or bad.
    pub kind: SwapKind,
}

/// The sequence of swaps, built from eu-west's shipped (enforcing) config.
#[derive(Debug, Clone)]
pub struct SwapPlan {
    shipped: Value,
}

impl SwapPlan {
    /// The plan over eu-west's shipped config.
    pub fn new() -> Result<Self> {
        Ok(Self {
            shipped: plugin_config::shipped(ResidencyMode::Enforce.plugin_config())?,
        })
    }

    /// The swap of tick `tick` (1, 2, ...): odd ticks are bad, even ticks good.
    pub fn swap(&self, tick: u64) -> PlannedSwap {
        if tick % 2 == 1 {
            self.bad(tick.div_ceil(2))
        } else if tick % 4 == 2 {
            self.with_admin_rule()
        } else {
            PlannedSwap {
                config: self.shipped.clone(),
                kind: SwapKind::Good,
            }
        }
    }

    /// The `n`th bad config: the rule's source regions name a group that does not
    /// exist, `eu-wst-<n>`.
    fn bad(&self, n: u64) -> PlannedSwap {
        let group = format!("eu-wst-{n}");
        let mut config = self.shipped.clone();
        if let Some(regions) = config.pointer_mut("/residency/rules/0/allowSourceRegions") {
            *regions = json!([group]);
        }
        PlannedSwap {
            config,
            kind: SwapKind::Bad {
                refusal: format!(
                    "{REFUSED}rule `eu-user-data`: \
                     `allowSourceRegions[0]`: unknown region or group `{group}` (known groups: \
                     eu, us; known regions: eu-central-1, eu-west-1, us-east-1, us-west-2); list \
                     a new region in `regionGroups` or `clusters`"
                ),
            },
        }
    }

    /// The shipped config and a second rule, for `/admin`, which the load never asks
    /// for.
    fn with_admin_rule(&self) -> PlannedSwap {
        let mut config = self.shipped.clone();
        if let Some(rules) = config
            .pointer_mut("/residency/rules")
            .and_then(Value::as_array_mut)
        {
            rules.push(json!({
                "name": "eu-admin",
                "match": { "hosts": ["eu-user-data"], "paths": ["/admin/*"] },
                "allowSourceRegions": ["eu"]
            }));
        }
        PlannedSwap {
            config,
            kind: SwapKind::Good,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn alternates_distinct_bad_configs_with_two_distinct_good_ones() {
        let plan = SwapPlan::new().unwrap();
        let swaps: Vec<PlannedSwap> = (1..=8).map(|tick| plan.swap(tick)).collect();
        let kinds: Vec<bool> = swaps.iter().map(|s| s.kind == SwapKind::Good).collect();
        assert_eq!(kinds, [false, true, false, true, false, true, false, true]);
        for (index, swap) in swaps.iter().enumerate() {
            if let Some(next) = swaps.get(index + 1) {
                assert_ne!(
                    swap.config,
                    next.config,
                    "ticks {} and {}",
                    index + 1,
                    index + 2
                );
            }
        }
        let bad: Vec<&Value> = swaps
            .iter()
            .filter(|s| s.kind != SwapKind::Good)
            .map(|s| &s.config)
            .collect();
        for (index, config) in bad.iter().enumerate() {
            assert!(!bad.get(index + 1..).unwrap().contains(config), "{config}");
        }
        assert_eq!(swaps.get(3).unwrap().config, plan.shipped);
        assert_ne!(swaps.get(1).unwrap().config, plan.shipped);
    }

    #[test]
    fn each_bad_config_expects_its_own_refusal() {
        let plan = SwapPlan::new().unwrap();
        let SwapKind::Bad { refusal } = plan.swap(5).kind else {
            panic!("tick 5 is bad");
        };
        assert!(refusal.contains("unknown region or group `eu-wst-3` (known groups: eu, us;"));
    }
}
