//! Credential queries (data-plane keys, service accounts, the auth epoch) on either engine.

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
}
