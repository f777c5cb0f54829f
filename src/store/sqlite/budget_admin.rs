//! Budget-definition SQL for SQLite (see `store::budget_admin`).

use chrono::{DateTime, Utc};
use libsql::{Connection, params};

use super::{collect, first, from_ms, ms};
use crate::store::Result;
use crate::store::budget_admin::{BudgetChange, BudgetRecord, NewBudgetRow};

/// Columns of a [`BudgetRecord`]. A macro so queries can `concat!` filters onto it.
macro_rules! record_select {
    () => {
        "SELECT b.id, b.scope_kind, b.scope_id, b.cadence, b.timezone, b.amount_micros, \
         b.hard_limit, b.origin, b.created_at, b.updated_at, \
         CASE b.scope_kind \
           WHEN 'team' THEN (SELECT t.name FROM teams t WHERE t.id = b.scope_id) \
           WHEN 'user' THEN (SELECT u.email FROM users u WHERE u.id = b.scope_id) \
           ELSE (SELECT s.name FROM service_accounts s WHERE s.id = b.scope_id) END, \
         CASE b.scope_kind \
           WHEN 'team' THEN (SELECT t.id FROM teams t WHERE t.id = b.scope_id) \
           WHEN 'service_account' \
             THEN (SELECT s.team_id FROM service_accounts s WHERE s.id = b.scope_id) \
           ELSE NULL END \
         FROM budgets b"
    };
}

fn record(r: &libsql::Row) -> Result<BudgetRecord> {
    Ok(BudgetRecord {
        id: r.get(0)?,
        scope_kind: r.get(1)?,
        scope_id: r.get(2)?,
        cadence: r.get(3)?,
        timezone: r.get(4)?,
        amount_micros: r.get(5)?,
        hard_limit: r.get::<i64>(6)? != 0,
        origin: r.get(7)?,
        created_at: from_ms(r.get(8)?)?,
        updated_at: from_ms(r.get(9)?)?,
        scope_name: r.get(10)?,
        scope_team: r.get(11)?,
    })
}

pub async fn budget_records(c: &Connection) -> Result<Vec<BudgetRecord>> {
    let rows = c
        .query(concat!(record_select!(), " ORDER BY b.id"), ())
        .await?;
    collect(rows, record).await
}

pub async fn budget_record(c: &Connection, id: &str) -> Result<Option<BudgetRecord>> {
    let rows = c
        .query(concat!(record_select!(), " WHERE b.id = ?1"), [id])
        .await?;
    first(rows, record).await
}

pub async fn insert_budget(c: &Connection, b: &NewBudgetRow, now: DateTime<Utc>) -> Result<()> {
    c.execute(
        "INSERT INTO budgets (id, scope_kind, scope_id, cadence, timezone, amount_micros, \
         hard_limit, origin, created_at, updated_at) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?9)",
        params![
            b.id.as_str(),
            b.scope_kind,
            b.scope_id.as_str(),
            b.cadence,
            b.timezone.as_str(),
            b.amount_micros,
            i64::from(b.hard_limit),
            b.origin,
            ms(now)
        ],
    )
    .await?;
    Ok(())
}

pub async fn update_budget(
    c: &Connection,
    id: &str,
    change: &BudgetChange,
    now: DateTime<Utc>,
) -> Result<u64> {
    Ok(c.execute(
        "UPDATE budgets SET cadence = ?2, timezone = ?3, amount_micros = ?4, hard_limit = ?5, \
         updated_at = ?6 WHERE id = ?1",
        params![
            id,
            change.cadence,
            change.timezone.as_str(),
            change.amount_micros,
            i64::from(change.hard_limit),
            ms(now)
        ],
    )
    .await?)
}

pub async fn delete_budget(c: &Connection, id: &str) -> Result<u64> {
    // Children first: foreign-key cascades depend on a per-connection pragma here.
    c.execute("DELETE FROM budget_leases WHERE budget_id = ?1", [id])
        .await?;
    c.execute("DELETE FROM budget_usage WHERE budget_id = ?1", [id])
        .await?;
    Ok(c.execute("DELETE FROM budgets WHERE id = ?1", [id]).await?)
}
