//! Regional routing: from a region, group or country header to one region, which the
//! filter writes into the routing header (`contract::header::ROUTE_REGION`) for the
//! route table to match.

use std::collections::BTreeMap;

use super::config::RoutingConfig;
use super::error::{ConfigError, Problem};
use super::fast_hash::FastMap;
use super::headers::{HeaderNames, HeaderSlot, RequestHeaders};
use super::regions::RegionCatalog;

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
pub(super) struct Routing {
    sources: Vec<RouteSource>,
    default: Option<String>,
    /// Whether the residency guard applies.
    pub(super) residency_guard: bool,
}

impl Routing {
    /// Compiles `routing`, resolving every region and group through the catalogue,
    /// and giving each source's header a slot in `names`.
    pub(super) fn compile(
        config: &RoutingConfig,
        catalog: &RegionCatalog,
        names: &mut HeaderNames,
    ) -> Result<Self, ConfigError> {
        let mut sources = Vec::with_capacity(config.sources.len());
        for (i, source) in config.sources.iter().enumerate() {
            let at = format!("routing.sources[{i}]");
            let header = compile_header_name(&source.header)
                .map_err(|e| ConfigError::new(format!("{at}.header"), e))?;
            let lookup = match &source.countries {
                None => RouteLookup::Region(region_lookup(catalog)),
                Some(table) => RouteLookup::Country(compile_countries(
                    &format!("{at}.countries"),
                    table,
                    catalog,
                )?),
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
                    .ok_or_else(|| ConfigError::new("routing.default", catalog.unknown(name)))?
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
    pub(super) fn choose<'a, H: RequestHeaders + ?Sized>(
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

/// Compiles a `countries` table; `at` says where it is.
fn compile_countries(
    at: &str,
    table: &BTreeMap<String, String>,
    catalog: &RegionCatalog,
) -> Result<FastMap<[u8; 2], String>, ConfigError> {
    let mut out = FastMap::default();
    let mut seen: FastMap<[u8; 2], &str> = FastMap::default();
    for (code, target) in table {
        let key: [u8; 2] = code
            .as_bytes()
            .try_into()
            .ok()
            .filter(|k: &[u8; 2]| k.iter().all(u8::is_ascii_alphabetic))
            .ok_or_else(|| {
                ConfigError::new(at, Problem::bad("country code", code, COUNTRY_EXPECTED))
            })?;
        let upper = key.map(|b| b.to_ascii_uppercase());
        if let Some(same_as) = seen.insert(upper, code) {
            return Err(ConfigError::new(
                at,
                Problem::DuplicateCountry {
                    value: code.clone(),
                    same_as: same_as.to_owned(),
                },
            ));
        }
        let region = catalog
            .resolve_one(target)
            .ok_or_else(|| ConfigError::new(format!("{at}.{code}"), catalog.unknown(target)))?;
        out.insert(upper, region.to_owned());
    }
    Ok(out)
}

const COUNTRY_EXPECTED: &str = "ISO 3166-1 alpha-2, two letters such as `DE`";

/// A header name from the config, lowercased; it must be a plain token.
pub(super) fn compile_header_name(raw: &str) -> Result<String, Problem> {
    let ok = !raw.is_empty()
        && raw
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b));
    if ok {
        Ok(raw.to_ascii_lowercase())
    } else {
        Err(Problem::bad(
            "header name",
            raw,
            "an HTTP header name such as `x-user-region`",
        ))
    }
}
