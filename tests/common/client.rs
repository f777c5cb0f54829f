//! Control-plane client helpers: runs `gateway login|logout|whoami|remote …|credentials
//! --server` with a private client config dir (`GATEWAY_CLIENT_CONFIG_DIR`), reads the saved
//! `credentials.toml`, and puts a fake `ssh` first on `PATH` that logs its arguments, drops the
//! destination and runs the remote command locally (as real ssh would hand it to a shell).

use std::path::PathBuf;

use super::process::{Output, command, run_with_stdin};
use super::{Gateway, Server};

const FAKE_SSH: &str = r#"#!/bin/sh
# Fake ssh for tests: log the arguments, drop the destination, run the command locally.
printf '%s\n' "$*" >> "$FAKE_SSH_LOG"
shift
exec /bin/sh -c "$*"
"#;

/// The client side of a test: where its logins live and how its commands run.
pub struct ClientCli {
    pub dir: tempfile::TempDir,
    pub config: PathBuf,
    env: Vec<(String, String)>,
}

impl ClientCli {
    /// A client with an empty config dir (not created yet) and the real `ssh` on PATH.
    pub fn new(gw: &Gateway) -> ClientCli {
        let dir = tempfile::tempdir().expect("tempdir");
        let config_dir = dir.path().join("config").join("gateway");
        ClientCli {
            config: gw.config_path.clone(),
            env: vec![(
                "GATEWAY_CLIENT_CONFIG_DIR".into(),
                config_dir.display().to_string(),
            )],
            dir,
        }
    }

    /// Puts the fake `ssh` first on PATH (its log is [`ClientCli::ssh_log`]).
    pub fn with_fake_ssh(mut self) -> ClientCli {
        let bin = self.dir.path().join("bin");
        std::fs::create_dir_all(&bin).expect("bin dir");
        let ssh = bin.join("ssh");
        std::fs::write(&ssh, FAKE_SSH).expect("write fake ssh");
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&ssh, std::fs::Permissions::from_mode(0o755)).expect("chmod");
        }
        let path = format!(
            "{}:{}",
            bin.display(),
            std::env::var("PATH").unwrap_or_default()
        );
        let log = self.dir.path().join("ssh.log").display().to_string();
        self.env.push(("PATH".into(), path));
        self.env.push(("FAKE_SSH_LOG".into(), log));
        self
    }

    /// What the remote host runs: this test's gateway binary with this test's config.
    pub fn remote_command(&self) -> String {
        format!(
            "{} --config {}",
            env!("CARGO_BIN_EXE_gateway"),
            self.config.display()
        )
    }

    pub async fn run(&self, args: &[&str], stdin: Option<&str>) -> Output {
        run_with_stdin(command(&self.config, &self.env, args), stdin).await
    }

    /// `gateway login --server URL --email E --password-stdin`.
    pub async fn login(&self, server: &str, email: &str, password: &str) -> Output {
        let args = [
            "login",
            "--server",
            server,
            "--email",
            email,
            "--password-stdin",
        ];
        self.run(&args, Some(&format!("{password}\n"))).await
    }

    pub fn file(&self) -> PathBuf {
        self.dir
            .path()
            .join("config")
            .join("gateway")
            .join("credentials.toml")
    }

    /// The saved logins by server URL (empty when the file does not exist).
    pub fn saved(&self) -> toml::Table {
        match std::fs::read_to_string(self.file()) {
            Ok(text) => {
                let all: toml::Table = text.parse().expect("credentials.toml is TOML");
                all.get("servers")
                    .and_then(|s| s.as_table())
                    .cloned()
                    .unwrap_or_default()
            }
            Err(_) => toml::Table::new(),
        }
    }

    /// The saved token for `server`.
    pub fn token(&self, server: &str) -> String {
        self.saved()[server]["token"]
            .as_str()
            .expect("saved token")
            .to_string()
    }

    /// Every command line the fake ssh was given (empty when it never ran).
    pub fn ssh_log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("ssh.log")).unwrap_or_default()
    }
}

/// The server's base URL as the client stores it.
pub fn base(server: &Server) -> String {
    server.url("")
}

/// `GET path` with `Authorization: Bearer token` (no redirects followed): status and body.
pub async fn get_with_bearer(server: &Server, path: &str, token: &str) -> (u16, String) {
    gateway::providers::install_crypto_provider();
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    let resp = client
        .get(server.url(path))
        .bearer_auth(token)
        .send()
        .await
        .expect("request");
    let status = resp.status().as_u16();
    let location = resp
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let text = resp.text().await.expect("body");
    (status, location.map_or(text, |l| format!("-> {l}")))
}
