//! Budget-definition SQL for PostgreSQL (see `store::budget_admin`).

use chrono::{DateTime, Utc};
use sqlx::{PgConnection, Row};

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
           ELSE (SELECT s.name FROM service_accounts s WHERE s.id = b.scope_id) END \
           AS scope_name, \
         CASE b.scope_kind \
           WHEN 'team' THEN (SELECT t.id FROM teams t WHERE t.id = b.scope_id) \
           WHEN 'service_account' \
             THEN (SELECT s.team_id FROM service_accounts s WHERE s.id = b.scope_id) \
           ELSE NULL END AS scope_team \
         FROM budgets b"
    };
}

fn record(r: &sqlx::postgres::PgRow) -> Result<BudgetRecord> {
    Ok(BudgetRecord {
        id: r.try_get("id")?,
        scope_kind: r.try_get("scope_kind")?,
        scope_id: r.try_get("scope_id")?,
        cadence: r.try_get("cadence")?,
        timezone: r.try_get("timezone")?,
        amount_micros: r.try_get("amount_micros")?,
        hard_limit: r.try_get("hard_limit")?,
        origin: r.try_get("origin")?,
        created_at: r.try_get("created_at")?,
        updated_at: r.try_get("updated_at")?,
        scope_name: r.try_get("scope_name")?,
        scope_team: r.try_get("scope_team")?,
    })
}

pub async fn budget_records(c: &mut PgConnection) -> Result<Vec<BudgetRecord>> {
    let rows = sqlx::query(concat!(record_select!(), " ORDER BY b.id"))
        .fetch_all(c)
        .await?;
    rows.iter().map(record).collect()
}

pub async fn budget_record(c: &mut PgConnection, id: &str) -> Result<Option<BudgetRecord>> {
    let row = sqlx::query(concat!(record_select!(), " WHERE b.id = $1"))
        .bind(id)
        .fetch_optional(c)
        .await?;
    row.as_ref().map(record).transpose()
}

pub async fn insert_budget(
    c: &mut PgConnection,
    b: &NewBudgetRow,
    now: DateTime<Utc>,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO budgets (id, scope_kind, scope_id, cadence, timezone, amount_micros, \
         hard_limit, origin, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9)",
    )
    .bind(&b.id)
    .bind(b.scope_kind)
    .bind(&b.scope_id)
    .bind(b.cadence)
    .bind(&b.timezone)
    .bind(b.amount_micros)
    .bind(b.hard_limit)
    .bind(b.origin)
    .bind(now)
    .execute(c)
    .await?;
    Ok(())
}

pub async fn update_budget(
    c: &mut PgConnection,
    id: &str,
    change: &BudgetChange,
    now: DateTime<Utc>,
) -> Result<u64> {
    let done = sqlx::query(
        "UPDATE budgets SET cadence = $2, timezone = $3, amount_micros = $4, hard_limit = $5, \
         updated_at = $6 WHERE id = $1",
    )
    .bind(id)
    .bind(change.cadence)
    .bind(&change.timezone)
    .bind(change.amount_micros)
    .bind(change.hard_limit)
    .bind(now)
    .execute(c)
    .await?;
    Ok(done.rows_affected())
}

pub async fn delete_budget(c: &mut PgConnection, id: &str) -> Result<u64> {
    // Usage rows and their leases go with the budget (ON DELETE CASCADE).
    let done = sqlx::query("DELETE FROM budgets WHERE id = $1")
        .bind(id)
        .execute(c)
        .await?;
    Ok(done.rows_affected())
}
