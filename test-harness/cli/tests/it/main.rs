//! The `meshborder` command's tests, one binary: `check` and `simulate` run as a
//! user runs them, and every configuration the project ships checked through the
//! library with the release filter.

#[cfg(test)]
mod check;
#[cfg(test)]
mod fixtures;
#[cfg(test)]
mod shipped;
#[cfg(test)]
mod simulate;
