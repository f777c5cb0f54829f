//! Request-log SQL for PostgreSQL: one multi-row insert per batch.

use sqlx::{PgConnection, QueryBuilder, Row};

use crate::store::Result;
use crate::store::rows::RequestLogRow;

pub async fn insert_request_logs(c: &mut PgConnection, rows: &[RequestLogRow]) -> Result<()> {
    if rows.is_empty() {
        return Ok(());
    }
    let mut q = QueryBuilder::new(
        "INSERT INTO request_logs (request_id, at, credential_id, user_id, service_account_id, \
         team_id, endpoint, model_requested, model_served, provider_id, attempts, status, \
         error_code, latency_us, upstream_latency_us, input_tokens, output_tokens, cost_micros, \
         flags, payload, client_request_id) ",
    );
    q.push_values(rows, |mut b, r| {
        b.push_bind(&r.request_id)
            .push_bind(r.at)
            .push_bind(&r.credential_id)
            .push_bind(&r.user_id)
            .push_bind(&r.service_account_id)
            .push_bind(&r.team_id)
            .push_bind(&r.endpoint)
            .push_bind(&r.model_requested)
            .push_bind(&r.model_served)
            .push_bind(&r.provider_id)
            .push_bind(&r.attempts)
            .push_bind(r.status)
            .push_bind(&r.error_code)
            .push_bind(r.latency_us)
            .push_bind(r.upstream_latency_us)
            .push_bind(r.input_tokens)
            .push_bind(r.output_tokens)
            .push_bind(r.cost_micros)
            .push_bind(&r.flags)
            .push_bind(&r.payload)
            .push_bind(&r.client_request_id);
    });
    q.push(" ON CONFLICT (request_id) DO NOTHING");
    q.build().execute(c).await?;
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
