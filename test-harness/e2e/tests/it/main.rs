//! The end-to-end tests, one binary: the release `.wasm` under the proxy-wasm host
//! (`wasm`), real Envoy processes (`envoy`), the `istio/` material (`istio`), and
//! the filter's deterministic cost (`perf`).

#[cfg(test)]
mod envoy;
#[cfg(test)]
mod istio;
#[cfg(test)]
mod perf;
#[cfg(test)]
mod wasm;
