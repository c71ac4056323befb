//! The region catalogue: which region names exist and which groups name them.
//!
//! Built once from `regionGroups`, the `clusters` table and the local identity.
//! Region lists in rules and routing accept a region or a group; anything else is a
//! configuration error, so a typo such as `eu-wst` cannot silently match nothing.

use std::collections::BTreeMap;

use super::error::{ConfigError, Problem};
use super::fast_hash::{FastMap, FastSet};
use super::names::check_name;

/// Every region and group the configuration knows.
#[derive(Debug, Default)]
pub struct RegionCatalog {
    regions: FastSet<String>,
    groups: FastMap<String, Vec<String>>,
    group_names: Vec<String>,
}

/// An expanded region list: the regions in the order given (groups in their own
/// order), and a set for lookups.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RegionSet {
    ordered: Vec<String>,
    set: FastSet<String>,
}

impl RegionSet {
    /// Whether `region` is in the set.
    pub fn contains(&self, region: &str) -> bool {
        self.set.contains(region)
    }

    /// The first region of the list, used by the routing guard.
    pub fn first(&self) -> Option<&str> {
        self.ordered.first().map(String::as_str)
    }
}

impl RegionCatalog {
    /// Builds the catalogue and checks every name in it.
    pub fn build<'a>(
        groups: &BTreeMap<String, Vec<String>>,
        extra_regions: impl IntoIterator<Item = &'a str>,
    ) -> Result<Self, ConfigError> {
        let mut catalog = Self::default();
        for region in extra_regions {
            catalog.regions.insert(region.to_owned());
        }
        for (name, members) in groups {
            check_name("regionGroups", name)?;
            let at = format!("regionGroups.{name}");
            if members.is_empty() {
                return Err(ConfigError::new(
                    at,
                    Problem::EmptyList {
                        hint: "a group needs at least one region",
                    },
                ));
            }
            for (i, member) in members.iter().enumerate() {
                check_name(&format!("{at}[{i}]"), member)?;
                catalog.regions.insert(member.clone());
            }
            catalog.groups.insert(name.clone(), members.clone());
            catalog.group_names.push(name.clone());
        }
        for name in &catalog.group_names {
            if catalog.regions.contains(name) {
                return Err(ConfigError::new(
                    "regionGroups",
                    Problem::GroupIsRegion(name.clone()),
                ));
            }
        }
        Ok(catalog)
    }

    /// Every region and group name.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.regions
            .iter()
            .chain(self.group_names.iter())
            .map(String::as_str)
    }

    /// A region or group name resolved to one region: a group gives its first region.
    pub fn resolve_one(&self, name: &str) -> Option<&str> {
        if let Some(region) = self.regions.get(name) {
            return Some(region.as_str());
        }
        self.groups
            .get(name)
            .and_then(|members| members.first())
            .map(String::as_str)
    }

    /// Expands a list of regions and groups; `path` says where the list is.
    pub fn expand(&self, path: &str, names: &[String]) -> Result<RegionSet, ConfigError> {
        if names.is_empty() {
            return Err(ConfigError::new(
                path,
                Problem::EmptyList {
                    hint: "omit it to leave it unconstrained",
                },
            ));
        }
        let mut out = RegionSet::default();
        for (i, name) in names.iter().enumerate() {
            let members: &[String] = if let Some(members) = self.groups.get(name) {
                members
            } else if self.regions.contains(name) {
                std::slice::from_ref(name)
            } else {
                return Err(ConfigError::new(format!("{path}[{i}]"), self.unknown(name)));
            };
            for member in members {
                if out.set.insert(member.clone()) {
                    out.ordered.push(member.clone());
                }
            }
        }
        Ok(out)
    }

    /// The problem of a name that is neither a region nor a group: it lists both.
    pub fn unknown(&self, name: &str) -> Problem {
        let mut regions: Vec<String> = self.regions.iter().cloned().collect();
        regions.sort_unstable();
        Problem::UnknownRegion {
            value: name.to_owned(),
            groups: self.group_names.clone(),
            regions,
        }
    }
}
