//! Sign-in SQL for PostgreSQL.

use chrono::{DateTime, Utc};
use sqlx::{PgConnection, Row};

use crate::store::Result;
use crate::store::rows::{NewSession, SessionRow};

pub async fn insert_session(
    c: &mut PgConnection,
    s: &NewSession,
    now: DateTime<Utc>,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO sessions (id, token_hash, user_id, csrf_token, created_at, last_seen_at, \
         expires_at, client_addr, user_agent) VALUES ($1, $2, $3, $4, $5, $5, $6, $7, $8)",
    )
    .bind(&s.id)
    .bind(&s.token_hash)
    .bind(&s.user_id)
    .bind(&s.csrf_token)
    .bind(now)
    .bind(s.expires_at)
    .bind(&s.client_addr)
    .bind(&s.user_agent)
    .execute(c)
    .await?;
    Ok(())
}

pub async fn find_session(c: &mut PgConnection, token_hash: &[u8]) -> Result<Option<SessionRow>> {
    let row = sqlx::query(
        "SELECT s.id, s.user_id, s.csrf_token, s.last_seen_at, s.expires_at, u.email, u.name, \
         u.status, u.platform_admin, u.must_change_password \
         FROM sessions s JOIN users u ON u.id = s.user_id \
         WHERE s.token_hash = $1 AND s.ended_at IS NULL",
    )
    .bind(token_hash)
    .fetch_optional(c)
    .await?;
    row.map(|r| {
        Ok(SessionRow {
            id: r.try_get(0)?,
            user_id: r.try_get(1)?,
            csrf_token: r.try_get(2)?,
            last_seen_at: r.try_get(3)?,
            expires_at: r.try_get(4)?,
            email: r.try_get(5)?,
            name: r.try_get(6)?,
            status: r.try_get(7)?,
            platform_admin: r.try_get(8)?,
            must_change_password: r.try_get(9)?,
        })
    })
    .transpose()
}

pub async fn touch_session(c: &mut PgConnection, id: &str, now: DateTime<Utc>) -> Result<()> {
    sqlx::query("UPDATE sessions SET last_seen_at = $2 WHERE id = $1")
        .bind(id)
        .bind(now)
        .execute(c)
        .await?;
    Ok(())
}

pub async fn end_session(c: &mut PgConnection, id: &str, now: DateTime<Utc>) -> Result<()> {
    sqlx::query("UPDATE sessions SET ended_at = $2 WHERE id = $1 AND ended_at IS NULL")
        .bind(id)
        .bind(now)
        .execute(c)
        .await?;
    Ok(())
}

pub async fn end_user_sessions(
    c: &mut PgConnection,
    user_id: &str,
    keep: Option<&str>,
    now: DateTime<Utc>,
) -> Result<u64> {
    let done = sqlx::query(
        "UPDATE sessions SET ended_at = $3 \
         WHERE user_id = $1 AND ended_at IS NULL AND id <> COALESCE($2, '')",
    )
    .bind(user_id)
    .bind(keep)
    .bind(now)
    .execute(c)
    .await?;
    Ok(done.rows_affected())
}

pub async fn user_roles(c: &mut PgConnection, user_id: &str) -> Result<Vec<(String, String)>> {
    let rows =
        sqlx::query("SELECT team_id, role FROM memberships WHERE user_id = $1 ORDER BY team_id")
            .bind(user_id)
            .fetch_all(c)
            .await?;
    rows.iter()
        .map(|r| Ok((r.try_get(0)?, r.try_get(1)?)))
        .collect()
}

pub async fn record_login_failure(
    c: &mut PgConnection,
    key: &str,
    now: DateTime<Utc>,
) -> Result<i64> {
    Ok(
        sqlx::query_scalar("INSERT INTO login_failures (key, at) VALUES ($1, $2) RETURNING id")
            .bind(key)
            .bind(now)
            .fetch_one(c)
            .await?,
    )
}

pub async fn delete_login_failure(c: &mut PgConnection, id: i64) -> Result<()> {
    sqlx::query("DELETE FROM login_failures WHERE id = $1")
        .bind(id)
        .execute(c)
        .await?;
    Ok(())
}

pub async fn login_failures(
    c: &mut PgConnection,
    key: &str,
    since: DateTime<Utc>,
    before_id: i64,
) -> Result<(i64, Option<DateTime<Utc>>)> {
    let r = sqlx::query(
        "SELECT COUNT(*), MAX(at) FROM login_failures WHERE key = $1 AND at >= $2 AND id < $3",
    )
    .bind(key)
    .bind(since)
    .bind(before_id)
    .fetch_one(c)
    .await?;
    Ok((r.try_get(0)?, r.try_get(1)?))
}

pub async fn clear_login_failures(c: &mut PgConnection, key: &str) -> Result<()> {
    sqlx::query("DELETE FROM login_failures WHERE key = $1")
        .bind(key)
        .execute(c)
        .await?;
    Ok(())
}

pub async fn set_password(
    c: &mut PgConnection,
    user_id: &str,
    hash: &str,
    must_change: bool,
    now: DateTime<Utc>,
) -> Result<()> {
    sqlx::query(
        "UPDATE users SET password_hash = $2, must_change_password = $3, updated_at = $4 WHERE id = $1",
    )
    .bind(user_id)
    .bind(hash)
    .bind(must_change)
    .bind(now)
    .execute(c)
    .await?;
    Ok(())
}

pub async fn mark_login(c: &mut PgConnection, user_id: &str, now: DateTime<Utc>) -> Result<()> {
    sqlx::query("UPDATE users SET last_login_at = $2 WHERE id = $1")
        .bind(user_id)
        .bind(now)
        .execute(c)
        .await?;
    Ok(())
}
