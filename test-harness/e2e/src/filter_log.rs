//! The filter's own log lines in Envoy's log: proxy-wasm log calls appear as
//! `[time][thread][level][wasm] [source] wasm log <plugin>: <message>`. The
//! filter writes its decisions as one JSON object per message; this finds them.

/// One JSON message of the filter, with the level Envoy logged it at.
#[derive(Debug, Clone, PartialEq)]
pub struct FilterLine {
    /// Envoy's level name: `warning`, `info`, ...
    pub level: String,
    /// The message, parsed.
    pub json: serde_json::Value,
}

/// Every line of `log` in which the filter logged a JSON object.
pub fn json_lines(log: &str) -> Vec<FilterLine> {
    log.lines()
        .filter(|line| line.contains("][wasm] ") && line.contains(" wasm log "))
        .filter_map(|line| {
            let level = line.split('[').nth(3)?.strip_suffix(']')?.to_owned();
            let message = line.get(line.find(": {")? + 2..)?;
            let json = serde_json::from_str(message).ok()?;
            Some(FilterLine { level, json })
        })
        .collect()
}

/// The lines whose JSON has `field` equal to `value`.
pub fn with_field<'a>(
    lines: &'a [FilterLine],
    field: &'a str,
    value: &'a str,
) -> impl Iterator<Item = &'a FilterLine> + 'a {
    lines
        .iter()
        .filter(move |line| line.json.get(field).and_then(serde_json::Value::as_str) == Some(value))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_json_messages_of_the_filter_with_their_level() {
        let log = "[2026-11-21 09:00:00.001][7][info][main] [source/server/server.cc:1] starting\n\
                   [2026-11-21 09:00:01.002][8][warning][wasm] [source/extensions/common/wasm/context.cc:1] \
                   wasm log meshborder: {\"decision\":\"deny\",\"rule\":\"eu-user-data\"}\n\
                   [2026-11-21 09:00:01.003][8][info][wasm] [source/extensions/common/wasm/context.cc:1] \
                   wasm log meshborder: not json\n";
        let lines = json_lines(log);
        assert_eq!(lines.len(), 1);
        let line = lines.first().unwrap();
        assert_eq!(line.level, "warning");
        assert_eq!(line.json["rule"], "eu-user-data");
        assert_eq!(with_field(&lines, "decision", "deny").count(), 1);
    }
}
