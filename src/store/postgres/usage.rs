//! Usage and retention SQL for PostgreSQL.

use chrono::{DateTime, Utc};
use sqlx::{AssertSqlSafe, PgConnection, Row};

use crate::store::Result;
use crate::store::rows::SpendRow;
use crate::store::usage::SpendBy;

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
