//! The one renderer of Envoy config templates in `envoy-config/`. Tests, the demo and
//! compose all go through it, so a topology is written once.
//!
//! A template is plain Envoy YAML with three kinds of placeholder:
//! - `{{name}}`: replaced verbatim by the value of `name` (ports, addresses, the
//!   path of the `.wasm`); a placeholder without a value is an error;
//! - `{{json:file.json}}`: replaced by the JSON file `envoy-config/file.json`,
//!   compacted and quoted as one string, which is how a plugin config becomes the
//!   `google.protobuf.StringValue` Envoy hands to the filter. `{{json:$name}}`
//!   takes the file name from the value of `name`, so one template serves several
//!   plugin configs;
//! - `{{include:file.yaml}}`, alone on its line: replaced by the YAML file
//!   `envoy-config/include/file.yaml`, every line indented to the placeholder's
//!   column. This is how every template carries the same `stats_tags`.

use std::collections::BTreeMap;
use std::fmt::Display;
use std::fs;
use std::path::{Path, PathBuf};

use crate::error::{HarnessError, Result};
use crate::paths;

const OPEN: &str = "{{";
const CLOSE: &str = "}}";
const JSON_INCLUDE: &str = "json:";
const YAML_INCLUDE: &str = "include:";
/// The folder of `{{include:...}}` files, inside `envoy-config/`.
pub const INCLUDE_DIR: &str = "include";
/// The compose file lives in `envoy-config/` too, but is no Envoy template.
pub const COMPOSE_FILE: &str = "docker-compose.yaml";

/// The values to fill in, by placeholder name.
#[derive(Debug, Clone, Default)]
pub struct Values(BTreeMap<String, String>);

impl Values {
    /// No values yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds (or replaces) the value of placeholder `name`.
    #[must_use]
    pub fn set(mut self, name: &str, value: impl Display) -> Self {
        self.0.insert(name.to_owned(), value.to_string());
        self
    }

    /// Adds every value of `other`, replacing values of the same name.
    #[must_use]
    pub fn merge(mut self, other: Self) -> Self {
        self.0.extend(other.0);
        self
    }

    fn get(&self, name: &str) -> Option<&str> {
        self.0.get(name).map(String::as_str)
    }
}

/// The file names of every template in `envoy-config/` (every `*.yaml` but the
/// compose file), sorted.
pub fn templates() -> Result<Vec<String>> {
    let dir = paths::config_dir();
    let entries = fs::read_dir(&dir)
        .map_err(|e| HarnessError::io(format!("listing `{}`", dir.display()), e))?;
    let mut names = Vec::new();
    for entry in entries {
        let entry =
            entry.map_err(|e| HarnessError::io(format!("listing `{}`", dir.display()), e))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.ends_with(".yaml") && name != COMPOSE_FILE {
            names.push(name);
        }
    }
    names.sort();
    Ok(names)
}

/// Renders `envoy-config/<template>` and writes it to `out_dir/<template>`.
pub fn render_to_dir(template: &str, values: &Values, out_dir: &Path) -> Result<PathBuf> {
    let out = out_dir.join(template);
    render_to_file(template, values, &out)?;
    Ok(out)
}

/// Renders `envoy-config/<template>` and writes it to `out`.
pub fn render_to_file(template: &str, values: &Values, out: &Path) -> Result<()> {
    let rendered = render(template, values)?;
    fs::write(out, rendered)
        .map_err(|e| HarnessError::io(format!("writing `{}`", out.display()), e))
}

/// Renders `envoy-config/<template>`.
pub fn render(template: &str, values: &Values) -> Result<String> {
    let dir = paths::config_dir();
    let text = read(&dir.join(template))?;
    render_text(template, &text, values, &|file| read(&dir.join(file)))
}

/// Renders template text. `include` returns the contents of a file named relative
/// to `envoy-config/`: `file.json` for `{{json:file.json}}`, `include/file.yaml`
/// for `{{include:file.yaml}}`.
pub fn render_text(
    template: &str,
    text: &str,
    values: &Values,
    include: &dyn Fn(&str) -> Result<String>,
) -> Result<String> {
    let fail = |reason: String| HarnessError::Render {
        template: template.to_owned(),
        reason,
    };
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some((before, after_open)) = rest.split_once(OPEN) {
        out.push_str(before);
        let (name, after_close) = after_open.split_once(CLOSE).ok_or_else(|| {
            fail(format!(
                "unterminated placeholder after `{before_tail}`",
                before_tail = tail(before)
            ))
        })?;
        if let Some(file) = name.strip_prefix(JSON_INCLUDE) {
            let file = match file.strip_prefix('$') {
                Some(value_name) => values.get(value_name).ok_or_else(|| {
                    fail(format!(
                        "no value for placeholder `{value_name}` in `{name}`"
                    ))
                })?,
                None => file,
            };
            plain_file_name(file).map_err(fail)?;
            out.push_str(&quoted_json(file, &include(file)?).map_err(fail)?);
        } else if let Some(file) = name.strip_prefix(YAML_INCLUDE) {
            plain_file_name(file).map_err(fail)?;
            let indent = line_indent(&out)
                .ok_or_else(|| fail(format!("`{{{{{name}}}}}` must stand alone on its line")))?;
            let text = include(&format!("{INCLUDE_DIR}/{file}"))?;
            out.push_str(&indented(&text, &indent));
        } else {
            let value = values
                .get(name)
                .ok_or_else(|| fail(format!("no value for placeholder `{name}`")))?;
            out.push_str(value);
        }
        rest = after_close;
    }
    out.push_str(rest);
    Ok(out)
}

/// The last few characters of `text`, to point at where a template went wrong.
fn tail(text: &str) -> &str {
    let start = text
        .char_indices()
        .rev()
        .nth(30)
        .map_or(0, |(index, _)| index);
    text.get(start..).unwrap_or(text).trim()
}

/// The whitespace before the end of `out` on its last line, or `None` when that line
/// holds anything else.
fn line_indent(out: &str) -> Option<String> {
    let line = out.rsplit('\n').next().unwrap_or_default();
    line.chars().all(|c| c == ' ').then(|| line.to_owned())
}

/// `text` without its final newline, every line after the first prefixed by `indent`.
fn indented(text: &str, indent: &str) -> String {
    text.trim_end_matches('\n')
        .lines()
        .enumerate()
        .map(|(index, line)| match (index, line.is_empty()) {
            (0, _) | (_, true) => line.to_owned(),
            _ => format!("{indent}{line}"),
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// `json` compacted and quoted as one JSON string, which is also a valid YAML scalar.
fn quoted_json(file: &str, json: &str) -> std::result::Result<String, String> {
    let value: serde_json::Value =
        serde_json::from_str(json).map_err(|e| format!("`{file}` is not valid JSON: {e}"))?;
    let compact = value.to_string();
    serde_json::to_string(&compact).map_err(|e| format!("quoting `{file}`: {e}"))
}

/// Fails unless `file` is a plain file name: includes never reach outside their folder.
fn plain_file_name(file: &str) -> std::result::Result<(), String> {
    if file.is_empty() || file.contains(['/', '\\']) || file.starts_with('.') {
        return Err(format!(
            "an include must name a file in envoy-config/ (or envoy-config/{INCLUDE_DIR}/), not `{file}`"
        ));
    }
    Ok(())
}

fn read(path: &Path) -> Result<String> {
    fs::read_to_string(path)
        .map_err(|e| HarnessError::io(format!("reading `{}`", path.display()), e))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn no_include(file: &str) -> Result<String> {
        panic!("unexpected include of {file}")
    }

    #[test]
    fn fills_in_every_placeholder() {
        let values = Values::new().set("port", 9901).set("host", "127.0.0.1");
        let out = render_text(
            "t.yaml",
            "a: {{host}}:{{port}}\nb: {{port}}",
            &values,
            &no_include,
        )
        .unwrap();
        assert_eq!(out, "a: 127.0.0.1:9901\nb: 9901");
    }

    #[test]
    fn rejects_a_placeholder_without_a_value() {
        let err = render_text(
            "t.yaml",
            "port: {{admin_port}}",
            &Values::new(),
            &no_include,
        )
        .unwrap_err();
        assert_eq!(
            err.to_string(),
            "rendering `t.yaml`: no value for placeholder `admin_port`"
        );
    }

    #[test]
    fn rejects_an_unterminated_placeholder() {
        let err =
            render_text("t.yaml", "port: {{admin_port", &Values::new(), &no_include).unwrap_err();
        assert!(
            err.to_string()
                .contains("unterminated placeholder after `port:`"),
            "{err}"
        );
    }

    #[test]
    fn inlines_a_json_file_as_one_quoted_compact_string() {
        let include = |file: &str| {
            assert_eq!(file, "plugin.json");
            Ok("{\n  \"routing\": { \"default\": \"us-east-1\" }\n}\n".to_owned())
        };
        let out = render_text(
            "t.yaml",
            "value: {{json:plugin.json}}",
            &Values::new(),
            &include,
        )
        .unwrap();
        assert_eq!(out, r#"value: "{\"routing\":{\"default\":\"us-east-1\"}}""#);
    }

    #[test]
    fn rejects_an_include_that_is_not_json() {
        let include = |_: &str| Ok("{ not json".to_owned());
        let err =
            render_text("t.yaml", "v: {{json:p.json}}", &Values::new(), &include).unwrap_err();
        assert!(
            err.to_string().contains("`p.json` is not valid JSON"),
            "{err}"
        );
    }

    #[test]
    fn rejects_an_include_outside_the_config_dir() {
        for text in ["v: {{json:../secret.json}}", "  {{include:../x.yaml}}"] {
            let err = render_text("t.yaml", text, &Values::new(), &no_include).unwrap_err();
            assert!(
                err.to_string()
                    .contains("must name a file in envoy-config/"),
                "{err}"
            );
        }
    }

    #[test]
    fn takes_a_json_file_name_from_a_value() {
        let include = |file: &str| {
            assert_eq!(file, "audit.json");
            Ok("{ \"a\": 1 }".to_owned())
        };
        let values = Values::new().set("plugin", "audit.json");
        let out = render_text("t.yaml", "v: {{json:$plugin}}", &values, &include).unwrap();
        assert_eq!(out, r#"v: "{\"a\":1}""#);
    }

    #[test]
    fn indents_an_included_yaml_file_to_its_placeholder() {
        let include = |file: &str| {
            assert_eq!(file, "include/tags.yaml");
            Ok("# tags\ntags:\n\n  - a\n".to_owned())
        };
        let out = render_text(
            "t.yaml",
            "stats:\n  {{include:tags.yaml}}\nnext: 1",
            &Values::new(),
            &include,
        )
        .unwrap();
        assert_eq!(out, "stats:\n  # tags\n  tags:\n\n    - a\nnext: 1");
    }

    #[test]
    fn rejects_an_include_that_shares_its_line() {
        let err = render_text(
            "t.yaml",
            "a: {{include:x.yaml}}",
            &Values::new(),
            &no_include,
        )
        .unwrap_err();
        assert!(err.to_string().contains("must stand alone"), "{err}");
    }

    #[test]
    fn every_shipped_template_has_only_known_placeholders() {
        let values = crate::topology::validation_values(&crate::topology::ConfigFiles {
            wasm: "/filter.wasm".to_owned(),
            certs: "/certs".to_owned(),
        });
        let templates = templates().unwrap();
        assert!(!templates.is_empty(), "no templates in envoy-config/");
        for template in templates {
            let rendered = render(&template, &values).unwrap();
            assert!(!rendered.contains(OPEN), "{template}: left a placeholder");
        }
    }
}
