//! Credential queries (data-plane keys, service accounts, the auth epoch) on either engine.
//!
//! The row types the credential lifecycle needs beyond `rows.rs` live here, next to the
//! queries that fill them.

use chrono::{DateTime, Utc};

use super::rows::{AuthRow, CredentialRow, NewCredentialRow, ServiceAccountRow};
use super::{Exec, Result, postgres, sqlite};

macro_rules! dispatch {
    ($ex:expr, $f:ident ( $($arg:expr),* )) => {
        match $ex {
            Exec::Sqlite(c) => sqlite::credentials::$f(c, $($arg),*).await,
            Exec::Postgres(c) => postgres::credentials::$f(&mut **c, $($arg),*).await,
        }
    };
}

impl Exec<'_> {
    pub async fn insert_credential(
        &mut self,
        c: &NewCredentialRow,
        now: DateTime<Utc>,
    ) -> Result<()> {
        dispatch!(self, insert_credential(c, now))
    }

    /// Every credential, newest first.
    pub async fn list_credentials(&mut self) -> Result<Vec<CredentialRow>> {
        dispatch!(self, list_credentials())
    }

    /// Sets `revoked_at` on the credential with this id or public id; returns rows changed.
    pub async fn revoke_credential(&mut self, id: &str, now: DateTime<Utc>) -> Result<u64> {
        dispatch!(self, revoke_credential(id, now))
    }

    /// Everything the key cache needs, revoked credentials included (they answer 401 with
    /// their own code).
    pub async fn load_auth_rows(&mut self) -> Result<Vec<AuthRow>> {
        dispatch!(self, load_auth_rows())
    }

    /// Records last use in one batch (from the cache's in-memory timestamps).
    pub async fn touch_credentials(&mut self, used: &[(String, DateTime<Utc>)]) -> Result<()> {
        dispatch!(self, touch_credentials(used))
    }

    pub async fn auth_epoch(&mut self) -> Result<i64> {
        dispatch!(self, auth_epoch())
    }

    /// Call in the same transaction as any change that invalidates cached credentials.
    pub async fn bump_auth_epoch(&mut self) -> Result<()> {
        dispatch!(self, bump_auth_epoch())
    }

    pub async fn find_service_account(&mut self, id: &str) -> Result<Option<ServiceAccountRow>> {
        dispatch!(self, find_service_account(id))
    }

    /// Team ids the user belongs to.
    pub async fn user_team_ids(&mut self, user_id: &str) -> Result<Vec<String>> {
        dispatch!(self, user_team_ids(user_id))
    }

    /// One credential by id or public id, with its owner resolved (never the secret hash).
    pub async fn find_credential(&mut self, id: &str) -> Result<Option<CredentialRecord>> {
        dispatch!(self, find_credential(id))
    }

    /// Credentials in `scope`, newest first.
    pub async fn list_credential_records(
        &mut self,
        scope: CredentialScope<'_>,
    ) -> Result<Vec<CredentialRecord>> {
        dispatch!(self, list_credential_records(scope))
    }

    /// Replaces a credential's grants (`None` = all); returns rows changed.
    pub async fn set_credential_grants(&mut self, id: &str, grants: Option<&str>) -> Result<u64> {
        dispatch!(self, set_credential_grants(id, grants))
    }

    /// Marks a live, not yet rotated credential as replaced by `replaced_by` and ends it:
    /// at `ends_at` (grace period) or, when `None`, revoked now. Returns rows changed, so
    /// zero means someone else revoked or rotated it first.
    pub async fn rotate_out_credential(
        &mut self,
        id: &str,
        replaced_by: &str,
        ends_at: Option<DateTime<Utc>>,
        now: DateTime<Utc>,
    ) -> Result<u64> {
        dispatch!(self, rotate_out_credential(id, replaced_by, ends_at, now))
    }

    /// The few user columns a personal credential's owner check needs.
    pub async fn credential_owner_user(&mut self, user_id: &str) -> Result<Option<OwnerUser>> {
        dispatch!(self, credential_owner_user(user_id))
    }
}

/// Which credentials to list. Every variant is bound as a parameter, never spliced.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CredentialScope<'a> {
    All,
    ServiceAccount(&'a str),
    /// Personal credentials of this user id.
    User(&'a str),
    /// Credentials charged to this team: its service accounts' and personal ones bound to it.
    Team(&'a str),
}

impl<'a> CredentialScope<'a> {
    /// (service account id, user id, team id) filters; `None` matches everything.
    pub(crate) fn filters(self) -> (Option<&'a str>, Option<&'a str>, Option<&'a str>) {
        match self {
            CredentialScope::All => (None, None, None),
            CredentialScope::ServiceAccount(id) => (Some(id), None, None),
            CredentialScope::User(id) => (None, Some(id), None),
            CredentialScope::Team(id) => (None, None, Some(id)),
        }
    }
}

/// A credential with its owner resolved, as the lifecycle functions see it. Holds no secret
/// and no secret hash, so it may be listed and logged freely.
#[derive(Debug, Clone)]
pub struct CredentialRecord {
    pub id: String,
    pub public_id: String,
    pub last4: String,
    pub name: String,
    pub service_account_id: Option<String>,
    pub service_account_name: Option<String>,
    pub user_id: Option<String>,
    pub user_email: Option<String>,
    /// The service account's team, or the team a personal credential is bound to.
    pub team_id: Option<String>,
    pub model_grants: Option<String>,
    pub expires_at: Option<DateTime<Utc>>,
    pub created_by: Option<String>,
    pub created_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
    pub replaced_by: Option<String>,
    pub rotated_at: Option<DateTime<Utc>>,
    /// The owning user or service account is active.
    pub owner_active: bool,
}

/// A user as a personal credential's owner check sees it.
#[derive(Debug, Clone)]
pub struct OwnerUser {
    pub id: String,
    pub email: String,
    pub status: String,
}
