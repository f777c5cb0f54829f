//! Demo-data removal SQL for SQLite (see `store::demo` for what counts as demo data).

use libsql::{Connection, params};

use crate::store::Result;
use crate::store::demo::DemoRemoved;

/// `?1` is the demo origin, `?2` the LIKE pattern of demo request ids.
const TEAMS: &str = "SELECT id FROM teams WHERE origin = ?1";
const USERS: &str = "SELECT id FROM users WHERE origin = ?1";
const ACCOUNTS: &str = "SELECT id FROM service_accounts \
     WHERE origin = ?1 OR team_id IN (SELECT id FROM teams WHERE origin = ?1)";

pub async fn delete_demo_data(c: &Connection, origin: &str, like: &str) -> Result<DemoRemoved> {
    let principals = format!(
        "request_id LIKE ?2 OR team_id IN ({TEAMS}) OR user_id IN ({USERS}) \
         OR service_account_id IN ({ACCOUNTS})"
    );
    let request_logs = c
        .execute(
            &format!("DELETE FROM request_logs WHERE {principals}"),
            params![origin, like],
        )
        .await?;
    let ledger_rows = c
        .execute(
            &format!("DELETE FROM usage_ledger WHERE {principals}"),
            params![origin, like],
        )
        .await?;
    // Window usage and leases go with their budget (ON DELETE CASCADE).
    let budgets = c
        .execute(
            &format!(
                "DELETE FROM budgets WHERE origin = ?1 \
                 OR (scope_kind = 'team' AND scope_id IN ({TEAMS})) \
                 OR (scope_kind = 'user' AND scope_id IN ({USERS})) \
                 OR (scope_kind = 'service_account' AND scope_id IN ({ACCOUNTS}))"
            ),
            params![origin],
        )
        .await?;
    let credentials_of = format!(
        "SELECT id FROM credentials WHERE user_id IN ({USERS}) \
         OR service_account_id IN ({ACCOUNTS}) OR team_id IN ({TEAMS})"
    );
    c.execute(
        &format!(
            "UPDATE credentials SET replaced_by = NULL WHERE replaced_by IN ({credentials_of})"
        ),
        params![origin],
    )
    .await?;
    let credentials = c
        .execute(
            &format!("DELETE FROM credentials WHERE id IN ({credentials_of})"),
            params![origin],
        )
        .await?;
    let service_accounts = c
        .execute(
            &format!("DELETE FROM service_accounts WHERE id IN ({ACCOUNTS})"),
            params![origin],
        )
        .await?;
    // Memberships, sessions, invites and control-plane tokens cascade with the user or team.
    let users = c
        .execute("DELETE FROM users WHERE origin = ?1", params![origin])
        .await?;
    let teams = c
        .execute("DELETE FROM teams WHERE origin = ?1", params![origin])
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
