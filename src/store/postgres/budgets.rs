//! Budget SQL for PostgreSQL. `lock_window` takes the usage row `FOR UPDATE`, serialising
//! lease changes of one window across replicas.

use chrono::{DateTime, Utc};
use sqlx::{PgConnection, Row};

use super::column;
use crate::store::Result;
use crate::store::budgets::WindowKey;
use crate::store::rows::{BudgetRow, LedgerRow, WindowTotals};

pub async fn list_budgets(c: &mut PgConnection) -> Result<Vec<BudgetRow>> {
    let rows = sqlx::query(
        "SELECT id, scope_kind, scope_id, cadence, timezone, amount_micros, hard_limit \
         FROM budgets ORDER BY id",
    )
    .fetch_all(c)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(BudgetRow {
                id: r.try_get(0)?,
                scope_kind: r.try_get(1)?,
                scope_id: r.try_get(2)?,
                cadence: r.try_get(3)?,
                timezone: r.try_get(4)?,
                amount_micros: r.try_get(5)?,
                hard_limit: r.try_get(6)?,
            })
        })
        .collect()
}

pub async fn lock_window(c: &mut PgConnection, w: WindowKey<'_>, me: &str) -> Result<WindowTotals> {
    sqlx::query(
        "INSERT INTO budget_usage (budget_id, window_start, spent_micros) VALUES ($1, $2, 0) \
         ON CONFLICT (budget_id, window_start) DO NOTHING",
    )
    .bind(w.budget_id)
    .bind(w.window_start)
    .execute(&mut *c)
    .await?;
    let spent: i64 = sqlx::query_scalar(
        "SELECT spent_micros FROM budget_usage WHERE budget_id = $1 AND window_start = $2 FOR UPDATE",
    )
    .bind(w.budget_id)
    .bind(w.window_start)
    .fetch_one(&mut *c)
    .await?;
    let r = sqlx::query(
        "SELECT COALESCE(SUM(reserved_micros), 0)::BIGINT, \
         COALESCE(SUM(reserved_micros) FILTER (WHERE replica_id = $3), 0)::BIGINT \
         FROM budget_leases WHERE budget_id = $1 AND window_start = $2",
    )
    .bind(w.budget_id)
    .bind(w.window_start)
    .bind(me)
    .fetch_one(&mut *c)
    .await?;
    Ok(WindowTotals {
        spent,
        reserved_all: r.try_get(0)?,
        reserved_mine: r.try_get(1)?,
    })
}

pub async fn reclaim_stale_leases(
    c: &mut PgConnection,
    w: WindowKey<'_>,
    me: &str,
    stale_before: DateTime<Utc>,
) -> Result<i64> {
    let stale: i64 = sqlx::query_scalar(
        "WITH gone AS (DELETE FROM budget_leases \
           WHERE budget_id = $1 AND window_start = $2 AND replica_id <> $3 AND heartbeat_at < $4 \
           RETURNING reserved_micros) \
         SELECT COALESCE(SUM(reserved_micros), 0)::BIGINT FROM gone",
    )
    .bind(w.budget_id)
    .bind(w.window_start)
    .bind(me)
    .bind(stale_before)
    .fetch_one(&mut *c)
    .await?;
    if stale > 0 {
        sqlx::query(
            "UPDATE budget_usage SET spent_micros = spent_micros + $3 \
             WHERE budget_id = $1 AND window_start = $2",
        )
        .bind(w.budget_id)
        .bind(w.window_start)
        .bind(stale)
        .execute(&mut *c)
        .await?;
    }
    Ok(stale)
}

pub async fn grow_lease(
    c: &mut PgConnection,
    w: WindowKey<'_>,
    me: &str,
    delta: i64,
    now: DateTime<Utc>,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO budget_leases (budget_id, window_start, replica_id, reserved_micros, heartbeat_at) \
         VALUES ($1, $2, $3, $4, $5) \
         ON CONFLICT (budget_id, window_start, replica_id) DO UPDATE \
         SET reserved_micros = budget_leases.reserved_micros + EXCLUDED.reserved_micros, \
             heartbeat_at = EXCLUDED.heartbeat_at",
    )
    .bind(w.budget_id)
    .bind(w.window_start)
    .bind(me)
    .bind(delta)
    .bind(now)
    .execute(c)
    .await?;
    Ok(())
}

pub async fn settle_lease(
    c: &mut PgConnection,
    w: WindowKey<'_>,
    me: &str,
    spent: i64,
    returned: i64,
    now: DateTime<Utc>,
) -> Result<i64> {
    let total: i64 = sqlx::query_scalar(
        "INSERT INTO budget_usage (budget_id, window_start, spent_micros) VALUES ($1, $2, $3) \
         ON CONFLICT (budget_id, window_start) DO UPDATE \
         SET spent_micros = budget_usage.spent_micros + EXCLUDED.spent_micros \
         RETURNING spent_micros",
    )
    .bind(w.budget_id)
    .bind(w.window_start)
    .bind(spent)
    .fetch_one(&mut *c)
    .await?;
    sqlx::query(
        "UPDATE budget_leases SET reserved_micros = GREATEST(reserved_micros - $4, 0), heartbeat_at = $5 \
         WHERE budget_id = $1 AND window_start = $2 AND replica_id = $3",
    )
    .bind(w.budget_id)
    .bind(w.window_start)
    .bind(me)
    .bind(spent + returned)
    .bind(now)
    .execute(c)
    .await?;
    Ok(total)
}

pub async fn heartbeat_leases(c: &mut PgConnection, me: &str, now: DateTime<Utc>) -> Result<()> {
    sqlx::query("UPDATE budget_leases SET heartbeat_at = $2 WHERE replica_id = $1")
        .bind(me)
        .bind(now)
        .execute(c)
        .await?;
    Ok(())
}

/// One statement per batch, one array per column (see `logs::insert_request_logs`).
pub async fn insert_ledger(c: &mut PgConnection, rows: &[LedgerRow]) -> Result<()> {
    if rows.is_empty() {
        return Ok(());
    }
    sqlx::query(
        "INSERT INTO usage_ledger (request_id, at, credential_id, user_id, service_account_id, \
         team_id, model, provider_id, input_tokens, output_tokens, cached_tokens, cost_micros, \
         priced, client_request_id) \
         SELECT * FROM UNNEST($1::text[], $2::timestamptz[], $3::text[], $4::text[], \
         $5::text[], $6::text[], $7::text[], $8::text[], $9::int8[], $10::int8[], $11::int8[], \
         $12::int8[], $13::bool[], $14::text[]) \
         ON CONFLICT (request_id) DO NOTHING",
    )
    .bind(column(rows, |r| r.request_id.as_str()))
    .bind(column(rows, |r| r.at))
    .bind(column(rows, |r| r.credential_id.as_deref()))
    .bind(column(rows, |r| r.user_id.as_deref()))
    .bind(column(rows, |r| r.service_account_id.as_deref()))
    .bind(column(rows, |r| r.team_id.as_deref()))
    .bind(column(rows, |r| r.model.as_str()))
    .bind(column(rows, |r| r.provider_id.as_deref()))
    .bind(column(rows, |r| r.input_tokens))
    .bind(column(rows, |r| r.output_tokens))
    .bind(column(rows, |r| r.cached_tokens))
    .bind(column(rows, |r| r.cost_micros))
    .bind(column(rows, |r| r.priced))
    .bind(column(rows, |r| r.client_request_id.as_deref()))
    .execute(c)
    .await?;
    Ok(())
}

pub async fn ledger_total(c: &mut PgConnection) -> Result<i64> {
    Ok(
        sqlx::query_scalar("SELECT COALESCE(SUM(cost_micros), 0)::BIGINT FROM usage_ledger")
            .fetch_one(c)
            .await?,
    )
}

pub async fn window_used(c: &mut PgConnection, w: WindowKey<'_>) -> Result<i64> {
    Ok(sqlx::query_scalar(
        "SELECT (COALESCE((SELECT spent_micros FROM budget_usage WHERE budget_id = $1 AND window_start = $2), 0) \
         + COALESCE((SELECT SUM(reserved_micros) FROM budget_leases WHERE budget_id = $1 AND window_start = $2), 0))::BIGINT",
    )
    .bind(w.budget_id)
    .bind(w.window_start)
    .fetch_one(c)
    .await?)
}
