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

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;

use crate::admin::error::AdminError;
use crate::credentials::Grants;
use crate::http::AppState;

/// Every management endpoint, with its OpenAPI description.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .merge(service_accounts::router())
        .merge(credentials::router())
        .merge(budgets::router())
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
/// the auth epoch).
pub(crate) async fn reload_budgets(state: &AppState) {
    if let Err(e) = state.budgets.reload().await {
        tracing::warn!(error = %e, "budget reload after an admin change failed; the epoch watcher will retry");
    }
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
