//! Read-only queries behind the observability views (request logs, spend, audit log, name
//! lookups), on either engine. Each query is assembled here once, from fixed SQL fragments with
//! `?` markers and a list of bound [`Arg`]s; the engine files only number the placeholders,
//! bind and map rows. Input never becomes SQL text. Nothing here writes.

use std::collections::HashMap;

use chrono::{DateTime, Utc};

use super::rows::{RequestLogRow, SpendRow, UsageScope};
use super::usage::SpendBy;
use super::{Exec, Result, postgres, sqlite};

/// The request-log columns, in the order both engines map them.
pub(crate) const LOG_COLUMNS: &str = "request_id, at, credential_id, user_id, \
     service_account_id, team_id, endpoint, model_requested, model_served, provider_id, \
     attempts, status, error_code, latency_us, upstream_latency_us, input_tokens, \
     output_tokens, cost_micros, flags, payload, client_request_id";

/// A value bound to a `?` marker.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Arg {
    Text(String),
    Int(i64),
    Time(DateTime<Utc>),
}

/// SQL with `?` markers (numbered by the engine) and the values to bind, in order.
#[derive(Debug, Clone, Default)]
pub struct Sql {
    pub text: String,
    pub args: Vec<Arg>,
}

impl Sql {
    fn new(text: &str) -> Sql {
        Sql {
            text: text.to_string(),
            args: Vec::new(),
        }
    }

    /// Appends a fixed fragment and the values for its markers.
    fn push(&mut self, fragment: &str, args: impl IntoIterator<Item = Arg>) -> &mut Sql {
        self.text.push_str(fragment);
        self.args.extend(args);
        self
    }

    /// Appends ` AND <fragment>`.
    fn and(&mut self, fragment: &str, args: impl IntoIterator<Item = Arg>) -> &mut Sql {
        self.push(" AND ", [])
            .push(fragment, args.into_iter().collect::<Vec<_>>())
    }

    /// `AND (team_id IN (…) OR user_id = …)` when the scope is restricted.
    fn scope(&mut self, scope: &UsageScope) -> &mut Sql {
        let UsageScope::Some { teams, user_id } = scope else {
            return self;
        };
        let teams_sql = if teams.is_empty() {
            "1 = 0".to_string()
        } else {
            format!("team_id IN ({})", vec!["?"; teams.len()].join(", "))
        };
        let args = teams
            .iter()
            .cloned()
            .chain(std::iter::once(user_id.clone()))
            .map(Arg::Text);
        self.and(&format!("({teams_sql} OR user_id = ?)"), args)
    }

    /// Renders the markers with `ph(1)`, `ph(2)`, … (`?1` or `$1`).
    pub fn numbered(&self, ph: fn(usize) -> String) -> String {
        let mut out = String::with_capacity(self.text.len() + 16);
        let mut n = 0;
        for ch in self.text.chars() {
            if ch == '?' {
                n += 1;
                out.push_str(&ph(n));
            } else {
                out.push(ch);
            }
        }
        out
    }
}

/// Which way a keyset page goes from its cursor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Page<C> {
    /// The newest rows.
    First,
    /// Rows older than the cursor.
    Before(C),
    /// Rows newer than the cursor (returned newest first all the same).
    After(C),
}

impl<C> Page<C> {
    /// Whether the query runs oldest first (and the rows must be reversed after).
    pub fn ascending(&self) -> bool {
        matches!(self, Page::After(_))
    }
}

/// A position in the request log: newest first by time, then request id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogCursor {
    pub at: DateTime<Utc>,
    pub request_id: String,
}

/// What to show of the request log. `None` fields do not filter.
#[derive(Debug, Clone)]
pub struct LogFilter {
    /// What the viewer may see at all.
    pub scope: UsageScope,
    /// The gateway's request id or the client's `x-request-id`.
    pub request_id: Option<String>,
    pub team: Option<String>,
    /// A user id or e-mail.
    pub user: Option<String>,
    pub service_account: Option<String>,
    /// A credential id or public id.
    pub credential: Option<String>,
    /// Requested or served.
    pub model: Option<String>,
    /// `lo <= status < hi`.
    pub status: Option<(i64, i64)>,
    pub error_code: Option<String>,
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
}

/// What to show of the audit log.
#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    pub action_prefix: Option<String>,
    /// A user id, an e-mail, or a `system:` actor.
    pub actor: Option<String>,
}

/// A row of `audit_log`, with the client address.
#[derive(Debug, Clone)]
pub struct AuditLogRow {
    pub id: i64,
    pub at: DateTime<Utc>,
    pub actor: String,
    pub action: String,
    pub target_kind: Option<String>,
    pub target_id: Option<String>,
    pub details: String,
    pub client_addr: Option<String>,
}

/// Things whose ids can be turned into display names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NameKind {
    /// id → e-mail.
    User,
    /// id → name.
    Team,
    /// id → name.
    ServiceAccount,
    /// id → `name (public id)`.
    Credential,
}

fn logs_sql(filter: &LogFilter, page: &Page<LogCursor>, limit: i64) -> Sql {
    let mut q = Sql::new(&format!(
        "SELECT {LOG_COLUMNS} FROM request_logs WHERE 1 = 1"
    ));
    q.scope(&filter.scope);
    let text = |v: &Option<String>| v.clone().map(Arg::Text);
    if let Some(r) = text(&filter.request_id) {
        q.and("(request_id = ? OR client_request_id = ?)", [r.clone(), r]);
    }
    if let Some(t) = text(&filter.team) {
        q.and("team_id = ?", [t]);
    }
    if let Some(Arg::Text(u)) = text(&filter.user) {
        q.and(
            "(user_id = ? OR user_id IN (SELECT id FROM users WHERE email = ?))",
            [Arg::Text(u.clone()), Arg::Text(u.to_lowercase())],
        );
    }
    if let Some(s) = text(&filter.service_account) {
        q.and("service_account_id = ?", [s]);
    }
    if let Some(c) = text(&filter.credential) {
        q.and(
            "(credential_id = ? OR credential_id IN \
             (SELECT id FROM credentials WHERE public_id = ?))",
            [c.clone(), c],
        );
    }
    if let Some(m) = text(&filter.model) {
        q.and("(model_requested = ? OR model_served = ?)", [m.clone(), m]);
    }
    if let Some((lo, hi)) = filter.status {
        q.and("status >= ? AND status < ?", [Arg::Int(lo), Arg::Int(hi)]);
    }
    if let Some(e) = text(&filter.error_code) {
        q.and("error_code = ?", [e]);
    }
    if let Some(from) = filter.from {
        q.and("at >= ?", [Arg::Time(from)]);
    }
    if let Some(to) = filter.to {
        q.and("at < ?", [Arg::Time(to)]);
    }
    let keyset = |c: &LogCursor, op: &str| {
        let args = [
            Arg::Time(c.at),
            Arg::Time(c.at),
            Arg::Text(c.request_id.clone()),
        ];
        (
            format!("(at {op} ? OR (at = ? AND request_id {op} ?))"),
            args,
        )
    };
    match page {
        Page::First => {}
        Page::Before(c) => {
            let (sql, args) = keyset(c, "<");
            q.and(&sql, args);
        }
        Page::After(c) => {
            let (sql, args) = keyset(c, ">");
            q.and(&sql, args);
        }
    }
    let order = if page.ascending() { "ASC" } else { "DESC" };
    q.push(
        &format!(" ORDER BY at {order}, request_id {order} LIMIT ?"),
        [Arg::Int(limit)],
    );
    q
}

/// `day` is the engine's fixed expression for the UTC day of `at` as `YYYY-MM-DD`.
fn spend_sql(
    by: SpendBy,
    scope: &UsageScope,
    (from, to): (DateTime<Utc>, DateTime<Utc>),
    day: &str,
) -> Sql {
    // The column comes from a fixed enum, never from input.
    let col = by.column();
    let mut q = Sql::new(&format!(
        "SELECT COALESCE({col}, '-'), {day}, CAST(COUNT(*) AS BIGINT), \
         CAST(COALESCE(SUM(input_tokens), 0) AS BIGINT), \
         CAST(COALESCE(SUM(output_tokens), 0) AS BIGINT), \
         CAST(COALESCE(SUM(cost_micros), 0) AS BIGINT), \
         CAST(COALESCE(SUM(CASE WHEN priced THEN 0 ELSE 1 END), 0) AS BIGINT) \
         FROM usage_ledger WHERE at >= ? AND at < ?"
    ));
    q.args.extend([Arg::Time(from), Arg::Time(to)]);
    q.scope(scope);
    q.push(" GROUP BY 1, 2 ORDER BY 2, 1", []);
    q
}

fn audit_sql(filter: &AuditFilter, page: &Page<i64>, limit: i64) -> Sql {
    let mut q = Sql::new(
        "SELECT id, at, actor, action, target_kind, target_id, details, client_addr \
         FROM audit_log WHERE 1 = 1",
    );
    if let Some(prefix) = &filter.action_prefix {
        let len = i64::try_from(prefix.chars().count()).unwrap_or(i64::MAX);
        q.and(
            "substr(action, 1, CAST(? AS INTEGER)) = ?",
            [Arg::Int(len), Arg::Text(prefix.clone())],
        );
    }
    if let Some(actor) = &filter.actor {
        q.and(
            "(actor = ? OR actor IN (SELECT id FROM users WHERE email = ?))",
            [Arg::Text(actor.clone()), Arg::Text(actor.to_lowercase())],
        );
    }
    match page {
        Page::First => {}
        Page::Before(id) => {
            q.and("id < ?", [Arg::Int(*id)]);
        }
        Page::After(id) => {
            q.and("id > ?", [Arg::Int(*id)]);
        }
    }
    let order = if page.ascending() { "ASC" } else { "DESC" };
    q.push(&format!(" ORDER BY id {order} LIMIT ?"), [Arg::Int(limit)]);
    q
}

fn names_sql(kind: NameKind, ids: Option<&[String]>) -> Sql {
    let base = match kind {
        NameKind::User => "SELECT id, email FROM users",
        NameKind::Team => "SELECT id, name FROM teams",
        NameKind::ServiceAccount => "SELECT id, name FROM service_accounts",
        NameKind::Credential => "SELECT id, name || ' (' || public_id || ')' FROM credentials",
    };
    let mut q = Sql::new(base);
    if let Some(ids) = ids {
        let marks = vec!["?"; ids.len()].join(", ");
        q.push(
            &format!(" WHERE id IN ({marks})"),
            ids.iter().cloned().map(Arg::Text),
        );
    }
    q
}

macro_rules! dispatch {
    ($ex:expr, $f:ident ( $($arg:expr),* )) => {
        match $ex {
            Exec::Sqlite(c) => sqlite::observe::$f(c, $($arg),*).await,
            Exec::Postgres(c) => postgres::observe::$f(&mut **c, $($arg),*).await,
        }
    };
}

impl Exec<'_> {
    /// One page of the request log, newest first, at most `limit` rows.
    pub async fn request_log_page(
        &mut self,
        filter: &LogFilter,
        page: &Page<LogCursor>,
        limit: i64,
    ) -> Result<Vec<RequestLogRow>> {
        let sql = logs_sql(filter, page, limit);
        let mut rows = dispatch!(self, request_logs(&sql))?;
        if page.ascending() {
            rows.reverse();
        }
        Ok(rows)
    }

    /// One request-log row by request id.
    pub async fn request_log(&mut self, request_id: &str) -> Result<Option<RequestLogRow>> {
        let mut sql = Sql::new(&format!(
            "SELECT {LOG_COLUMNS} FROM request_logs WHERE request_id = ?"
        ));
        sql.args.push(Arg::Text(request_id.to_string()));
        Ok(dispatch!(self, request_logs(&sql))?.into_iter().next())
    }

    /// Ledger spend grouped by `by` and UTC day for `from <= at < to`, within `scope`.
    pub async fn spend_by_scoped(
        &mut self,
        by: SpendBy,
        scope: &UsageScope,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<SpendRow>> {
        let day = match self {
            Exec::Sqlite(_) => sqlite::observe::DAY,
            Exec::Postgres(_) => postgres::observe::DAY,
        };
        let sql = spend_sql(by, scope, (from, to), day);
        dispatch!(self, spend(&sql))
    }

    /// One page of the audit log, newest first, at most `limit` rows.
    pub async fn audit_page(
        &mut self,
        filter: &AuditFilter,
        page: &Page<i64>,
        limit: i64,
    ) -> Result<Vec<AuditLogRow>> {
        let sql = audit_sql(filter, page, limit);
        let mut rows = dispatch!(self, audit(&sql))?;
        if page.ascending() {
            rows.reverse();
        }
        Ok(rows)
    }

    /// Display names for `ids` of `kind` (every row of that kind when `ids` is `None`).
    /// Unknown ids are simply missing from the map.
    pub async fn names(
        &mut self,
        kind: NameKind,
        ids: Option<&[String]>,
    ) -> Result<HashMap<String, String>> {
        if ids.is_some_and(|i| i.is_empty()) {
            return Ok(HashMap::new());
        }
        let sql = names_sql(kind, ids);
        Ok(dispatch!(self, pairs(&sql))?.into_iter().collect())
    }
}

#[cfg(test)]
#[path = "observe_tests.rs"]
mod tests;
