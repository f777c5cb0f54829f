//! Sign-in queries: sessions, sign-in failure counts, password changes.

use chrono::{DateTime, Utc};

use super::rows::{NewSession, SessionRow};
use super::{Exec, Result, postgres, sqlite};

macro_rules! dispatch {
    ($ex:expr, $f:ident ( $($arg:expr),* )) => {
        match $ex {
            Exec::Sqlite(c) => sqlite::sessions::$f(c, $($arg),*).await,
            Exec::Postgres(c) => postgres::sessions::$f(&mut **c, $($arg),*).await,
        }
    };
}

impl Exec<'_> {
    pub async fn insert_session(&mut self, s: &NewSession, now: DateTime<Utc>) -> Result<()> {
        dispatch!(self, insert_session(s, now))
    }

    /// The open (not ended) session with this token hash, with its user.
    pub async fn find_session(&mut self, token_hash: &[u8]) -> Result<Option<SessionRow>> {
        dispatch!(self, find_session(token_hash))
    }

    pub async fn touch_session(&mut self, id: &str, now: DateTime<Utc>) -> Result<()> {
        dispatch!(self, touch_session(id, now))
    }

    pub async fn end_session(&mut self, id: &str, now: DateTime<Utc>) -> Result<()> {
        dispatch!(self, end_session(id, now))
    }

    /// Ends every open session of the user except `keep`; returns how many.
    pub async fn end_user_sessions(
        &mut self,
        user_id: &str,
        keep: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<u64> {
        dispatch!(self, end_user_sessions(user_id, keep, now))
    }

    /// Team id and role of each membership.
    pub async fn user_roles(&mut self, user_id: &str) -> Result<Vec<(String, String)>> {
        dispatch!(self, user_roles(user_id))
    }

    /// Records a sign-in attempt as a failure until proven otherwise; returns its id.
    pub async fn record_login_failure(&mut self, key: &str, now: DateTime<Utc>) -> Result<i64> {
        dispatch!(self, record_login_failure(key, now))
    }

    /// Failures for `key` since `since` recorded before attempt `before_id`: how many, and
    /// the latest.
    pub async fn login_failures(
        &mut self,
        key: &str,
        since: DateTime<Utc>,
        before_id: i64,
    ) -> Result<(i64, Option<DateTime<Utc>>)> {
        dispatch!(self, login_failures(key, since, before_id))
    }

    /// Forgets one recorded attempt (it succeeded).
    pub async fn delete_login_failure(&mut self, id: i64) -> Result<()> {
        dispatch!(self, delete_login_failure(id))
    }

    pub async fn clear_login_failures(&mut self, key: &str) -> Result<()> {
        dispatch!(self, clear_login_failures(key))
    }

    /// Stores a new password hash and clears (or sets) forced rotation.
    pub async fn set_password(
        &mut self,
        user_id: &str,
        hash: &str,
        must_change: bool,
        now: DateTime<Utc>,
    ) -> Result<()> {
        dispatch!(self, set_password(user_id, hash, must_change, now))
    }

    pub async fn mark_login(&mut self, user_id: &str, now: DateTime<Utc>) -> Result<()> {
        dispatch!(self, mark_login(user_id, now))
    }
}
