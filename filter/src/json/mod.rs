//! The two pieces of JSON handling the filter writes by hand instead of taking
//! them from a library, each because the library measurably cost more, and each
//! checked against that library by a test: the one-line object writer (against
//! `serde_json`) and the locator of a config error's path (against
//! `serde_path_to_error`). Their headers give the figures.

mod error_path;
mod writer;

pub(crate) use error_path::error_path;
pub(crate) use writer::JsonObject;
