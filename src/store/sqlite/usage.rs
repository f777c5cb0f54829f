//! Usage and retention SQL for SQLite.

use chrono::{DateTime, Utc};
use libsql::{Connection, params};

use super::{collect, first, ms};
use crate::store::Result;
use crate::store::rows::{SpendRow, UsageScope, UsageSummary};
use crate::store::usage::{SpendBy, scope_clause};

fn ph(i: usize) -> String {
    format!("?{i}")
}

fn bind_all(first_value: i64, rest: Vec<String>) -> Vec<libsql::Value> {
    let mut v = vec![libsql::Value::Integer(first_value)];
    v.extend(rest.into_iter().map(libsql::Value::Text));
    v
}

pub async fn usage_summary(
    c: &Connection,
    scope: &UsageScope,
    since: DateTime<Utc>,
) -> Result<UsageSummary> {
    let (clause, values) = scope_clause(scope, 2, ph);
    // SQLite has no FALSE keyword before 3.23 in all builds; 0 works everywhere.
    let clause = clause.replace("FALSE", "0");
    let sql = format!(
        "SELECT COUNT(*), COALESCE(SUM(CASE WHEN status >= 400 THEN 1 ELSE 0 END), 0) \
         FROM request_logs WHERE at >= ?1{clause}"
    );
    let rows = c.query(&sql, bind_all(ms(since), values.clone())).await?;
    let (requests, errors) = first(rows, |r| Ok((r.get::<i64>(0)?, r.get::<i64>(1)?)))
        .await?
        .unwrap_or((0, 0));
    let sql =
        format!("SELECT COALESCE(SUM(cost_micros), 0) FROM usage_ledger WHERE at >= ?1{clause}");
    let rows = c.query(&sql, bind_all(ms(since), values)).await?;
    let spend_micros = first(rows, |r| Ok(r.get::<i64>(0)?)).await?.unwrap_or(0);
    Ok(UsageSummary {
        requests,
        errors,
        spend_micros,
    })
}

pub async fn top_models(
    c: &Connection,
    scope: &UsageScope,
    since: DateTime<Utc>,
    limit: i64,
) -> Result<Vec<(String, i64)>> {
    let (clause, values) = scope_clause(scope, 2, ph);
    let clause = clause.replace("FALSE", "0");
    let sql = format!(
        "SELECT COALESCE(model_served, model_requested, '-'), COUNT(*) FROM request_logs \
         WHERE at >= ?1{clause} GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT {}",
        limit.clamp(1, 100)
    );
    let rows = c.query(&sql, bind_all(ms(since), values)).await?;
    collect(rows, |r| Ok((r.get(0)?, r.get(1)?))).await
}

pub async fn spend_by(
    c: &Connection,
    by: SpendBy,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<Vec<SpendRow>> {
    // The column name comes from a fixed enum, never from input.
    let col = by.column();
    let sql = format!(
        "SELECT COALESCE({col}, '-'), strftime('%Y-%m-%d', at / 1000, 'unixepoch') AS day, \
         COUNT(*), SUM(input_tokens), SUM(output_tokens), COALESCE(SUM(cost_micros), 0), \
         SUM(CASE WHEN priced THEN 0 ELSE 1 END) \
         FROM usage_ledger WHERE at >= ?1 AND at < ?2 \
         GROUP BY 1, 2 ORDER BY 2, 1"
    );
    let rows = c.query(&sql, params![ms(from), ms(to)]).await?;
    collect(rows, |r| {
        Ok(SpendRow {
            key: r.get(0)?,
            day: r.get(1)?,
            requests: r.get(2)?,
            input_tokens: r.get(3)?,
            output_tokens: r.get(4)?,
            cost_micros: r.get(5)?,
            unpriced_requests: r.get(6)?,
        })
    })
    .await
}

pub async fn count_request_logs_before(c: &Connection, before: DateTime<Utc>) -> Result<i64> {
    let rows = c
        .query(
            "SELECT COUNT(*) FROM request_logs WHERE at < ?1",
            [ms(before)],
        )
        .await?;
    Ok(first(rows, |r| Ok(r.get::<i64>(0)?)).await?.unwrap_or(0))
}

pub async fn delete_request_logs_before(
    c: &Connection,
    before: DateTime<Utc>,
    limit: i64,
) -> Result<u64> {
    Ok(c.execute(
        "DELETE FROM request_logs WHERE request_id IN \
             (SELECT request_id FROM request_logs WHERE at < ?1 ORDER BY at LIMIT ?2)",
        params![ms(before), limit],
    )
    .await?)
}
