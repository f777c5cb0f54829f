//! Request logs: `/admin/logs` (filters, keyset pagination, newest first) and
//! `/admin/logs/{request_id}` (attempts and captured payload). [`list`] and [`detail`] are
//! what the page and `GET /api/v1/admin/request-logs` both call, so they share one scope
//! rule: platform admins see everything, everyone else their managed teams plus their own.

use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::routing::get;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::Nav;
use super::dashboard::scope_of;
use super::log_entry::{LogDetail, LogEntry, entries};
use super::view::{PAGE_SIZE, given, instant, query_string, trim_page};
use crate::admin::auth::Admin;
use crate::admin::error::AdminError;
use crate::http::AppState;
use crate::identity::permissions::Actor;
use crate::store::observe::{LogCursor, LogFilter, NameKind, Page};
use crate::store::rows::UsageScope;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/admin/logs", get(page))
        .route("/admin/logs/{request_id}", get(detail_page))
}

/// Request-log filters and paging, as query parameters. Blank values do not filter.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct LogQuery {
    /// The gateway's request id or the client's `x-request-id`.
    pub request_id: Option<String>,
    /// Team id.
    pub team: Option<String>,
    /// User id or e-mail.
    pub user: Option<String>,
    /// Service account id.
    pub service_account: Option<String>,
    /// Credential id or public id.
    pub credential: Option<String>,
    /// Model, requested or served.
    pub model: Option<String>,
    /// Status class: `2xx`, `4xx` or `5xx`.
    pub status: Option<String>,
    /// Error code, e.g. `budget_exceeded`.
    pub error_code: Option<String>,
    /// First UTC day (`YYYY-MM-DD`) or instant (RFC 3339).
    pub from: Option<String>,
    /// Last UTC day, inclusive, or instant (exclusive).
    pub to: Option<String>,
    /// Cursor from `older`: rows older than it.
    pub before: Option<String>,
    /// Cursor from `newer`: rows newer than it.
    pub after: Option<String>,
}

impl LogQuery {
    fn filters(&self) -> [(&'static str, Option<&str>); 10] {
        [
            ("request_id", self.request_id.as_deref()),
            ("team", self.team.as_deref()),
            ("user", self.user.as_deref()),
            ("service_account", self.service_account.as_deref()),
            ("credential", self.credential.as_deref()),
            ("model", self.model.as_deref()),
            ("status", self.status.as_deref()),
            ("error_code", self.error_code.as_deref()),
            ("from", self.from.as_deref()),
            ("to", self.to.as_deref()),
        ]
    }

    /// Whether any filter is set.
    pub fn filtered(&self) -> bool {
        self.filters()
            .iter()
            .any(|(_, v)| v.is_some_and(|v| !v.trim().is_empty()))
    }

    /// `/admin/logs?…` with these filters and `cursor` (`("before", c)` or `("after", c)`).
    fn href(&self, cursor: Option<(&'static str, &str)>) -> String {
        let mut pairs = self.filters().to_vec();
        pairs.extend(cursor.map(|(k, v)| (k, Some(v))));
        format!("/admin/logs{}", query_string(&pairs))
    }

    fn filter(&self, scope: UsageScope) -> Result<LogFilter, AdminError> {
        let status = match given(&self.status).as_deref() {
            None => None,
            Some("2xx") => Some((200, 300)),
            Some("3xx") => Some((300, 400)),
            Some("4xx") => Some((400, 500)),
            Some("5xx") => Some((500, 600)),
            Some(other) => {
                return Err(AdminError::Invalid(format!(
                    "status: expected 2xx, 4xx or 5xx, got {other:?}"
                )));
            }
        };
        Ok(LogFilter {
            scope,
            request_id: given(&self.request_id),
            team: given(&self.team),
            user: given(&self.user),
            service_account: given(&self.service_account),
            credential: given(&self.credential),
            model: given(&self.model),
            status,
            error_code: given(&self.error_code),
            from: instant("from", &self.from, false)?,
            to: instant("to", &self.to, true)?,
        })
    }

    fn page(&self) -> Result<Page<LogCursor>, AdminError> {
        match (given(&self.before), given(&self.after)) {
            (None, None) => Ok(Page::First),
            (Some(c), None) => Ok(Page::Before(decode(&c)?)),
            (None, Some(c)) => Ok(Page::After(decode(&c)?)),
            (Some(_), Some(_)) => Err(AdminError::Invalid(
                "give either before or after, not both".into(),
            )),
        }
    }
}

/// `<unix micros>.<request id>`: opaque to clients.
fn encode(e: &LogEntry) -> String {
    format!("{}.{}", e.at.timestamp_micros(), e.request_id)
}

fn decode(cursor: &str) -> Result<LogCursor, AdminError> {
    let bad = || AdminError::Invalid("malformed page cursor".into());
    let (micros, request_id) = cursor.split_once('.').ok_or_else(bad)?;
    let at = micros
        .parse()
        .ok()
        .and_then(DateTime::<Utc>::from_timestamp_micros)
        .ok_or_else(bad)?;
    Ok(LogCursor {
        at,
        request_id: request_id.to_string(),
    })
}

/// One page of the request log.
#[derive(Debug, Serialize, ToSchema)]
pub struct LogList {
    /// Newest first.
    pub items: Vec<LogEntry>,
    /// Pass as `after` to get the newer page, when there is one.
    pub newer: Option<String>,
    /// Pass as `before` to get the older page, when there is one.
    pub older: Option<String>,
}

/// The request logs `actor` may see, filtered and paged by `q`.
pub async fn list(state: &AppState, actor: &Actor, q: &LogQuery) -> Result<LogList, AdminError> {
    let filter = q.filter(scope_of(actor))?;
    let page = q.page()?;
    let mut conn = state.store.conn().await?;
    let limit = i64::try_from(PAGE_SIZE + 1).unwrap_or(i64::MAX);
    let rows = conn.ex().request_log_page(&filter, &page, limit).await?;
    let (rows, more) = trim_page(rows, page.ascending());
    let items = entries(&mut conn, rows).await?;
    let (first, last) = (items.first().map(encode), items.last().map(encode));
    let (newer, older) = match page {
        Page::First => (None, last.filter(|_| more)),
        Page::Before(_) => (first, last.filter(|_| more)),
        Page::After(_) => (first.filter(|_| more), last),
    };
    Ok(LogList {
        items,
        newer,
        older,
    })
}

/// Whether a row of `team` / `user` is within `scope`.
fn visible(scope: &UsageScope, team: Option<&str>, user: Option<&str>) -> bool {
    match scope {
        UsageScope::All => true,
        UsageScope::Some { teams, user_id } => {
            user == Some(user_id.as_str()) || team.is_some_and(|t| teams.iter().any(|x| x == t))
        }
    }
}

/// One request with its attempts and payload; rows outside the actor's scope are "not found"
/// (their existence is not revealed).
pub async fn detail(
    state: &AppState,
    actor: &Actor,
    request_id: &str,
) -> Result<LogDetail, AdminError> {
    let not_found = || AdminError::NotFound(format!("request {request_id}"));
    let mut conn = state.store.conn().await?;
    let row = conn
        .ex()
        .request_log(request_id)
        .await?
        .ok_or_else(not_found)?;
    if !visible(
        &scope_of(actor),
        row.team_id.as_deref(),
        row.user_id.as_deref(),
    ) {
        return Err(not_found());
    }
    Ok(LogDetail::new(&mut conn, row).await?)
}

/// The filter form's current values (blank when unset).
struct Form {
    request_id: String,
    team: String,
    user: String,
    service_account: String,
    credential: String,
    model: String,
    status: String,
    error_code: String,
    from: String,
    to: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "logs.html")]
pub struct LogsPage {
    nav: Option<Nav>,
    f: Form,
    filtered: bool,
    paged: bool,
    teams: Vec<(String, String)>,
    models: Vec<String>,
    list: LogList,
    newer_href: Option<String>,
    older_href: Option<String>,
    reset_href: String,
}

async fn page(
    State(state): State<AppState>,
    Admin(session): Admin,
    Query(q): Query<LogQuery>,
) -> Result<LogsPage, AdminError> {
    let actor = &session.actor;
    let list = list(&state, actor, &q).await?;
    let mut teams: Vec<(String, String)> = if actor.platform_admin {
        let mut conn = state.store.conn().await?;
        conn.ex()
            .names(NameKind::Team, None)
            .await?
            .into_iter()
            .collect()
    } else {
        actor.teams.keys().map(|t| (t.clone(), t.clone())).collect()
    };
    teams.sort();
    let v = |o: &Option<String>| o.clone().unwrap_or_default();
    Ok(LogsPage {
        nav: Some(Nav::new(&session, "logs")),
        f: Form {
            request_id: v(&q.request_id),
            team: v(&q.team),
            user: v(&q.user),
            service_account: v(&q.service_account),
            credential: v(&q.credential),
            model: v(&q.model),
            status: v(&q.status),
            error_code: v(&q.error_code),
            from: v(&q.from),
            to: v(&q.to),
        },
        filtered: q.filtered(),
        paged: given(&q.before).is_some() || given(&q.after).is_some(),
        teams,
        models: state.catalog.ids().map(str::to_string).collect(),
        newer_href: list.newer.as_deref().map(|c| q.href(Some(("after", c)))),
        older_href: list.older.as_deref().map(|c| q.href(Some(("before", c)))),
        reset_href: q.href(None),
        list,
    })
}

#[derive(Template, WebTemplate)]
#[template(path = "log_detail.html")]
pub struct DetailPage {
    nav: Option<Nav>,
    d: LogDetail,
}

async fn detail_page(
    State(state): State<AppState>,
    Admin(session): Admin,
    Path(request_id): Path<String>,
) -> Result<DetailPage, AdminError> {
    let d = detail(&state, &session.actor, &request_id).await?;
    Ok(DetailPage {
        nav: Some(Nav::new(&session, "logs")),
        d,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cursor_round_trips_even_when_the_request_id_has_dots() {
        let at = DateTime::<Utc>::from_timestamp_micros(1_700_000_000_123_456).unwrap();
        let c = decode("1700000000123456.req.1").unwrap();
        assert_eq!((c.at, c.request_id.as_str()), (at, "req.1"));
        assert!(decode("nonsense").is_err());
        assert!(decode("x.y").is_err());
    }

    #[test]
    fn rows_outside_the_scope_are_not_visible() {
        let scope = UsageScope::Some {
            teams: vec!["a".into()],
            user_id: "me".into(),
        };
        assert!(visible(&scope, Some("a"), Some("other")));
        assert!(visible(&scope, Some("b"), Some("me")));
        assert!(!visible(&scope, Some("b"), Some("other")));
        assert!(!visible(&scope, None, None));
        assert!(visible(&UsageScope::All, None, None));
    }
}
