//! Running curl for the demo: print the command as one would type it, run it (from
//! the workspace root, so the certificate paths it prints work as typed), and split
//! what came back into status, headers and body.

use std::process::Command;

use meshborder_e2e::paths;

/// What curl printed with `-i`: the response head, then the body.
pub struct CurlResponse {
    /// The status code.
    pub status: u16,
    /// Header names lowercased.
    pub headers: Vec<(String, String)>,
    /// The body as text.
    pub body: String,
}

impl CurlResponse {
    /// The first value of header `name`.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.as_str())
    }
}

/// Fails with a one-line hint when curl is not installed.
pub fn ensure_installed() -> Result<(), String> {
    Command::new("curl")
        .arg("--version")
        .output()
        .map(drop)
        .map_err(|_| "curl not found on PATH: install curl to run the demo".to_owned())
}

/// `curl <args>` as one would type it in a shell.
pub fn command<S: AsRef<str>>(args: &[S]) -> String {
    let quoted: Vec<String> = args.iter().map(|arg| quote(arg.as_ref())).collect();
    format!("curl {}", quoted.join(" "))
}

/// Prints `$ curl <args>` and runs it; returns what curl wrote to stdout.
pub fn run(args: &[&str]) -> Result<String, String> {
    println!("$ {}", command(args));
    run_quietly(args)
}

/// Runs curl without printing the command (the caller printed it its own way).
pub fn run_quietly(args: &[&str]) -> Result<String, String> {
    let output = Command::new("curl")
        .current_dir(paths::workspace_root())
        .args(args)
        .output()
        .map_err(|e| format!("running curl: {e}"))?;
    if !output.status.success() {
        return Err(format!(
            "curl failed ({}): {}",
            output.status,
            String::from_utf8_lossy(&output.stderr).trim()
        ));
    }
    Ok(String::from_utf8_lossy(&output.stdout).into_owned())
}

/// Runs curl with `-sS -i` prepended and parses the response.
pub fn request(args: &[&str]) -> Result<CurlResponse, String> {
    let mut all = vec!["-sS", "-i"];
    all.extend_from_slice(args);
    parse(&run(&all)?)
}

fn parse(output: &str) -> Result<CurlResponse, String> {
    let (head, body) = output
        .split_once("\r\n\r\n")
        .ok_or_else(|| format!("curl printed no HTTP response: {output}"))?;
    let mut lines = head.lines();
    let status_line = lines.next().unwrap_or_default();
    let status = status_line
        .split(' ')
        .nth(1)
        .and_then(|code| code.parse().ok())
        .ok_or_else(|| format!("bad status line `{status_line}`"))?;
    let headers = lines
        .filter_map(|line| line.split_once(':'))
        .map(|(name, value)| (name.trim().to_ascii_lowercase(), value.trim().to_owned()))
        .collect();
    Ok(CurlResponse {
        status,
        headers,
        body: body.to_owned(),
    })
}

/// `arg` quoted for a POSIX shell when it needs to be.
pub fn quote(arg: &str) -> String {
    let plain = arg
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || "-_./:=@%+,".contains(c));
    if plain && !arg.is_empty() {
        arg.to_owned()
    } else {
        format!("'{}'", arg.replace('\'', r"'\''"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_only_what_needs_quoting() {
        assert_eq!(
            quote("http://127.0.0.1:10000/users/1"),
            "http://127.0.0.1:10000/users/1"
        );
        assert_eq!(quote("Host: eu-user-data"), "'Host: eu-user-data'");
        assert_eq!(quote("it's"), r"'it'\''s'");
    }

    #[test]
    fn parses_what_curl_prints_with_dash_i() {
        let response =
            parse("HTTP/1.1 403 Forbidden\r\nX-Meshborder-Denied-By: eu-user-data\r\n\r\n{}")
                .unwrap();
        assert_eq!(response.status, 403);
        assert_eq!(
            response.header(meshborder_filter::contract::header::DENIED_BY),
            Some("eu-user-data")
        );
        assert_eq!(response.body, "{}");
    }
}
