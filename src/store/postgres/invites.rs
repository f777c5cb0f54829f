//! Invite SQL for PostgreSQL.

use chrono::{DateTime, Utc};
use sqlx::{PgConnection, Row};

use crate::store::Result;
use crate::store::invites::{InviteRow, NewInvite};

pub async fn insert_invite(c: &mut PgConnection, i: &NewInvite) -> Result<()> {
    sqlx::query(
        "INSERT INTO invites (id, user_id, token_hash, created_by, created_at, expires_at) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(&i.id)
    .bind(&i.user_id)
    .bind(&i.token_hash)
    .bind(&i.created_by)
    .bind(i.created_at)
    .bind(i.expires_at)
    .execute(c)
    .await?;
    Ok(())
}

pub async fn invite_by_token_hash(
    c: &mut PgConnection,
    token_hash: &[u8],
) -> Result<Option<InviteRow>> {
    let row = sqlx::query(
        "SELECT id, user_id, created_at, expires_at, used_at, revoked_at FROM invites \
         WHERE token_hash = $1",
    )
    .bind(token_hash)
    .fetch_optional(c)
    .await?;
    let Some(r) = row else { return Ok(None) };
    Ok(Some(InviteRow {
        id: r.try_get("id")?,
        user_id: r.try_get("user_id")?,
        created_at: r.try_get("created_at")?,
        expires_at: r.try_get("expires_at")?,
        used_at: r.try_get("used_at")?,
        revoked_at: r.try_get("revoked_at")?,
    }))
}

pub async fn mark_invite_used(c: &mut PgConnection, id: &str, now: DateTime<Utc>) -> Result<u64> {
    let done = sqlx::query(
        "UPDATE invites SET used_at = $2 WHERE id = $1 AND used_at IS NULL AND revoked_at IS NULL",
    )
    .bind(id)
    .bind(now)
    .execute(c)
    .await?;
    Ok(done.rows_affected())
}

pub async fn revoke_open_invites(
    c: &mut PgConnection,
    user_id: &str,
    now: DateTime<Utc>,
) -> Result<u64> {
    let done = sqlx::query(
        "UPDATE invites SET revoked_at = $2 \
         WHERE user_id = $1 AND used_at IS NULL AND revoked_at IS NULL",
    )
    .bind(user_id)
    .bind(now)
    .execute(c)
    .await?;
    Ok(done.rows_affected())
}

pub async fn open_invite_expiries(
    c: &mut PgConnection,
    user_id: Option<&str>,
) -> Result<Vec<(String, DateTime<Utc>)>> {
    let rows = sqlx::query(
        "SELECT user_id, MAX(expires_at) AS expires_at FROM invites \
         WHERE used_at IS NULL AND revoked_at IS NULL AND ($1::text IS NULL OR user_id = $1) \
         GROUP BY user_id ORDER BY user_id",
    )
    .bind(user_id)
    .fetch_all(c)
    .await?;
    rows.iter()
        .map(|r| Ok((r.try_get("user_id")?, r.try_get("expires_at")?)))
        .collect()
}
