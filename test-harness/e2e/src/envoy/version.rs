//! Which Envoy the rig runs: the version `envoy --version` reports, and the one
//! `make test` asks for in `$MESHBORDER_ENVOY_VERSION` when it runs the contract
//! tests once per supported Envoy generation (1.40, and 1.36, Istio 1.28's).

use std::env;

use crate::error::{HarnessError, Result};
use crate::{machine, paths};

/// Environment variable naming the Envoy version the tests must be running on
/// (the Makefile sets it beside `$MESHBORDER_ENVOY`).
pub const EXPECTED_VERSION_ENV: &str = "MESHBORDER_ENVOY_VERSION";

/// The oldest Envoy the filter supports and `make test` runs: the 1.36
/// generation, which Istio 1.28 ships.
pub const OLDEST_SUPPORTED: (u32, u32) = (1, 36);

/// The version of the Envoy binary the rig starts, e.g. `1.36.4`.
pub fn version() -> Result<String> {
    let binary = paths::envoy_binary()?;
    let text = machine::output(&binary, &["--version"])?;
    parse(&text).ok_or_else(|| HarnessError::Envoy {
        reason: format!(
            "`{} --version` printed no version: `{}`",
            binary.display(),
            text.trim()
        ),
        log_tail: String::new(),
    })
}

/// The version in `envoy --version`'s line,
/// `<path>  version: <sha>/1.40.0/Clean/RELEASE/BoringSSL`.
pub fn parse(line: &str) -> Option<String> {
    let (_, rest) = line.split_once("version:")?;
    let build = rest.split_whitespace().next()?;
    let version = build.split('/').nth(1)?;
    let numeric = version.split('.').all(|part| part.parse::<u32>().is_ok());
    (numeric && !version.is_empty()).then(|| version.to_owned())
}

/// A version's major and minor numbers.
pub fn major_minor(version: &str) -> Option<(u32, u32)> {
    let mut parts = version.split('.').map(str::parse::<u32>);
    Some((parts.next()?.ok()?, parts.next()?.ok()?))
}

/// The version `make test` asked for, if it did.
pub fn expected() -> Option<String> {
    env::var(EXPECTED_VERSION_ENV)
        .ok()
        .filter(|value| !value.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_version_is_the_second_field_of_the_build_string() {
        let line = "/x/envoy  version: bad8280de85c25b147a90c1d9b8a8c67a13e7134/1.36.4/Clean/RELEASE/BoringSSL\n";
        assert_eq!(parse(line).as_deref(), Some("1.36.4"));
    }

    #[test]
    fn a_line_without_a_version_is_none() {
        assert_eq!(parse("envoy: command not found"), None);
        assert_eq!(parse("version: abc/dev/Clean"), None);
    }

    #[test]
    fn major_and_minor_are_read_as_numbers() {
        assert_eq!(major_minor("1.40.0"), Some((1, 40)));
        assert_eq!(major_minor("1.x"), None);
    }
}
