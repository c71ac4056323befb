//! The `meshborder` command's tests, one binary: `check` and `simulate` run as a
//! user runs them. The end-to-end rig checks every configuration the project ships
//! through this crate's library.

#[cfg(test)]
mod check;
#[cfg(test)]
mod fixtures;
#[cfg(test)]
mod simulate;
