//! The library behind the `meshborder` command: finding meshborder plugin
//! configurations in the files a project ships, and checking each with the real
//! filter ([`configs`]).

#![forbid(unsafe_code)]

pub mod configs;
