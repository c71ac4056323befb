//! The end-to-end tests, one binary: the release `.wasm` under the proxy-wasm host
//! (`wasm`), real Envoy processes (`envoy`), the `istio/` material (`istio`), the
//! filter's deterministic cost (`perf`), and `istio/monitoring/`'s rules under a
//! real Prometheus (`prometheus`).

#[cfg(test)]
mod envoy;
#[cfg(test)]
mod istio;
#[cfg(test)]
mod perf;
#[cfg(test)]
mod prometheus;
#[cfg(test)]
mod wasm;
