//! Invite queries on either engine (the token only as its SHA-256). The rules — who may
//! invite, validity, one use — are in `identity::{invites, onboarding}`.

use chrono::{DateTime, Utc};

use super::{Exec, Result, postgres, sqlite};

macro_rules! dispatch {
    ($ex:expr, $f:ident ( $($arg:expr),* )) => {
        match $ex {
            Exec::Sqlite(c) => sqlite::invites::$f(c, $($arg),*).await,
            Exec::Postgres(c) => postgres::invites::$f(&mut **c, $($arg),*).await,
        }
    };
}

/// The columns needed to store an invite (the token only as its SHA-256).
#[derive(Clone)]
pub struct NewInvite {
    pub id: String,
    pub user_id: String,
    pub token_hash: Vec<u8>,
    pub created_by: Option<String>,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

impl std::fmt::Debug for NewInvite {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewInvite")
            .field("id", &self.id)
            .field("user_id", &self.user_id)
            .field("expires_at", &self.expires_at)
            .finish_non_exhaustive()
    }
}

/// A row of `invites` (without the token hash, which is only ever looked up by).
#[derive(Debug, Clone)]
pub struct InviteRow {
    pub id: String,
    pub user_id: String,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub used_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
}

impl Exec<'_> {
    pub async fn insert_invite(&mut self, invite: &NewInvite) -> Result<()> {
        dispatch!(self, insert_invite(invite))
    }

    pub async fn invite_by_token_hash(&mut self, token_hash: &[u8]) -> Result<Option<InviteRow>> {
        dispatch!(self, invite_by_token_hash(token_hash))
    }

    /// Marks an unused, unrevoked invite used; 0 rows changed means someone else won.
    pub async fn mark_invite_used(&mut self, id: &str, now: DateTime<Utc>) -> Result<u64> {
        dispatch!(self, mark_invite_used(id, now))
    }

    /// Revokes the user's unused, unrevoked invites; returns how many.
    pub async fn revoke_open_invites(&mut self, user_id: &str, now: DateTime<Utc>) -> Result<u64> {
        dispatch!(self, revoke_open_invites(user_id, now))
    }

    /// (user id, latest expiry) of unused, unrevoked invites — of one user or of everyone.
    /// Expired ones are included: the caller compares with the clock.
    pub async fn open_invite_expiries(
        &mut self,
        user_id: Option<&str>,
    ) -> Result<Vec<(String, DateTime<Utc>)>> {
        dispatch!(self, open_invite_expiries(user_id))
    }
}
