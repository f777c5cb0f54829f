//! Data-plane credentials through a running gateway's admin API, for `gateway credentials …
//! --server URL`: the same operations as the offline commands, with the permissions of the
//! logged-in user. Answers are turned into the offline commands' shapes (`CredentialRow`) so
//! both print alike.
//!
//! Only endpoints the admin UI uses are called: a listing is the service accounts' credentials
//! of the teams the user manages plus the user's own personal credentials, and a personal
//! credential can be issued to the logged-in user only.

use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::json;

use super::api::segment;
use super::session::Me;
use super::{Api, ClientError};
use crate::credentials::Grants;
use crate::store::rows::CredentialRow;

/// Who a new credential is for.
#[derive(Debug, Clone)]
pub enum Owner {
    ServiceAccount(String),
    /// A user, by e-mail: over the API, only the logged-in user.
    User(String),
}

/// A credential just issued. `Debug` never shows the key.
pub struct Issued {
    pub id: String,
    pub public_id: String,
    pub key: String,
    pub team_id: Option<String>,
}

impl std::fmt::Debug for Issued {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Issued")
            .field("id", &self.id)
            .field("key", &"<redacted>")
            .finish_non_exhaustive()
    }
}

/// The fields of the API's credential body this client needs.
#[derive(Deserialize)]
struct Body {
    id: String,
    public_id: String,
    last4: String,
    name: String,
    owner_kind: String,
    owner_id: String,
    owner_name: String,
    team_id: Option<String>,
    grants: serde_json::Value,
    created_at: DateTime<Utc>,
    created_by: Option<String>,
    last_used_at: Option<DateTime<Utc>>,
    expires_at: Option<DateTime<Utc>>,
    revoked_at: Option<DateTime<Utc>>,
}

impl Body {
    fn into_row(self) -> CredentialRow {
        let grants = match &self.grants {
            serde_json::Value::Array(models) => Grants::Models(
                models
                    .iter()
                    .filter_map(|m| m.as_str().map(str::to_string))
                    .collect(),
            ),
            _ => Grants::All,
        };
        let service_account = self.owner_kind == "service_account";
        CredentialRow {
            id: self.id,
            public_id: self.public_id,
            last4: self.last4,
            name: self.name,
            service_account_id: service_account.then(|| self.owner_id.clone()),
            user_email: (!service_account).then(|| self.owner_name.clone()),
            team_id: self.team_id,
            model_grants: grants.to_column(),
            expires_at: self.expires_at,
            created_by: self.created_by,
            created_at: self.created_at,
            last_used_at: self.last_used_at,
            revoked_at: self.revoked_at,
        }
    }
}

#[derive(Deserialize)]
struct IssuedBody {
    key: String,
    credential: Body,
}

#[derive(Deserialize)]
struct ServiceAccount {
    id: String,
}

/// Issues a credential; the key is in the answer only.
pub async fn issue(
    api: &Api,
    owner: &Owner,
    name: &str,
    grants: &Grants,
    expires_at: Option<DateTime<Utc>>,
    team: Option<&str>,
) -> Result<Issued, ClientError> {
    let grants = match grants {
        Grants::All => json!("all"),
        Grants::Models(m) => json!(m),
    };
    let body = json!({"name": name, "grants": grants, "expires_at": expires_at, "team": team});
    let path = match owner {
        Owner::ServiceAccount(sa) => {
            format!("/api/v1/admin/service-accounts/{}/credentials", segment(sa))
        }
        Owner::User(email) => {
            let me: Me = api.get("/api/v1/admin/me").await?;
            if !me.email.eq_ignore_ascii_case(email.trim()) {
                return Err(ClientError::Usage(format!(
                    "--user {email}: over the API a personal credential can only be issued to \
                     yourself ({}); issue one for {email} on the server (`gateway credentials \
                     create --user {email}`) or let them create it in the admin UI",
                    me.email
                )));
            }
            "/api/v1/admin/me/credentials".to_string()
        }
    };
    let issued: IssuedBody = api.post(&path, &body).await?;
    Ok(Issued {
        id: issued.credential.id,
        public_id: issued.credential.public_id,
        key: issued.key,
        team_id: issued.credential.team_id,
    })
}

/// The credentials the logged-in user manages, newest first.
pub async fn list(api: &Api) -> Result<Vec<CredentialRow>, ClientError> {
    let mut bodies: Vec<Body> = api.get("/api/v1/admin/me/credentials").await?;
    let accounts: Vec<ServiceAccount> = api.get("/api/v1/admin/service-accounts").await?;
    for sa in accounts {
        let path = format!(
            "/api/v1/admin/service-accounts/{}/credentials",
            segment(&sa.id)
        );
        bodies.extend(api.get::<Vec<Body>>(&path).await?);
    }
    let mut rows: Vec<CredentialRow> = bodies.into_iter().map(Body::into_row).collect();
    rows.sort_by(|a, b| b.created_at.cmp(&a.created_at).then(a.id.cmp(&b.id)));
    rows.dedup_by(|a, b| a.id == b.id);
    Ok(rows)
}

/// Revokes a credential by id or public id.
pub async fn revoke(api: &Api, id: &str) -> Result<(), ClientError> {
    let path = format!("/api/v1/admin/credentials/{}/revoke", segment(id));
    api.post::<_, serde_json::Value>(&path, &json!({})).await?;
    Ok(())
}
