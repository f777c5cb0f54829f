//! Directory SQL for SQLite: teams, memberships, user lifecycle, invites. Write transactions
//! are `BEGIN IMMEDIATE` (serial), so the `lock_*` reads need no row locks here.

use chrono::{DateTime, Utc};
use libsql::{Connection, Row, params};

use super::{collect, first, from_ms, ms, opt_from_ms};
use crate::store::Result;
use crate::store::directory::{TeamMemberRow, TeamRow, TeamSummaryRow, UserMembershipRow};
use crate::store::rows::UserRow;

/// The `users` columns in the order the row mappers expect (a macro so queries stay literals).
macro_rules! user_columns {
    () => {
        "id, email, name, status, platform_admin, password_hash, must_change_password, origin, \
         created_at, updated_at, last_login_at"
    };
}

fn user(r: &Row) -> Result<UserRow> {
    Ok(UserRow {
        id: r.get(0)?,
        email: r.get(1)?,
        name: r.get(2)?,
        status: r.get(3)?,
        platform_admin: r.get::<i64>(4)? != 0,
        password_hash: r.get(5)?,
        must_change_password: r.get::<i64>(6)? != 0,
        origin: r.get(7)?,
        created_at: from_ms(r.get(8)?)?,
        updated_at: from_ms(r.get(9)?)?,
        last_login_at: opt_from_ms(r.get(10)?)?,
    })
}

fn strings(r: &Row) -> Result<String> {
    Ok(r.get::<String>(0)?)
}

// ---- teams ----

pub async fn insert_team(
    c: &Connection,
    id: &str,
    name: &str,
    origin: &str,
    now: DateTime<Utc>,
) -> Result<()> {
    c.execute(
        "INSERT INTO teams (id, name, origin, created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?4)",
        params![id, name, origin, ms(now)],
    )
    .await?;
    Ok(())
}

pub async fn update_team_name(
    c: &Connection,
    id: &str,
    name: &str,
    now: DateTime<Utc>,
) -> Result<u64> {
    Ok(c.execute(
        "UPDATE teams SET name = ?2, updated_at = ?3 WHERE id = ?1",
        params![id, name, ms(now)],
    )
    .await?)
}

pub async fn team_row(c: &Connection, id: &str) -> Result<Option<TeamRow>> {
    let rows = c
        .query(
            "SELECT id, name, origin, created_at, updated_at FROM teams WHERE id = ?1",
            [id],
        )
        .await?;
    first(rows, |r| {
        Ok(TeamRow {
            id: r.get(0)?,
            name: r.get(1)?,
            origin: r.get(2)?,
            created_at: from_ms(r.get(3)?)?,
            updated_at: from_ms(r.get(4)?)?,
        })
    })
    .await
}

pub async fn team_summaries(c: &Connection) -> Result<Vec<TeamSummaryRow>> {
    let rows = c
        .query(
            "SELECT t.id, t.name, t.origin, \
             (SELECT COUNT(*) FROM memberships m WHERE m.team_id = t.id), \
             (SELECT COUNT(*) FROM service_accounts s WHERE s.team_id = t.id) \
             FROM teams t ORDER BY t.id",
            (),
        )
        .await?;
    collect(rows, |r| {
        Ok(TeamSummaryRow {
            id: r.get(0)?,
            name: r.get(1)?,
            origin: r.get(2)?,
            members: r.get(3)?,
            service_accounts: r.get(4)?,
        })
    })
    .await
}

pub async fn team_member_rows(c: &Connection, team_id: &str) -> Result<Vec<TeamMemberRow>> {
    let rows = c
        .query(
            "SELECT u.id, u.email, u.name, m.role, u.status FROM memberships m \
             JOIN users u ON u.id = m.user_id WHERE m.team_id = ?1 ORDER BY u.email",
            [team_id],
        )
        .await?;
    collect(rows, |r| {
        Ok(TeamMemberRow {
            user_id: r.get(0)?,
            email: r.get(1)?,
            name: r.get(2)?,
            role: r.get(3)?,
            status: r.get(4)?,
        })
    })
    .await
}

// ---- memberships ----

pub async fn membership_role(
    c: &Connection,
    user_id: &str,
    team_id: &str,
) -> Result<Option<String>> {
    let rows = c
        .query(
            "SELECT role FROM memberships WHERE user_id = ?1 AND team_id = ?2",
            [user_id, team_id],
        )
        .await?;
    first(rows, strings).await
}

pub async fn insert_membership(
    c: &Connection,
    user_id: &str,
    team_id: &str,
    role: &str,
    now: DateTime<Utc>,
) -> Result<()> {
    c.execute(
        "INSERT INTO memberships (user_id, team_id, role, created_at) VALUES (?1, ?2, ?3, ?4)",
        params![user_id, team_id, role, ms(now)],
    )
    .await?;
    Ok(())
}

pub async fn update_membership_role(
    c: &Connection,
    user_id: &str,
    team_id: &str,
    role: &str,
) -> Result<u64> {
    Ok(c.execute(
        "UPDATE memberships SET role = ?3 WHERE user_id = ?1 AND team_id = ?2",
        params![user_id, team_id, role],
    )
    .await?)
}

pub async fn delete_membership(c: &Connection, user_id: &str, team_id: &str) -> Result<u64> {
    Ok(c.execute(
        "DELETE FROM memberships WHERE user_id = ?1 AND team_id = ?2",
        params![user_id, team_id],
    )
    .await?)
}

pub async fn lock_team_owners(c: &Connection, team_id: &str) -> Result<Vec<String>> {
    let rows = c
        .query(
            "SELECT user_id FROM memberships WHERE team_id = ?1 AND role = 'owner' \
             ORDER BY user_id",
            [team_id],
        )
        .await?;
    collect(rows, strings).await
}

pub async fn user_memberships(
    c: &Connection,
    user_id: Option<&str>,
) -> Result<Vec<UserMembershipRow>> {
    let rows = c
        .query(
            "SELECT m.user_id, m.team_id, t.name, m.role FROM memberships m \
             JOIN teams t ON t.id = m.team_id \
             WHERE ?1 IS NULL OR m.user_id = ?1 ORDER BY m.user_id, m.team_id",
            params![user_id],
        )
        .await?;
    collect(rows, |r| {
        Ok(UserMembershipRow {
            user_id: r.get(0)?,
            team_id: r.get(1)?,
            team_name: r.get(2)?,
            role: r.get(3)?,
        })
    })
    .await
}

// ---- users ----

pub async fn get_user_row(c: &Connection, id: &str) -> Result<Option<UserRow>> {
    let sql = concat!("SELECT ", user_columns!(), " FROM users WHERE id = ?1");
    let rows = c.query(sql, [id]).await?;
    first(rows, user).await
}

pub async fn list_user_rows(c: &Connection) -> Result<Vec<UserRow>> {
    let sql = concat!("SELECT ", user_columns!(), " FROM users ORDER BY email");
    let rows = c.query(sql, ()).await?;
    collect(rows, user).await
}

pub async fn set_user_status(
    c: &Connection,
    id: &str,
    status: &str,
    now: DateTime<Utc>,
) -> Result<u64> {
    Ok(c.execute(
        "UPDATE users SET status = ?2, updated_at = ?3 WHERE id = ?1",
        params![id, status, ms(now)],
    )
    .await?)
}

pub async fn set_user_platform_admin(
    c: &Connection,
    id: &str,
    platform_admin: bool,
    now: DateTime<Utc>,
) -> Result<u64> {
    Ok(c.execute(
        "UPDATE users SET platform_admin = ?2, updated_at = ?3 WHERE id = ?1",
        params![id, platform_admin as i64, ms(now)],
    )
    .await?)
}

pub async fn lock_active_platform_admins(c: &Connection) -> Result<Vec<String>> {
    let rows = c
        .query(
            "SELECT id FROM users WHERE platform_admin = 1 AND status = 'active' ORDER BY id",
            (),
        )
        .await?;
    collect(rows, strings).await
}

pub async fn complete_onboarding(
    c: &Connection,
    id: &str,
    password_hash: &str,
    now: DateTime<Utc>,
) -> Result<u64> {
    Ok(c.execute(
        "UPDATE users SET status = 'active', password_hash = ?2, must_change_password = 0, \
         updated_at = ?3 WHERE id = ?1 AND status = 'invited'",
        params![id, password_hash, ms(now)],
    )
    .await?)
}

pub async fn revoke_personal_credentials(
    c: &Connection,
    user_id: &str,
    team_id: Option<&str>,
    now: DateTime<Utc>,
) -> Result<u64> {
    Ok(c.execute(
        "UPDATE credentials SET revoked_at = ?3 \
         WHERE user_id = ?1 AND revoked_at IS NULL AND (?2 IS NULL OR team_id = ?2)",
        params![user_id, team_id, ms(now)],
    )
    .await?)
}
