//! Directory queries on either engine: teams, memberships, user lifecycle (status, platform
//! admin, onboarding); invites are in `store::invites`. Only SQL dispatch and row types live here; the rules
//! (permissions, last admin, last owner, invite validity) are in `identity::{teams, members,
//! users, invites}`.
//!
//! The `lock_*` methods read the rows an invariant depends on. On PostgreSQL they take row
//! locks (`FOR UPDATE`) so two concurrent transactions cannot both remove "one of the last
//! two" admins or owners; SQLite write transactions (`BEGIN IMMEDIATE`) are already serial.

use chrono::{DateTime, Utc};

use super::rows::UserRow;
use super::{Exec, Result, postgres, sqlite};

macro_rules! dispatch {
    ($ex:expr, $f:ident ( $($arg:expr),* )) => {
        match $ex {
            Exec::Sqlite(c) => sqlite::directory::$f(c, $($arg),*).await,
            Exec::Postgres(c) => postgres::directory::$f(&mut **c, $($arg),*).await,
        }
    };
}

/// A row of `teams`.
#[derive(Debug, Clone)]
pub struct TeamRow {
    pub id: String,
    pub name: String,
    pub origin: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A team with its head counts.
#[derive(Debug, Clone)]
pub struct TeamSummaryRow {
    pub id: String,
    pub name: String,
    pub origin: String,
    pub members: i64,
    pub service_accounts: i64,
}

/// One member of one team.
#[derive(Debug, Clone)]
pub struct TeamMemberRow {
    pub user_id: String,
    pub email: String,
    pub name: String,
    pub role: String,
    pub status: String,
}

/// One membership of one user, with the team's name.
#[derive(Debug, Clone)]
pub struct UserMembershipRow {
    pub user_id: String,
    pub team_id: String,
    pub team_name: String,
    pub role: String,
}

impl Exec<'_> {
    // ---- teams ----

    /// Fails with `Conflict` when the id is taken.
    pub async fn insert_team(
        &mut self,
        id: &str,
        name: &str,
        origin: &str,
        now: DateTime<Utc>,
    ) -> Result<()> {
        dispatch!(self, insert_team(id, name, origin, now))
    }

    /// Returns rows changed (0 = no such team).
    pub async fn update_team_name(
        &mut self,
        id: &str,
        name: &str,
        now: DateTime<Utc>,
    ) -> Result<u64> {
        dispatch!(self, update_team_name(id, name, now))
    }

    pub async fn team_row(&mut self, id: &str) -> Result<Option<TeamRow>> {
        dispatch!(self, team_row(id))
    }

    /// Every team with member and service-account counts, by id.
    pub async fn team_summaries(&mut self) -> Result<Vec<TeamSummaryRow>> {
        dispatch!(self, team_summaries())
    }

    /// The team's members by e-mail.
    pub async fn team_member_rows(&mut self, team_id: &str) -> Result<Vec<TeamMemberRow>> {
        dispatch!(self, team_member_rows(team_id))
    }

    // ---- memberships ----

    pub async fn membership_role(
        &mut self,
        user_id: &str,
        team_id: &str,
    ) -> Result<Option<String>> {
        dispatch!(self, membership_role(user_id, team_id))
    }

    /// Fails with `Conflict` when the user is already a member.
    pub async fn insert_membership(
        &mut self,
        user_id: &str,
        team_id: &str,
        role: &str,
        now: DateTime<Utc>,
    ) -> Result<()> {
        dispatch!(self, insert_membership(user_id, team_id, role, now))
    }

    pub async fn update_membership_role(
        &mut self,
        user_id: &str,
        team_id: &str,
        role: &str,
    ) -> Result<u64> {
        dispatch!(self, update_membership_role(user_id, team_id, role))
    }

    pub async fn delete_membership(&mut self, user_id: &str, team_id: &str) -> Result<u64> {
        dispatch!(self, delete_membership(user_id, team_id))
    }

    /// User ids of the team's owners, locked for the rest of the transaction (PostgreSQL).
    pub async fn lock_team_owners(&mut self, team_id: &str) -> Result<Vec<String>> {
        dispatch!(self, lock_team_owners(team_id))
    }

    /// Memberships of one user, or of everyone (`None`), by user then team.
    pub async fn user_memberships(
        &mut self,
        user_id: Option<&str>,
    ) -> Result<Vec<UserMembershipRow>> {
        dispatch!(self, user_memberships(user_id))
    }

    // ---- users ----

    pub async fn get_user_row(&mut self, id: &str) -> Result<Option<UserRow>> {
        dispatch!(self, get_user_row(id))
    }

    /// Every user, by e-mail.
    pub async fn list_user_rows(&mut self) -> Result<Vec<UserRow>> {
        dispatch!(self, list_user_rows())
    }

    /// Sets `status` (`invited` | `active` | `disabled`); returns rows changed.
    pub async fn set_user_status(
        &mut self,
        id: &str,
        status: &str,
        now: DateTime<Utc>,
    ) -> Result<u64> {
        dispatch!(self, set_user_status(id, status, now))
    }

    pub async fn set_user_platform_admin(
        &mut self,
        id: &str,
        platform_admin: bool,
        now: DateTime<Utc>,
    ) -> Result<u64> {
        dispatch!(self, set_user_platform_admin(id, platform_admin, now))
    }

    /// Ids of active platform admins, locked for the rest of the transaction (PostgreSQL).
    pub async fn lock_active_platform_admins(&mut self) -> Result<Vec<String>> {
        dispatch!(self, lock_active_platform_admins())
    }

    /// An `invited` user sets their password: becomes `active`, no forced change. Returns
    /// rows changed (0 = not invited any more).
    pub async fn complete_onboarding(
        &mut self,
        id: &str,
        password_hash: &str,
        now: DateTime<Utc>,
    ) -> Result<u64> {
        dispatch!(self, complete_onboarding(id, password_hash, now))
    }

    /// Revokes the user's unrevoked personal credentials (only those bound to `team_id`, when
    /// given). Returns how many. Bump the auth epoch in the same transaction.
    pub async fn revoke_personal_credentials(
        &mut self,
        user_id: &str,
        team_id: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<u64> {
        dispatch!(self, revoke_personal_credentials(user_id, team_id, now))
    }
}
