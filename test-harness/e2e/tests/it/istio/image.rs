//! The OCI image: istio/Dockerfile builds Istio's "compat" format, and the script
//! `make image` uses prints the digest Istio checks, also when the layout holds an
//! image index (platforms, build attestations) rather than one manifest.

use std::fs;
use std::path::Path;
use std::process::Command;

use super::support::files;
use meshborder_e2e::paths;
use serde_json::{Value, json};

#[test]
fn the_image_is_istios_compat_format_with_the_module_at_plugin_wasm() {
    let dockerfile = files::read(&files::istio_dir().join("Dockerfile")).unwrap();
    let instructions: Vec<&str> = dockerfile
        .lines()
        .map(str::trim)
        .filter(|line| !line.is_empty() && !line.starts_with('#') && !line.starts_with("org."))
        .collect();
    let froms: Vec<&&str> = instructions
        .iter()
        .filter(|line| line.starts_with("FROM "))
        .collect();
    assert_eq!(froms, [&"FROM scratch"], "one stage, from scratch");
    let copies: Vec<&&str> = instructions
        .iter()
        .filter(|line| line.starts_with("COPY "))
        .collect();
    assert_eq!(
        copies,
        [&"COPY meshborder_filter.wasm /plugin.wasm"],
        "one layer: the release module (the build context is target/wasm32-wasip1/release/) at /plugin.wasm"
    );
    for line in &instructions {
        let keyword = line.split_whitespace().next().unwrap_or_default();
        assert!(
            ["FROM", "COPY", "LABEL"].contains(&keyword),
            "`{line}`: anything but FROM, COPY and LABEL adds a layer or config Istio does not read"
        );
    }
}

/// Writes `value` as the blob named `sha256:<hex>` of the layout at `dir`.
fn write_blob(dir: &Path, hex: &str, value: &Value) -> std::io::Result<()> {
    let blobs = dir.join("blobs/sha256");
    fs::create_dir_all(&blobs)?;
    fs::write(blobs.join(hex), value.to_string())
}

/// Runs `istio/oci-digest.py` on the layout at `dir`: its output, or its error.
fn digest_of(dir: &Path) -> Result<String, String> {
    let script = files::istio_dir().join("oci-digest.py");
    let output = Command::new("python3")
        .arg(&script)
        .arg(dir)
        .output()
        .map_err(|e| format!("running python3: {e}"))?;
    if output.status.success() {
        Ok(String::from_utf8_lossy(&output.stdout).trim().to_owned())
    } else {
        Err(String::from_utf8_lossy(&output.stderr).into_owned())
    }
}

/// An OCI descriptor, with a platform when given.
fn descriptor(media_type: &str, hex: &str, platform: Option<(&str, &str)>) -> Value {
    let digest = format!("sha256:{hex}");
    match platform {
        Some((os, architecture)) => json!({
            "mediaType": media_type, "digest": digest, "size": 1,
            "platform": { "os": os, "architecture": architecture }
        }),
        None => json!({ "mediaType": media_type, "digest": digest, "size": 1 }),
    }
}

const MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
const INDEX: &str = "application/vnd.oci.image.index.v1+json";

#[test]
fn the_pinned_digest_is_the_image_manifests_when_the_layout_holds_one_image() {
    let dir = paths::run_dir("istio-oci-digest-single").unwrap();
    let index =
        json!({ "schemaVersion": 2, "manifests": [descriptor(MANIFEST, &"a".repeat(64), None)] });
    fs::write(dir.join("index.json"), index.to_string()).unwrap();
    assert_eq!(digest_of(&dir).unwrap(), "a".repeat(64));
}

#[test]
fn the_pinned_digest_is_the_linux_amd64_manifests_when_the_layout_holds_an_index() {
    // What a multi-platform build with attestations writes: index.json names an
    // image index, which lists the platforms and an attestation manifest. Istio
    // resolves the index to linux/amd64 and checks that manifest's digest.
    let dir = paths::run_dir("istio-oci-digest-index").unwrap();
    let nested = json!({ "schemaVersion": 2, "manifests": [
        descriptor(MANIFEST, &"b".repeat(64), Some(("linux", "arm64"))),
        descriptor(MANIFEST, &"c".repeat(64), Some(("linux", "amd64"))),
        descriptor(MANIFEST, &"d".repeat(64), Some(("unknown", "unknown"))),
    ] });
    write_blob(&dir, &"e".repeat(64), &nested).unwrap();
    let index =
        json!({ "schemaVersion": 2, "manifests": [descriptor(INDEX, &"e".repeat(64), None)] });
    fs::write(dir.join("index.json"), index.to_string()).unwrap();
    assert_eq!(digest_of(&dir).unwrap(), "c".repeat(64));
}
