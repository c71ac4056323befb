//! What a storm measured: memory samples by push, the slope through them (bytes a
//! push leaves behind), what the request loop got, and the audited rule's counter
//! around sampled pushes.

use std::fmt;

use crate::soak::MemorySample;

use super::{RuleNames, StormOptions};

/// Bytes one push leaves behind: the slope of a least-squares line through the
/// samples, so one sample's noise (a page tcmalloc takes early) weighs little.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PerPush {
    /// Envoy's resident set (`VmRSS`).
    pub rss: f64,
    /// Bytes allocated through tcmalloc (`/memory` `allocated`): Envoy's own heap.
    pub allocated: f64,
    /// The wasm VMs' linear memories together.
    pub wasm: f64,
}

impl PerPush {
    /// What a push keeps: Envoy's heap and the VMs' linear memory together. The
    /// resident set is no measure of it at this scale: it moves in pages and in
    /// tcmalloc's spans, and over 200 pushes it showed 0.5 KiB a push for a build
    /// whose heap grew by 3.2 KiB a push.
    pub fn kept(&self) -> f64 {
        self.allocated + self.wasm
    }
}

/// The audited rule's counter right before a push and a few requests after it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CounterReading {
    /// The push (counted from the end of the warm-up).
    pub push: u32,
    /// The counter before the push.
    pub before: u64,
    /// The counter after the push had been accepted and a few more requests answered.
    pub after: u64,
}

impl CounterReading {
    /// Whether the counter went on from where it was, rather than starting again.
    pub fn continued(&self) -> bool {
        self.after > self.before
    }
}

/// One storm's figures.
#[derive(Debug, Clone)]
pub struct StormReport {
    /// Which filter ran (`meshborder`, `no-op`).
    pub filter: String,
    /// How the storm was run.
    pub options: StormOptions,
    /// Envoy's memory after the warm-up (push 0) and every `sample_every` pushes.
    pub samples: Vec<(u32, MemorySample)>,
    /// Requests the loop sent during the storm.
    pub requests: usize,
    /// The ones that did not get a 200, each as its status or error (the first few).
    pub failures: Vec<String>,
    /// How many did not get a 200.
    pub failed: usize,
    /// The audited rule's counter around each sampled push; empty for a filter that
    /// counts nothing.
    pub readings: Vec<CounterReading>,
}

impl StormReport {
    /// Bytes per push, from the samples; `None` with fewer than two.
    pub fn per_push(&self) -> Option<PerPush> {
        let slope = |field: fn(&MemorySample) -> u64| {
            slope(
                self.samples
                    .iter()
                    .map(|(push, sample)| (f64::from(*push), field(sample) as f64)),
            )
        };
        Some(PerPush {
            rss: slope(|sample| sample.rss)?,
            allocated: slope(|sample| sample.allocated)?,
            wasm: slope(|sample| sample.wasm.size)?,
        })
    }

    /// How the rule names were treated.
    pub fn names(&self) -> RuleNames {
        self.options.names
    }
}

impl fmt::Display for StormReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} ({} pushes after {} of warm-up, {}): ",
            self.filter,
            self.options.pushes,
            self.options.warmup,
            self.options.names.describe()
        )?;
        match self.per_push() {
            Some(per_push) => write!(
                f,
                "{} kept per push ({} Envoy heap, {} wasm memory; {} resident)",
                kib(per_push.kept()),
                kib(per_push.allocated),
                kib(per_push.wasm),
                kib(per_push.rss)
            )?,
            None => write!(f, "too few samples")?,
        }
        write!(
            f,
            "; {} requests, {} not answered 200",
            self.requests, self.failed
        )
    }
}

/// `bytes` in KiB, one decimal.
pub fn kib(bytes: f64) -> String {
    format!("{:.1} KiB", bytes / 1024.0)
}

/// The least-squares slope of `points`; `None` with fewer than two distinct x.
fn slope(points: impl Iterator<Item = (f64, f64)> + Clone) -> Option<f64> {
    let n = points.clone().count() as f64;
    let (sum_x, sum_y) = points
        .clone()
        .fold((0.0, 0.0), |(x, y), (px, py)| (x + px, y + py));
    let (mean_x, mean_y) = (sum_x / n, sum_y / n);
    let (covariance, variance) = points.fold((0.0, 0.0), |(c, v), (x, y)| {
        (
            c + (x - mean_x) * (y - mean_y),
            v + (x - mean_x) * (x - mean_x),
        )
    });
    (variance > 0.0).then(|| covariance / variance)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_slope_of_a_line_is_its_gradient_whatever_the_offset() {
        let points = [(0.0, 100.0), (10.0, 150.0), (20.0, 200.0)];
        assert_eq!(slope(points.into_iter()), Some(5.0));
    }

    #[test]
    fn one_outlier_moves_the_slope_less_than_the_endpoints_would() {
        let points = [(0.0, 0.0), (10.0, 0.0), (20.0, 0.0), (30.0, 3000.0)];
        let fitted = slope(points.into_iter()).unwrap();
        assert!(fitted < 3000.0 / 30.0, "{fitted}");
    }

    #[test]
    fn no_slope_from_a_single_push() {
        assert_eq!(slope([(5.0, 1.0), (5.0, 9.0)].into_iter()), None);
    }

    #[test]
    fn a_counter_that_restarted_did_not_continue() {
        let restarted = CounterReading {
            push: 10,
            before: 900,
            after: 3,
        };
        assert!(!restarted.continued());
        assert!(
            CounterReading {
                after: 905,
                ..restarted
            }
            .continued()
        );
    }
}
