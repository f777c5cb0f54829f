//! Sign-in SQL for SQLite.

use chrono::{DateTime, Utc};
use libsql::{Connection, params};

use super::{collect, first, from_ms, ms, opt_from_ms};
use crate::store::Result;
use crate::store::rows::{NewSession, SessionRow};

pub async fn insert_session(c: &Connection, s: &NewSession, now: DateTime<Utc>) -> Result<()> {
    c.execute(
        "INSERT INTO sessions (id, token_hash, user_id, csrf_token, created_at, last_seen_at, \
         expires_at, client_addr, user_agent) VALUES (?1, ?2, ?3, ?4, ?5, ?5, ?6, ?7, ?8)",
        params![
            s.id.as_str(),
            s.token_hash.clone(),
            s.user_id.as_str(),
            s.csrf_token.as_str(),
            ms(now),
            ms(s.expires_at),
            s.client_addr.clone(),
            s.user_agent.clone()
        ],
    )
    .await?;
    Ok(())
}

pub async fn find_session(c: &Connection, token_hash: &[u8]) -> Result<Option<SessionRow>> {
    let rows = c
        .query(
            "SELECT s.id, s.user_id, s.csrf_token, s.last_seen_at, s.expires_at, u.email, u.name, \
             u.status, u.platform_admin, u.must_change_password \
             FROM sessions s JOIN users u ON u.id = s.user_id \
             WHERE s.token_hash = ?1 AND s.ended_at IS NULL",
            [token_hash.to_vec()],
        )
        .await?;
    first(rows, |r| {
        Ok(SessionRow {
            id: r.get(0)?,
            user_id: r.get(1)?,
            csrf_token: r.get(2)?,
            last_seen_at: from_ms(r.get(3)?)?,
            expires_at: from_ms(r.get(4)?)?,
            email: r.get(5)?,
            name: r.get(6)?,
            status: r.get(7)?,
            platform_admin: r.get::<i64>(8)? != 0,
            must_change_password: r.get::<i64>(9)? != 0,
        })
    })
    .await
}

pub async fn touch_session(c: &Connection, id: &str, now: DateTime<Utc>) -> Result<()> {
    c.execute(
        "UPDATE sessions SET last_seen_at = ?2 WHERE id = ?1",
        params![id, ms(now)],
    )
    .await?;
    Ok(())
}

pub async fn end_session(c: &Connection, id: &str, now: DateTime<Utc>) -> Result<()> {
    c.execute(
        "UPDATE sessions SET ended_at = ?2 WHERE id = ?1 AND ended_at IS NULL",
        params![id, ms(now)],
    )
    .await?;
    Ok(())
}

pub async fn end_user_sessions(
    c: &Connection,
    user_id: &str,
    keep: Option<&str>,
    now: DateTime<Utc>,
) -> Result<u64> {
    Ok(c.execute(
        "UPDATE sessions SET ended_at = ?3 \
             WHERE user_id = ?1 AND ended_at IS NULL AND id <> COALESCE(?2, '')",
        params![user_id, keep.map(str::to_string), ms(now)],
    )
    .await?)
}

pub async fn user_roles(c: &Connection, user_id: &str) -> Result<Vec<(String, String)>> {
    let rows = c
        .query(
            "SELECT team_id, role FROM memberships WHERE user_id = ?1 ORDER BY team_id",
            [user_id],
        )
        .await?;
    collect(rows, |r| Ok((r.get(0)?, r.get(1)?))).await
}

pub async fn record_login_failure(c: &Connection, key: &str, now: DateTime<Utc>) -> Result<i64> {
    let rows = c
        .query(
            "INSERT INTO login_failures (key, at) VALUES (?1, ?2) RETURNING id",
            params![key, ms(now)],
        )
        .await?;
    Ok(first(rows, |r| Ok(r.get::<i64>(0)?)).await?.unwrap_or(0))
}

pub async fn delete_login_failure(c: &Connection, id: i64) -> Result<()> {
    c.execute("DELETE FROM login_failures WHERE id = ?1", [id])
        .await?;
    Ok(())
}

pub async fn login_failures(
    c: &Connection,
    key: &str,
    since: DateTime<Utc>,
    before_id: i64,
) -> Result<(i64, Option<DateTime<Utc>>)> {
    let rows = c
        .query(
            "SELECT COUNT(*), MAX(at) FROM login_failures WHERE key = ?1 AND at >= ?2 AND id < ?3",
            params![key, ms(since), before_id],
        )
        .await?;
    let found = first(rows, |r| Ok((r.get::<i64>(0)?, opt_from_ms(r.get(1)?)?))).await?;
    Ok(found.unwrap_or((0, None)))
}

pub async fn clear_login_failures(c: &Connection, key: &str) -> Result<()> {
    c.execute("DELETE FROM login_failures WHERE key = ?1", [key])
        .await?;
    Ok(())
}

pub async fn set_password(
    c: &Connection,
    user_id: &str,
    hash: &str,
    must_change: bool,
    now: DateTime<Utc>,
) -> Result<()> {
    c.execute(
        "UPDATE users SET password_hash = ?2, must_change_password = ?3, updated_at = ?4 WHERE id = ?1",
        params![user_id, hash, must_change as i64, ms(now)],
    )
    .await?;
    Ok(())
}

pub async fn mark_login(c: &Connection, user_id: &str, now: DateTime<Utc>) -> Result<()> {
    c.execute(
        "UPDATE users SET last_login_at = ?2 WHERE id = ?1",
        params![user_id, ms(now)],
    )
    .await?;
    Ok(())
}
