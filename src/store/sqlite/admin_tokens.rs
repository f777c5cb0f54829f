//! Control-plane token SQL for SQLite.

use chrono::{DateTime, Utc};
use libsql::{Connection, params};

use super::{collect, first, from_ms, ms, opt_from_ms};
use crate::store::Result;
use crate::store::admin_tokens::{AdminTokenRow, NewAdminTokenRow};

macro_rules! select {
    () => {
        "SELECT t.id, t.public_id, t.secret_hash, t.user_id, u.email, t.name, \
     t.created_at, t.expires_at, t.last_used_at, t.revoked_at \
     FROM admin_tokens t JOIN users u ON u.id = t.user_id"
    };
}

fn row(r: &libsql::Row) -> Result<AdminTokenRow> {
    Ok(AdminTokenRow {
        id: r.get(0)?,
        public_id: r.get(1)?,
        secret_hash: r.get(2)?,
        user_id: r.get(3)?,
        email: r.get(4)?,
        name: r.get(5)?,
        created_at: from_ms(r.get(6)?)?,
        expires_at: opt_from_ms(r.get(7)?)?,
        last_used_at: opt_from_ms(r.get(8)?)?,
        revoked_at: opt_from_ms(r.get(9)?)?,
    })
}

pub async fn insert_admin_token(
    c: &Connection,
    t: &NewAdminTokenRow,
    now: DateTime<Utc>,
) -> Result<()> {
    c.execute(
        "INSERT INTO admin_tokens (id, public_id, secret_hash, user_id, name, created_at, \
         expires_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        params![
            t.id.as_str(),
            t.public_id.as_str(),
            t.secret_hash.clone(),
            t.user_id.as_str(),
            t.name.as_str(),
            ms(now),
            t.expires_at.map(ms)
        ],
    )
    .await?;
    Ok(())
}

pub async fn find_admin_token(c: &Connection, public_id: &str) -> Result<Option<AdminTokenRow>> {
    let rows = c
        .query(concat!(select!(), " WHERE t.public_id = ?1"), [public_id])
        .await?;
    first(rows, row).await
}

pub async fn list_admin_tokens(
    c: &Connection,
    user_id: Option<&str>,
) -> Result<Vec<AdminTokenRow>> {
    let rows = c
        .query(
            concat!(
                select!(),
                " WHERE ?1 IS NULL OR t.user_id = ?1 ORDER BY t.created_at DESC, t.id"
            ),
            params![user_id.map(str::to_string)],
        )
        .await?;
    collect(rows, row).await
}

pub async fn revoke_admin_token(c: &Connection, id: &str, now: DateTime<Utc>) -> Result<u64> {
    Ok(c.execute(
        "UPDATE admin_tokens SET revoked_at = ?2 \
         WHERE (id = ?1 OR public_id = ?1) AND revoked_at IS NULL",
        params![id, ms(now)],
    )
    .await?)
}

pub async fn touch_admin_token(c: &Connection, id: &str, now: DateTime<Utc>) -> Result<()> {
    c.execute(
        "UPDATE admin_tokens SET last_used_at = ?2 WHERE id = ?1",
        params![id, ms(now)],
    )
    .await?;
    Ok(())
}
