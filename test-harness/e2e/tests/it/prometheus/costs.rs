//! The live run's costs against the bytes Envoy counted: the price table holds the
//! prices the contract seeds; every pair Envoy counted is recorded and classified
//! by its regions; and every cost is its bytes times the price of its kind of
//! transfer. Rates over five minutes of a run of seconds are extrapolated, and miss
//! what a counter held when first scraped, so bytes are checked loosely (the rate
//! times the window is within half and one and a half times the bytes Envoy
//! counted: a rate per minute or per hour would be far off) and prices exactly, as
//! the ratio of cost to bytes.

use std::collections::BTreeMap;

use meshborder_e2e::prometheus_server::PrometheusApi;
use meshborder_filter::contract::label;

use super::recorded::{Labels, PRICES, by_labels};

/// The label a recording rule classifies a transfer with.
const TRANSFER: &str = "transfer";
/// The price table's label of the side that pays.
const BILLED: &str = "billed";
/// Cross-zone: a cent a GB each way.
pub const CROSS_ZONE: &str = "cross_zone";
/// Cross-region: nine cents a GB.
pub const CROSS_REGION: &str = "cross_region";
/// The window of the recorded rates, in seconds.
const RATE_WINDOW: f64 = 300.0;

/// The price table at `time`: the summed price per GB of each kind of transfer,
/// after checking its rows are the contract's.
pub fn prices_at(api: &PrometheusApi, time: f64) -> BTreeMap<String, f64> {
    let rows: BTreeMap<(String, String), f64> = api
        .query_at(PRICES, time)
        .unwrap()
        .into_iter()
        .map(|series| {
            let at = |name| series.label(name).unwrap_or_default().to_owned();
            ((at(TRANSFER), at(BILLED)), series.value)
        })
        .collect();
    let row =
        |transfer: &str, billed: &str, price| ((transfer.to_owned(), billed.to_owned()), price);
    assert_eq!(
        rows,
        BTreeMap::from([
            row(CROSS_ZONE, "out", 0.01),
            row(CROSS_ZONE, "in", 0.01),
            row(CROSS_REGION, "out", 0.09),
        ]),
        "the price table in Prometheus"
    );
    let mut summed = BTreeMap::new();
    for ((transfer, _), price) in rows {
        *summed.entry(transfer).or_insert(0.0) += price;
    }
    summed
}

/// One pair's figures, as compared.
#[derive(Debug, Clone, PartialEq)]
pub struct PairCost {
    /// Its labels (source and destination, without `transfer`).
    pub pair: Labels,
    /// `cross_zone` or `cross_region`.
    pub transfer: String,
    /// The bytes Envoy counted for it, both directions.
    pub counted_bytes: u64,
    /// Its recorded bytes per second.
    pub bytes_per_second: f64,
    /// Its recorded cost.
    pub usd_per_hour: f64,
    /// The cost over the bytes, back in USD per GB.
    pub usd_per_gb: f64,
}

/// The series names of one cost chain: bytes per pair, classified, priced.
#[derive(Debug, Clone, Copy)]
pub struct CostChain {
    /// Bytes per second per pair.
    pub bytes: &'static str,
    /// The same, with `transfer`; `None` when the bytes carry it already.
    pub classified: Option<&'static str>,
    /// USD per hour per pair.
    pub cost: &'static str,
}

/// Checks one cost chain at `time` against `counted` (the bytes Envoy counted per
/// pair) and `prices`, and returns each pair's figures: every pair Envoy counted is
/// recorded, moving iff Envoy counted bytes for it, its rate times the window near
/// those bytes; it is classified cross-zone iff its regions agree (when it has
/// regions; zone pairs are all cross-zone); and its cost over its bytes is the
/// price of its kind of transfer.
pub fn assert_cost_chain(
    api: &PrometheusApi,
    time: f64,
    chain: CostChain,
    counted: &BTreeMap<Labels, u64>,
    prices: &BTreeMap<String, f64>,
) -> Vec<PairCost> {
    let bytes = by_labels(api.query_at(chain.bytes, time).unwrap());
    let classified = by_labels(
        api.query_at(chain.classified.unwrap_or(chain.bytes), time)
            .unwrap(),
    );
    let costs = by_labels(api.query_at(chain.cost, time).unwrap());
    let without_transfer = |labels: &Labels| {
        let mut pair = labels.clone();
        pair.remove(TRANSFER);
        pair
    };
    let recorded_pairs: Vec<Labels> = bytes.keys().map(without_transfer).collect();
    let counted_pairs: Vec<Labels> = counted.keys().cloned().collect();
    assert_eq!(
        recorded_pairs, counted_pairs,
        "{}: the pairs recorded, and those Envoy counted",
        chain.bytes
    );
    assert_eq!(
        classified.len(),
        bytes.len(),
        "{}: one kind of transfer per pair: {classified:?}",
        chain.classified.unwrap_or(chain.bytes)
    );
    assert_eq!(
        costs.len(),
        bytes.len(),
        "{}: one cost per pair: {costs:?}",
        chain.cost
    );

    let mut figures = Vec::new();
    for (labels, bytes_per_second) in &classified {
        let pair = without_transfer(labels);
        let transfer = labels.get(TRANSFER).cloned().unwrap_or_default();
        let regions = (
            pair.get(label::SOURCE_REGION),
            pair.get(label::DESTINATION_REGION),
        );
        let expected_transfer = match regions {
            (Some(source), Some(destination)) if source != destination => CROSS_REGION,
            _ => CROSS_ZONE,
        };
        assert_eq!(
            transfer, expected_transfer,
            "{}: the transfer kind of {pair:?}",
            chain.cost
        );
        let recorded = bytes
            .iter()
            .find(|(key, _)| without_transfer(key) == pair)
            .map(|(_, value)| *value);
        assert_eq!(
            recorded,
            Some(*bytes_per_second),
            "{pair:?}: classified bytes are the pair's bytes"
        );

        let counted_bytes = counted[&pair];
        assert_eq!(
            *bytes_per_second > 0.0,
            counted_bytes > 0,
            "{}: {pair:?} moves iff Envoy counted bytes ({counted_bytes})",
            chain.bytes
        );
        let usd_per_hour = costs[labels];
        let price = prices[&transfer];
        let usd_per_gb = if counted_bytes > 0 {
            let window_bytes = bytes_per_second * RATE_WINDOW;
            let extrapolated = window_bytes / counted_bytes as f64;
            assert!(
                (0.5..1.5).contains(&extrapolated),
                "{}: {pair:?} records {bytes_per_second} B/s, {window_bytes:.0} bytes over the window, \
                 for {counted_bytes} bytes Envoy counted",
                chain.bytes
            );
            usd_per_hour / bytes_per_second / 3600.0 * 1e9
        } else {
            assert_eq!(usd_per_hour, 0.0, "{}: {pair:?} moved no bytes", chain.cost);
            price
        };
        assert!(
            (usd_per_gb - price).abs() <= price * 1e-12,
            "{}: {pair:?} costs {usd_per_hour} USD/h for {bytes_per_second} B/s: {usd_per_gb} USD/GB, \
             not the {transfer} price {price}",
            chain.cost
        );
        figures.push(PairCost {
            pair,
            transfer,
            counted_bytes,
            bytes_per_second: *bytes_per_second,
            usd_per_hour,
            usd_per_gb,
        });
    }
    figures
}
