//! `/api/v1/admin/*` for managing people and keys: teams and members, users and invites,
//! service accounts, credentials (service-account and personal) and budgets — the JSON twins
//! of the management pages. Handlers are thin: each calls one domain function, which checks
//! the actor's permissions, and maps the result into the documented body types here.
//!
//! Split by capability under `management/`; this file only merges their routes and holds what
//! they share: applying a change to this replica at once, and the grants body.

mod budgets;
mod credentials;
mod service_accounts;
mod teams;
mod users;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;

use crate::admin::error::AdminError;
use crate::config::schema::TeamRole;
use crate::credentials::Grants;
use crate::http::AppState;

/// Every management endpoint, with its OpenAPI description.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .merge(service_accounts::router())
        .merge(credentials::router())
        .merge(budgets::router())
        .merge(teams::router())
        .merge(users::router())
}

/// After a credential or service-account change: reload this replica's key cache so the
/// change holds for the very next `/v1` call here (other replicas follow the auth epoch within
/// a second). A failure is logged, not returned — the change is committed and the epoch
/// watcher retries.
pub(crate) async fn refresh_keys(state: &AppState) {
    if let Err(e) = state.keys.refresh().await {
        tracing::warn!(error = %e, "key cache refresh after an admin change failed; the epoch watcher will retry");
    }
}

/// After a budget change: reload this replica's budget definitions at once (others follow
/// the auth epoch), then hand back the leases it took under the old definitions, so the very
/// next request here is measured against the new amount — a lowered budget included.
pub(crate) async fn reload_budgets(state: &AppState) {
    if let Err(e) = state.budgets.reload().await {
        tracing::warn!(error = %e, "budget reload after an admin change failed; the epoch watcher will retry");
    }
    state.budgets.flush(true).await;
}

/// Before deleting a budget: settle this replica's spend and hand its unused leases back while
/// the budget's window rows still exist.
pub(crate) async fn return_budget_leases(state: &AppState) {
    state.budgets.flush(true).await;
}

/// Model grants: `"all"`, or a list of catalogue model ids.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(untagged)]
pub enum GrantsBody {
    /// The word `all`.
    All(String),
    /// Model ids (aliases allowed).
    Models(Vec<String>),
}

impl GrantsBody {
    pub fn parse(&self) -> Result<Grants, AdminError> {
        match self {
            GrantsBody::All(w) if w == "all" => Ok(Grants::All),
            GrantsBody::All(w) => Err(AdminError::Invalid(format!(
                "grants: {w:?} must be \"all\" or a list of model ids"
            ))),
            GrantsBody::Models(m) => Ok(Grants::Models(m.clone())),
        }
    }
}

impl From<&Grants> for GrantsBody {
    fn from(g: &Grants) -> GrantsBody {
        match g {
            Grants::All => GrantsBody::All("all".into()),
            Grants::Models(m) => GrantsBody::Models(m.clone()),
        }
    }
}

/// `owner`, `admin` or `member`.
pub(crate) fn parse_role(s: &str) -> Result<TeamRole, AdminError> {
    match s.trim() {
        "owner" => Ok(TeamRole::Owner),
        "admin" => Ok(TeamRole::Admin),
        "member" => Ok(TeamRole::Member),
        other => Err(AdminError::Invalid(format!(
            "role: {other:?} must be owner, admin or member"
        ))),
    }
}

/// The onboarding link for an invite token, on the configured public URL.
pub(crate) fn invite_link(state: &AppState, token: &str) -> String {
    let base = crate::admin::auth::public_url(state);
    format!("{base}/admin/invite/{token}")
}
