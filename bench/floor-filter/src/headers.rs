//! The few facts the floor takes from the request headers it fetched in one host
//! call, read in place from proxy-wasm's wire format (a count, then a name and a
//! value length per header, then each name and value NUL-terminated). Pure: no
//! host call, nothing copied, nothing that can panic.

/// What the floor needs to know of a request's headers.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct HeaderFacts<'a> {
    /// `:path`.
    pub path: &'a [u8],
    /// Whether a `cf-ipcountry` header is present: the request is routed.
    pub country: bool,
    /// The incoming source-cluster tag.
    pub source_cluster: Option<&'a [u8]>,
    /// Whether the request carries a source-zone tag, which outbound must remove.
    pub source_zone: bool,
}

/// The routing source of the bench workload.
const COUNTRY: &[u8] = b"cf-ipcountry";

/// Reads `buffer`; a malformed buffer gives what was read before the fault.
pub fn read<'a>(buffer: &'a [u8], cluster_tag: &str, zone_tag: &str) -> HeaderFacts<'a> {
    let mut facts = HeaderFacts::default();
    let count = u32_at(buffer, 0).unwrap_or(0);
    let mut sizes = 4;
    let mut data = 4_usize.saturating_add(count.saturating_mul(8));
    for _ in 0..count {
        let (Some(name_len), Some(value_len)) = (u32_at(buffer, sizes), u32_at(buffer, sizes + 4))
        else {
            break;
        };
        sizes += 8;
        let name = buffer.get(data..data.saturating_add(name_len));
        data = data.saturating_add(name_len).saturating_add(1);
        let value = buffer.get(data..data.saturating_add(value_len));
        data = data.saturating_add(value_len).saturating_add(1);
        let (Some(name), Some(value)) = (name, value) else {
            break;
        };
        match name {
            b":path" => facts.path = value,
            COUNTRY => facts.country = true,
            _ if name == cluster_tag.as_bytes() => facts.source_cluster = Some(value),
            _ if name == zone_tag.as_bytes() => facts.source_zone = true,
            _ => {}
        }
    }
    facts
}

/// The little-endian `u32` at `at`, as a length.
fn u32_at(buffer: &[u8], at: usize) -> Option<usize> {
    let bytes = buffer.get(at..at.checked_add(4)?)?;
    let bytes = <[u8; 4]>::try_from(bytes).ok()?;
    usize::try_from(u32::from_le_bytes(bytes)).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn serialize(pairs: &[(&str, &str)]) -> Vec<u8> {
        let mut out = Vec::new();
        out.extend(u32::try_from(pairs.len()).unwrap().to_le_bytes());
        for (name, value) in pairs {
            out.extend(u32::try_from(name.len()).unwrap().to_le_bytes());
            out.extend(u32::try_from(value.len()).unwrap().to_le_bytes());
        }
        for (name, value) in pairs {
            out.extend(name.as_bytes());
            out.push(0);
            out.extend(value.as_bytes());
            out.push(0);
        }
        out
    }

    #[test]
    fn finds_the_path_the_country_and_the_tags() {
        let buffer = serialize(&[
            (":path", "/r48/items/42"),
            ("cf-ipcountry", "DE"),
            ("x-tag", "eu-west"),
            ("x-zone", "a"),
        ]);
        let facts = read(&buffer, "x-tag", "x-zone");
        assert_eq!(facts.path, b"/r48/items/42");
        assert!(facts.country);
        assert_eq!(facts.source_cluster, Some(&b"eu-west"[..]));
        assert!(facts.source_zone);
    }

    #[test]
    fn a_truncated_buffer_reads_as_far_as_it_goes() {
        let buffer = serialize(&[(":path", "/health"), ("cf-ipcountry", "DE")]);
        let cut = buffer.get(..buffer.len() - 4).unwrap();
        let facts = read(cut, "x-tag", "x-zone");
        assert_eq!(facts.path, b"/health");
        assert!(!facts.country);
        assert_eq!(read(&[], "x-tag", "x-zone"), HeaderFacts::default());
    }
}
