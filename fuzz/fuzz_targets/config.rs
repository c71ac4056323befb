//! Fuzz target: arbitrary bytes as a plugin configuration, through parse and compile.
//!
//! Property: configuration either compiles or is refused with a non-empty message;
//! it never panics, whatever the bytes and whichever node facts are present.

#![no_main]

use libfuzzer_sys::fuzz_target;
use meshborder_filter::policy::{NodeFacts, NodeInfo, Policy};

fuzz_target!(|data: &[u8]| {
    let (node_byte, config) = data.split_first().unwrap_or((&0, data));
    let info = |present: bool| NodeInfo {
        cluster: present.then(|| "eu-west".to_owned()),
        region: present.then(|| "eu-west-1".to_owned()),
        zone: None,
    };
    let node = NodeFacts {
        xds: info(node_byte & 1 == 1),
        legacy: info(node_byte & 2 == 2),
    };
    if let Err(error) = Policy::from_json(config, &node) {
        assert!(!error.to_string().is_empty());
    }
});
