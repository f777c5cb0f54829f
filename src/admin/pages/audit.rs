//! The audit log: `/admin/audit`, platform admins only ([`Action::ViewAudit`]). Newest first,
//! filtered by action prefix and actor, paged by id. [`list`] is what the page and
//! `GET /api/v1/admin/audit` both call.

use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::{Query, State};
use axum::routing::get;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::Nav;
use super::view::{self, PAGE_SIZE, given, query_string, trim_page};
use crate::admin::auth::Admin;
use crate::admin::error::AdminError;
use crate::http::AppState;
use crate::identity::permissions::{Action, Actor};
use crate::store::observe::{AuditFilter, NameKind, Page};

pub fn routes() -> Router<AppState> {
    Router::new().route("/admin/audit", get(page))
}

/// Audit-log filters and paging. Blank values do not filter.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AuditQuery {
    /// Actions starting with this, e.g. `user.` or `credential.`.
    pub action: Option<String>,
    /// Actor: user id, e-mail, or `system:…`.
    pub actor: Option<String>,
    /// Cursor from `older`: entries older than it.
    pub before: Option<String>,
    /// Cursor from `newer`: entries newer than it.
    pub after: Option<String>,
}

impl AuditQuery {
    fn href(&self, cursor: Option<(&'static str, &str)>) -> String {
        let mut pairs = vec![
            ("action", self.action.as_deref()),
            ("actor", self.actor.as_deref()),
        ];
        pairs.extend(cursor.map(|(k, v)| (k, Some(v))));
        format!("/admin/audit{}", query_string(&pairs))
    }

    fn page(&self) -> Result<Page<i64>, AdminError> {
        let id = |c: String| {
            c.parse::<i64>()
                .map_err(|_| AdminError::Invalid("malformed page cursor".into()))
        };
        match (given(&self.before), given(&self.after)) {
            (None, None) => Ok(Page::First),
            (Some(c), None) => Ok(Page::Before(id(c)?)),
            (None, Some(c)) => Ok(Page::After(id(c)?)),
            (Some(_), Some(_)) => Err(AdminError::Invalid(
                "give either before or after, not both".into(),
            )),
        }
    }
}

/// One audit-log entry as shown.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AuditEntryView {
    pub id: i64,
    pub at: DateTime<Utc>,
    /// User id, or `system:<what>`.
    pub actor: String,
    /// The actor's e-mail, when the actor is a user that still exists.
    pub actor_email: Option<String>,
    pub action: String,
    pub target_kind: Option<String>,
    pub target_id: Option<String>,
    /// The target's e-mail, when the target is a user that still exists.
    pub target_name: Option<String>,
    /// Compact JSON; never holds secrets.
    pub details: String,
    pub client_addr: Option<String>,
}

impl AuditEntryView {
    pub fn clock(&self) -> String {
        view::clock(&self.at)
    }

    pub fn day(&self) -> String {
        view::day(&self.at)
    }

    /// `kind:id`, or whichever part is known.
    pub fn target(&self) -> String {
        match (&self.target_kind, &self.target_id) {
            (Some(k), Some(i)) => format!("{k}:{i}"),
            (Some(x), None) | (None, Some(x)) => x.clone(),
            (None, None) => "—".into(),
        }
    }

    /// `details` as `(key, value)` pairs for the table (strings unquoted, nulls left out); a
    /// non-object value comes back as one pair with an empty key.
    pub fn detail_pairs(&self) -> Vec<(String, String)> {
        let show = |v: &serde_json::Value| match v {
            serde_json::Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        match serde_json::from_str::<serde_json::Value>(&self.details) {
            Ok(serde_json::Value::Object(map)) => map
                .iter()
                .filter(|(_, v)| !v.is_null())
                .map(|(k, v)| (k.clone(), show(v)))
                .collect(),
            Ok(serde_json::Value::Null) => Vec::new(),
            Ok(other) => vec![(String::new(), show(&other))],
            Err(_) => vec![(String::new(), self.details.clone())],
        }
    }
}

/// One page of the audit log.
#[derive(Debug, Serialize, ToSchema)]
pub struct AuditList {
    /// Newest first.
    pub items: Vec<AuditEntryView>,
    /// Pass as `after` for the newer page, when there is one.
    pub newer: Option<String>,
    /// Pass as `before` for the older page, when there is one.
    pub older: Option<String>,
}

/// The audit log, for platform admins only.
pub async fn list(
    state: &AppState,
    actor: &Actor,
    q: &AuditQuery,
) -> Result<AuditList, AdminError> {
    if !actor.can(&Action::ViewAudit) {
        return Err(AdminError::Forbidden);
    }
    let filter = AuditFilter {
        action_prefix: given(&q.action),
        actor: given(&q.actor),
    };
    let page = q.page()?;
    let mut conn = state.store.conn().await?;
    let limit = i64::try_from(PAGE_SIZE + 1).unwrap_or(i64::MAX);
    let rows = conn.ex().audit_page(&filter, &page, limit).await?;
    let (rows, more) = trim_page(rows, page.ascending());
    let users = rows.iter().flat_map(|r| {
        let target = (r.target_kind.as_deref() == Some("user"))
            .then(|| r.target_id.clone())
            .flatten();
        std::iter::once(r.actor.clone()).chain(target)
    });
    let mut users: Vec<String> = users.collect();
    users.sort();
    users.dedup();
    let emails = conn.ex().names(NameKind::User, Some(&users)).await?;
    let items: Vec<AuditEntryView> = rows
        .into_iter()
        .map(|r| AuditEntryView {
            actor_email: emails.get(&r.actor).cloned(),
            target_name: match (r.target_kind.as_deref(), &r.target_id) {
                (Some("user"), Some(id)) => emails.get(id).cloned(),
                _ => None,
            },
            // Stored compact already; re-serialising normalises older rows.
            details: serde_json::from_str::<serde_json::Value>(&r.details)
                .ok()
                .and_then(|v| serde_json::to_string(&v).ok())
                .unwrap_or(r.details),
            id: r.id,
            at: r.at,
            actor: r.actor,
            action: r.action,
            target_kind: r.target_kind,
            target_id: r.target_id,
            client_addr: r.client_addr,
        })
        .collect();
    let (first, last) = (
        items.first().map(|e| e.id.to_string()),
        items.last().map(|e| e.id.to_string()),
    );
    let (newer, older) = match page {
        Page::First => (None, last.filter(|_| more)),
        Page::Before(_) => (first, last.filter(|_| more)),
        Page::After(_) => (first.filter(|_| more), last),
    };
    Ok(AuditList {
        items,
        newer,
        older,
    })
}

#[derive(Template, WebTemplate)]
#[template(path = "audit.html")]
pub struct AuditPage {
    nav: Option<Nav>,
    action: String,
    actor: String,
    filtered: bool,
    paged: bool,
    list: AuditList,
    newer_href: Option<String>,
    older_href: Option<String>,
    reset_href: String,
}

async fn page(
    State(state): State<AppState>,
    Admin(session): Admin,
    Query(q): Query<AuditQuery>,
) -> Result<AuditPage, AdminError> {
    let list = list(&state, &session.actor, &q).await?;
    Ok(AuditPage {
        nav: Some(Nav::new(&session, "audit")),
        action: q.action.clone().unwrap_or_default(),
        actor: q.actor.clone().unwrap_or_default(),
        filtered: given(&q.action).is_some() || given(&q.actor).is_some(),
        paged: given(&q.before).is_some() || given(&q.after).is_some(),
        newer_href: list.newer.as_deref().map(|c| q.href(Some(("after", c)))),
        older_href: list.older.as_deref().map(|c| q.href(Some(("before", c)))),
        reset_href: q.href(None),
        list,
    })
}
