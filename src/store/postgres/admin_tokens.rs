//! Control-plane token SQL for PostgreSQL.

use chrono::{DateTime, Utc};
use sqlx::{PgConnection, Row};

use crate::store::Result;
use crate::store::admin_tokens::{AdminTokenRow, NewAdminTokenRow};

macro_rules! select {
    () => {
        "SELECT t.id, t.public_id, t.secret_hash, t.user_id, u.email, t.name, \
     t.created_at, t.expires_at, t.last_used_at, t.revoked_at \
     FROM admin_tokens t JOIN users u ON u.id = t.user_id"
    };
}

fn row(r: &sqlx::postgres::PgRow) -> Result<AdminTokenRow> {
    Ok(AdminTokenRow {
        id: r.try_get("id")?,
        public_id: r.try_get("public_id")?,
        secret_hash: r.try_get("secret_hash")?,
        user_id: r.try_get("user_id")?,
        email: r.try_get("email")?,
        name: r.try_get("name")?,
        created_at: r.try_get("created_at")?,
        expires_at: r.try_get("expires_at")?,
        last_used_at: r.try_get("last_used_at")?,
        revoked_at: r.try_get("revoked_at")?,
    })
}

pub async fn insert_admin_token(
    c: &mut PgConnection,
    t: &NewAdminTokenRow,
    now: DateTime<Utc>,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO admin_tokens (id, public_id, secret_hash, user_id, name, created_at, \
         expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(&t.id)
    .bind(&t.public_id)
    .bind(&t.secret_hash)
    .bind(&t.user_id)
    .bind(&t.name)
    .bind(now)
    .bind(t.expires_at)
    .execute(c)
    .await?;
    Ok(())
}

pub async fn find_admin_token(
    c: &mut PgConnection,
    public_id: &str,
) -> Result<Option<AdminTokenRow>> {
    let r = sqlx::query(concat!(select!(), " WHERE t.public_id = $1"))
        .bind(public_id)
        .fetch_optional(c)
        .await?;
    r.as_ref().map(row).transpose()
}

pub async fn list_admin_tokens(
    c: &mut PgConnection,
    user_id: Option<&str>,
) -> Result<Vec<AdminTokenRow>> {
    let rows = sqlx::query(concat!(
        select!(),
        " WHERE $1::text IS NULL OR t.user_id = $1 ORDER BY t.created_at DESC, t.id"
    ))
    .bind(user_id)
    .fetch_all(c)
    .await?;
    rows.iter().map(row).collect()
}

pub async fn revoke_admin_token(c: &mut PgConnection, id: &str, now: DateTime<Utc>) -> Result<u64> {
    Ok(sqlx::query(
        "UPDATE admin_tokens SET revoked_at = $2 \
         WHERE (id = $1 OR public_id = $1) AND revoked_at IS NULL",
    )
    .bind(id)
    .bind(now)
    .execute(c)
    .await?
    .rows_affected())
}

pub async fn touch_admin_token(c: &mut PgConnection, id: &str, now: DateTime<Utc>) -> Result<()> {
    sqlx::query("UPDATE admin_tokens SET last_used_at = $2 WHERE id = $1")
        .bind(id)
        .bind(now)
        .execute(c)
        .await?;
    Ok(())
}
