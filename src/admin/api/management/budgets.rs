//! `/api/v1/admin/budgets`: list (with the current window's use), create, show, replace and
//! delete. Permissions and parsing live in `budgets::manage`; every change is reloaded into
//! this replica's budget gate before the answer (other replicas follow the auth epoch).

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{reload_budgets, return_budget_leases};
use crate::admin::api::ErrorBody;
use crate::admin::auth::ApiAdmin;
use crate::admin::error::ApiError;
use crate::budgets::gate::Scope;
use crate::budgets::manage::{self, BudgetSpec, BudgetView, NewBudget};
use crate::http::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list, create))
        .routes(routes!(show, replace, delete))
}

/// A budget and how much of its current window is used.
#[derive(Debug, Serialize, ToSchema)]
pub struct BudgetBody {
    pub id: String,
    /// team | user | service_account
    pub scope: String,
    pub scope_id: String,
    /// Team name, user e-mail or service-account name.
    pub scope_name: String,
    /// The teams it belongs to.
    pub teams: Vec<String>,
    /// daily | weekly | monthly
    pub cadence: String,
    /// IANA timezone the windows follow.
    pub timezone: String,
    pub amount_micros: i64,
    /// The amount in USD as a decimal string.
    pub amount_usd: String,
    /// true blocks requests it cannot cover (429 budget_exceeded); false only flags them.
    pub hard_limit: bool,
    /// config | admin
    pub origin: String,
    /// Spent plus reserved in the current window, in micro-dollars.
    pub used_micros: i64,
    pub window_start: Option<DateTime<Utc>>,
    pub resets_at: Option<DateTime<Utc>>,
    /// Whether the caller may change or delete it.
    pub can_edit: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<BudgetView> for BudgetBody {
    fn from(b: BudgetView) -> BudgetBody {
        let scope = match b.scope {
            Scope::Team => "team",
            Scope::User => "user",
            Scope::ServiceAccount => "service_account",
        };
        BudgetBody {
            scope: scope.to_string(),
            id: b.id,
            scope_id: b.scope_id,
            scope_name: b.scope_name,
            teams: b.teams,
            cadence: b.cadence,
            timezone: b.timezone,
            amount_micros: b.amount_micros,
            amount_usd: b.amount_usd,
            hard_limit: b.hard_limit,
            origin: b.origin,
            used_micros: b.used_micros,
            window_start: b.window_start,
            resets_at: b.resets_at,
            can_edit: b.can_edit,
            created_at: b.created_at,
            updated_at: b.updated_at,
        }
    }
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct ListQuery {
    /// Only budgets belonging to this team.
    pub team: Option<String>,
}

fn default_tz() -> String {
    "UTC".into()
}

fn default_true() -> bool {
    true
}

/// What a budget limits and how.
#[derive(Debug, Deserialize, ToSchema)]
pub struct BudgetSpecBody {
    /// daily | weekly | monthly
    pub cadence: String,
    /// IANA timezone; default UTC.
    #[serde(default = "default_tz")]
    pub timezone: String,
    /// USD as a decimal string, e.g. "25" or "12.50".
    pub amount_usd: String,
    /// Default true.
    #[serde(default = "default_true")]
    pub hard_limit: bool,
}

impl BudgetSpecBody {
    fn spec(&self) -> BudgetSpec<'_> {
        BudgetSpec {
            cadence: &self.cadence,
            timezone: &self.timezone,
            amount_usd: &self.amount_usd,
            hard_limit: self.hard_limit,
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct CreateBudget {
    /// A slug; default `<scope>-<cadence>`.
    pub id: Option<String>,
    /// team | user | service_account
    pub scope: String,
    /// Team id, user id or service-account id.
    pub scope_id: String,
    #[serde(flatten)]
    pub spec: BudgetSpecBody,
}

/// Budgets the caller may see (editable ones have `can_edit`), by id.
#[utoipa::path(
    get,
    path = "/api/v1/admin/budgets",
    tag = "budgets",
    params(ListQuery),
    responses(
        (status = 200, body = Vec<BudgetBody>),
        (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody)
    )
)]
async fn list(
    State(state): State<AppState>,
    ApiAdmin(session): ApiAdmin,
    Query(q): Query<ListQuery>,
) -> Result<Json<Vec<BudgetBody>>, ApiError> {
    let all = manage::list_budgets(&state.store, &session.actor, q.team.as_deref()).await?;
    Ok(Json(all.into_iter().map(Into::into).collect()))
}

/// Creates a budget for a team, user or service account; it applies to the next `/v1` call.
#[utoipa::path(
    post,
    path = "/api/v1/admin/budgets",
    tag = "budgets",
    request_body = CreateBudget,
    responses(
        (status = 201, body = BudgetBody),
        (status = 400, body = ErrorBody, description = "bad scope, id, cadence, timezone or amount"),
        (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody, description = "the scope does not exist"),
        (status = 409, body = ErrorBody, description = "the id is taken")
    )
)]
async fn create(
    State(state): State<AppState>,
    ApiAdmin(session): ApiAdmin,
    Json(body): Json<CreateBudget>,
) -> Result<(StatusCode, Json<BudgetBody>), ApiError> {
    let new = NewBudget {
        id: body.id.as_deref(),
        scope: &body.scope,
        scope_id: &body.scope_id,
        spec: body.spec.spec(),
    };
    let created = manage::create_budget(&state.store, &session.actor, &new).await?;
    reload_budgets(&state).await;
    Ok((StatusCode::CREATED, Json(created.into())))
}

/// One budget the caller may see.
#[utoipa::path(
    get,
    path = "/api/v1/admin/budgets/{id}",
    tag = "budgets",
    params(("id" = String, Path, description = "Budget id")),
    responses(
        (status = 200, body = BudgetBody),
        (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody)
    )
)]
async fn show(
    State(state): State<AppState>,
    ApiAdmin(session): ApiAdmin,
    Path(id): Path<String>,
) -> Result<Json<BudgetBody>, ApiError> {
    Ok(Json(
        manage::get_budget(&state.store, &session.actor, &id)
            .await?
            .into(),
    ))
}

/// Replaces a budget's cadence, timezone, amount and hard/soft flag (its scope stays).
#[utoipa::path(
    put,
    path = "/api/v1/admin/budgets/{id}",
    tag = "budgets",
    params(("id" = String, Path, description = "Budget id")),
    request_body = BudgetSpecBody,
    responses(
        (status = 200, body = BudgetBody),
        (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody)
    )
)]
async fn replace(
    State(state): State<AppState>,
    ApiAdmin(session): ApiAdmin,
    Path(id): Path<String>,
    Json(body): Json<BudgetSpecBody>,
) -> Result<Json<BudgetBody>, ApiError> {
    let spec = body.spec();
    let updated = manage::update_budget(&state.store, &session.actor, &id, &spec).await?;
    reload_budgets(&state).await;
    Ok(Json(updated.into()))
}

/// Deletes a budget (spend stays in the usage ledger).
#[utoipa::path(
    delete,
    path = "/api/v1/admin/budgets/{id}",
    tag = "budgets",
    params(("id" = String, Path, description = "Budget id")),
    responses(
        (status = 204, description = "deleted"),
        (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody)
    )
)]
async fn delete(
    State(state): State<AppState>,
    ApiAdmin(session): ApiAdmin,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    return_budget_leases(&state).await;
    manage::delete_budget(&state.store, &session.actor, &id).await?;
    reload_budgets(&state).await;
    Ok(StatusCode::NO_CONTENT)
}
