//! A filter config served through Envoy's file-based extension config discovery
//! (ECDS): the file Envoy watches, written so that Envoy only ever reads a whole
//! version, and the counters that say what Envoy made of each version.
//!
//! Envoy watches the file's directory and reads the file again when something is
//! *moved* onto its name. So every version is written to a temporary file in the
//! same directory and renamed into place: one atomic step, never a half-written
//! file. A version the filter refuses (`on_configure` returns false) is rejected,
//! and the last accepted one keeps serving.

use std::fs;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::envoy::Envoy;
use crate::error::{HarnessError, Result};
use crate::plugin_config;
use crate::poll;
use crate::render::Values;

/// The root of the ECDS counters of the downstream HTTP filter named `filter`.
pub fn stat_prefix(filter: &str) -> String {
    format!("extension_config_discovery.http_filter.{filter}.")
}

/// The watched file of one discovered filter config, and the versions written to it.
#[derive(Debug)]
pub struct EcdsFile {
    path: PathBuf,
    template: String,
    values: Values,
    version: u64,
    last: Option<Value>,
}

impl EcdsFile {
    /// The file at `path`, rendered from `envoy-config/<template>` with `values`
    /// plus `version`. Nothing is written until [`EcdsFile::publish`].
    pub fn new(path: PathBuf, template: &str, values: Values) -> Self {
        Self {
            path,
            template: template.to_owned(),
            values,
            version: 0,
            last: None,
        }
    }

    /// Where the file is.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The number of the last version written; 0 before the first.
    pub fn version(&self) -> u64 {
        self.version
    }

    /// Whether `plugin_config` is the one the last version carried. Envoy skips a
    /// version whose filter config is the last one it saw, accepted or not: it
    /// counts it as a success and changes nothing.
    pub fn is_last(&self, plugin_config: &Value) -> bool {
        self.last.as_ref() == Some(plugin_config)
    }

    /// Renders the next version with `plugin_config` and moves it into place;
    /// returns its number (its `version_info`), 1 for the first.
    pub fn publish(&mut self, plugin_config: &Value) -> Result<u64> {
        let version = self.version + 1;
        let values = self.values.clone().set("version", version);
        let text = plugin_config::render_with(&self.template, &values, plugin_config)?;
        write_atomically(&self.path, &text)?;
        self.version = version;
        self.last = Some(plugin_config.clone());
        Ok(version)
    }
}

/// Writes `text` to `path` in one step: into a temporary file in the same
/// directory, then renamed over `path` (a rename within a directory is atomic).
pub fn write_atomically(path: &Path, text: &str) -> Result<()> {
    let name = path.file_name().map_or_else(
        || "ecds".to_owned(),
        |name| name.to_string_lossy().into_owned(),
    );
    let temporary = path.with_file_name(format!(".{name}.tmp"));
    fs::write(&temporary, text)
        .map_err(|e| HarnessError::io(format!("writing `{}`", temporary.display()), e))?;
    fs::rename(&temporary, path).map_err(|e| {
        HarnessError::io(
            format!("moving `{}` onto `{}`", temporary.display(), path.display()),
            e,
        )
    })
}

/// What Envoy made of the versions of one discovered filter config so far.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EcdsStats {
    /// Versions accepted (`update_success`), including ones skipped as unchanged.
    pub accepted: u64,
    /// Versions rejected (`update_rejected`): the filter refused them.
    pub rejected: u64,
    /// Failed updates (`config_fail`): rejected, or not readable at all.
    pub failed: u64,
    /// Updates handed to the workers (`config_reload`). Envoy 1.40 counts a
    /// rejected version here too, so this alone does not mean success.
    pub reloads: u64,
    /// The `version_info` of the last accepted version (`version_text`), empty
    /// before the first.
    pub version: String,
}

impl EcdsStats {
    /// Reads the counters of the HTTP filter named `filter` from `envoy`'s admin API.
    pub fn read(envoy: &Envoy, filter: &str) -> Result<Self> {
        let prefix = stat_prefix(filter);
        let text = envoy.admin_get(&format!("/stats?filter={prefix}"))?;
        let stat = |name: &str| {
            text.lines()
                .find_map(|line| {
                    line.strip_prefix(&prefix)?
                        .strip_prefix(name)?
                        .strip_prefix(": ")
                })
                .ok_or_else(|| envoy.error(&format!("no stat `{prefix}{name}` in:\n{text}")))
        };
        let counter = |name: &str| -> Result<u64> {
            let value = stat(name)?;
            value.parse().map_err(|_| {
                envoy.error(&format!("stat `{prefix}{name}` is `{value}`, not a number"))
            })
        };
        Ok(Self {
            accepted: counter("update_success")?,
            rejected: counter("update_rejected")?,
            failed: counter("config_fail")?,
            reloads: counter("config_reload")?,
            version: stat("version_text")?.trim_matches('"').to_owned(),
        })
    }
}

/// What Envoy did with a version.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Accepted and in effect on every worker: the next request uses it.
    Accepted,
    /// Counted as a success, but skipped: its filter config was the last one Envoy
    /// saw (even a rejected one), so nothing changed.
    Unchanged,
    /// Rejected: the last accepted version keeps serving.
    Rejected,
}

/// One version moved into place, and what became of it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConfigUpdate {
    /// Its number (its `version_info`).
    pub version: u64,
    /// What Envoy did with it.
    pub verdict: Verdict,
    /// From the rename to the verdict showing in Envoy's counters (polled, so up to
    /// one polling interval late).
    pub took: Duration,
}

/// Publishes `plugin_config` as the next version of `file`, which `envoy`
/// discovers as the HTTP filter `filter`, and waits for Envoy's verdict.
pub fn publish_and_wait(
    envoy: &Envoy,
    filter: &str,
    file: &mut EcdsFile,
    plugin_config: &Value,
) -> Result<ConfigUpdate> {
    let unchanged = file.is_last(plugin_config);
    let before = EcdsStats::read(envoy, filter)?;
    let version = file.publish(plugin_config)?;
    let published = Instant::now();
    let what = format!(
        "envoy's verdict on version {version} of `{}`",
        file.path().display()
    );
    let verdict = poll::until(&what, || {
        let now = EcdsStats::read(envoy, filter)?;
        let verdict = if now.rejected > before.rejected {
            Some(Verdict::Rejected)
        } else if now.accepted > before.accepted && unchanged {
            Some(Verdict::Unchanged)
        } else if now.accepted > before.accepted && now.reloads > before.reloads {
            Some(Verdict::Accepted)
        } else {
            None
        };
        Ok(verdict)
    })?;
    Ok(ConfigUpdate {
        version,
        verdict,
        took: published.elapsed(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replaces_a_file_in_one_step_and_leaves_no_temporary_file() {
        let dir = crate::paths::run_dir("ecds-write").unwrap();
        let path = dir.join("filter.yaml");
        write_atomically(&path, "version_info: \"1\"\n").unwrap();
        write_atomically(&path, "version_info: \"2\"\n").unwrap();
        assert_eq!(fs::read_to_string(&path).unwrap(), "version_info: \"2\"\n");
        let names: Vec<String> = fs::read_dir(&dir)
            .unwrap()
            .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert_eq!(names, ["filter.yaml"]);
    }

    #[test]
    fn numbers_each_version_and_remembers_its_config() {
        let dir = crate::paths::run_dir("ecds-versions").unwrap();
        let values = crate::gateway::validation_values(Path::new("/filter.wasm"));
        let mut file = EcdsFile::new(
            dir.join("meshborder.yaml"),
            crate::gateway::ECDS_TEMPLATE,
            values,
        );
        let config = serde_json::json!({ "routing": { "default": "eu-west-1" } });
        assert_eq!(file.publish(&config).unwrap(), 1);
        assert_eq!(file.publish(&serde_json::json!({})).unwrap(), 2);
        assert!(file.is_last(&serde_json::json!({})));
        assert!(!file.is_last(&config));
        let text = fs::read_to_string(file.path()).unwrap();
        assert!(text.contains("version_info: \"2\""), "{text}");
        assert!(text.contains(r#"value: "{}""#), "{text}");
    }
}
