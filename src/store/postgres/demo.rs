//! Demo-data removal SQL for PostgreSQL (see `store::demo` for what counts as demo data).

use sqlx::{AssertSqlSafe, PgConnection};

use crate::store::Result;
use crate::store::demo::DemoRemoved;

/// `$1` is the demo origin, `$2` the LIKE pattern of demo request ids.
const TEAMS: &str = "SELECT id FROM teams WHERE origin = $1";
const USERS: &str = "SELECT id FROM users WHERE origin = $1";
const ACCOUNTS: &str = "SELECT id FROM service_accounts \
     WHERE origin = $1 OR team_id IN (SELECT id FROM teams WHERE origin = $1)";

/// Runs one statement of static text with the origin (and the pattern) bound.
async fn run(c: &mut PgConnection, sql: String, origin: &str, like: Option<&str>) -> Result<u64> {
    let mut q = sqlx::query(AssertSqlSafe(sql)).bind(origin);
    if let Some(like) = like {
        q = q.bind(like);
    }
    Ok(q.execute(&mut *c).await?.rows_affected())
}

pub async fn delete_demo_data(
    c: &mut PgConnection,
    origin: &str,
    like: &str,
) -> Result<DemoRemoved> {
    let principals = format!(
        "request_id LIKE $2 OR team_id IN ({TEAMS}) OR user_id IN ({USERS}) \
         OR service_account_id IN ({ACCOUNTS})"
    );
    let request_logs = run(
        c,
        format!("DELETE FROM request_logs WHERE {principals}"),
        origin,
        Some(like),
    )
    .await?;
    let ledger_rows = run(
        c,
        format!("DELETE FROM usage_ledger WHERE {principals}"),
        origin,
        Some(like),
    )
    .await?;
    // Window usage and leases go with their budget (ON DELETE CASCADE).
    let budgets = run(
        c,
        format!(
            "DELETE FROM budgets WHERE origin = $1 \
             OR (scope_kind = 'team' AND scope_id IN ({TEAMS})) \
             OR (scope_kind = 'user' AND scope_id IN ({USERS})) \
             OR (scope_kind = 'service_account' AND scope_id IN ({ACCOUNTS}))"
        ),
        origin,
        None,
    )
    .await?;
    let credentials_of = format!(
        "SELECT id FROM credentials WHERE user_id IN ({USERS}) \
         OR service_account_id IN ({ACCOUNTS}) OR team_id IN ({TEAMS})"
    );
    run(
        c,
        format!(
            "UPDATE credentials SET replaced_by = NULL WHERE replaced_by IN ({credentials_of})"
        ),
        origin,
        None,
    )
    .await?;
    let credentials = run(
        c,
        format!("DELETE FROM credentials WHERE id IN ({credentials_of})"),
        origin,
        None,
    )
    .await?;
    let service_accounts = run(
        c,
        format!("DELETE FROM service_accounts WHERE id IN ({ACCOUNTS})"),
        origin,
        None,
    )
    .await?;
    // Memberships, sessions, invites and control-plane tokens cascade with the user or team.
    let users = run(
        c,
        "DELETE FROM users WHERE origin = $1".into(),
        origin,
        None,
    )
    .await?;
    let teams = run(
        c,
        "DELETE FROM teams WHERE origin = $1".into(),
        origin,
        None,
    )
    .await?;
    Ok(DemoRemoved {
        teams,
        users,
        service_accounts,
        credentials,
        budgets,
        request_logs,
        ledger_rows,
    })
}
