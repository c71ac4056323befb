//! The hash maps of the compiled policy, with the Fx hash (rustc-hash) instead of
//! std's SipHash.
//!
//! A request looks hosts, regions and countries up in these maps, so the hash runs
//! on the request path: SipHash costs a few hundred wasm instructions per lookup,
//! the Fx hash a few dozen. It is not keyed, which is safe here: every map is filled
//! from the configuration only, so a client can choose what it looks up, never what
//! collides in the table.

/// A hash map keyed by the Fx hash.
pub type FastMap<K, V> = rustc_hash::FxHashMap<K, V>;
/// A hash set keyed by the Fx hash.
pub type FastSet<T> = rustc_hash::FxHashSet<T>;

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn a_map_finds_what_it_holds() {
        let map: FastMap<String, usize> =
            (0..1000).map(|i| (format!("svc-{i}.example"), i)).collect();
        assert!((0..1000).all(|i| map.get(format!("svc-{i}.example").as_str()) == Some(&i)));
        assert_eq!(map.get("svc-1000.example"), None);
        let set: FastSet<&str> = ["a", "a\0", ""].into_iter().collect();
        assert_eq!(set.len(), 3);
    }
}
