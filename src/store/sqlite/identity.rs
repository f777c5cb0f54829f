//! Identity SQL for SQLite: users, audit log, bootstrap latch.

use chrono::{DateTime, Utc};
use libsql::{Connection, Row, params};

use super::{collect, first, from_ms, ms, opt_from_ms};
use crate::store::Result;
use crate::store::rows::{AuditEntry, AuditRow, Latch, NewUser, UserRow};

const USER_COLUMNS: &str = "id, email, name, status, platform_admin, password_hash, \
     must_change_password, origin, created_at, updated_at, last_login_at";

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

pub async fn count_active_platform_admins(c: &Connection) -> Result<i64> {
    let rows = c
        .query(
            "SELECT COUNT(*) FROM users WHERE platform_admin = 1 AND status = 'active'",
            (),
        )
        .await?;
    Ok(first(rows, |r| Ok(r.get::<i64>(0)?)).await?.unwrap_or(0))
}

pub async fn find_user_by_email(c: &Connection, email: &str) -> Result<Option<UserRow>> {
    let sql = format!("SELECT {USER_COLUMNS} FROM users WHERE email = ?1");
    let rows = c.query(&sql, [email.to_lowercase()]).await?;
    first(rows, user).await
}

pub async fn insert_user(c: &Connection, u: &NewUser, now: DateTime<Utc>) -> Result<()> {
    c.execute(
        "INSERT INTO users (id, email, name, status, platform_admin, password_hash, \
         must_change_password, origin, created_at, updated_at) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?9)",
        params![
            u.id.as_str(),
            u.email.to_lowercase(),
            u.name.as_str(),
            u.status,
            u.platform_admin as i64,
            u.password_hash.clone(),
            u.must_change_password as i64,
            u.origin,
            ms(now)
        ],
    )
    .await?;
    Ok(())
}

pub async fn activate_admin(
    c: &Connection,
    user_id: &str,
    password_hash: &str,
    must_change_password: bool,
    now: DateTime<Utc>,
) -> Result<()> {
    c.execute(
        "UPDATE users SET status = 'active', platform_admin = 1, password_hash = ?2, \
         must_change_password = ?3, updated_at = ?4 WHERE id = ?1",
        params![user_id, password_hash, must_change_password as i64, ms(now)],
    )
    .await?;
    Ok(())
}

pub async fn insert_audit(c: &Connection, e: &AuditEntry, now: DateTime<Utc>) -> Result<()> {
    c.execute(
        "INSERT INTO audit_log (at, actor, action, target_kind, target_id, details, client_addr) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        params![
            ms(now),
            e.actor.as_str(),
            e.action.as_str(),
            e.target_kind.clone(),
            e.target_id.clone(),
            e.details.to_string(),
            e.client_addr.clone()
        ],
    )
    .await?;
    Ok(())
}

pub async fn recent_audit(c: &Connection, limit: i64) -> Result<Vec<AuditRow>> {
    let rows = c
        .query(
            "SELECT id, at, actor, action, target_kind, target_id, details FROM audit_log \
             ORDER BY id DESC LIMIT ?1",
            [limit],
        )
        .await?;
    collect(rows, |r| {
        Ok(AuditRow {
            id: r.get(0)?,
            at: from_ms(r.get(1)?)?,
            actor: r.get(2)?,
            action: r.get(3)?,
            target_kind: r.get(4)?,
            target_id: r.get(5)?,
            details: r.get(6)?,
        })
    })
    .await
}

pub async fn latch(c: &Connection) -> Result<Latch> {
    let rows = c
        .query(
            "SELECT bootstrapped_at, admin_user_id, method FROM bootstrap_latch WHERE id = 1",
            (),
        )
        .await?;
    let latch = first(rows, |r| {
        Ok(Latch {
            bootstrapped_at: opt_from_ms(r.get(0)?)?,
            admin_user_id: r.get(1)?,
            method: r.get(2)?,
        })
    })
    .await?;
    latch.ok_or_else(|| crate::store::StoreError::Corrupt("bootstrap_latch row missing".into()))
}

pub async fn flip_latch(
    c: &Connection,
    admin_user_id: &str,
    method: &str,
    now: DateTime<Utc>,
) -> Result<bool> {
    let n = c
        .execute(
            "UPDATE bootstrap_latch SET bootstrapped_at = ?1, admin_user_id = ?2, method = ?3 \
             WHERE id = 1 AND bootstrapped_at IS NULL",
            params![ms(now), admin_user_id, method],
        )
        .await?;
    Ok(n == 1)
}
