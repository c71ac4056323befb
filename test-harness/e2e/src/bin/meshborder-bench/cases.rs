//! What one throughput run measures: a case. The outbound cases are the workload's
//! three requests (tag-only, denied, routed) on the plaintext `OUTBOUND` listeners,
//! each answered by `direct_response` or proxied to the loopback upstream; the
//! inbound case is `fuel::inbound_metered_request` on the `INBOUND` listener over
//! mTLS, sent through the front Envoy (`front.rs`) and answered by
//! `direct_response`. A round runs every case on every config that has it.

use meshborder_e2e::fuel;
use meshborder_e2e::workload::{RequestKind, Workload, WorkloadRequest};

use crate::configs::Config;

/// How an outbound request is answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Mode {
    /// By Envoy's route table (`direct_response`).
    Direct,
    /// By the upstream on loopback.
    Proxied,
}

impl Mode {
    /// Both modes, in report order.
    pub const ALL: [Self; 2] = [Self::Direct, Self::Proxied];

    /// The name in tables.
    pub fn name(self) -> &'static str {
        match self {
            Self::Direct => "direct_response",
            Self::Proxied => "proxied to loopback",
        }
    }
}

/// One case of a round.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Case {
    /// A request of the workload on an outbound listener, answered as `Mode` says.
    Outbound(Mode, RequestKind),
    /// The tag-only request with the cluster tag of a caller in another cluster,
    /// on the inbound listener over mTLS from a trusted peer: believed and metered.
    InboundMetered,
}

impl Case {
    /// Every case, in the order of a round and of the report: the outbound ones,
    /// then the inbound one.
    pub fn all() -> Vec<Self> {
        Mode::ALL
            .iter()
            .flat_map(|&mode| {
                RequestKind::ALL
                    .iter()
                    .map(move |&kind| Self::Outbound(mode, kind))
            })
            .chain([Self::InboundMetered])
            .collect()
    }

    /// The name in tables and progress lines.
    pub fn name(self) -> String {
        match self {
            Self::Outbound(mode, kind) => format!("{}, {}", mode.name(), kind.name()),
            Self::InboundMetered => "inbound over mTLS, metered".to_owned(),
        }
    }

    /// The request the load generator sends.
    pub fn request(self, workload: &Workload) -> WorkloadRequest {
        match self {
            Self::Outbound(_, kind) => workload.request(kind),
            Self::InboundMetered => fuel::inbound_metered_request(workload),
        }
    }

    /// Whether `config` runs this case: the inbound one needs an inbound
    /// counterpart, which Lua lacks.
    pub fn runs_on(self, config: Config) -> bool {
        match self {
            Self::Outbound(..) => true,
            Self::InboundMetered => config.has_inbound(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_round_runs_the_six_outbound_cases_then_the_inbound_one() {
        let cases = Case::all();
        assert_eq!(cases.len(), 7);
        assert_eq!(
            cases.first(),
            Some(&Case::Outbound(Mode::Direct, RequestKind::TagOnly))
        );
        assert_eq!(cases.last(), Some(&Case::InboundMetered));
        assert_eq!(
            Case::Outbound(Mode::Proxied, RequestKind::Denied).name(),
            "proxied to loopback, denied"
        );
    }

    #[test]
    fn lua_runs_every_outbound_case_and_not_the_inbound_one() {
        for case in Case::all() {
            assert_eq!(
                case.runs_on(Config::Lua),
                case != Case::InboundMetered,
                "{}",
                case.name()
            );
            assert!(case.runs_on(Config::Floor), "{}", case.name());
            assert!(case.runs_on(Config::Variant(0)), "{}", case.name());
        }
    }

    #[test]
    fn the_inbound_case_sends_the_inbound_metered_request() {
        let workload = Workload::BENCH;
        assert_eq!(
            Case::InboundMetered.request(&workload),
            fuel::inbound_metered_request(&workload)
        );
        assert_eq!(
            Case::Outbound(Mode::Direct, RequestKind::Routed).request(&workload),
            workload.request(RequestKind::Routed)
        );
    }
}
