//! Request-log SQL for PostgreSQL: one insert per batch, its rows passed as one array per
//! column (`UNNEST`), so the statement text never changes with the batch size and the server
//! parses and plans it once per connection rather than once per batch.

use sqlx::{PgConnection, Row};

use super::column;
use crate::store::Result;
use crate::store::rows::RequestLogRow;

pub async fn insert_request_logs(c: &mut PgConnection, rows: &[RequestLogRow]) -> Result<()> {
    if rows.is_empty() {
        return Ok(());
    }
    sqlx::query(
        "INSERT INTO request_logs (request_id, at, credential_id, user_id, service_account_id, \
         team_id, endpoint, model_requested, model_served, provider_id, attempts, status, \
         error_code, latency_us, upstream_latency_us, input_tokens, output_tokens, cost_micros, \
         flags, payload, client_request_id) \
         SELECT * FROM UNNEST($1::text[], $2::timestamptz[], $3::text[], $4::text[], \
         $5::text[], $6::text[], $7::text[], $8::text[], $9::text[], $10::text[], $11::text[], \
         $12::int8[], $13::text[], $14::int8[], $15::int8[], $16::int8[], $17::int8[], \
         $18::int8[], $19::text[], $20::text[], $21::text[]) \
         ON CONFLICT (request_id) DO NOTHING",
    )
    .bind(column(rows, |r| r.request_id.as_str()))
    .bind(column(rows, |r| r.at))
    .bind(column(rows, |r| r.credential_id.as_deref()))
    .bind(column(rows, |r| r.user_id.as_deref()))
    .bind(column(rows, |r| r.service_account_id.as_deref()))
    .bind(column(rows, |r| r.team_id.as_deref()))
    .bind(column(rows, |r| r.endpoint.as_str()))
    .bind(column(rows, |r| r.model_requested.as_deref()))
    .bind(column(rows, |r| r.model_served.as_deref()))
    .bind(column(rows, |r| r.provider_id.as_deref()))
    .bind(column(rows, |r| r.attempts.as_str()))
    .bind(column(rows, |r| r.status))
    .bind(column(rows, |r| r.error_code.as_deref()))
    .bind(column(rows, |r| r.latency_us))
    .bind(column(rows, |r| r.upstream_latency_us))
    .bind(column(rows, |r| r.input_tokens))
    .bind(column(rows, |r| r.output_tokens))
    .bind(column(rows, |r| r.cost_micros))
    .bind(column(rows, |r| r.flags.as_deref()))
    .bind(column(rows, |r| r.payload.as_deref()))
    .bind(column(rows, |r| r.client_request_id.as_deref()))
    .execute(c)
    .await?;
    Ok(())
}

pub async fn recent_request_logs(c: &mut PgConnection, limit: i64) -> Result<Vec<RequestLogRow>> {
    let rows = sqlx::query(
        "SELECT request_id, at, credential_id, user_id, service_account_id, team_id, endpoint, \
         model_requested, model_served, provider_id, attempts, status, error_code, latency_us, \
         upstream_latency_us, input_tokens, output_tokens, cost_micros, flags, payload, \
         client_request_id FROM request_logs ORDER BY at DESC, request_id LIMIT $1",
    )
    .bind(limit)
    .fetch_all(c)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(RequestLogRow {
                request_id: r.try_get(0)?,
                at: r.try_get(1)?,
                credential_id: r.try_get(2)?,
                user_id: r.try_get(3)?,
                service_account_id: r.try_get(4)?,
                team_id: r.try_get(5)?,
                endpoint: r.try_get(6)?,
                model_requested: r.try_get(7)?,
                model_served: r.try_get(8)?,
                provider_id: r.try_get(9)?,
                attempts: r.try_get(10)?,
                status: r.try_get(11)?,
                error_code: r.try_get(12)?,
                latency_us: r.try_get(13)?,
                upstream_latency_us: r.try_get(14)?,
                input_tokens: r.try_get(15)?,
                output_tokens: r.try_get(16)?,
                cost_micros: r.try_get(17)?,
                flags: r.try_get(18)?,
                payload: r.try_get(19)?,
                client_request_id: r.try_get(20)?,
            })
        })
        .collect()
}
