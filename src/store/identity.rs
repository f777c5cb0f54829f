//! Identity queries (users, audit log, bootstrap latch) on either engine.

use chrono::{DateTime, Utc};

use super::rows::{AuditEntry, AuditRow, Latch, NewUser, UserRow};
use super::{Exec, Result, postgres, sqlite};

macro_rules! dispatch {
    ($ex:expr, $f:ident ( $($arg:expr),* )) => {
        match $ex {
            Exec::Sqlite(c) => sqlite::identity::$f(c, $($arg),*).await,
            Exec::Postgres(c) => postgres::identity::$f(&mut **c, $($arg),*).await,
        }
    };
}

impl Exec<'_> {
    /// Platform admins that can actually sign in (status `active`).
    pub async fn count_active_platform_admins(&mut self) -> Result<i64> {
        dispatch!(self, count_active_platform_admins())
    }

    /// Looks a user up by e-mail (stored and compared lower-case).
    pub async fn find_user_by_email(&mut self, email: &str) -> Result<Option<UserRow>> {
        dispatch!(self, find_user_by_email(email))
    }

    pub async fn insert_user(&mut self, user: &NewUser, now: DateTime<Utc>) -> Result<()> {
        dispatch!(self, insert_user(user, now))
    }

    /// Makes an existing (invited) user an active platform admin with this password.
    pub async fn activate_admin(
        &mut self,
        user_id: &str,
        password_hash: &str,
        must_change_password: bool,
        now: DateTime<Utc>,
    ) -> Result<()> {
        dispatch!(
            self,
            activate_admin(user_id, password_hash, must_change_password, now)
        )
    }

    pub async fn insert_audit(&mut self, entry: &AuditEntry, now: DateTime<Utc>) -> Result<()> {
        dispatch!(self, insert_audit(entry, now))
    }

    /// Newest first.
    pub async fn recent_audit(&mut self, limit: i64) -> Result<Vec<AuditRow>> {
        dispatch!(self, recent_audit(limit))
    }

    pub async fn latch(&mut self) -> Result<Latch> {
        dispatch!(self, latch())
    }

    /// Records the first bootstrap; returns false (and changes nothing) if already flipped.
    pub async fn flip_latch(
        &mut self,
        admin_user_id: &str,
        method: &str,
        now: DateTime<Utc>,
    ) -> Result<bool> {
        dispatch!(self, flip_latch(admin_user_id, method, now))
    }
}
