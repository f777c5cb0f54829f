//! Invite SQL for SQLite.

use chrono::{DateTime, Utc};
use libsql::{Connection, params};

use super::{collect, first, from_ms, ms, opt_from_ms};
use crate::store::Result;
use crate::store::invites::{InviteRow, NewInvite};

pub async fn insert_invite(c: &Connection, i: &NewInvite) -> Result<()> {
    c.execute(
        "INSERT INTO invites (id, user_id, token_hash, created_by, created_at, expires_at) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![
            i.id.as_str(),
            i.user_id.as_str(),
            i.token_hash.clone(),
            i.created_by.clone(),
            ms(i.created_at),
            ms(i.expires_at)
        ],
    )
    .await?;
    Ok(())
}

pub async fn invite_by_token_hash(c: &Connection, token_hash: &[u8]) -> Result<Option<InviteRow>> {
    let rows = c
        .query(
            "SELECT id, user_id, created_at, expires_at, used_at, revoked_at FROM invites \
             WHERE token_hash = ?1",
            params![token_hash.to_vec()],
        )
        .await?;
    first(rows, |r| {
        Ok(InviteRow {
            id: r.get(0)?,
            user_id: r.get(1)?,
            created_at: from_ms(r.get(2)?)?,
            expires_at: from_ms(r.get(3)?)?,
            used_at: opt_from_ms(r.get(4)?)?,
            revoked_at: opt_from_ms(r.get(5)?)?,
        })
    })
    .await
}

pub async fn mark_invite_used(c: &Connection, id: &str, now: DateTime<Utc>) -> Result<u64> {
    Ok(c.execute(
        "UPDATE invites SET used_at = ?2 WHERE id = ?1 AND used_at IS NULL AND revoked_at IS NULL",
        params![id, ms(now)],
    )
    .await?)
}

pub async fn revoke_open_invites(c: &Connection, user_id: &str, now: DateTime<Utc>) -> Result<u64> {
    Ok(c.execute(
        "UPDATE invites SET revoked_at = ?2 \
         WHERE user_id = ?1 AND used_at IS NULL AND revoked_at IS NULL",
        params![user_id, ms(now)],
    )
    .await?)
}

pub async fn open_invite_expiries(
    c: &Connection,
    user_id: Option<&str>,
) -> Result<Vec<(String, DateTime<Utc>)>> {
    let rows = c
        .query(
            "SELECT user_id, MAX(expires_at) FROM invites \
             WHERE used_at IS NULL AND revoked_at IS NULL AND (?1 IS NULL OR user_id = ?1) \
             GROUP BY user_id ORDER BY user_id",
            params![user_id],
        )
        .await?;
    collect(rows, |r| Ok((r.get(0)?, from_ms(r.get(1)?)?))).await
}
