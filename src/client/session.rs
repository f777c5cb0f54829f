//! The steps the client commands share: trading a password for a token, having one minted over
//! ssh, saving it as the login for a server (retiring the one it replaces), asking the server
//! who a login is, and revoking a login's token. No printing here.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::api::segment;
use super::ssh::Remote;
use super::{Api, ClientError, CredentialStore, Entry, ServerUrl};

/// A freshly minted token, as both `POST /api/v1/admin/tokens` and
/// `gateway admin token --json` print it. `Debug` never shows it.
#[derive(Deserialize)]
pub struct Minted {
    pub id: String,
    pub token: String,
    pub email: String,
    pub name: String,
    pub expires_at: Option<DateTime<Utc>>,
}

impl std::fmt::Debug for Minted {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Minted")
            .field("id", &self.id)
            .field("token", &"<redacted>")
            .field("email", &self.email)
            .finish_non_exhaustive()
    }
}

/// What `gateway admin create --json` prints.
#[derive(Debug, Deserialize)]
pub struct CreatedAdmin {
    pub user_id: String,
    pub email: String,
    /// created | activated
    pub outcome: String,
}

/// `GET /api/v1/admin/me`, without the CSRF token (a bearer needs none).
#[derive(Debug, Serialize, Deserialize)]
pub struct Me {
    pub user_id: String,
    pub email: String,
    pub name: String,
    pub platform_admin: bool,
    pub teams: Vec<TeamRole>,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct TeamRole {
    pub team: String,
    pub role: String,
}

/// Trades an e-mail and password for a token (`POST /api/v1/admin/tokens`).
pub async fn exchange(
    server: &ServerUrl,
    email: &str,
    password: &str,
    name: &str,
    expires_in_days: Option<i64>,
) -> Result<Minted, ClientError> {
    let body = json!({
        "email": email,
        "password": password,
        "name": name,
        "expires_in_days": expires_in_days,
    });
    Api::new(server, None)?
        .post("/api/v1/admin/tokens", &body)
        .await
}

/// Creates a platform admin on the host (`gateway admin create EMAIL --json
/// --password-stdin`, the password on standard input).
pub async fn create_admin_over_ssh(
    remote: &Remote,
    email: &str,
    password: &str,
) -> Result<CreatedAdmin, ClientError> {
    remote
        .run_json(
            &["admin", "create", email, "--json", "--password-stdin"],
            Some(password),
        )
        .await
}

/// Mints a token on the host (`gateway admin token EMAIL --json --name NAME`).
pub async fn mint_over_ssh(
    remote: &Remote,
    email: &str,
    name: &str,
) -> Result<Minted, ClientError> {
    remote
        .run_json(&["admin", "token", email, "--json", "--name", name], None)
        .await
}

/// Saves `minted` as the login for `server`; returns the login it replaced, if any.
pub fn save(
    store: &CredentialStore,
    server: &ServerUrl,
    minted: Minted,
) -> Result<Option<Entry>, ClientError> {
    let mut creds = store.load()?;
    let entry = Entry {
        token: minted.token,
        token_id: minted.id,
        email: minted.email,
        name: minted.name,
        expires_at: minted.expires_at,
        saved_at: crate::store::now(),
    };
    let replaced = creds.insert(server, entry);
    store.save(&creds)?;
    Ok(replaced)
}

/// Who the login `entry` is on `server` (`GET /api/v1/admin/me`).
pub async fn whoami(server: &ServerUrl, entry: &Entry) -> Result<Me, ClientError> {
    Api::new(server, Some(&entry.token))?
        .get("/api/v1/admin/me")
        .await
}

/// Revokes the login's own token on the server (`DELETE /api/v1/admin/tokens/{id}`, sent
/// with that token). A token the server no longer accepts counts as done.
pub async fn revoke_token(server: &ServerUrl, entry: &Entry) -> Result<(), ClientError> {
    let path = format!("/api/v1/admin/tokens/{}", segment(&entry.token_id));
    match Api::new(server, Some(&entry.token))?
        .delete::<serde_json::Value>(&path)
        .await
    {
        Ok(_) => Ok(()),
        Err(e) if matches!(e.code(), Some("invalid_token" | "conflict")) => Ok(()),
        Err(e) => Err(e),
    }
}
