//! Service-account SQL for SQLite.

use chrono::{DateTime, Utc};
use libsql::{Connection, params};

use super::{collect, first, from_ms, ms};
use crate::store::Result;
use crate::store::service_accounts::{NewServiceAccountRow, ServiceAccountRecord};

/// Columns of a [`ServiceAccountRecord`]; `?1` is "now" for the live count. A macro so the
/// queries below can `concat!` their filters onto it at compile time.
macro_rules! record_select {
    () => {
        "SELECT sa.id, sa.team_id, t.name, sa.name, sa.status, sa.origin, sa.created_at, \
         sa.updated_at, \
         (SELECT COUNT(*) FROM credentials c WHERE c.service_account_id = sa.id), \
         (SELECT COUNT(*) FROM credentials c WHERE c.service_account_id = sa.id \
            AND c.revoked_at IS NULL AND (c.expires_at IS NULL OR c.expires_at > ?1)) \
         FROM service_accounts sa JOIN teams t ON t.id = sa.team_id"
    };
}

fn record(r: &libsql::Row) -> Result<ServiceAccountRecord> {
    Ok(ServiceAccountRecord {
        id: r.get(0)?,
        team_id: r.get(1)?,
        team_name: r.get(2)?,
        name: r.get(3)?,
        status: r.get(4)?,
        origin: r.get(5)?,
        created_at: from_ms(r.get(6)?)?,
        updated_at: from_ms(r.get(7)?)?,
        credentials_total: r.get(8)?,
        credentials_live: r.get(9)?,
    })
}

pub async fn insert_service_account(
    c: &Connection,
    sa: &NewServiceAccountRow,
    now: DateTime<Utc>,
) -> Result<()> {
    c.execute(
        "INSERT INTO service_accounts (id, team_id, name, status, origin, created_at, updated_at) \
         VALUES (?1, ?2, ?3, 'active', ?4, ?5, ?5)",
        params![
            sa.id.as_str(),
            sa.team_id.as_str(),
            sa.name.as_str(),
            sa.origin,
            ms(now)
        ],
    )
    .await?;
    Ok(())
}

pub async fn service_account_record(
    c: &Connection,
    id: &str,
    now: DateTime<Utc>,
) -> Result<Option<ServiceAccountRecord>> {
    let rows = c
        .query(
            concat!(record_select!(), " WHERE sa.id = ?2"),
            params![ms(now), id],
        )
        .await?;
    first(rows, record).await
}

pub async fn list_service_account_records(
    c: &Connection,
    team: Option<&str>,
    now: DateTime<Utc>,
) -> Result<Vec<ServiceAccountRecord>> {
    let rows = c
        .query(
            concat!(
                record_select!(),
                " WHERE (?2 IS NULL OR sa.team_id = ?2) ORDER BY sa.team_id, sa.id"
            ),
            params![ms(now), team],
        )
        .await?;
    collect(rows, record).await
}

pub async fn rename_service_account(
    c: &Connection,
    id: &str,
    name: &str,
    now: DateTime<Utc>,
) -> Result<u64> {
    Ok(c.execute(
        "UPDATE service_accounts SET name = ?2, updated_at = ?3 WHERE id = ?1",
        params![id, name, ms(now)],
    )
    .await?)
}

pub async fn set_service_account_status(
    c: &Connection,
    id: &str,
    status: &str,
    now: DateTime<Utc>,
) -> Result<u64> {
    Ok(c.execute(
        "UPDATE service_accounts SET status = ?2, updated_at = ?3 WHERE id = ?1 AND status <> ?2",
        params![id, status, ms(now)],
    )
    .await?)
}

pub async fn team_exists(c: &Connection, id: &str) -> Result<bool> {
    let rows = c.query("SELECT 1 FROM teams WHERE id = ?1", [id]).await?;
    Ok(first(rows, |_| Ok(())).await?.is_some())
}
