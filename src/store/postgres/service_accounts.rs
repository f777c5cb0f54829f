//! Service-account SQL for PostgreSQL.

use chrono::{DateTime, Utc};
use sqlx::{PgConnection, Row};

use crate::store::Result;
use crate::store::service_accounts::{NewServiceAccountRow, ServiceAccountRecord};

/// Columns of a [`ServiceAccountRecord`]; `$1` is "now" for the live count. A macro so the
/// queries below can `concat!` their filters onto it at compile time.
macro_rules! record_select {
    () => {
        "SELECT sa.id, sa.team_id, t.name AS team_name, sa.name, sa.status, sa.origin, \
         sa.created_at, sa.updated_at, \
         (SELECT COUNT(*) FROM credentials c WHERE c.service_account_id = sa.id) \
            AS credentials_total, \
         (SELECT COUNT(*) FROM credentials c WHERE c.service_account_id = sa.id \
            AND c.revoked_at IS NULL AND (c.expires_at IS NULL OR c.expires_at > $1)) \
            AS credentials_live \
         FROM service_accounts sa JOIN teams t ON t.id = sa.team_id"
    };
}

fn record(r: &sqlx::postgres::PgRow) -> Result<ServiceAccountRecord> {
    Ok(ServiceAccountRecord {
        id: r.try_get("id")?,
        team_id: r.try_get("team_id")?,
        team_name: r.try_get("team_name")?,
        name: r.try_get("name")?,
        status: r.try_get("status")?,
        origin: r.try_get("origin")?,
        created_at: r.try_get("created_at")?,
        updated_at: r.try_get("updated_at")?,
        credentials_total: r.try_get("credentials_total")?,
        credentials_live: r.try_get("credentials_live")?,
    })
}

pub async fn insert_service_account(
    c: &mut PgConnection,
    sa: &NewServiceAccountRow,
    now: DateTime<Utc>,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO service_accounts (id, team_id, name, status, origin, created_at, updated_at) \
         VALUES ($1, $2, $3, 'active', $4, $5, $5)",
    )
    .bind(&sa.id)
    .bind(&sa.team_id)
    .bind(&sa.name)
    .bind(sa.origin)
    .bind(now)
    .execute(c)
    .await?;
    Ok(())
}

pub async fn service_account_record(
    c: &mut PgConnection,
    id: &str,
    now: DateTime<Utc>,
) -> Result<Option<ServiceAccountRecord>> {
    let row = sqlx::query(concat!(record_select!(), " WHERE sa.id = $2"))
        .bind(now)
        .bind(id)
        .fetch_optional(c)
        .await?;
    row.as_ref().map(record).transpose()
}

pub async fn list_service_account_records(
    c: &mut PgConnection,
    team: Option<&str>,
    now: DateTime<Utc>,
) -> Result<Vec<ServiceAccountRecord>> {
    let rows = sqlx::query(concat!(
        record_select!(),
        " WHERE ($2::text IS NULL OR sa.team_id = $2) ORDER BY sa.team_id, sa.id"
    ))
    .bind(now)
    .bind(team)
    .fetch_all(c)
    .await?;
    rows.iter().map(record).collect()
}

pub async fn rename_service_account(
    c: &mut PgConnection,
    id: &str,
    name: &str,
    now: DateTime<Utc>,
) -> Result<u64> {
    let done = sqlx::query("UPDATE service_accounts SET name = $2, updated_at = $3 WHERE id = $1")
        .bind(id)
        .bind(name)
        .bind(now)
        .execute(c)
        .await?;
    Ok(done.rows_affected())
}

pub async fn set_service_account_status(
    c: &mut PgConnection,
    id: &str,
    status: &str,
    now: DateTime<Utc>,
) -> Result<u64> {
    let done = sqlx::query(
        "UPDATE service_accounts SET status = $2, updated_at = $3 WHERE id = $1 AND status <> $2",
    )
    .bind(id)
    .bind(status)
    .bind(now)
    .execute(c)
    .await?;
    Ok(done.rows_affected())
}

pub async fn team_exists(c: &mut PgConnection, id: &str) -> Result<bool> {
    let found: Option<i32> = sqlx::query_scalar("SELECT 1 FROM teams WHERE id = $1")
        .bind(id)
        .fetch_optional(c)
        .await?;
    Ok(found.is_some())
}
