//! The `meshborder` command's tests, one binary: `check` and `simulate` (of a
//! request, and of a `tcp` configuration's connection) run as a user runs them.
//! The end-to-end rig checks every configuration the project ships through this
//! crate's library.

#[cfg(test)]
mod check;
#[cfg(test)]
mod connection;
#[cfg(test)]
mod fixtures;
#[cfg(test)]
mod simulate;
