//! Every Envoy config template in `envoy-config/` renders and passes
//! `envoy --mode validate` with the release `.wasm`, which also makes the filter
//! check the plugin config each one carries.

use meshborder_harness::envoy::Envoy;
use meshborder_harness::{paths, render, topology};

#[test]
fn every_shipped_envoy_config_validates() {
    let wasm = paths::filter_wasm().unwrap();
    let run_dir = paths::run_dir("envoy-validate").unwrap();
    let values = topology::validation_values(&wasm);
    let templates = render::templates().unwrap();
    assert!(!templates.is_empty(), "no templates in envoy-config/");

    for template in templates {
        let config = render::render_to_dir(&template, &values, &run_dir).unwrap();
        Envoy::validate(&config).unwrap();
    }
}
