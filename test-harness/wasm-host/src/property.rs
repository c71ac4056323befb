//! Properties: what `proxy_get_property` returns for a path, as raw bytes.
//!
//! Envoy serves strings as their UTF-8 bytes, integers as 8-byte little-endian
//! values and booleans as one byte; the conversions into [`PropertyValue`] encode
//! exactly that, and [`PropertyValue::raw`] sends any other bytes, for testing how a
//! plugin copes with a value in an unexpected encoding.

use std::borrow::Borrow;
use std::collections::HashMap;

use super::codec::encode_path;

/// A property path, as its encoded bytes (segments joined by NUL).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PropertyPath(Vec<u8>);

impl PropertyPath {
    /// The path of these segments.
    pub fn new<S: AsRef<str>>(segments: &[S]) -> Self {
        Self(encode_path(segments))
    }

    /// The path as the guest encodes it.
    pub fn from_encoded(bytes: &[u8]) -> Self {
        Self(bytes.to_vec())
    }

    /// The encoded bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }
}

impl Borrow<[u8]> for PropertyPath {
    fn borrow(&self) -> &[u8] {
        &self.0
    }
}

impl<S: AsRef<str>, const N: usize> From<[S; N]> for PropertyPath {
    fn from(segments: [S; N]) -> Self {
        Self::new(&segments)
    }
}

impl<S: AsRef<str>> From<&[S]> for PropertyPath {
    fn from(segments: &[S]) -> Self {
        Self::new(segments)
    }
}

impl<S: AsRef<str>> From<Vec<S>> for PropertyPath {
    fn from(segments: Vec<S>) -> Self {
        Self::new(&segments)
    }
}

/// The bytes of a property value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PropertyValue(Vec<u8>);

impl PropertyValue {
    /// Exactly these bytes.
    pub fn raw(bytes: impl Into<Vec<u8>>) -> Self {
        Self(bytes.into())
    }

    /// The bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }
}

impl From<&str> for PropertyValue {
    fn from(value: &str) -> Self {
        Self(value.as_bytes().to_vec())
    }
}

impl From<String> for PropertyValue {
    fn from(value: String) -> Self {
        Self(value.into_bytes())
    }
}

impl From<&[u8]> for PropertyValue {
    fn from(value: &[u8]) -> Self {
        Self(value.to_vec())
    }
}

impl From<Vec<u8>> for PropertyValue {
    fn from(value: Vec<u8>) -> Self {
        Self(value)
    }
}

/// An integer, as Envoy encodes it: 8 bytes, little-endian.
impl From<u64> for PropertyValue {
    fn from(value: u64) -> Self {
        Self(value.to_le_bytes().to_vec())
    }
}

/// A signed integer, as Envoy encodes it: 8 bytes, little-endian.
impl From<i64> for PropertyValue {
    fn from(value: i64) -> Self {
        Self(value.to_le_bytes().to_vec())
    }
}

/// A boolean, as Envoy encodes it: one byte, 1 or 0.
impl From<bool> for PropertyValue {
    fn from(value: bool) -> Self {
        Self(vec![u8::from(value)])
    }
}

/// What a layer of properties says about a path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lookup<'a> {
    /// The layer has a value.
    Value(&'a [u8]),
    /// The layer hides the path: the host answers `NotFound`.
    Hidden,
    /// The layer says nothing; ask the next one.
    Unset,
}

/// One layer of properties: values, and paths explicitly made absent.
#[derive(Debug, Clone, Default)]
pub struct Properties {
    entries: HashMap<PropertyPath, Option<Vec<u8>>>,
}

impl Properties {
    /// Sets `path` to `value`.
    pub fn set(&mut self, path: PropertyPath, value: PropertyValue) {
        self.entries.insert(path, Some(value.0));
    }

    /// Makes `path` absent, even if a lower layer has it.
    pub fn hide(&mut self, path: PropertyPath) {
        self.entries.insert(path, None);
    }

    /// What this layer says about `path`.
    pub fn lookup(&self, path: &[u8]) -> Lookup<'_> {
        match self.entries.get(path) {
            Some(Some(value)) => Lookup::Value(value),
            Some(None) => Lookup::Hidden,
            None => Lookup::Unset,
        }
    }
}
