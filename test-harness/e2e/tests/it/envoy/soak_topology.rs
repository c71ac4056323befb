//! The soak's eu-west: `envoy-config/eu-west-inbound-watched.yaml` is the shipped
//! eu-west sidecar (`eu-west-inbound.yaml`) but for where its filter config comes
//! from, a watched file (ECDS) whose first version is the inlined default. On a
//! real Envoy, a version the filter refuses is rejected and a good one takes effect
//! on the next request, on both of eu-west's listeners.

use meshborder_e2e::client::Request;
use meshborder_e2e::ecds::Verdict;
use meshborder_e2e::mesh::Mesh;
use meshborder_e2e::topology::{
    self, ConfigFiles, EU_WEST_ECDS_TEMPLATE, EU_WEST_FILTER, EU_WEST_INBOUND,
    EU_WEST_INBOUND_WATCHED, ResidencyMode, US_EAST,
};
use meshborder_e2e::{plugin_config, render};
use meshborder_filter::contract::header;
use serde_json::{Value, json};

type TestResult<T> = Result<T, Box<dyn std::error::Error>>;

const WASM: &str = "type.googleapis.com/envoy.extensions.filters.http.wasm.v3.Wasm";

#[cfg(test)]
fn rendered(template: &str) -> TestResult<Value> {
    let values = topology::validation_values(&ConfigFiles {
        wasm: "/filter.wasm".to_owned(),
        certs: "/certs".to_owned(),
    })
    .set("version", 1);
    let yaml: serde_yaml_ng::Value = serde_yaml_ng::from_str(&render::render(template, &values)?)?;
    Ok(serde_json::to_value(yaml)?)
}

/// The first HTTP filter of every listener's connection manager.
#[cfg(test)]
fn first_http_filters(bootstrap: &mut Value) -> Vec<&mut Value> {
    let Some(listeners) = bootstrap
        .pointer_mut("/static_resources/listeners")
        .and_then(Value::as_array_mut)
    else {
        return Vec::new();
    };
    listeners
        .iter_mut()
        .filter_map(|listener| {
            listener.pointer_mut("/filter_chains/0/filters/0/typed_config/http_filters/0")
        })
        .collect()
}

#[test]
fn the_watched_eu_west_is_the_shipped_one_but_for_where_its_filter_config_comes_from() {
    let shipped = rendered(EU_WEST_INBOUND).unwrap();
    let mut watched = rendered(EU_WEST_INBOUND_WATCHED).unwrap();
    let ecds = rendered(EU_WEST_ECDS_TEMPLATE).unwrap();

    let filters = first_http_filters(&mut watched);
    assert_eq!(filters.len(), 2, "one per listener");
    for filter in filters {
        assert_eq!(filter["name"], EU_WEST_FILTER);
        let discovery = filter["config_discovery"].take();
        let source = &discovery["config_source"];
        assert_eq!(source["resource_api_version"], "V3");
        assert!(source["path_config_source"]["path"].is_string(), "{source}");
        assert_eq!(discovery["type_urls"], json!([WASM]));
        let default = discovery["default_config"].clone();
        assert_eq!(
            ecds["resources"],
            json!([{
                "@type": "type.googleapis.com/envoy.config.core.v3.TypedExtensionConfig",
                "name": EU_WEST_FILTER,
                "typed_config": default,
            }]),
            "the watched file starts with the inlined default"
        );
        *filter = json!({ "name": "envoy.filters.http.wasm", "typed_config": default });
    }
    assert_eq!(watched, shipped);
}

#[test]
fn the_watched_eu_west_refuses_a_bad_version_and_takes_a_good_one_on_the_next_request() {
    let mut mesh =
        Mesh::start_watched("soak-topology", ResidencyMode::Enforce, &[US_EAST]).unwrap();
    let listener = mesh.caller(&US_EAST).unwrap().listener;
    let user = Request::get("/users/1").header("host", "eu-user-data");
    assert_eq!(user.send(listener).unwrap().status, 403);

    let mut bad = plugin_config::shipped(ResidencyMode::Enforce.plugin_config()).unwrap();
    bad["residency"]["rules"][0]["allowSourceRegions"] = json!(["eu-wst"]);
    let refused = mesh.eu_west.reconfigure(&bad).unwrap();
    assert_eq!(refused.verdict, Verdict::Rejected, "{refused:?}");
    assert_eq!(user.send(listener).unwrap().status, 403);

    let audit = plugin_config::shipped(ResidencyMode::Audit.plugin_config()).unwrap();
    let accepted = mesh.eu_west.reconfigure(&audit).unwrap();
    assert_eq!(accepted.verdict, Verdict::Accepted, "{accepted:?}");
    assert_eq!(user.send(listener).unwrap().status, 200);
    let direct = user
        .clone()
        .header(header::SOURCE_CLUSTER, "us-east")
        .send_tls(mesh.eu_west.mtls, &mesh.trusted_client().unwrap())
        .unwrap();
    assert_eq!(direct.status, 200, "{}", direct.text());
    let stats = mesh.eu_west.config_stats().unwrap();
    assert_eq!((stats.accepted, stats.rejected), (2, 1), "{stats:?}");
    assert_eq!(stats.version, "3");
}
