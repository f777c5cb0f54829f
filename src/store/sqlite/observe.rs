//! Observability SQL for SQLite: runs the queries `store::observe` assembles (numbering
//! placeholders `?1…`, timestamps bound as unix milliseconds) and maps their rows.

use libsql::{Connection, Row, Value};

use super::{collect, from_ms};
use crate::store::Result;
use crate::store::observe::{Arg, AuditLogRow, Sql};
use crate::store::rows::{RequestLogRow, SpendRow};

/// The UTC day of `at` as `YYYY-MM-DD`.
pub const DAY: &str = "strftime('%Y-%m-%d', at / 1000, 'unixepoch')";

fn ph(i: usize) -> String {
    format!("?{i}")
}

fn values(sql: &Sql) -> Vec<Value> {
    sql.args
        .iter()
        .map(|a| match a {
            Arg::Text(s) => Value::Text(s.clone()),
            Arg::Int(i) => Value::Integer(*i),
            Arg::Time(t) => Value::Integer(super::ms(*t)),
        })
        .collect()
}

async fn run(c: &Connection, sql: &Sql) -> Result<libsql::Rows> {
    Ok(c.query(&sql.numbered(ph), values(sql)).await?)
}

fn log_row(r: &Row) -> Result<RequestLogRow> {
    Ok(RequestLogRow {
        request_id: r.get(0)?,
        at: from_ms(r.get(1)?)?,
        credential_id: r.get(2)?,
        user_id: r.get(3)?,
        service_account_id: r.get(4)?,
        team_id: r.get(5)?,
        endpoint: r.get(6)?,
        model_requested: r.get(7)?,
        model_served: r.get(8)?,
        provider_id: r.get(9)?,
        attempts: r.get(10)?,
        status: r.get(11)?,
        error_code: r.get(12)?,
        latency_us: r.get(13)?,
        upstream_latency_us: r.get(14)?,
        input_tokens: r.get(15)?,
        output_tokens: r.get(16)?,
        cost_micros: r.get(17)?,
        flags: r.get(18)?,
        payload: r.get(19)?,
        client_request_id: r.get(20)?,
    })
}

pub async fn request_logs(c: &Connection, sql: &Sql) -> Result<Vec<RequestLogRow>> {
    collect(run(c, sql).await?, log_row).await
}

pub async fn spend(c: &Connection, sql: &Sql) -> Result<Vec<SpendRow>> {
    collect(run(c, sql).await?, |r| {
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

pub async fn audit(c: &Connection, sql: &Sql) -> Result<Vec<AuditLogRow>> {
    collect(run(c, sql).await?, |r| {
        Ok(AuditLogRow {
            id: r.get(0)?,
            at: from_ms(r.get(1)?)?,
            actor: r.get(2)?,
            action: r.get(3)?,
            target_kind: r.get(4)?,
            target_id: r.get(5)?,
            details: r.get(6)?,
            client_addr: r.get(7)?,
        })
    })
    .await
}

pub async fn pairs(c: &Connection, sql: &Sql) -> Result<Vec<(String, String)>> {
    collect(run(c, sql).await?, |r| Ok((r.get(0)?, r.get(1)?))).await
}
