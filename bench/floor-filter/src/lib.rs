//! The floor: a proxy-wasm HTTP filter that makes exactly the host calls meshborder
//! cannot avoid for each request of the bench workload, and nothing else, built with
//! the same SDK, toolchain, release profile and wasm-opt step as meshborder. `make
//! bench` reports meshborder's overhead over the no-op filter divided by the floor's
//! overhead over the no-op: how far meshborder is from the least a filter doing its
//! job can cost (the goal is 1.15× at most).
//!
//! It knows a request's kind without a host call of its own: the direction from its
//! plugin configuration, read once in `on_configure` (one config per listener, as
//! meshborder with `direction: inbound` or `outbound`; see [`config`]), and the rest
//! from the request headers it must read anyway: a `:path` under the configured
//! prefix is denied, a `cf-ipcountry` header is routed. Its counters are defined in
//! `on_configure`, its identity configured. It exports what the no-op and
//! meshborder export after wasm-opt: the request-headers callback does the work,
//! `on_log` meters.
//!
//! Calls per request, and why none can go:
//!
//! | request | calls | why |
//! | --- | --- | --- |
//! | outbound tag-only | `proxy_get_header_map_pairs` 1, `proxy_replace_header_map_value` 2 | the headers, once, for the rules and routing sources; the cluster and region tags, set over whatever the caller sent. The zone tag, unknown here, is removed only when the request carries one (the headers say so): 0 calls in the workload |
//! | outbound routed | the same, `proxy_replace_header_map_value` 3 | plus the routing header |
//! | outbound denied | `proxy_get_header_map_pairs` 1, `proxy_log` 1, `proxy_increment_metric` 1, `proxy_send_local_response` 1 | the headers; the SPEC's decision line and `meshborder_residency_decisions_total`; the 403 |
//! | inbound metered, mTLS | `proxy_get_property` 2 + 2, `proxy_get_header_map_pairs` 1, `proxy_increment_metric` 3 | `connection.mtls` and the peer's URI SAN (trust); the headers (the cluster tag); in `on_log`, `request.total_size` and `response.total_size`, then the two byte counters and the request counter |
//!
//! What meshborder makes and the floor does not (measured on the wasm host by
//! `test-harness/e2e/tests/it/perf/floor.rs`, which checks the floor's calls are a
//! subset of meshborder's): with `direction: auto`, one `proxy_get_property` of
//! `xds.listener_direction` on every request, outbound and inbound. Inbound, for a
//! believed peer whose source-region tag is missing or disagrees with the
//! `clusters` table, one `proxy_replace_header_map_value` that rewrites it; the
//! bench's inbound request carries the tags a meshborder caller sends, which agree,
//! so it makes none. Not per request: meshborder's root reads
//! `request.protocol` once, at its first stream, to tell an HTTP filter from a
//! network filter; the floor is an HTTP filter only.
//!
//! The floor cannot link `meshborder-filter` for the contract's names (both would
//! export `_initialize`); the test above checks its names against the contract.

mod abi;
mod config;
mod headers;
mod stream;

/// The wasm entry point, exported to the host rather than part of the Rust API.
mod entry {
    proxy_wasm::main! {{
        proxy_wasm::set_root_context(|_| Box::<super::stream::FloorRoot>::default());
    }}
}
