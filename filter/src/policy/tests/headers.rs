//! The request headers as the glue hands them over: the host's serialized map read
//! in place, and indexed in one pass by the names the policy reads. Both answer
//! exactly as a plain list of pairs does, and a malformed buffer never panics.

use super::fixtures::{SPEC_CONFIG, TRUSTED_SAN, get, mtls, policy_at};
use crate::contract::header;
use crate::policy::headers::{
    HeaderNames, HeaderSlot, IndexedHeaders, Lookup, RequestHeaders, SerializedHeaders,
};
use crate::policy::{Direction, Peer, RequestFacts};
#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

/// `pairs` in proxy-wasm's wire format, as the host serializes a header map.
fn serialize(pairs: &[(String, Vec<u8>)]) -> Vec<u8> {
    let size = |n: usize| u32::try_from(n).unwrap().to_le_bytes();
    let mut out = size(pairs.len()).to_vec();
    for (name, value) in pairs {
        out.extend(size(name.len()));
        out.extend(size(value.len()));
    }
    for (name, value) in pairs {
        out.extend(name.as_bytes());
        out.push(0);
        out.extend(value);
        out.push(0);
    }
    out
}

fn header_sets() -> Vec<Vec<(String, Vec<u8>)>> {
    vec![
        get("eu-user-data", "/users/1", &[]),
        get(
            "shop:8080",
            "/catalog?x=1",
            &[("cf-ipcountry", "de"), (header::REQUEST_ID, "r1")],
        ),
        get(
            "shop",
            "/",
            &[
                (header::SOURCE_CLUSTER, "eu-west"),
                (header::SOURCE_CLUSTER, "us-east"),
                ("X-User-Region", "eu"),
                ("x_meshborder_source_region", "forged"),
            ],
        ),
        vec![
            (":authority".to_owned(), vec![0xff, 0xfe]),
            (":path".to_owned(), b"/users/%2e%2e/1".to_vec()),
            (header::ROUTE_REGION.to_owned(), b"us-east-1".to_vec()),
            ("".to_owned(), Vec::new()),
        ],
        Vec::new(),
    ]
}

const NAMES: [&str; 11] = [
    ":authority",
    ":path",
    ":method",
    header::SOURCE_CLUSTER,
    header::SOURCE_REGION,
    header::ROUTE_REGION,
    header::REQUEST_ID,
    "x-user-region",
    "cf-ipcountry",
    "accept",
    "",
];

#[test]
fn the_serialized_and_indexed_maps_answer_like_a_list_of_pairs() {
    let policy = policy_at(SPEC_CONFIG, "eu-west", "eu-west-1");
    for pairs in header_sets() {
        let buffer = serialize(&pairs);
        let serialized = SerializedHeaders::new(&buffer);
        let indexed = IndexedHeaders::new(&policy.header_names, serialized);
        let list = pairs.as_slice();
        for name in NAMES {
            assert_eq!(
                serialized.single(name),
                list.single(name),
                "{name} in {pairs:?}"
            );
            assert_eq!(
                indexed.single(name),
                list.single(name),
                "{name} in {pairs:?}"
            );
            let mut seen = (Vec::new(), Vec::new());
            serialized.any_value(name, &mut |v| {
                seen.0.push(v.to_vec());
                false
            });
            list.any_value(name, &mut |v| {
                seen.1.push(v.to_vec());
                false
            });
            assert_eq!(seen.0, seen.1, "{name}");
        }
        for name in [header::SOURCE_CLUSTER, header::SOURCE_REGION] {
            let (mut a, mut b, mut c) = (Vec::new(), Vec::new(), Vec::new());
            serialized.lookalikes(name, &mut a);
            indexed.lookalikes(name, &mut b);
            list.lookalikes(name, &mut c);
            assert_eq!((&a, &b), (&c, &c), "{name}");
        }
    }
}

#[test]
fn slots_hold_the_headers_the_policy_reads() {
    let policy = policy_at(SPEC_CONFIG, "eu-west", "eu-west-1");
    let names = &policy.header_names;
    for (slot, name) in [
        (HeaderSlot::AUTHORITY, ":authority"),
        (HeaderSlot::PATH, ":path"),
        (HeaderSlot::METHOD, ":method"),
        (HeaderSlot::SOURCE_CLUSTER, header::SOURCE_CLUSTER),
        (HeaderSlot::SOURCE_REGION, header::SOURCE_REGION),
        (HeaderSlot::ROUTE_REGION, header::ROUTE_REGION),
        (HeaderSlot::REQUEST_ID, header::REQUEST_ID),
        (HeaderSlot::SOURCE_ZONE, header::SOURCE_ZONE),
    ] {
        assert_eq!(names.name(slot), Some(name));
    }
    let pairs = get("shop", "/catalog", &[("X-Request-Id", "r1")]);
    let buffer = serialize(&pairs);
    let indexed = IndexedHeaders::new(names, SerializedHeaders::new(&buffer));
    assert_eq!(
        indexed.slot(names, HeaderSlot::PATH),
        Lookup::One(b"/catalog")
    );
    assert_eq!(
        indexed.slot(names, HeaderSlot::REQUEST_ID),
        Lookup::One(b"r1")
    );
    assert_eq!(
        indexed.slot(names, HeaderSlot::ROUTE_REGION),
        Lookup::Missing
    );
}

#[test]
fn names_beyond_the_slots_are_looked_up_by_name() {
    let mut names = HeaderNames::new(["a", "b", "c", "d", "e", "f", "g", "h"]);
    let slots: Vec<Option<HeaderSlot>> = (0..12).map(|i| names.add(&format!("x-h{i}"))).collect();
    assert!(slots.iter().take(8).all(Option::is_some), "{slots:?}");
    assert!(slots.iter().skip(8).all(Option::is_none), "{slots:?}");
    assert_eq!(
        names.add("X-H0"),
        slots.first().copied().flatten(),
        "found again, any case"
    );
    let pairs = get("shop", "/", &[("x-h11", "late"), ("x-h0", "early")]);
    let buffer = serialize(&pairs);
    let indexed = IndexedHeaders::new(&names, SerializedHeaders::new(&buffer));
    assert_eq!(indexed.single("x-h11"), Lookup::One(b"late"));
    assert_eq!(indexed.single("x-h0"), Lookup::One(b"early"));
}

#[test]
fn a_malformed_buffer_reads_as_fewer_headers_and_never_panics() {
    let pairs = get("eu-user-data", "/users/1", &[(header::REQUEST_ID, "abc")]);
    let buffer = serialize(&pairs);
    for end in 0..=buffer.len() {
        let cut = &buffer[..end];
        let headers = SerializedHeaders::new(cut);
        for name in NAMES {
            let _ = headers.single(name);
        }
    }
    let mut huge = buffer.clone();
    huge[..4].copy_from_slice(&u32::MAX.to_le_bytes());
    assert_eq!(
        SerializedHeaders::new(&huge).single(":path"),
        Lookup::Missing
    );
    let mut long_name = buffer;
    long_name[4..8].copy_from_slice(&u32::MAX.to_le_bytes());
    assert_eq!(
        SerializedHeaders::new(&long_name).single(":authority"),
        Lookup::Missing
    );
    // Random bytes, with a small header count so that the sizes get read.
    let policy = policy_at(SPEC_CONFIG, "eu-west", "eu-west-1");
    let mut seed: u64 = 0x2545_f491_4f6c_dd1d;
    for _ in 0..2_000 {
        let mut random = vec![3, 0, 0, 0];
        for _ in 0..64 {
            seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
            random.push((seed >> 56) as u8 & 0x1f);
        }
        let indexed = IndexedHeaders::new(&policy.header_names, SerializedHeaders::new(&random));
        for name in NAMES {
            let _ = indexed.single(name);
            let mut out = Vec::new();
            indexed.lookalikes(name, &mut out);
        }
    }
}

#[test]
fn the_engine_decides_alike_on_every_reading_of_the_headers() {
    let policy = policy_at(SPEC_CONFIG, "eu-west", "eu-west-1");
    for pairs in header_sets() {
        let buffer = serialize(&pairs);
        let indexed = IndexedHeaders::new(&policy.header_names, SerializedHeaders::new(&buffer));
        for (direction, peer) in [
            (Direction::Outbound, Peer::default()),
            (Direction::Inbound, Peer::default()),
            (Direction::Inbound, mtls(TRUSTED_SAN)),
        ] {
            let list = policy.decide(&RequestFacts {
                direction,
                peer,
                headers: pairs.as_slice(),
            });
            let read = policy.decide(&RequestFacts {
                direction,
                peer,
                headers: &indexed,
            });
            assert_eq!(read, list, "{direction:?} {pairs:?}");
        }
    }
}

#[test]
fn the_tags_a_caller_sends_send_no_lookalike_search_through_the_headers() {
    let policy = policy_at(SPEC_CONFIG, "eu-west", "eu-west-1");
    let pairs: Vec<(String, Vec<u8>)> = [
        (header::SOURCE_CLUSTER, "us-east"),
        (header::SOURCE_REGION, "us-east-1"),
        (header::SOURCE_ZONE, "us-east-1a"),
    ]
    .iter()
    .map(|(name, value)| ((*name).to_owned(), value.as_bytes().to_vec()))
    .collect();
    let buffer = serialize(&pairs);
    let indexed = IndexedHeaders::new(&policy.header_names, SerializedHeaders::new(&buffer));
    // Found in their slots, the tags leave no length behind for a lookalike search.
    for name in [
        header::SOURCE_CLUSTER,
        header::SOURCE_REGION,
        header::SOURCE_ZONE,
    ] {
        assert!(!indexed.may_hold_a_lookalike_of(name), "{name}");
    }
}

#[test]
fn a_slot_whose_name_has_an_underscore_is_still_searched_as_a_lookalike() {
    // A routing header configured with the name a lookalike of the region tag has:
    // it gets a slot, and must still be found, and removed, as a lookalike.
    let lookalike = header::SOURCE_REGION.replace('-', "_");
    let config = format!(r#"{{"routing": {{"sources": [{{"header": "{lookalike}"}}]}}}}"#);
    let policy = policy_at(&config, "eu-west", "eu-west-1");
    let pairs = vec![(lookalike.clone(), b"us-east-1".to_vec())];
    let buffer = serialize(&pairs);
    let indexed = IndexedHeaders::new(&policy.header_names, SerializedHeaders::new(&buffer));
    let mut out = Vec::new();
    indexed.lookalikes(header::SOURCE_REGION, &mut out);
    assert_eq!(out, vec![lookalike.as_str()]);
}
