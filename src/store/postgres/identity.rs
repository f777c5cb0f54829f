//! Identity SQL for PostgreSQL: users, audit log, bootstrap latch.

use chrono::{DateTime, Utc};
use sqlx::postgres::PgRow;
use sqlx::{PgConnection, Row};

use crate::store::Result;
use crate::store::rows::{AuditEntry, AuditRow, Latch, NewUser, UserRow};

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

pub async fn count_active_platform_admins(c: &mut PgConnection) -> Result<i64> {
    Ok(
        sqlx::query_scalar("SELECT COUNT(*) FROM users WHERE platform_admin AND status = 'active'")
            .fetch_one(c)
            .await?,
    )
}

pub async fn find_user_by_email(c: &mut PgConnection, email: &str) -> Result<Option<UserRow>> {
    let row = sqlx::query("SELECT * FROM users WHERE email = $1")
        .bind(email.to_lowercase())
        .fetch_optional(c)
        .await?;
    Ok(row.as_ref().map(user).transpose()?)
}

pub async fn insert_user(c: &mut PgConnection, u: &NewUser, now: DateTime<Utc>) -> Result<()> {
    sqlx::query(
        "INSERT INTO users (id, email, name, status, platform_admin, password_hash, \
         must_change_password, origin, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9)",
    )
    .bind(&u.id)
    .bind(u.email.to_lowercase())
    .bind(&u.name)
    .bind(u.status)
    .bind(u.platform_admin)
    .bind(&u.password_hash)
    .bind(u.must_change_password)
    .bind(u.origin)
    .bind(now)
    .execute(c)
    .await?;
    Ok(())
}

pub async fn activate_admin(
    c: &mut PgConnection,
    user_id: &str,
    password_hash: &str,
    must_change_password: bool,
    now: DateTime<Utc>,
) -> Result<()> {
    sqlx::query(
        "UPDATE users SET status = 'active', platform_admin = TRUE, password_hash = $2, \
         must_change_password = $3, updated_at = $4 WHERE id = $1",
    )
    .bind(user_id)
    .bind(password_hash)
    .bind(must_change_password)
    .bind(now)
    .execute(c)
    .await?;
    Ok(())
}

pub async fn insert_audit(c: &mut PgConnection, e: &AuditEntry, now: DateTime<Utc>) -> Result<()> {
    sqlx::query(
        "INSERT INTO audit_log (at, actor, action, target_kind, target_id, details, client_addr) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(now)
    .bind(&e.actor)
    .bind(&e.action)
    .bind(&e.target_kind)
    .bind(&e.target_id)
    .bind(e.details.to_string())
    .bind(&e.client_addr)
    .execute(c)
    .await?;
    Ok(())
}

pub async fn recent_audit(c: &mut PgConnection, limit: i64) -> Result<Vec<AuditRow>> {
    let rows = sqlx::query(
        "SELECT id, at, actor, action, target_kind, target_id, details FROM audit_log \
         ORDER BY id DESC LIMIT $1",
    )
    .bind(limit)
    .fetch_all(c)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(AuditRow {
                id: r.try_get("id")?,
                at: r.try_get("at")?,
                actor: r.try_get("actor")?,
                action: r.try_get("action")?,
                target_kind: r.try_get("target_kind")?,
                target_id: r.try_get("target_id")?,
                details: r.try_get("details")?,
            })
        })
        .collect()
}

pub async fn latch(c: &mut PgConnection) -> Result<Latch> {
    let r = sqlx::query(
        "SELECT bootstrapped_at, admin_user_id, method FROM bootstrap_latch WHERE id = 1",
    )
    .fetch_one(c)
    .await?;
    Ok(Latch {
        bootstrapped_at: r.try_get("bootstrapped_at")?,
        admin_user_id: r.try_get("admin_user_id")?,
        method: r.try_get("method")?,
    })
}

pub async fn flip_latch(
    c: &mut PgConnection,
    admin_user_id: &str,
    method: &str,
    now: DateTime<Utc>,
) -> Result<bool> {
    let done = sqlx::query(
        "UPDATE bootstrap_latch SET bootstrapped_at = $1, admin_user_id = $2, method = $3 \
         WHERE id = 1 AND bootstrapped_at IS NULL",
    )
    .bind(now)
    .bind(admin_user_id)
    .bind(method)
    .execute(c)
    .await?;
    Ok(done.rows_affected() == 1)
}
