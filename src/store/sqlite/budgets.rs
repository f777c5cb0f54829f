//! Budget SQL for SQLite. Write transactions are `BEGIN IMMEDIATE`, so `lock_window` needs no
//! row lock of its own.

use chrono::{DateTime, Utc};
use libsql::{Connection, params};

use super::{collect, first, ms};
use crate::store::Result;
use crate::store::budgets::WindowKey;
use crate::store::rows::{BudgetRow, LedgerRow, WindowTotals};

pub async fn list_budgets(c: &Connection) -> Result<Vec<BudgetRow>> {
    let rows = c
        .query(
            "SELECT id, scope_kind, scope_id, cadence, timezone, amount_micros, hard_limit \
             FROM budgets ORDER BY id",
            (),
        )
        .await?;
    collect(rows, |r| {
        Ok(BudgetRow {
            id: r.get(0)?,
            scope_kind: r.get(1)?,
            scope_id: r.get(2)?,
            cadence: r.get(3)?,
            timezone: r.get(4)?,
            amount_micros: r.get(5)?,
            hard_limit: r.get::<i64>(6)? != 0,
        })
    })
    .await
}

pub async fn lock_window(c: &Connection, w: WindowKey<'_>, me: &str) -> Result<WindowTotals> {
    let start = ms(w.window_start);
    c.execute(
        "INSERT INTO budget_usage (budget_id, window_start, spent_micros) VALUES (?1, ?2, 0) \
         ON CONFLICT (budget_id, window_start) DO NOTHING",
        params![w.budget_id, start],
    )
    .await?;
    let rows = c
        .query(
            "SELECT u.spent_micros, \
             (SELECT COALESCE(SUM(reserved_micros), 0) FROM budget_leases l \
               WHERE l.budget_id = u.budget_id AND l.window_start = u.window_start), \
             (SELECT COALESCE(SUM(reserved_micros), 0) FROM budget_leases l \
               WHERE l.budget_id = u.budget_id AND l.window_start = u.window_start \
                 AND l.replica_id = ?3) \
             FROM budget_usage u WHERE u.budget_id = ?1 AND u.window_start = ?2",
            params![w.budget_id, start, me],
        )
        .await?;
    let totals = first(rows, |r| {
        Ok(WindowTotals {
            spent: r.get(0)?,
            reserved_all: r.get(1)?,
            reserved_mine: r.get(2)?,
        })
    })
    .await?;
    Ok(totals.unwrap_or(WindowTotals {
        spent: 0,
        reserved_all: 0,
        reserved_mine: 0,
    }))
}

pub async fn reclaim_stale_leases(
    c: &Connection,
    w: WindowKey<'_>,
    me: &str,
    stale_before: DateTime<Utc>,
) -> Result<i64> {
    let start = ms(w.window_start);
    let rows = c
        .query(
            "SELECT COALESCE(SUM(reserved_micros), 0) FROM budget_leases \
             WHERE budget_id = ?1 AND window_start = ?2 AND replica_id <> ?3 AND heartbeat_at < ?4",
            params![w.budget_id, start, me, ms(stale_before)],
        )
        .await?;
    let stale = first(rows, |r| Ok(r.get::<i64>(0)?)).await?.unwrap_or(0);
    if stale == 0 {
        return Ok(0);
    }
    c.execute(
        "UPDATE budget_usage SET spent_micros = spent_micros + ?3 \
         WHERE budget_id = ?1 AND window_start = ?2",
        params![w.budget_id, start, stale],
    )
    .await?;
    c.execute(
        "DELETE FROM budget_leases \
         WHERE budget_id = ?1 AND window_start = ?2 AND replica_id <> ?3 AND heartbeat_at < ?4",
        params![w.budget_id, start, me, ms(stale_before)],
    )
    .await?;
    Ok(stale)
}

pub async fn grow_lease(
    c: &Connection,
    w: WindowKey<'_>,
    me: &str,
    delta: i64,
    now: DateTime<Utc>,
) -> Result<()> {
    c.execute(
        "INSERT INTO budget_leases (budget_id, window_start, replica_id, reserved_micros, heartbeat_at) \
         VALUES (?1, ?2, ?3, ?4, ?5) \
         ON CONFLICT (budget_id, window_start, replica_id) DO UPDATE \
         SET reserved_micros = reserved_micros + excluded.reserved_micros, heartbeat_at = excluded.heartbeat_at",
        params![w.budget_id, ms(w.window_start), me, delta, ms(now)],
    )
    .await?;
    Ok(())
}

pub async fn settle_lease(
    c: &Connection,
    w: WindowKey<'_>,
    me: &str,
    spent: i64,
    returned: i64,
    now: DateTime<Utc>,
) -> Result<i64> {
    let start = ms(w.window_start);
    c.execute(
        "INSERT INTO budget_usage (budget_id, window_start, spent_micros) VALUES (?1, ?2, 0) \
         ON CONFLICT (budget_id, window_start) DO NOTHING",
        params![w.budget_id, start],
    )
    .await?;
    c.execute(
        "UPDATE budget_usage SET spent_micros = spent_micros + ?3 \
         WHERE budget_id = ?1 AND window_start = ?2",
        params![w.budget_id, start, spent],
    )
    .await?;
    c.execute(
        "UPDATE budget_leases SET reserved_micros = MAX(reserved_micros - ?4, 0), heartbeat_at = ?5 \
         WHERE budget_id = ?1 AND window_start = ?2 AND replica_id = ?3",
        params![w.budget_id, start, me, spent + returned, ms(now)],
    )
    .await?;
    let rows = c
        .query(
            "SELECT spent_micros FROM budget_usage WHERE budget_id = ?1 AND window_start = ?2",
            params![w.budget_id, start],
        )
        .await?;
    Ok(first(rows, |r| Ok(r.get::<i64>(0)?)).await?.unwrap_or(0))
}

pub async fn heartbeat_leases(c: &Connection, me: &str, now: DateTime<Utc>) -> Result<()> {
    c.execute(
        "UPDATE budget_leases SET heartbeat_at = ?2 WHERE replica_id = ?1",
        params![me, ms(now)],
    )
    .await?;
    Ok(())
}

pub async fn insert_ledger(c: &Connection, rows: &[LedgerRow]) -> Result<()> {
    let insert = c
        .prepare(
            "INSERT INTO usage_ledger (request_id, at, credential_id, user_id, service_account_id, \
             team_id, model, provider_id, input_tokens, output_tokens, cached_tokens, cost_micros, priced, \
             client_request_id) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14) \
             ON CONFLICT (request_id) DO NOTHING",
        )
        .await?;
    for r in rows {
        insert
            .execute(params![
                r.request_id.as_str(),
                ms(r.at),
                r.credential_id.clone(),
                r.user_id.clone(),
                r.service_account_id.clone(),
                r.team_id.clone(),
                r.model.as_str(),
                r.provider_id.clone(),
                r.input_tokens,
                r.output_tokens,
                r.cached_tokens,
                r.cost_micros,
                r.priced as i64,
                r.client_request_id.clone()
            ])
            .await?;
        insert.reset();
    }
    Ok(())
}

pub async fn ledger_total(c: &Connection) -> Result<i64> {
    let rows = c
        .query("SELECT COALESCE(SUM(cost_micros), 0) FROM usage_ledger", ())
        .await?;
    Ok(first(rows, |r| Ok(r.get::<i64>(0)?)).await?.unwrap_or(0))
}

pub async fn window_used(c: &Connection, w: WindowKey<'_>) -> Result<i64> {
    let rows = c
        .query(
            "SELECT COALESCE((SELECT spent_micros FROM budget_usage WHERE budget_id = ?1 AND window_start = ?2), 0) \
             + COALESCE((SELECT SUM(reserved_micros) FROM budget_leases WHERE budget_id = ?1 AND window_start = ?2), 0)",
            params![w.budget_id, ms(w.window_start)],
        )
        .await?;
    Ok(first(rows, |r| Ok(r.get::<i64>(0)?)).await?.unwrap_or(0))
}
