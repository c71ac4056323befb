//! The filter's deterministic cost on the proxy-wasm host: fuel per request against
//! the recorded baseline, and linear memory over a long run.

mod fuel_regression;
mod memory;
