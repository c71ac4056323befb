//! The two forms of istio/'s plugins. A cluster overlay names its form in one line
//! of its `components`: `../../components/traffic-extension` (Istio 1.30 and
//! later, what istio/ ships) or `../../components/wasmplugin` (Istio 1.22 to 1.29).
//! The other form is built the way a user gets it: from a copy of istio/, made
//! once per test binary, in which that one line of every cluster overlay is
//! switched, with nothing else changed.

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use meshborder_e2e::paths;
use serde_json::Value;

use super::Result;
use super::files::{self, shown};
use super::kustomize;
use super::views::plugin::Form;

/// The form istio/ ships.
pub const SHIPPED: Form = Form::TrafficExtension;

/// How an overlay lists the component of `form`.
pub fn form_line(form: Form) -> String {
    format!("../../components/{}", form.component())
}

/// The form `dir` (relative to istio/) names in its `components`, `None` for an
/// overlay that names none (it builds on another overlay, whose form it keeps).
/// Naming both, or one twice, is an error.
pub fn named_form(dir: &str) -> Result<Option<Form>> {
    let path = files::istio_dir().join(dir).join("kustomization.yaml");
    let kustomization = files::load_single_yaml(&path)?;
    let components = kustomization["components"].as_array().cloned();
    let mut named = Vec::new();
    for component in components.iter().flatten().filter_map(Value::as_str) {
        if let Some(form) = Form::ALL.into_iter().find(|f| form_line(*f) == component) {
            named.push(form);
        }
    }
    match named.as_slice() {
        [] => Ok(None),
        [form] => Ok(Some(*form)),
        _ => Err(format!(
            "`{}` names more than one form: {named:?}",
            shown(&path)
        )),
    }
}

/// `kustomize build` of `dir` (relative to istio/) with every cluster overlay in
/// `form`.
pub fn build_as(dir: &str, form: Form) -> Result<Vec<Value>> {
    if form == SHIPPED {
        return kustomize::build(dir);
    }
    kustomize::build_path(&copy_in(form)?.join(dir))
}

/// The copy of istio/ in `form` (only [`Form::WasmPlugin`] needs one).
fn copy_in(form: Form) -> Result<PathBuf> {
    static COPY: OnceLock<Result<PathBuf>> = OnceLock::new();
    if form != Form::WasmPlugin {
        return Err(format!("istio/ ships {form:?}: it needs no copy"));
    }
    COPY.get_or_init(|| {
        let run = paths::run_dir("istio-as-wasmplugin").map_err(|e| e.to_string())?;
        let copy = run.join("istio");
        copy_dir(&files::istio_dir(), &copy)?;
        switch_form_lines(&copy, form)?;
        Ok(copy)
    })
    .clone()
}

/// Replaces, in every overlay under `istio` that names the shipped form, that
/// line by `form`'s.
fn switch_form_lines(istio: &Path, form: Form) -> Result<()> {
    let (from, to) = (form_line(SHIPPED), form_line(form));
    let overlays = istio.join("overlays");
    let entries = fs::read_dir(&overlays).map_err(|e| format!("listing overlays: {e}"))?;
    for entry in entries {
        let path = entry
            .map_err(|e| format!("listing overlays: {e}"))?
            .path()
            .join("kustomization.yaml");
        let text = files::read(&path)?;
        let line = format!("  - {from}\n");
        match text.matches(&line).count() {
            0 => {}
            1 => fs::write(&path, text.replace(&line, &format!("  - {to}\n")))
                .map_err(|e| format!("writing `{}`: {e}", path.display()))?,
            n => return Err(format!("`{}` names {from} {n} times", path.display())),
        }
    }
    Ok(())
}

/// Copies the directory tree `from` to `to`.
fn copy_dir(from: &Path, to: &Path) -> Result<()> {
    fs::create_dir_all(to).map_err(|e| format!("creating `{}`: {e}", to.display()))?;
    let entries = fs::read_dir(from).map_err(|e| format!("listing `{}`: {e}", shown(from)))?;
    for entry in entries {
        let source = entry
            .map_err(|e| format!("listing `{}`: {e}", shown(from)))?
            .path();
        let target = to.join(source.file_name().unwrap_or_default());
        if source.is_dir() {
            copy_dir(&source, &target)?;
        } else {
            fs::copy(&source, &target).map_err(|e| format!("copying `{}`: {e}", shown(&source)))?;
        }
    }
    Ok(())
}
