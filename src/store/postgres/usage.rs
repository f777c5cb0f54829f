//! Usage and retention SQL for PostgreSQL.

use chrono::{DateTime, Utc};
use sqlx::{AssertSqlSafe, PgConnection, Row};

use crate::store::Result;
use crate::store::rows::{SpendRow, UsageScope, UsageSummary};
use crate::store::usage::{SpendBy, scope_clause};

fn ph(i: usize) -> String {
    format!("${i}")
}

pub async fn usage_summary(
    c: &mut PgConnection,
    scope: &UsageScope,
    since: DateTime<Utc>,
) -> Result<UsageSummary> {
    let (clause, values) = scope_clause(scope, 2, ph);
    let sql = format!(
        "SELECT COUNT(*)::BIGINT, COALESCE(SUM(CASE WHEN status >= 400 THEN 1 ELSE 0 END), 0)::BIGINT \
         FROM request_logs WHERE at >= $1{clause}"
    );
    let mut q = sqlx::query(AssertSqlSafe(sql)).bind(since);
    for v in &values {
        q = q.bind(v);
    }
    let r = q.fetch_one(&mut *c).await?;
    let (requests, errors): (i64, i64) = (r.try_get(0)?, r.try_get(1)?);
    let sql = format!(
        "SELECT COALESCE(SUM(cost_micros), 0)::BIGINT FROM usage_ledger WHERE at >= $1{clause}"
    );
    let mut q = sqlx::query_scalar(AssertSqlSafe(sql)).bind(since);
    for v in &values {
        q = q.bind(v);
    }
    let spend_micros: i64 = q.fetch_one(c).await?;
    Ok(UsageSummary {
        requests,
        errors,
        spend_micros,
    })
}

pub async fn top_models(
    c: &mut PgConnection,
    scope: &UsageScope,
    since: DateTime<Utc>,
    limit: i64,
) -> Result<Vec<(String, i64)>> {
    let (clause, values) = scope_clause(scope, 2, ph);
    let sql = format!(
        "SELECT COALESCE(model_served, model_requested, '-'), COUNT(*)::BIGINT FROM request_logs \
         WHERE at >= $1{clause} GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT {}",
        limit.clamp(1, 100)
    );
    let mut q = sqlx::query(AssertSqlSafe(sql)).bind(since);
    for v in &values {
        q = q.bind(v);
    }
    let rows = q.fetch_all(c).await?;
    rows.iter()
        .map(|r| Ok((r.try_get(0)?, r.try_get(1)?)))
        .collect()
}

pub async fn spend_by(
    c: &mut PgConnection,
    by: SpendBy,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<Vec<SpendRow>> {
    // The column name comes from a fixed enum, never from input.
    let col = by.column();
    let sql = format!(
        "SELECT COALESCE({col}, '-') AS key, to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD') AS day, \
         COUNT(*)::BIGINT, SUM(input_tokens)::BIGINT, SUM(output_tokens)::BIGINT, \
         COALESCE(SUM(cost_micros), 0)::BIGINT, \
         SUM(CASE WHEN priced THEN 0 ELSE 1 END)::BIGINT \
         FROM usage_ledger WHERE at >= $1 AND at < $2 \
         GROUP BY 1, 2 ORDER BY 2, 1"
    );
    let rows = sqlx::query(AssertSqlSafe(sql))
        .bind(from)
        .bind(to)
        .fetch_all(c)
        .await?;
    rows.iter()
        .map(|r| {
            Ok(SpendRow {
                key: r.try_get(0)?,
                day: r.try_get(1)?,
                requests: r.try_get(2)?,
                input_tokens: r.try_get(3)?,
                output_tokens: r.try_get(4)?,
                cost_micros: r.try_get(5)?,
                unpriced_requests: r.try_get(6)?,
            })
        })
        .collect()
}

pub async fn count_request_logs_before(c: &mut PgConnection, before: DateTime<Utc>) -> Result<i64> {
    Ok(
        sqlx::query_scalar("SELECT COUNT(*) FROM request_logs WHERE at < $1")
            .bind(before)
            .fetch_one(c)
            .await?,
    )
}

pub async fn delete_request_logs_before(
    c: &mut PgConnection,
    before: DateTime<Utc>,
    limit: i64,
) -> Result<u64> {
    let done = sqlx::query(
        "DELETE FROM request_logs WHERE request_id IN \
         (SELECT request_id FROM request_logs WHERE at < $1 ORDER BY at LIMIT $2)",
    )
    .bind(before)
    .bind(limit)
    .execute(c)
    .await?;
    Ok(done.rows_affected())
}
