//! The control-plane client: what `gateway login`, `logout`, `whoami`, `remote …` and
//! `credentials … --server URL` use to work on a gateway from another machine. It keeps its
//! logins in `credentials.toml` (file.rs), calls `/api/v1/admin/*` with a `gwa_` token
//! (api.rs), mints tokens on a host over `ssh` (ssh.rs), and holds the few steps the commands
//! share (session.rs). Printing belongs to `cli/`; server code never comes here.

pub mod api;
pub mod credentials;
pub mod file;
pub mod session;
pub mod ssh;

pub use api::Api;
pub use file::{CredentialStore, Credentials, Entry, ServerUrl};

/// What can go wrong in the client.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// What was asked cannot work as given (exit 2).
    #[error("{0}")]
    Usage(String),
    /// The server answered with an error (`{"error":{"code","message"}}`).
    #[error("{message} (HTTP {status}, {code})")]
    Api {
        status: u16,
        code: String,
        message: String,
    },
    /// No answer from the server at all.
    #[error("cannot reach {server}: {detail}")]
    Unreachable { server: String, detail: String },
    /// A command run over ssh failed.
    #[error("{0}")]
    Remote(String),
    /// Local trouble: files, encoding.
    #[error(transparent)]
    Local(#[from] anyhow::Error),
}

impl ClientError {
    /// The server's error code, when it answered with one.
    pub fn code(&self) -> Option<&str> {
        match self {
            ClientError::Api { code, .. } => Some(code),
            _ => None,
        }
    }
}

/// A name for a token minted from this machine: `gateway CLI on <hostname>`.
pub fn default_token_name(via: &str) -> String {
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .or_else(|| std::env::var("HOSTNAME").ok())
        .map(|h| h.trim().to_string())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "this machine".into());
    let name = format!("{via} on {host}");
    name.chars().take(100).collect()
}
