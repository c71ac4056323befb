//! Read access to a request's headers, as plain data.
//!
//! The glue hands the engine the header map it fetched in one host call, as the
//! host serialized it ([`SerializedHeaders`], read in place, nothing copied); tests
//! hand it a slice of pairs. Values are bytes, because a client may send bytes
//! that are not UTF-8, and the engine must not fail on them.

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

    /// The header in `slot` of `names`, as [`RequestHeaders::single`] finds it; a
    /// map indexed by those names answers without looking.
    fn slot(&self, names: &HeaderNames, slot: HeaderSlot) -> Lookup<'_> {
        names
            .name(slot)
            .map_or(Lookup::Missing, |name| self.single(name))
    }
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

/// Whether a header's name is `lowercase`, ASCII case ignored. Hosts hand names
/// over lowercase (Envoy's codecs do), so an exact comparison decides nearly every
/// time; the case-insensitive one, several times as costly in wasm, only runs for a
/// name that holds an upper-case letter.
fn name_eq(name: &[u8], lowercase: &[u8]) -> bool {
    name == lowercase
        || (name.len() == lowercase.len()
            && name.iter().any(u8::is_ascii_uppercase)
            && name.eq_ignore_ascii_case(lowercase))
}

/// A header map in proxy-wasm's wire format, read in place: a little-endian `u32`
/// count, then a `u32` name size and a `u32` value size per header, then each name
/// and each value followed by a NUL byte. Nothing is copied or allocated; a buffer
/// cut short ends a lookup where it stops making sense.
#[derive(Debug, Clone, Copy)]
pub(super) struct SerializedHeaders<'a> {
    sizes: &'a [u8],
    data: &'a [u8],
}

impl<'a> SerializedHeaders<'a> {
    /// Reads the header of the buffer; an empty or short buffer is an empty map.
    pub(super) fn new(buffer: &'a [u8]) -> Self {
        let count = buffer
            .get(..4)
            .and_then(|b| <[u8; 4]>::try_from(b).ok())
            .map_or(0, |b| u32::from_le_bytes(b) as usize);
        let sizes_end = count.saturating_mul(8).saturating_add(4);
        match (buffer.get(4..sizes_end), buffer.get(sizes_end..)) {
            (Some(sizes), Some(data)) => Self { sizes, data },
            _ => Self {
                sizes: &[],
                data: &[],
            },
        }
    }

    /// Calls `visit` with the value of each header named `name` (ASCII case
    /// ignored), in order, until it returns true; returns whether it did. Only the
    /// sizes are read for the other headers, so a lookup costs a few instructions
    /// per header.
    fn scan(&self, name: &[u8], visit: &mut dyn FnMut(&'a [u8]) -> bool) -> bool {
        let mut offset: usize = 0;
        for sizes in self.sizes.chunks_exact(8) {
            let Ok(&[n0, n1, n2, n3, v0, v1, v2, v3]) = <&[u8; 8]>::try_from(sizes) else {
                return false;
            };
            let name_len = u32::from_le_bytes([n0, n1, n2, n3]) as usize;
            let value_len = u32::from_le_bytes([v0, v1, v2, v3]) as usize;
            let value_start = offset.saturating_add(name_len).saturating_add(1);
            let next = value_start.saturating_add(value_len).saturating_add(1);
            if name_len == name.len() {
                let (Some(key), Some(value)) = (
                    self.data.get(offset..offset.saturating_add(name_len)),
                    self.data.get(value_start..next.saturating_sub(1)),
                ) else {
                    return false;
                };
                if name_eq(key, name) && visit(value) {
                    return true;
                }
            }
            offset = next;
        }
        false
    }
}

impl<'a> SerializedHeaders<'a> {
    /// Calls `visit` with every header, in order, as (name, value).
    fn for_each(&self, visit: &mut dyn FnMut(&'a [u8], &'a [u8])) {
        let mut offset: usize = 0;
        for sizes in self.sizes.chunks_exact(8) {
            let Ok(&[n0, n1, n2, n3, v0, v1, v2, v3]) = <&[u8; 8]>::try_from(sizes) else {
                return;
            };
            let name_len = u32::from_le_bytes([n0, n1, n2, n3]) as usize;
            let value_len = u32::from_le_bytes([v0, v1, v2, v3]) as usize;
            let value_start = offset.saturating_add(name_len).saturating_add(1);
            let next = value_start.saturating_add(value_len).saturating_add(1);
            let (Some(name), Some(value)) = (
                self.data.get(offset..offset.saturating_add(name_len)),
                self.data.get(value_start..next.saturating_sub(1)),
            ) else {
                return;
            };
            visit(name, value);
            offset = next;
        }
    }
}

impl RequestHeaders for SerializedHeaders<'_> {
    fn any_value(&self, name: &str, visit: &mut dyn FnMut(&[u8]) -> bool) -> bool {
        self.scan(name.as_bytes(), &mut |value| visit(value))
    }

    fn lookalikes<'s>(&'s self, name: &str, out: &mut Vec<&'s str>) {
        self.for_each(&mut |k, _| {
            // The length first: it rules out nearly every header in one comparison.
            let reads_as_name = k.len() == name.len()
                && k.contains(&b'_')
                && k.iter().zip(name.bytes()).all(|(&a, b)| {
                    let a = if a == b'_' { b'-' } else { a };
                    a.eq_ignore_ascii_case(&b)
                });
            if reads_as_name
                && let Ok(k) = std::str::from_utf8(k)
                && !out.contains(&k)
            {
                out.push(k);
            }
        });
    }

    fn single(&self, name: &str) -> Lookup<'_> {
        let mut found = Lookup::Missing;
        let repeated = self.scan(name.as_bytes(), &mut |value| {
            if found.is_present() {
                return true;
            }
            found = Lookup::One(value);
            false
        });
        if repeated { Lookup::Repeated } else { found }
    }
}

/// How many header names [`HeaderNames`] gives a slot; more are looked up by name.
const SLOTS: usize = 16;
/// Names up to this length are found through a table by length.
const BY_LENGTH: usize = 64;

/// A header the policy reads by value: its place in [`HeaderNames`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HeaderSlot(usize);

impl HeaderSlot {
    /// `:authority`.
    pub(super) const AUTHORITY: Self = Self(0);
    /// `:path`.
    pub(super) const PATH: Self = Self(1);
    /// `:method`.
    pub(super) const METHOD: Self = Self(2);
    /// The source-cluster tag.
    pub(super) const SOURCE_CLUSTER: Self = Self(3);
    /// The source-region tag.
    pub(super) const SOURCE_REGION: Self = Self(4);
    /// The routing header.
    pub(super) const ROUTE_REGION: Self = Self(5);
    /// `x-request-id`.
    pub(super) const REQUEST_ID: Self = Self(6);
    /// The source-zone tag.
    pub(super) const SOURCE_ZONE: Self = Self(7);
}

/// The header names the policy reads by value, compiled once: the eight of
/// [`HeaderSlot`], then those of the routing sources. A request's headers are then
/// read in one pass ([`IndexedHeaders`]) instead of once per name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeaderNames {
    names: Vec<String>,
    /// Bit `i` of entry `n` is set when slot `i` holds a name of `n` bytes.
    by_length: [u16; BY_LENGTH],
    /// Bit `i` is set when slot `i`'s name has a `_`, as a lookalike has.
    underscored: u16,
}

impl HeaderNames {
    /// The names of the [`HeaderSlot`] constants, in their order (lowercase).
    pub(super) fn new(fixed: [&str; 8]) -> Self {
        let mut names = Self {
            names: Vec::with_capacity(SLOTS),
            by_length: [0; BY_LENGTH],
            underscored: 0,
        };
        for name in fixed {
            names.add(name);
        }
        names
    }

    /// Gives `name` a slot, or finds the one it has; `None` when every slot is
    /// taken (the header is then looked up by name).
    pub(super) fn add(&mut self, name: &str) -> Option<HeaderSlot> {
        let name = name.to_ascii_lowercase();
        if let Some(i) = self.find(name.as_bytes()) {
            return Some(HeaderSlot(i));
        }
        let i = self.names.len();
        if i >= SLOTS {
            return None;
        }
        if let Some(bits) = self.by_length.get_mut(name.len()) {
            *bits |= 1 << i;
        }
        if name.contains('_') {
            self.underscored |= 1 << i;
        }
        self.names.push(name);
        Some(HeaderSlot(i))
    }

    /// The name in `slot`.
    pub(super) fn name(&self, slot: HeaderSlot) -> Option<&str> {
        self.names.get(slot.0).map(String::as_str)
    }

    /// Whether slot `i`'s name could be a lookalike of another name (it has a `_`).
    fn underscored(&self, i: usize) -> bool {
        self.underscored & (1 << i) != 0
    }

    /// The slot of a header called `name`, if it has one.
    fn find(&self, name: &[u8]) -> Option<usize> {
        let Some(&bits) = self.by_length.get(name.len()) else {
            return self.names.iter().position(|n| name_eq(name, n.as_bytes()));
        };
        let mut candidates = bits;
        while candidates != 0 {
            let i = candidates.trailing_zeros() as usize;
            candidates &= candidates - 1;
            if self
                .names
                .get(i)
                .is_some_and(|n| name_eq(name, n.as_bytes()))
            {
                return Some(i);
            }
        }
        None
    }
}

/// A request's headers with the value of every [`HeaderNames`] slot found in one
/// pass; any other name is looked up in the headers themselves.
#[derive(Debug)]
pub struct IndexedHeaders<'a> {
    names: &'a HeaderNames,
    slots: [Lookup<'a>; SLOTS],
    headers: SerializedHeaders<'a>,
    /// Bit `n` is set when a header name that could be a lookalike is `n` bytes
    /// long (bit 63: 63 or more): any name but a slot's without a `_`, so that the
    /// tags a caller sends, found in their slots, do not send [`lookalikes`]
    /// through the headers (about 1,000 fuel each on the bench's inbound request).
    ///
    /// [`lookalikes`]: RequestHeaders::lookalikes
    lengths: u64,
}

impl<'a> IndexedHeaders<'a> {
    /// Reads `headers` once, keeping the values of the slots of `names`.
    pub(super) fn new(names: &'a HeaderNames, headers: SerializedHeaders<'a>) -> Self {
        let mut slots = [Lookup::Missing; SLOTS];
        let mut lengths = 0_u64;
        headers.for_each(&mut |name, value| {
            let found = names.find(name);
            if found.is_none_or(|i| names.underscored(i)) {
                lengths |= length_bit(name.len());
            }
            if let Some(slot) = found.and_then(|i| slots.get_mut(i)) {
                *slot = match slot {
                    Lookup::Missing => Lookup::One(value),
                    Lookup::One(_) | Lookup::Repeated => Lookup::Repeated,
                };
            }
        });
        Self {
            names,
            slots,
            headers,
            lengths,
        }
    }
}

fn length_bit(len: usize) -> u64 {
    1 << len.min(63)
}

impl IndexedHeaders<'_> {
    /// Whether a header that could be a lookalike of `name` has its length: when
    /// not, [`RequestHeaders::lookalikes`] answers without looking.
    pub(super) fn may_hold_a_lookalike_of(&self, name: &str) -> bool {
        self.lengths & length_bit(name.len()) != 0
    }
}

impl RequestHeaders for IndexedHeaders<'_> {
    fn any_value(&self, name: &str, visit: &mut dyn FnMut(&[u8]) -> bool) -> bool {
        self.headers.any_value(name, visit)
    }

    fn lookalikes<'s>(&'s self, name: &str, out: &mut Vec<&'s str>) {
        // A lookalike is as long as the name: most requests have no header that is.
        if self.may_hold_a_lookalike_of(name) {
            self.headers.lookalikes(name, out);
        }
    }

    fn single(&self, name: &str) -> Lookup<'_> {
        match self
            .names
            .find(name.as_bytes())
            .and_then(|i| self.slots.get(i))
        {
            Some(found) => *found,
            None => self.headers.single(name),
        }
    }

    fn slot(&self, names: &HeaderNames, slot: HeaderSlot) -> Lookup<'_> {
        if std::ptr::eq(names, self.names) {
            self.slots.get(slot.0).copied().unwrap_or(Lookup::Missing)
        } else {
            names
                .name(slot)
                .map_or(Lookup::Missing, |name| self.single(name))
        }
    }
}
