//! The filter's deterministic cost on the proxy-wasm host: fuel and host calls per
//! request against the recorded baselines, the floor filter's host calls against
//! meshborder's, and linear memory over a long run.

mod baseline;
mod floor;
mod fuel_regression;
mod host_calls;
mod memory;
