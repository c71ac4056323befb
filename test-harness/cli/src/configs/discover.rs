//! From what a user names (files and directories) to what to check.
//!
//! A directory is walked in name order. A directory with a buildable
//! kustomization is checked as its build, not file by file (its patches are
//! partial); other directories contribute their YAML files and the JSON files with
//! `plugin` in their name (the project's naming of plugin configurations). Files
//! found by walking that hold no configuration are passed over; a file named
//! explicitly must hold one.

use std::fs;
use std::path::{Path, PathBuf};

use super::kustomize;
use super::{Discovery, SourceError, find_in_file, find_in_kustomization};

/// Something to look for configurations in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// A file; `explicit` when the user named it.
    File {
        /// The file.
        path: PathBuf,
        /// Whether it was named rather than found by walking.
        explicit: bool,
    },
    /// A directory to `kustomize build`.
    Kustomization {
        /// The directory.
        dir: PathBuf,
    },
}

impl Source {
    /// The file or directory.
    pub fn path(&self) -> &Path {
        match self {
            Self::File { path, .. } => path,
            Self::Kustomization { dir } => dir,
        }
    }

    /// Whether finding no configuration here is an error.
    pub fn must_hold_config(&self) -> bool {
        match self {
            Self::File { explicit, .. } => *explicit,
            Self::Kustomization { .. } => false,
        }
    }

    /// The configurations in it.
    pub fn find(&self) -> Result<Discovery, SourceError> {
        match self {
            Self::File { path, .. } => find_in_file(path),
            Self::Kustomization { dir } => find_in_kustomization(dir),
        }
    }
}

/// What to look in for `paths`.
pub fn expand(paths: &[PathBuf]) -> Result<Vec<Source>, SourceError> {
    let mut sources = Vec::new();
    for path in paths {
        if path.is_dir() {
            walk(path, &mut sources)?;
        } else {
            sources.push(Source::File {
                path: path.clone(),
                explicit: true,
            });
        }
    }
    Ok(sources)
}

fn walk(dir: &Path, sources: &mut Vec<Source>) -> Result<(), SourceError> {
    let entries = fs::read_dir(dir).map_err(|e| SourceError {
        file: dir.to_owned(),
        reason: format!("cannot list it: {e}"),
    })?;
    let mut paths: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .collect();
    paths.sort();
    let kustomized = kustomize::kustomization_file(dir).is_some();
    if kustomize::is_buildable(dir) {
        sources.push(Source::Kustomization {
            dir: dir.to_owned(),
        });
    }
    for path in paths {
        if path.is_dir() {
            walk(&path, sources)?;
        } else if wanted(&path, kustomized) {
            sources.push(Source::File {
                path,
                explicit: false,
            });
        }
    }
    Ok(())
}

fn wanted(path: &Path, kustomized: bool) -> bool {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    match path.extension().and_then(|e| e.to_str()) {
        Some("yaml" | "yml") => !kustomized,
        Some("json") => name.contains("plugin"),
        _ => false,
    }
}
