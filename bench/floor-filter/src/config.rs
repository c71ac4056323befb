//! The floor's plugin configuration, read once in `on_configure`: one line of
//! words, `<direction> <cluster> <region> [<denied path prefix>]`, e.g.
//! `outbound us-east us-east-1 /r48/` or `inbound us-east us-east-1`. The direction
//! is configured, not read from the listener, the way meshborder runs with
//! `direction: outbound` or `inbound`; the identity is configured, as meshborder's
//! can be. Pure: no host call.

/// Which side of the border the floor runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// The caller's side: tags set, the denied path refused, the routed request routed.
    Outbound,
    /// The callee's side: the peer read, a request from another cluster metered.
    Inbound,
}

/// The parsed configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FloorConfig {
    /// The configured direction.
    pub direction: Direction,
    /// The local cluster: the value of the cluster tag outbound.
    pub cluster: String,
    /// The local region: the value of the region tag, and of the routing header.
    pub region: String,
    /// Requests whose `:path` starts with this are denied (outbound).
    pub denied_prefix: Option<String>,
}

impl FloorConfig {
    /// Parses the configuration; `None` when it is not of the documented form.
    pub fn parse(text: &str) -> Option<Self> {
        let mut words = text.split_whitespace();
        let direction = match words.next()? {
            "outbound" => Direction::Outbound,
            "inbound" => Direction::Inbound,
            _ => return None,
        };
        let cluster = words.next()?.to_owned();
        let region = words.next()?.to_owned();
        let denied_prefix = words.next().map(str::to_owned);
        if words.next().is_some() {
            return None;
        }
        Some(Self {
            direction,
            cluster,
            region,
            denied_prefix,
        })
    }

    /// Whether a request to `path` is denied.
    pub fn denies(&self, path: &[u8]) -> bool {
        self.denied_prefix
            .as_deref()
            .is_some_and(|prefix| path.starts_with(prefix.as_bytes()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_outbound_config_denies_paths_under_its_prefix() {
        let config = FloorConfig::parse("outbound us-east us-east-1 /r48/").unwrap();
        assert_eq!(config.direction, Direction::Outbound);
        assert_eq!(config.cluster, "us-east");
        assert!(config.denies(b"/r48/items/42"));
        assert!(!config.denies(b"/health"));
    }

    #[test]
    fn an_inbound_config_denies_nothing_and_extra_words_are_refused() {
        let config = FloorConfig::parse("inbound us-east us-east-1").unwrap();
        assert_eq!(config.direction, Direction::Inbound);
        assert!(!config.denies(b"/r48/items/42"));
        assert_eq!(FloorConfig::parse("inbound us-east"), None);
        assert_eq!(FloorConfig::parse("sideways a b"), None);
        assert_eq!(FloorConfig::parse("inbound a b /x extra"), None);
    }
}
