//! The ready-to-run sidecars of `envoy-config/loopback/`, and the README's lines
//! that start them: read from the README as a user reads them, and run as written,
//! so the front page never tells a user something that does not work. Each line is
//! a [`Step`]: a command to run to completion, or one the README sends to the
//! background with `&` (an Envoy), kept running until the [`Walkthrough`] is
//! dropped. A line's trailing `# comment` is what it promises to print.

use std::fs::{self, File};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use crate::client::Request;
use crate::error::{HarnessError, Result};
use crate::ports::LOOPBACK;
use crate::{paths, poll};

/// The folder of `envoy-config/` that holds them.
pub const DIR: &str = "loopback";
/// The configurations, by file name.
pub const CONFIGS: [&str; 2] = ["eu-west-inbound.yaml", "us-east-outbound.yaml"];
/// Their admin ports, which say when each is ready.
pub const ADMIN_PORTS: [u16; 2] = [9912, 9911];
/// Every port they bind: admins, us-east's listener, eu-west's mTLS listener and
/// its app.
pub const PORTS: [u16; 5] = [9911, 9912, 10010, 15453, 18090];
/// A line of the README block this module runs: the block is the one that names it.
const BLOCK_MARKER: &str = "envoy-config/loopback/make-certs.sh";

/// The paths of the configurations.
pub fn configs() -> Vec<PathBuf> {
    let dir = paths::config_dir().join(DIR);
    CONFIGS.iter().map(|name| dir.join(name)).collect()
}

/// One line of the README's block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    /// The command, as written, without `&` and comment.
    pub command: String,
    /// Whether the README runs it in the background.
    pub background: bool,
    /// The comment after it, if any: what it promises.
    pub promise: Option<String>,
}

/// The steps of the README's block that starts the loopback sidecars.
pub fn readme_steps() -> Result<Vec<Step>> {
    let readme = paths::workspace_root().join("README.md");
    let text = fs::read_to_string(&readme)
        .map_err(|e| HarnessError::io(format!("reading `{}`", readme.display()), e))?;
    steps(&text).ok_or_else(|| HarnessError::Missing {
        what: format!("a ```sh block in README.md that runs `{BLOCK_MARKER}`"),
        hint: "put the loopback walk-through back in README.md".to_owned(),
    })
}

/// The steps of the first ```sh block of `markdown` that mentions [`BLOCK_MARKER`].
pub fn steps(markdown: &str) -> Option<Vec<Step>> {
    let mut blocks = markdown.split("```sh\n").skip(1);
    let block = blocks.find_map(|rest| {
        let (block, _) = rest.split_once("```")?;
        block.contains(BLOCK_MARKER).then_some(block)
    })?;
    Some(block.lines().filter_map(step).collect())
}

fn step(line: &str) -> Option<Step> {
    let (command, promise) = match line.split_once(" #") {
        Some((command, comment)) => (command, Some(comment.trim().to_owned())),
        None => (line, None),
    };
    let command = command.trim();
    if command.is_empty() {
        return None;
    }
    let (command, background) = match command.strip_suffix('&') {
        Some(command) => (command.trim(), true),
        None => (command, false),
    };
    Some(Step {
        command: command.to_owned(),
        background,
        promise,
    })
}

/// The background processes of a walk-through, killed when dropped.
#[derive(Debug, Default)]
pub struct Walkthrough {
    children: Vec<Child>,
}

impl Walkthrough {
    /// Starts `step`'s command in the background, from the repository root, with
    /// `envoy` the binary under test, its output in `log`.
    pub fn spawn(&mut self, step: &Step, log: &Path) -> Result<()> {
        let mut words = step.command.split_whitespace();
        let program = words.next().unwrap_or_default();
        let program = if program == "envoy" {
            paths::envoy_binary()?
        } else {
            PathBuf::from(program)
        };
        let out = File::create(log)
            .map_err(|e| HarnessError::io(format!("creating `{}`", log.display()), e))?;
        let err = out
            .try_clone()
            .map_err(|e| HarnessError::io(format!("opening `{}`", log.display()), e))?;
        let child = Command::new(&program)
            .args(words)
            .current_dir(paths::workspace_root())
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(err)
            .spawn()
            .map_err(|e| HarnessError::io(format!("starting `{}`", step.command), e))?;
        self.children.push(child);
        Ok(())
    }

    /// Waits until every loopback Envoy's admin says it is ready.
    pub fn wait_ready(&self) -> Result<()> {
        for port in ADMIN_PORTS {
            let admin = SocketAddr::new(LOOPBACK, port);
            poll::until(&format!("the loopback Envoy with admin {admin}"), || {
                Ok(Request::get("/ready")
                    .send(admin)
                    .ok()
                    .filter(|response| response.status == 200))
            })?;
        }
        Ok(())
    }
}

impl Drop for Walkthrough {
    fn drop(&mut self) {
        for child in &mut self.children {
            drop(child.kill());
            drop(child.wait());
        }
    }
}

/// Runs `step`'s command to completion with bash, from the repository root, with
/// the directory of the Envoy under test first on `PATH`; its stdout and stderr.
pub fn run(step: &Step) -> Result<String> {
    let envoy = paths::envoy_binary()?;
    let mut path = envoy
        .parent()
        .map(|dir| dir.display().to_string())
        .unwrap_or_default();
    if let Some(rest) = std::env::var_os("PATH") {
        path = format!("{path}:{}", rest.to_string_lossy());
    }
    let out = Command::new("bash")
        .args(["-c", &step.command])
        .current_dir(paths::workspace_root())
        .env("PATH", path)
        .output()
        .map_err(|e| HarnessError::io(format!("running `{}`", step.command), e))?;
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    if out.status.success() {
        Ok(text)
    } else {
        Err(HarnessError::Http {
            context: format!("`{}`", step.command),
            reason: format!("exited with {}: {text}", out.status),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_block_that_names_the_certificate_script_is_read_line_by_line() {
        let markdown = "intro\n```sh\nmake demo\n```\n\n```sh\nmake build\n\
            envoy-config/loopback/make-certs.sh        # makes them\n\
            envoy -c a.yaml --base-id 2 &\n\ncurl -si http://x/  # 403, denied\n```\n";
        let steps = steps(markdown).unwrap();
        let commands: Vec<&str> = steps.iter().map(|s| s.command.as_str()).collect();
        assert_eq!(
            commands,
            [
                "make build",
                "envoy-config/loopback/make-certs.sh",
                "envoy -c a.yaml --base-id 2",
                "curl -si http://x/"
            ]
        );
        assert!(steps[2].background && !steps[3].background);
        assert_eq!(steps[3].promise.as_deref(), Some("403, denied"));
    }

    #[test]
    fn a_readme_without_the_block_has_no_steps() {
        assert_eq!(steps("```sh\nmake demo\n```\n"), None);
    }
}
