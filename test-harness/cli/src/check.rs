//! `meshborder check`: every meshborder configuration in the files, through the
//! filter's `on_configure`; one line per configuration, then a summary.

use std::path::{Path, PathBuf};

use meshborder_cli::configs::{CheckOutcome, FoundConfig, NodeIdentity, PLAIN, check, expand};
use proxy_wasm_host::Plugin;

/// Checks `paths` (files, or directories walked as [`expand`] says); `Ok(true)`
/// when every configuration was accepted.
pub fn run(
    filter: impl FnOnce() -> Result<Plugin, String>,
    paths: &[PathBuf],
    node: &NodeIdentity,
) -> Result<bool, String> {
    let (mut accepted, mut failed) = (0_usize, 0_usize);
    let sources = expand(paths).map_err(|e| e.to_string())?;
    let filter = filter()?;
    for source in sources {
        let file = source.path().to_owned();
        let found = match source.find() {
            Ok(found) => found,
            Err(error) => {
                say!("{}: ERROR {}", file.display(), error.reason);
                failed += 1;
                continue;
            }
        };
        if found.configs.is_empty() {
            if !source.must_hold_config() {
                continue;
            }
            if found.deferred.is_empty() {
                say!(
                    "{}: ERROR no meshborder plugin configuration found",
                    file.display()
                );
            } else {
                say!(
                    "{}: ERROR a template whose plugin configuration is chosen at render time \
                     (`${}`): check the JSON file it names instead",
                    file.display(),
                    found.deferred.join("`, `$")
                );
            }
            failed += 1;
            continue;
        }
        for config in &found.configs {
            match check(&filter, config, node) {
                CheckOutcome::Accepted => {
                    say!("{}: OK", label(&file, config));
                    accepted += 1;
                }
                CheckOutcome::Refused(reason) => {
                    say!("{}: REFUSED {reason}", label(&file, config));
                    failed += 1;
                }
                CheckOutcome::Misloaded(reason) => {
                    say!("{}: MISLOADED {reason}", label(&file, config));
                    failed += 1;
                }
                CheckOutcome::Failed(error) => {
                    say!("{}: FAILED {error}", label(&file, config));
                    failed += 1;
                }
            }
        }
    }
    let total = accepted + failed;
    let noun = if total == 1 {
        "configuration"
    } else {
        "configurations"
    };
    say!("{total} {noun} checked: {accepted} OK, {failed} failed");
    Ok(failed == 0)
}

/// `file` for a plain plugin config, `file#N (location)` for YAML document N
/// (from 1), `dir (location)` for a kustomize build.
fn label(file: &Path, config: &FoundConfig) -> String {
    let document = config
        .document
        .map_or_else(String::new, |i| format!("#{}", i.saturating_add(1)));
    if config.location == PLAIN {
        format!("{}{document}", file.display())
    } else {
        format!("{}{document} ({})", file.display(), config.location)
    }
}
