//! Control-plane token queries (`admin_tokens`) on either engine. The token format, who may
//! mint one and how one authenticates live in `identity::admin_tokens`.

use chrono::{DateTime, Utc};

use super::{Exec, Result, postgres, sqlite};

macro_rules! dispatch {
    ($ex:expr, $f:ident ( $($arg:expr),* )) => {
        match $ex {
            Exec::Sqlite(c) => sqlite::admin_tokens::$f(c, $($arg),*).await,
            Exec::Postgres(c) => postgres::admin_tokens::$f(&mut **c, $($arg),*).await,
        }
    };
}

/// The columns needed to create a control-plane token.
#[derive(Clone)]
pub struct NewAdminTokenRow {
    pub id: String,
    pub public_id: String,
    pub secret_hash: Vec<u8>,
    pub user_id: String,
    pub name: String,
    pub expires_at: Option<DateTime<Utc>>,
}

/// A token with its owner's e-mail (the secret hash only where authentication needs it).
#[derive(Clone)]
pub struct AdminTokenRow {
    pub id: String,
    pub public_id: String,
    pub secret_hash: Vec<u8>,
    pub user_id: String,
    pub email: String,
    pub name: String,
    pub created_at: DateTime<Utc>,
    pub expires_at: Option<DateTime<Utc>>,
    pub last_used_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
}

impl std::fmt::Debug for AdminTokenRow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AdminTokenRow")
            .field("id", &self.id)
            .field("public_id", &self.public_id)
            .field("secret_hash", &"<redacted>")
            .field("user_id", &self.user_id)
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

impl Exec<'_> {
    /// Inserts a token; a duplicate id or public id is a `StoreError::Conflict`.
    pub async fn insert_admin_token(
        &mut self,
        row: &NewAdminTokenRow,
        now: DateTime<Utc>,
    ) -> Result<()> {
        dispatch!(self, insert_admin_token(row, now))
    }

    /// The token with this public id, revoked or not.
    pub async fn find_admin_token(&mut self, public_id: &str) -> Result<Option<AdminTokenRow>> {
        dispatch!(self, find_admin_token(public_id))
    }

    /// Every token (of one user, when given), newest first.
    pub async fn list_admin_tokens(&mut self, user_id: Option<&str>) -> Result<Vec<AdminTokenRow>> {
        dispatch!(self, list_admin_tokens(user_id))
    }

    /// Revokes a token by id or public id; returns rows changed (0 if unknown or revoked).
    pub async fn revoke_admin_token(&mut self, id: &str, now: DateTime<Utc>) -> Result<u64> {
        dispatch!(self, revoke_admin_token(id, now))
    }

    /// Records a use (callers throttle how often).
    pub async fn touch_admin_token(&mut self, id: &str, now: DateTime<Utc>) -> Result<()> {
        dispatch!(self, touch_admin_token(id, now))
    }
}
