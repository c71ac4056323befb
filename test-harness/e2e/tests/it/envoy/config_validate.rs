//! Every Envoy config template in `envoy-config/` renders and passes
//! `envoy --mode validate` with the release `.wasm` and real certificate files,
//! which also makes the filter check the plugin config each one carries: every
//! config of the mesh (each caller, eu-west in both modes), on loopback and with
//! compose's addresses, the gateway with compose's addresses, and every template
//! not in the mesh with the validation values.

use std::collections::BTreeSet;

use meshborder_e2e::certs::TestPki;
use meshborder_e2e::envoy::Envoy;
use meshborder_e2e::topology::{self, ConfigFiles};
use meshborder_e2e::{compose, gateway, paths, render};

#[test]
fn every_shipped_envoy_config_validates() {
    let wasm = paths::filter_wasm().unwrap();
    let run_dir = paths::run_dir("envoy-validate").unwrap();
    let pki = TestPki::generate(&run_dir.join("certs")).unwrap();
    let files = ConfigFiles::local(&wasm, &pki);
    let templates = render::templates().unwrap();
    assert!(!templates.is_empty(), "no templates in envoy-config/");

    let renderings = topology::renderings(&topology::validation_placement(), &files);
    let in_compose = topology::renderings(&compose::placement(), &files);
    for (placement, rendering) in renderings
        .iter()
        .map(|r| ("loopback", r))
        .chain(in_compose.iter().map(|r| ("compose", r)))
    {
        let config = run_dir.join(format!("{placement}-{}", rendering.file_name()));
        render::render_to_file(rendering.template, &rendering.values, &config).unwrap();
        Envoy::validate(&config).unwrap();
    }
    // The gateway with compose's addresses; the watched file must exist, as in
    // the gateway's own validation values.
    let mut gateway_site = compose::gateway_site();
    gateway_site.wasm = files.wasm.clone();
    gateway_site.ecds_path = paths::config_dir()
        .join(gateway::ECDS_TEMPLATE)
        .display()
        .to_string();
    let config = run_dir.join("compose-gateway.yaml");
    render::render_to_file(gateway::GATEWAY, &gateway::values(&gateway_site), &config).unwrap();
    Envoy::validate(&config).unwrap();

    let covered: BTreeSet<&str> = renderings.iter().map(|r| r.template).collect();
    let values = topology::validation_values(&files);
    for template in templates.iter().filter(|t| !covered.contains(t.as_str())) {
        let config = render::render_to_dir(template, &values, &run_dir).unwrap();
        Envoy::validate(&config).unwrap();
    }
}
