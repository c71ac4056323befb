//! Regional routing: from a region, group or country header to one region, which the
//! filter writes into `x-meshborder-route-region` for the route table to match.

use std::collections::BTreeMap;

use super::config::RoutingConfig;
use super::error::ConfigError;
use super::fast_hash::FastMap;
use super::headers::{HeaderNames, HeaderSlot, RequestHeaders};
use super::regions::RegionCatalog;

/// The routing header the filter sets.
pub const ROUTE_REGION_HEADER: &str = "x-meshborder-route-region";

/// One compiled routing source: the header it reads, and how.
#[derive(Debug)]
struct RouteSource {
    header: String,
    /// The header's slot in the policy's `HeaderNames`, when it got one.
    slot: Option<HeaderSlot>,
    lookup: RouteLookup,
}

#[derive(Debug)]
enum RouteLookup {
    /// The header names a region or a group (lowercase value lookups).
    Region(FastMap<String, String>),
    /// The header holds a country code, looked up upper-case.
    Country(FastMap<[u8; 2], String>),
}

/// The compiled `routing` section.
#[derive(Debug)]
pub struct Routing {
    sources: Vec<RouteSource>,
    default: Option<String>,
    /// Whether the residency guard applies.
    pub residency_guard: bool,
}

impl Routing {
    /// Compiles `routing`, resolving every region and group through the catalogue,
    /// and giving each source's header a slot in `names`.
    pub fn compile(
        config: &RoutingConfig,
        catalog: &RegionCatalog,
        names: &mut HeaderNames,
    ) -> Result<Self, ConfigError> {
        let mut sources = Vec::with_capacity(config.sources.len());
        for (i, source) in config.sources.iter().enumerate() {
            let at = format!("routing.sources[{i}]");
            let header = compile_header_name(&source.header).map_err(|e| e.at(&at))?;
            let lookup = match &source.countries {
                None => RouteLookup::Region(region_lookup(catalog)),
                Some(table) => {
                    RouteLookup::Country(compile_countries(table, catalog).map_err(|e| e.at(&at))?)
                }
            };
            sources.push(RouteSource {
                slot: names.add(&header),
                header,
                lookup,
            });
        }
        let default = match &config.default {
            None => None,
            Some(name) => Some(
                catalog
                    .resolve_one(name)
                    .ok_or_else(|| catalog.unknown(name).at("routing.default"))?
                    .to_owned(),
            ),
        };
        Ok(Self {
            sources,
            default,
            residency_guard: config.residency_guard,
        })
    }

    /// The region the request should go to: the first source that yields a known
    /// region, then the default. Unknown values fall through, never fail.
    pub fn choose<'a, H: RequestHeaders + ?Sized>(
        &'a self,
        headers: &H,
        names: &HeaderNames,
    ) -> Option<&'a str> {
        self.sources
            .iter()
            .find_map(|source| source.resolve(headers, names))
            .or(self.default.as_deref())
    }
}

impl RouteSource {
    fn resolve<H: RequestHeaders + ?Sized>(
        &self,
        headers: &H,
        names: &HeaderNames,
    ) -> Option<&str> {
        let found = match self.slot {
            Some(slot) => headers.slot(names, slot),
            None => headers.single(&self.header),
        };
        let value = found.as_str()?.trim();
        match &self.lookup {
            RouteLookup::Region(regions) => if value.bytes().any(|b| b.is_ascii_uppercase()) {
                regions.get(&value.to_ascii_lowercase())
            } else {
                regions.get(value)
            }
            .map(String::as_str),
            RouteLookup::Country(countries) => {
                let code: [u8; 2] = value.as_bytes().try_into().ok()?;
                countries
                    .get(&code.map(|b| b.to_ascii_uppercase()))
                    .map(String::as_str)
            }
        }
    }
}

/// Every region and group name, lowercased, to the region it routes to.
fn region_lookup(catalog: &RegionCatalog) -> FastMap<String, String> {
    catalog
        .names()
        .filter_map(|name| {
            let region = catalog.resolve_one(name)?;
            Some((name.to_ascii_lowercase(), region.to_owned()))
        })
        .collect()
}

fn compile_countries(
    table: &BTreeMap<String, String>,
    catalog: &RegionCatalog,
) -> Result<FastMap<[u8; 2], String>, ConfigError> {
    let mut out = FastMap::default();
    for (code, target) in table {
        let key: [u8; 2] = code
            .as_bytes()
            .try_into()
            .ok()
            .filter(|k: &[u8; 2]| k.iter().all(u8::is_ascii_alphabetic))
            .ok_or_else(|| ConfigError::BadCountry {
                value: code.clone(),
            })?;
        let region = catalog
            .resolve_one(target)
            .ok_or_else(|| catalog.unknown(target).at(format!("countries.{code}")))?;
        let upper = key.map(|b| b.to_ascii_uppercase());
        if out.insert(upper, region.to_owned()).is_some() {
            return Err(ConfigError::BadCountry {
                value: format!("{code} (listed twice, in different case)"),
            });
        }
    }
    Ok(out)
}

/// A header name from the config, lowercased; it must be a plain token.
pub fn compile_header_name(raw: &str) -> Result<String, ConfigError> {
    let ok = !raw.is_empty()
        && raw
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b));
    if ok {
        Ok(raw.to_ascii_lowercase())
    } else {
        Err(ConfigError::BadPattern {
            field: "header".to_owned(),
            value: raw.to_owned(),
            expected: "an HTTP header name such as `x-user-region`",
        })
    }
}
