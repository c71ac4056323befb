//! Names that end up in headers, metric labels and logs: cluster, region, group and
//! rule names. They are restricted to a safe alphabet so that a label can never break
//! Envoy's embedded-tag stat names (`name=.=value;.;`) or a header.

use super::error::{ConfigError, Problem};

/// Longest accepted name.
const MAX_NAME_LEN: usize = 128;

/// Whether `value` is 1 to 128 characters of `a-z A-Z 0-9 . _ -`.
pub fn is_valid_name(value: &str) -> bool {
    !value.is_empty()
        && value.len() <= MAX_NAME_LEN
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
}

/// Checks a name from the config; `path` says where it is.
pub(super) fn check_name(path: &str, value: &str) -> Result<(), ConfigError> {
    if is_valid_name(value) {
        Ok(())
    } else {
        Err(ConfigError::new(path, Problem::bad_name(value)))
    }
}
