//! What the glue fetches from the host for a request, decided once per policy: a
//! host call costs more than most of the engine's work on a request, so nothing is
//! fetched that the decision does not read.

use super::config::DirectionSetting;
use super::identity::Direction;

/// What to fetch for a request under one policy ([`super::Policy::needs`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Needs {
    direction: Option<Direction>,
    trusts_anyone: bool,
    reads_requests: bool,
    reads_port: bool,
    reads_sni: bool,
}

impl Needs {
    /// The needs of a policy with this `direction` setting, whether it trusts any
    /// peer, whether its rules or routing read requests, and whether the rules of a
    /// `tcp` layer read the connection's destination port and its server name.
    pub(super) fn new(
        direction: DirectionSetting,
        trusts_anyone: bool,
        reads_requests: bool,
        (reads_port, reads_sni): (bool, bool),
    ) -> Self {
        Self {
            direction: match direction {
                DirectionSetting::Auto => None,
                DirectionSetting::Inbound => Some(Direction::Inbound),
                DirectionSetting::Outbound => Some(Direction::Outbound),
            },
            trusts_anyone,
            reads_requests,
            reads_port,
            reads_sni,
        }
    }

    /// The direction the configuration fixes; `None` when it is `auto`, and the
    /// listener's direction (`Direction::from_listener_property`) decides each
    /// request.
    pub fn fixed_direction(self) -> Option<Direction> {
        self.direction
    }

    /// Whether the downstream peer (`connection.mtls`, then its URI SAN) is read:
    /// inbound, when some peer is trusted.
    pub fn peer(self, direction: Direction) -> bool {
        direction == Direction::Inbound && self.trusts_anyone
    }

    /// Whether the request headers are read: inbound always (the tags are checked),
    /// outbound when rules or routing read them.
    pub fn headers(self, direction: Direction) -> bool {
        direction == Direction::Inbound || self.reads_requests
    }

    /// L4: whether the connection's destination port is read.
    pub fn port(self) -> bool {
        self.reads_port
    }

    /// L4: whether the connection's requested server name is read.
    pub fn sni(self) -> bool {
        self.reads_sni
    }
}
