//! The client's saved logins: `credentials.toml` in the user's config directory, one entry per
//! server URL (normalised, so `http://Host:80/` and `http://host` are one entry). Written
//! atomically — a temp file created with mode 0600 in the same directory, synced, renamed over
//! the old one — and refused when group or others can read it, as ssh refuses a loose key.
//! Nothing here talks to a server.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::ClientError;

/// The file's name inside the config directory.
pub const FILE_NAME: &str = "credentials.toml";
/// Overrides the config directory (tests, several identities on one machine).
pub const DIR_ENV: &str = "GATEWAY_CLIENT_CONFIG_DIR";

/// A gateway's base URL, normalised: `http` or `https`, a host, no credentials, query or
/// fragment, no default port and no trailing slash.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct ServerUrl(String);

impl ServerUrl {
    pub fn parse(input: &str) -> Result<ServerUrl, String> {
        let text = input.trim();
        if !text.contains("://") {
            return Err(format!(
                "server URL {text:?}: expected http://HOST[:PORT] or https://HOST[:PORT]"
            ));
        }
        let mut url =
            url::Url::parse(text).map_err(|e| format!("server URL {text:?} is invalid: {e}"))?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(format!(
                "server URL {text:?}: the scheme must be http or https, not {}",
                url.scheme()
            ));
        }
        if url.host_str().is_none_or(str::is_empty) {
            return Err(format!("server URL {text:?} has no host"));
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err(format!(
                "server URL {text:?}: put no user name or password in the URL"
            ));
        }
        if url.query().is_some() || url.fragment().is_some() {
            return Err(format!(
                "server URL {text:?}: expected no query string or fragment"
            ));
        }
        let path = url.path().trim_end_matches('/').to_string();
        url.set_path(&path);
        Ok(ServerUrl(url.as_str().trim_end_matches('/').to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for ServerUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// One saved login. `Debug` never shows the token.
#[derive(Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Entry {
    /// The control-plane token (`gwa_…`).
    pub token: String,
    /// Its id on the server (for `gateway logout`).
    pub token_id: String,
    pub email: String,
    /// The token's name on the server.
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<DateTime<Utc>>,
    pub saved_at: DateTime<Utc>,
}

impl std::fmt::Debug for Entry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Entry")
            .field("token", &"<redacted>")
            .field("token_id", &self.token_id)
            .field("email", &self.email)
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

/// Everything in `credentials.toml`.
#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Credentials {
    #[serde(default)]
    servers: BTreeMap<String, Entry>,
}

impl Credentials {
    pub fn get(&self, server: &ServerUrl) -> Option<&Entry> {
        self.servers.get(server.as_str())
    }

    /// Saves `entry` for `server`, returning the one it replaces.
    pub fn insert(&mut self, server: &ServerUrl, entry: Entry) -> Option<Entry> {
        self.servers.insert(server.as_str().to_string(), entry)
    }

    pub fn remove(&mut self, server: &ServerUrl) -> Option<Entry> {
        self.servers.remove(server.as_str())
    }

    pub fn servers(&self) -> impl Iterator<Item = &str> {
        self.servers.keys().map(String::as_str)
    }

    /// The entry for `server`, or — without one — the only entry there is.
    pub fn select(&self, server: Option<&ServerUrl>) -> Result<(ServerUrl, Entry), ClientError> {
        if let Some(s) = server {
            return match self.get(s) {
                Some(e) => Ok((s.clone(), e.clone())),
                None => Err(ClientError::Usage(format!(
                    "not logged in to {s}: run `gateway login --server {s} --email EMAIL`"
                ))),
            };
        }
        let mut all = self.servers.iter();
        match (all.next(), all.next()) {
            (Some((url, e)), None) => Ok((ServerUrl(url.clone()), e.clone())),
            (None, _) => Err(ClientError::Usage(
                "not logged in to any gateway: run `gateway login --server URL --email EMAIL`"
                    .into(),
            )),
            (Some(_), Some(_)) => Err(ClientError::Usage(format!(
                "logged in to several gateways ({}): choose one with --server URL",
                self.servers().collect::<Vec<_>>().join(", ")
            ))),
        }
    }
}

/// Where `credentials.toml` lives.
#[derive(Debug, Clone)]
pub struct CredentialStore {
    dir: PathBuf,
}

impl CredentialStore {
    pub fn at(dir: impl Into<PathBuf>) -> CredentialStore {
        CredentialStore { dir: dir.into() }
    }

    /// `$GATEWAY_CLIENT_CONFIG_DIR`, else `$XDG_CONFIG_HOME/gateway`, else
    /// `$HOME/.config/gateway`.
    pub fn from_env() -> Result<CredentialStore, ClientError> {
        let var = |k: &str| {
            std::env::var_os(k)
                .filter(|v| !v.is_empty())
                .map(PathBuf::from)
        };
        if let Some(dir) = var(DIR_ENV) {
            return Ok(CredentialStore::at(dir));
        }
        if let Some(xdg) = var("XDG_CONFIG_HOME").filter(|p| p.is_absolute()) {
            return Ok(CredentialStore::at(xdg.join("gateway")));
        }
        match var("HOME") {
            Some(home) => Ok(CredentialStore::at(home.join(".config").join("gateway"))),
            None => Err(ClientError::Usage(format!(
                "cannot tell where to keep {FILE_NAME}: set HOME, XDG_CONFIG_HOME or {DIR_ENV}"
            ))),
        }
    }

    pub fn path(&self) -> PathBuf {
        self.dir.join(FILE_NAME)
    }

    /// The saved logins (none when the file does not exist yet).
    pub fn load(&self) -> Result<Credentials, ClientError> {
        let path = self.path();
        let meta = match std::fs::metadata(&path) {
            Ok(m) => m,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Ok(Credentials::default());
            }
            Err(e) => return Err(local(&path, "cannot read", e)),
        };
        check_private(&path, &meta)?;
        let text = std::fs::read_to_string(&path).map_err(|e| local(&path, "cannot read", e))?;
        toml::from_str(&text).map_err(|e| {
            ClientError::Usage(format!(
                "{} is not a valid credentials file: {e}",
                path.display()
            ))
        })
    }

    /// Replaces the file with `creds`, atomically, readable by the owner only.
    pub fn save(&self, creds: &Credentials) -> Result<(), ClientError> {
        let text = toml::to_string(creds)
            .map_err(|e| ClientError::Local(anyhow::anyhow!("cannot encode {FILE_NAME}: {e}")))?;
        create_private_dir(&self.dir)?;
        let tmp = self.dir.join(format!(
            ".{FILE_NAME}.{}.tmp",
            uuid::Uuid::new_v4().simple()
        ));
        let written = write_new_private(&tmp, text.as_bytes())
            .and_then(|()| std::fs::rename(&tmp, self.path()));
        if let Err(e) = written {
            let _ = std::fs::remove_file(&tmp);
            return Err(local(&self.path(), "cannot write", e));
        }
        // Make the rename itself durable; a failure here loses nothing already written.
        if let Ok(d) = std::fs::File::open(&self.dir) {
            let _ = d.sync_all();
        }
        Ok(())
    }
}

fn local(path: &Path, what: &str, e: std::io::Error) -> ClientError {
    ClientError::Local(anyhow::anyhow!("{what} {}: {e}", path.display()))
}

#[cfg(unix)]
fn check_private(path: &Path, meta: &std::fs::Metadata) -> Result<(), ClientError> {
    use std::os::unix::fs::PermissionsExt;
    let mode = meta.permissions().mode() & 0o777;
    if mode & 0o077 != 0 {
        return Err(ClientError::Usage(format!(
            "{} holds control-plane tokens but its mode is {mode:04o} (group or others can \
             read it); refusing to use it: run `chmod 600 {}`",
            path.display(),
            path.display()
        )));
    }
    Ok(())
}

#[cfg(not(unix))]
fn check_private(_: &Path, _: &std::fs::Metadata) -> Result<(), ClientError> {
    Ok(())
}

#[cfg(unix)]
fn create_private_dir(dir: &Path) -> Result<(), ClientError> {
    use std::os::unix::fs::DirBuilderExt;
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
        .map_err(|e| local(dir, "cannot create", e))
}

#[cfg(not(unix))]
fn create_private_dir(dir: &Path) -> Result<(), ClientError> {
    std::fs::create_dir_all(dir).map_err(|e| local(dir, "cannot create", e))
}

/// Creates `path` (which must not exist) with mode 0600 from the first byte on, and writes
/// and syncs `bytes`.
fn write_new_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(path)?;
    file.write_all(bytes)?;
    file.sync_all()
}

#[cfg(test)]
#[path = "file_tests.rs"]
mod tests;
