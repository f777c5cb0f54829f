//! Observability SQL for PostgreSQL: runs the queries `store::observe` assembles (numbering
//! placeholders `$1…`) and maps their rows.

use sqlx::postgres::{PgArguments, PgRow};
use sqlx::query::Query;
use sqlx::{AssertSqlSafe, PgConnection, Postgres, Row};

use crate::store::Result;
use crate::store::observe::{Arg, AuditLogRow, Sql};
use crate::store::rows::{RequestLogRow, SpendRow};

/// The UTC day of `at` as `YYYY-MM-DD`.
pub const DAY: &str = "to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD')";

fn ph(i: usize) -> String {
    format!("${i}")
}

async fn run(c: &mut PgConnection, sql: &Sql) -> Result<Vec<PgRow>> {
    // The text is assembled from fixed fragments only; every value is bound.
    let mut q: Query<'_, Postgres, PgArguments> = sqlx::query(AssertSqlSafe(sql.numbered(ph)));
    for arg in &sql.args {
        q = match arg {
            Arg::Text(s) => q.bind(s.clone()),
            Arg::Int(i) => q.bind(*i),
            Arg::Time(t) => q.bind(*t),
        };
    }
    Ok(q.fetch_all(c).await?)
}

/// Maps every row through `f`.
fn map_all<T>(
    rows: &[PgRow],
    f: impl Fn(&PgRow) -> std::result::Result<T, sqlx::Error>,
) -> Result<Vec<T>> {
    Ok(rows.iter().map(f).collect::<std::result::Result<_, _>>()?)
}

fn log_row(r: &PgRow) -> std::result::Result<RequestLogRow, sqlx::Error> {
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
}

pub async fn request_logs(c: &mut PgConnection, sql: &Sql) -> Result<Vec<RequestLogRow>> {
    map_all(&run(c, sql).await?, log_row)
}

pub async fn spend(c: &mut PgConnection, sql: &Sql) -> Result<Vec<SpendRow>> {
    let rows = run(c, sql).await?;
    let map = |r: &PgRow| -> std::result::Result<SpendRow, sqlx::Error> {
        Ok(SpendRow {
            key: r.try_get(0)?,
            day: r.try_get(1)?,
            requests: r.try_get(2)?,
            input_tokens: r.try_get(3)?,
            output_tokens: r.try_get(4)?,
            cost_micros: r.try_get(5)?,
            unpriced_requests: r.try_get(6)?,
        })
    };
    map_all(&rows, map)
}

pub async fn audit(c: &mut PgConnection, sql: &Sql) -> Result<Vec<AuditLogRow>> {
    let rows = run(c, sql).await?;
    let map = |r: &PgRow| -> std::result::Result<AuditLogRow, sqlx::Error> {
        Ok(AuditLogRow {
            id: r.try_get(0)?,
            at: r.try_get(1)?,
            actor: r.try_get(2)?,
            action: r.try_get(3)?,
            target_kind: r.try_get(4)?,
            target_id: r.try_get(5)?,
            details: r.try_get(6)?,
            client_addr: r.try_get(7)?,
        })
    };
    map_all(&rows, map)
}

pub async fn pairs(c: &mut PgConnection, sql: &Sql) -> Result<Vec<(String, String)>> {
    map_all(&run(c, sql).await?, |r| Ok((r.try_get(0)?, r.try_get(1)?)))
}
