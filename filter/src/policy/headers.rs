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

    /// Adds to `out` the names of headers that read as `name` once `_` is taken for
    /// `-`, but are not spelt `name`: CGI-style servers (WSGI, Rack, PHP) turn both
    /// spellings into the same variable, so a lookalike of a tag is a forged tag.
    fn lookalikes<'s>(&'s self, name: &str, out: &mut Vec<&'s str>);
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

    fn lookalikes<'s>(&'s self, name: &str, out: &mut Vec<&'s str>) {
        for (k, _) in self {
            let k = k.as_ref();
            let reads_as_name = k.len() == name.len()
                && k.contains('_')
                && k.bytes().zip(name.bytes()).all(|(a, b)| {
                    let a = if a == b'_' { b'-' } else { a };
                    a.eq_ignore_ascii_case(&b)
                });
            if reads_as_name && !out.contains(&k) {
                out.push(k);
            }
        }
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
