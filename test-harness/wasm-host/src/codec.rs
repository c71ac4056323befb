//! The two byte formats the ABI passes through guest memory: header maps and
//! property paths.
//!
//! A header map is a little-endian `u32` pair count, then a `u32` name length and a
//! `u32` value length per pair, then every name and value, each followed by a NUL
//! byte. Envoy's host refuses (reads as empty) anything that does not add up
//! exactly, holds more than 1024 pairs or is larger than 1 MiB; so does this decoder.
//!
//! A property path is its segments joined by NUL bytes, with no trailing NUL.

use std::fmt;

/// Most pairs Envoy's host accepts in one header map.
pub const MAX_PAIRS: usize = 1024;
/// Largest encoded header map Envoy's host accepts.
pub const MAX_PAIRS_BYTES: usize = 1024 * 1024;

/// A header name with its value; values are bytes, as on the wire.
pub type Pair = (String, Vec<u8>);

/// Why bytes are not a header map.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CodecError {
    /// More bytes, or pairs, than the host accepts.
    TooLarge,
    /// The bytes end before the sizes say they should.
    Truncated,
    /// A name or value is not followed by its NUL byte.
    MissingNul,
    /// Bytes left over after the last pair.
    TrailingBytes,
    /// A header name that is not UTF-8.
    NameNotUtf8,
}

impl fmt::Display for CodecError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::TooLarge => "header map over the host's limits (1024 pairs, 1 MiB)",
            Self::Truncated => "header map ends before its sizes say",
            Self::MissingNul => "header map entry not followed by a NUL byte",
            Self::TrailingBytes => "bytes left over after the last header pair",
            Self::NameNotUtf8 => "header name is not UTF-8",
        })
    }
}

impl std::error::Error for CodecError {}

/// Encodes header pairs in the ABI's wire format.
pub fn encode_pairs<K: AsRef<[u8]>, V: AsRef<[u8]>>(pairs: &[(K, V)]) -> Vec<u8> {
    let size = 4 + pairs
        .iter()
        .map(|(k, v)| 10 + k.as_ref().len() + v.as_ref().len())
        .sum::<usize>();
    let mut out = Vec::with_capacity(size);
    out.extend_from_slice(&len_u32(pairs.len()).to_le_bytes());
    for (k, v) in pairs {
        out.extend_from_slice(&len_u32(k.as_ref().len()).to_le_bytes());
        out.extend_from_slice(&len_u32(v.as_ref().len()).to_le_bytes());
    }
    for (k, v) in pairs {
        out.extend_from_slice(k.as_ref());
        out.push(0);
        out.extend_from_slice(v.as_ref());
        out.push(0);
    }
    out
}

/// Decodes header pairs; the empty input is the empty map.
pub fn decode_pairs(bytes: &[u8]) -> Result<Vec<Pair>, CodecError> {
    if bytes.is_empty() {
        return Ok(Vec::new());
    }
    if bytes.len() > MAX_PAIRS_BYTES {
        return Err(CodecError::TooLarge);
    }
    let mut reader = Reader { bytes, pos: 0 };
    let count = usize::try_from(reader.u32()?).map_err(|_| CodecError::TooLarge)?;
    if count > MAX_PAIRS {
        return Err(CodecError::TooLarge);
    }
    let mut sizes = Vec::with_capacity(count);
    for _ in 0..count {
        sizes.push((reader.len()?, reader.len()?));
    }
    let mut pairs = Vec::with_capacity(count);
    for (name_len, value_len) in sizes {
        let name = reader.terminated(name_len)?;
        let value = reader.terminated(value_len)?;
        let name = String::from_utf8(name.to_vec()).map_err(|_| CodecError::NameNotUtf8)?;
        pairs.push((name, value.to_vec()));
    }
    if reader.pos == bytes.len() {
        Ok(pairs)
    } else {
        Err(CodecError::TrailingBytes)
    }
}

/// Encodes a property path: segments joined by NUL bytes.
pub fn encode_path<S: AsRef<str>>(segments: &[S]) -> Vec<u8> {
    let mut out = Vec::new();
    for (i, segment) in segments.iter().enumerate() {
        if i > 0 {
            out.push(0);
        }
        out.extend_from_slice(segment.as_ref().as_bytes());
    }
    out
}

/// Decodes a property path into its segments (lossy for bytes that are not UTF-8).
pub fn decode_path(bytes: &[u8]) -> Vec<String> {
    if bytes.is_empty() {
        return Vec::new();
    }
    bytes
        .split(|b| *b == 0)
        .map(|s| String::from_utf8_lossy(s).into_owned())
        .collect()
}

fn len_u32(len: usize) -> u32 {
    u32::try_from(len).unwrap_or(u32::MAX)
}

struct Reader<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], CodecError> {
        let end = self.pos.checked_add(n).ok_or(CodecError::Truncated)?;
        let slice = self.bytes.get(self.pos..end).ok_or(CodecError::Truncated)?;
        self.pos = end;
        Ok(slice)
    }

    fn u32(&mut self) -> Result<u32, CodecError> {
        let raw: [u8; 4] = self
            .take(4)?
            .try_into()
            .map_err(|_| CodecError::Truncated)?;
        Ok(u32::from_le_bytes(raw))
    }

    fn len(&mut self) -> Result<usize, CodecError> {
        usize::try_from(self.u32()?).map_err(|_| CodecError::TooLarge)
    }

    fn terminated(&mut self, n: usize) -> Result<&'a [u8], CodecError> {
        let data = self.take(n)?;
        match self.take(1)? {
            [0] => Ok(data),
            _ => Err(CodecError::MissingNul),
        }
    }
}
