//! The demo's tour: a few curl requests through the running sidecar, each followed
//! by what the filter did, as the app and Envoy's stats saw it. A step that does not
//! go as the product contract says is flagged with `!!`.

use serde_json::Value;

use crate::curl;

/// The addresses the tour talks to.
pub struct Target {
    /// Envoy's listener, e.g. `127.0.0.1:10000`.
    pub listener: String,
    /// Envoy's admin API, e.g. `127.0.0.1:9901`.
    pub admin: String,
}

/// Counts what did not go as expected.
#[derive(Default)]
pub struct Outcome {
    /// How many expectations failed.
    pub surprises: usize,
}

impl Outcome {
    fn saw(&mut self, what: &str, actual: Option<&str>, expected: &str) {
        match actual {
            Some(value) if value == expected => println!("  -> {what}: {value}"),
            Some(value) => self.surprise(&format!("{what}: {value} (expected {expected})")),
            None => self.surprise(&format!("{what}: nothing (expected {expected})")),
        }
    }

    fn surprise(&mut self, text: &str) {
        println!("  !! {text}");
        self.surprises += 1;
    }
}

/// One step of the tour; an `Err` is a step that could not even run.
type Step = fn(&Target, &mut Outcome) -> Result<(), String>;

/// Runs every step; a failed curl counts as a surprise, not an abort.
pub fn run(target: &Target) -> Outcome {
    let mut outcome = Outcome::default();
    let steps: [(&str, Step); 4] = [
        (
            "1. Tagging: a request leaving us-east carries its source; a forged tag is replaced",
            tagging,
        ),
        (
            "2. Residency: EU user data may only be requested from EU regions",
            residency,
        ),
        (
            "3. Regional routing: a visitor from Germany is routed to eu-west-1",
            routing,
        ),
        (
            "4. Metrics: the filter's counters on Envoy's Prometheus endpoint",
            metrics,
        ),
    ];
    for (title, step) in steps {
        println!("\n{title}");
        if let Err(e) = step(target, &mut outcome) {
            outcome.surprise(&e);
        }
    }
    outcome
}

fn app_saw<'a>(seen: &'a Value, header: &str) -> Option<&'a str> {
    seen.get("headers")?.get(header)?.as_str()
}

fn answered_by(seen: &Value) -> String {
    let field = |name: &str| {
        seen.get(name)
            .and_then(Value::as_str)
            .unwrap_or("?")
            .to_owned()
    };
    format!("{} ({})", field("app"), field("region"))
}

fn app_reply(response: &curl::CurlResponse) -> Result<Value, String> {
    serde_json::from_str(&response.body).map_err(|_| {
        format!(
            "{} from envoy, not from an app: {}",
            response.status,
            response.body.trim()
        )
    })
}

fn tagging(target: &Target, outcome: &mut Outcome) -> Result<(), String> {
    let url = format!("http://{}/orders/42", target.listener);
    let response = curl::request(&["-H", "x-meshborder-source-cluster: forged", &url])?;
    let seen = app_reply(&response)?;
    println!("  -> {} from {}", response.status, answered_by(&seen));
    outcome.saw(
        "the app saw x-meshborder-source-cluster",
        app_saw(&seen, "x-meshborder-source-cluster"),
        "us-east",
    );
    outcome.saw(
        "the app saw x-meshborder-source-region",
        app_saw(&seen, "x-meshborder-source-region"),
        "us-east-1",
    );
    Ok(())
}

fn residency(target: &Target, outcome: &mut Outcome) -> Result<(), String> {
    let url = format!("http://{}/users/1", target.listener);
    let response = curl::request(&["-H", "Host: eu-user-data", &url])?;
    outcome.saw("status", Some(&response.status.to_string()), "403");
    outcome.saw(
        "x-meshborder-denied-by",
        response.header("x-meshborder-denied-by"),
        "eu-user-data",
    );
    println!("  -> body: {}", response.body.trim());
    Ok(())
}

fn routing(target: &Target, outcome: &mut Outcome) -> Result<(), String> {
    let url = format!("http://{}/catalog", target.listener);
    let response = curl::request(&["-H", "cf-ipcountry: DE", &url])?;
    let seen = app_reply(&response)?;
    outcome.saw(
        "the app saw x-meshborder-route-region",
        app_saw(&seen, "x-meshborder-route-region"),
        "eu-west-1",
    );
    outcome.saw(
        "answered by",
        Some(&answered_by(&seen)),
        "eu-west-app (eu-west-1)",
    );
    Ok(())
}

fn metrics(target: &Target, outcome: &mut Outcome) -> Result<(), String> {
    let url = format!("http://{}/stats/prometheus", target.admin);
    println!("$ curl -sS {url} | grep '^meshborder_'");
    let output = curl::run_quietly(&["-sS", &url])?;
    let lines: Vec<&str> = output
        .lines()
        .filter(|line| line.starts_with("meshborder_"))
        .collect();
    for line in &lines {
        println!("  {line}");
    }
    let denial = "meshborder_residency_decisions_total{rule=\"eu-user-data\",decision=\"deny\"} 1";
    if !lines.contains(&denial) {
        outcome.surprise(&format!("no `{denial}`"));
    }
    Ok(())
}
