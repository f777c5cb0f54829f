//! Directory SQL for PostgreSQL: teams, memberships, user lifecycle, invites. The `lock_*`
//! reads take `FOR UPDATE` row locks so last-admin / last-owner checks hold under concurrency.

use chrono::{DateTime, Utc};
use sqlx::postgres::PgRow;
use sqlx::{PgConnection, Row};

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

fn user(r: &PgRow) -> std::result::Result<UserRow, sqlx::Error> {
    Ok(UserRow {
        id: r.try_get("id")?,
        email: r.try_get("email")?,
        name: r.try_get("name")?,
        status: r.try_get("status")?,
        platform_admin: r.try_get("platform_admin")?,
        password_hash: r.try_get("password_hash")?,
        must_change_password: r.try_get("must_change_password")?,
        origin: r.try_get("origin")?,
        created_at: r.try_get("created_at")?,
        updated_at: r.try_get("updated_at")?,
        last_login_at: r.try_get("last_login_at")?,
    })
}

// ---- teams ----

pub async fn insert_team(
    c: &mut PgConnection,
    id: &str,
    name: &str,
    origin: &str,
    now: DateTime<Utc>,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO teams (id, name, origin, created_at, updated_at) VALUES ($1, $2, $3, $4, $4)",
    )
    .bind(id)
    .bind(name)
    .bind(origin)
    .bind(now)
    .execute(c)
    .await?;
    Ok(())
}

pub async fn update_team_name(
    c: &mut PgConnection,
    id: &str,
    name: &str,
    now: DateTime<Utc>,
) -> Result<u64> {
    let done = sqlx::query("UPDATE teams SET name = $2, updated_at = $3 WHERE id = $1")
        .bind(id)
        .bind(name)
        .bind(now)
        .execute(c)
        .await?;
    Ok(done.rows_affected())
}

pub async fn team_row(c: &mut PgConnection, id: &str) -> Result<Option<TeamRow>> {
    let row =
        sqlx::query("SELECT id, name, origin, created_at, updated_at FROM teams WHERE id = $1")
            .bind(id)
            .fetch_optional(c)
            .await?;
    let Some(r) = row else { return Ok(None) };
    Ok(Some(TeamRow {
        id: r.try_get("id")?,
        name: r.try_get("name")?,
        origin: r.try_get("origin")?,
        created_at: r.try_get("created_at")?,
        updated_at: r.try_get("updated_at")?,
    }))
}

pub async fn team_summaries(c: &mut PgConnection) -> Result<Vec<TeamSummaryRow>> {
    let rows = sqlx::query(
        "SELECT t.id, t.name, t.origin, \
         (SELECT COUNT(*) FROM memberships m WHERE m.team_id = t.id) AS members, \
         (SELECT COUNT(*) FROM service_accounts s WHERE s.team_id = t.id) AS service_accounts \
         FROM teams t ORDER BY t.id",
    )
    .fetch_all(c)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(TeamSummaryRow {
                id: r.try_get("id")?,
                name: r.try_get("name")?,
                origin: r.try_get("origin")?,
                members: r.try_get("members")?,
                service_accounts: r.try_get("service_accounts")?,
            })
        })
        .collect()
}

pub async fn team_member_rows(c: &mut PgConnection, team_id: &str) -> Result<Vec<TeamMemberRow>> {
    let rows = sqlx::query(
        "SELECT u.id, u.email, u.name, m.role, u.status FROM memberships m \
         JOIN users u ON u.id = m.user_id WHERE m.team_id = $1 ORDER BY u.email",
    )
    .bind(team_id)
    .fetch_all(c)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(TeamMemberRow {
                user_id: r.try_get("id")?,
                email: r.try_get("email")?,
                name: r.try_get("name")?,
                role: r.try_get("role")?,
                status: r.try_get("status")?,
            })
        })
        .collect()
}

// ---- memberships ----

pub async fn membership_role(
    c: &mut PgConnection,
    user_id: &str,
    team_id: &str,
) -> Result<Option<String>> {
    Ok(
        sqlx::query_scalar("SELECT role FROM memberships WHERE user_id = $1 AND team_id = $2")
            .bind(user_id)
            .bind(team_id)
            .fetch_optional(c)
            .await?,
    )
}

pub async fn insert_membership(
    c: &mut PgConnection,
    user_id: &str,
    team_id: &str,
    role: &str,
    now: DateTime<Utc>,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO memberships (user_id, team_id, role, created_at) VALUES ($1, $2, $3, $4)",
    )
    .bind(user_id)
    .bind(team_id)
    .bind(role)
    .bind(now)
    .execute(c)
    .await?;
    Ok(())
}

pub async fn update_membership_role(
    c: &mut PgConnection,
    user_id: &str,
    team_id: &str,
    role: &str,
) -> Result<u64> {
    let done = sqlx::query("UPDATE memberships SET role = $3 WHERE user_id = $1 AND team_id = $2")
        .bind(user_id)
        .bind(team_id)
        .bind(role)
        .execute(c)
        .await?;
    Ok(done.rows_affected())
}

pub async fn delete_membership(c: &mut PgConnection, user_id: &str, team_id: &str) -> Result<u64> {
    let done = sqlx::query("DELETE FROM memberships WHERE user_id = $1 AND team_id = $2")
        .bind(user_id)
        .bind(team_id)
        .execute(c)
        .await?;
    Ok(done.rows_affected())
}

pub async fn lock_team_owners(c: &mut PgConnection, team_id: &str) -> Result<Vec<String>> {
    Ok(sqlx::query_scalar(
        "SELECT user_id FROM memberships WHERE team_id = $1 AND role = 'owner' \
         ORDER BY user_id FOR UPDATE",
    )
    .bind(team_id)
    .fetch_all(c)
    .await?)
}

pub async fn user_memberships(
    c: &mut PgConnection,
    user_id: Option<&str>,
) -> Result<Vec<UserMembershipRow>> {
    let rows = sqlx::query(
        "SELECT m.user_id, m.team_id, t.name, m.role FROM memberships m \
         JOIN teams t ON t.id = m.team_id \
         WHERE $1::text IS NULL OR m.user_id = $1 ORDER BY m.user_id, m.team_id",
    )
    .bind(user_id)
    .fetch_all(c)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(UserMembershipRow {
                user_id: r.try_get("user_id")?,
                team_id: r.try_get("team_id")?,
                team_name: r.try_get("name")?,
                role: r.try_get("role")?,
            })
        })
        .collect()
}

// ---- users ----

pub async fn get_user_row(c: &mut PgConnection, id: &str) -> Result<Option<UserRow>> {
    let sql = concat!("SELECT ", user_columns!(), " FROM users WHERE id = $1");
    let row = sqlx::query(sql).bind(id).fetch_optional(c).await?;
    Ok(row.as_ref().map(user).transpose()?)
}

pub async fn list_user_rows(c: &mut PgConnection) -> Result<Vec<UserRow>> {
    let sql = concat!("SELECT ", user_columns!(), " FROM users ORDER BY email");
    let rows = sqlx::query(sql).fetch_all(c).await?;
    Ok(rows
        .iter()
        .map(user)
        .collect::<std::result::Result<_, _>>()?)
}

pub async fn set_user_status(
    c: &mut PgConnection,
    id: &str,
    status: &str,
    now: DateTime<Utc>,
) -> Result<u64> {
    let done = sqlx::query("UPDATE users SET status = $2, updated_at = $3 WHERE id = $1")
        .bind(id)
        .bind(status)
        .bind(now)
        .execute(c)
        .await?;
    Ok(done.rows_affected())
}

pub async fn set_user_platform_admin(
    c: &mut PgConnection,
    id: &str,
    platform_admin: bool,
    now: DateTime<Utc>,
) -> Result<u64> {
    let done = sqlx::query("UPDATE users SET platform_admin = $2, updated_at = $3 WHERE id = $1")
        .bind(id)
        .bind(platform_admin)
        .bind(now)
        .execute(c)
        .await?;
    Ok(done.rows_affected())
}

pub async fn lock_active_platform_admins(c: &mut PgConnection) -> Result<Vec<String>> {
    Ok(sqlx::query_scalar(
        "SELECT id FROM users WHERE platform_admin AND status = 'active' ORDER BY id FOR UPDATE",
    )
    .fetch_all(c)
    .await?)
}

pub async fn complete_onboarding(
    c: &mut PgConnection,
    id: &str,
    password_hash: &str,
    now: DateTime<Utc>,
) -> Result<u64> {
    let done = sqlx::query(
        "UPDATE users SET status = 'active', password_hash = $2, must_change_password = FALSE, \
         updated_at = $3 WHERE id = $1 AND status = 'invited'",
    )
    .bind(id)
    .bind(password_hash)
    .bind(now)
    .execute(c)
    .await?;
    Ok(done.rows_affected())
}

pub async fn revoke_personal_credentials(
    c: &mut PgConnection,
    user_id: &str,
    team_id: Option<&str>,
    now: DateTime<Utc>,
) -> Result<u64> {
    let done = sqlx::query(
        "UPDATE credentials SET revoked_at = $3 \
         WHERE user_id = $1 AND revoked_at IS NULL AND ($2::text IS NULL OR team_id = $2)",
    )
    .bind(user_id)
    .bind(team_id)
    .bind(now)
    .execute(c)
    .await?;
    Ok(done.rows_affected())
}
