//! Read access to a request's headers, as plain data.
//!
//! The glue hands the engine the header map it fetched in one host call; tests hand
//! it a slice of pairs. Values are bytes, because a client may send bytes that are
//! not UTF-8, and the engine must not fail on them.

/// The request headers, looked up by lowercase name.
pub trait RequestHeaders {
    /// Calls `visit` with each value of `name` until it returns true; returns whether
    /// it did.
    fn any_value(&self, name: &str, visit: &mut dyn FnMut(&[u8]) -> bool) -> bool;

    /// The value of `name` when it occurs exactly once.
    fn single(&self, name: &str) -> Lookup<'_>;
}

/// How often a header occurs, and its value when it occurs once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lookup<'a> {
    /// Not present.
    Missing,
    /// Present once with this value.
    One(&'a [u8]),
    /// Present more than once: ambiguous, never believed.
    Repeated,
}

impl<'a> Lookup<'a> {
    /// The value as UTF-8 when present once and valid.
    pub fn as_str(self) -> Option<&'a str> {
        match self {
            Self::One(bytes) => std::str::from_utf8(bytes).ok(),
            Self::Missing | Self::Repeated => None,
        }
    }

    /// Whether the header is present at all.
    pub fn is_present(self) -> bool {
        !matches!(self, Self::Missing)
    }
}

impl<K: AsRef<str>, V: AsRef<[u8]>> RequestHeaders for [(K, V)] {
    fn any_value(&self, name: &str, visit: &mut dyn FnMut(&[u8]) -> bool) -> bool {
        self.iter()
            .filter(|(k, _)| k.as_ref().eq_ignore_ascii_case(name))
            .any(|(_, v)| visit(v.as_ref()))
    }

    fn single(&self, name: &str) -> Lookup<'_> {
        let mut found = Lookup::Missing;
        for (k, v) in self {
            if k.as_ref().eq_ignore_ascii_case(name) {
                if found.is_present() {
                    return Lookup::Repeated;
                }
                found = Lookup::One(v.as_ref());
            }
        }
        found
    }
}
