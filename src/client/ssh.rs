//! Running the offline `gateway admin …` commands on a server over `ssh` (the `ssh` found on
//! `PATH`), for `gateway remote init|login`. Secrets go to the remote command's standard
//! input, never into its command line (which shows up in `ps` and shell histories on both
//! ends); every argument this module adds is shell-quoted, because ssh hands the command to
//! the remote user's shell as one string.

use std::process::Stdio;

use serde::de::DeserializeOwned;
use tokio::io::AsyncWriteExt;
use tokio::process::Command;

use super::ClientError;

/// A gateway reachable over ssh: `USER@HOST` and the command that runs it there.
#[derive(Debug, Clone)]
pub struct Remote {
    destination: String,
    /// Shell text run on the host, e.g. `gateway --config /etc/gateway/gateway.yaml`; taken
    /// as given (it may use the remote shell's features).
    gateway: String,
}

/// `s` quoted for a POSIX shell.
pub fn shell_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

impl Remote {
    pub fn new(destination: &str, gateway: &str) -> Result<Remote, ClientError> {
        let destination = destination.trim();
        if destination.is_empty()
            || destination.starts_with('-')
            || destination
                .chars()
                .any(|c| c.is_whitespace() || c.is_control())
        {
            return Err(ClientError::Usage(format!(
                "--ssh {destination:?}: expected USER@HOST or HOST (an ssh destination)"
            )));
        }
        let gateway = gateway.trim();
        if gateway.is_empty() {
            return Err(ClientError::Usage(
                "--remote-command must not be empty".into(),
            ));
        }
        Ok(Remote {
            destination: destination.to_string(),
            gateway: gateway.to_string(),
        })
    }

    pub fn destination(&self) -> &str {
        &self.destination
    }

    /// The host part of the destination (no user, no brackets around an IPv6 address).
    pub fn host(&self) -> &str {
        let host = self
            .destination
            .rsplit_once('@')
            .map_or(self.destination.as_str(), |(_, h)| h);
        host.trim_start_matches('[').trim_end_matches(']')
    }

    /// The default server URL for this host: `http://HOST:8080`.
    pub fn default_server(&self) -> String {
        let host = self.host();
        if host.contains(':') {
            format!("http://[{host}]:8080")
        } else {
            format!("http://{host}:8080")
        }
    }

    /// Runs `<gateway> ARGS…` on the host, sending `stdin` (if any) to it, and parses the
    /// JSON object it prints (its last line starting with `{`).
    pub async fn run_json<T: DeserializeOwned>(
        &self,
        args: &[&str],
        stdin: Option<&str>,
    ) -> Result<T, ClientError> {
        let shown: Vec<&str> = args.iter().take(2).copied().collect();
        let what = format!("`gateway {}` on {}", shown.join(" "), self.destination);
        let mut remote = self.gateway.clone();
        for a in args {
            remote.push(' ');
            remote.push_str(&shell_quote(a));
        }
        let mut cmd = Command::new("ssh");
        cmd.arg(&self.destination)
            .arg(remote)
            .stdin(if stdin.is_some() {
                Stdio::piped()
            } else {
                Stdio::null()
            })
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        let mut child = cmd.spawn().map_err(|e| {
            ClientError::Remote(format!(
                "cannot run ssh (is it installed and on PATH?): {e}"
            ))
        })?;
        if let (Some(input), Some(mut pipe)) = (stdin, child.stdin.take()) {
            let mut text = input.to_string();
            text.push('\n');
            // A remote that exits early closes the pipe; its exit status tells why.
            let _ = pipe.write_all(text.as_bytes()).await;
            drop(pipe);
        }
        let out = child
            .wait_with_output()
            .await
            .map_err(|e| ClientError::Remote(format!("{what}: ssh did not finish: {e}")))?;
        let stdout = String::from_utf8_lossy(&out.stdout);
        let stderr = String::from_utf8_lossy(&out.stderr);
        if !out.status.success() {
            let code = out
                .status
                .code()
                .map_or_else(|| "a signal".into(), |c| c.to_string());
            let hint = if out.status.code() == Some(255) {
                " (exit 255 is ssh's own: check the destination, keys and host key)"
            } else {
                ""
            };
            return Err(ClientError::Remote(format!(
                "{what} failed (exit {code}){hint}: {}",
                stderr.trim()
            )));
        }
        let line = stdout
            .lines()
            .rev()
            .map(str::trim)
            .find(|l| l.starts_with('{'))
            .ok_or_else(|| {
                ClientError::Remote(format!(
                    "{what} printed no JSON (is --remote-command a gateway that knows \
                     `admin … --json`?)"
                ))
            })?;
        serde_json::from_str(line).map_err(|e| {
            ClientError::Remote(format!("{what} printed JSON this client cannot read: {e}"))
        })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn arguments_are_quoted_for_the_remote_shell() {
        assert_eq!(shell_quote("a@b.c"), "'a@b.c'");
        assert_eq!(shell_quote("it's $(x)"), r"'it'\''s $(x)'");
    }

    #[test]
    fn destinations_give_hosts_and_default_urls_and_options_are_refused() {
        let r = Remote::new("root@gw.example.com", "gateway").unwrap();
        assert_eq!(r.host(), "gw.example.com");
        assert_eq!(r.default_server(), "http://gw.example.com:8080");
        let r = Remote::new("ops@[2001:db8::1]", "gateway").unwrap();
        assert_eq!(r.default_server(), "http://[2001:db8::1]:8080");
        assert_eq!(Remote::new("host", "gateway").unwrap().host(), "host");
        for bad in ["", "-oProxyCommand=x", "a b"] {
            assert!(Remote::new(bad, "gateway").is_err(), "{bad:?}");
        }
        assert!(Remote::new("h", " ").is_err());
    }
}
