//! `/api/v1/admin/service-accounts`: list, create, show, rename, deactivate, reactivate.
//! Permission (`ManageServiceAccounts(team)`) is checked in `credentials::service_accounts`.

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::refresh_keys;
use crate::admin::api::ErrorBody;
use crate::admin::auth::ApiAdmin;
use crate::admin::error::ApiError;
use crate::credentials::service_accounts::{self as sa, ServiceAccount};
use crate::http::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list, create))
        .routes(routes!(show, rename))
        .routes(routes!(deactivate))
        .routes(routes!(reactivate))
}

/// A service account: a team-owned, non-human holder of data-plane credentials.
#[derive(Debug, Serialize, ToSchema)]
pub struct ServiceAccountBody {
    pub id: String,
    pub team_id: String,
    pub team_name: String,
    pub name: String,
    /// active | disabled (its credentials answer 401 while disabled)
    pub status: String,
    /// config | admin
    pub origin: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Every credential ever issued to it.
    pub credentials_total: i64,
    /// Credentials neither revoked nor expired.
    pub credentials_live: i64,
}

impl From<ServiceAccount> for ServiceAccountBody {
    fn from(s: ServiceAccount) -> ServiceAccountBody {
        ServiceAccountBody {
            status: s.status.as_str().to_string(),
            id: s.id,
            team_id: s.team_id,
            team_name: s.team_name,
            name: s.name,
            origin: s.origin,
            created_at: s.created_at,
            updated_at: s.updated_at,
            credentials_total: s.credentials.total,
            credentials_live: s.credentials.live,
        }
    }
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct ListQuery {
    /// Only this team's service accounts (default: every team the caller manages).
    pub team: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct CreateServiceAccount {
    /// The owning team's id.
    pub team: String,
    /// A global slug: 2-40 characters of a-z, 0-9 and '-'.
    pub id: String,
    pub name: String,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct RenameServiceAccount {
    pub name: String,
}

/// Service accounts of the teams the caller manages (all of them for platform admins).
#[utoipa::path(
    get,
    path = "/api/v1/admin/service-accounts",
    tag = "service accounts",
    params(ListQuery),
    responses(
        (status = 200, body = Vec<ServiceAccountBody>),
        (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody, description = "forbidden: the caller does not manage that team"),
        (status = 404, body = ErrorBody, description = "unknown team")
    )
)]
async fn list(
    State(state): State<AppState>,
    ApiAdmin(session): ApiAdmin,
    Query(q): Query<ListQuery>,
) -> Result<Json<Vec<ServiceAccountBody>>, ApiError> {
    let all = sa::list_service_accounts(&state.store, &session.actor, q.team.as_deref()).await?;
    Ok(Json(all.into_iter().map(Into::into).collect()))
}

/// Creates an active service account in a team the caller manages.
#[utoipa::path(
    post,
    path = "/api/v1/admin/service-accounts",
    tag = "service accounts",
    request_body = CreateServiceAccount,
    responses(
        (status = 201, body = ServiceAccountBody),
        (status = 400, body = ErrorBody, description = "invalid id or name"),
        (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody, description = "unknown team"),
        (status = 409, body = ErrorBody, description = "the id is taken")
    )
)]
async fn create(
    State(state): State<AppState>,
    ApiAdmin(session): ApiAdmin,
    Json(body): Json<CreateServiceAccount>,
) -> Result<(StatusCode, Json<ServiceAccountBody>), ApiError> {
    let created = sa::create_service_account(
        &state.store,
        &session.actor,
        &body.team,
        &body.id,
        &body.name,
    )
    .await?;
    // It may have come with a default budget (`service_accounts.default_budget`).
    super::reload_budgets(&state).await;
    Ok((StatusCode::CREATED, Json(created.into())))
}

/// One service account in a team the caller manages.
#[utoipa::path(
    get,
    path = "/api/v1/admin/service-accounts/{id}",
    tag = "service accounts",
    params(("id" = String, Path, description = "Service account id")),
    responses(
        (status = 200, body = ServiceAccountBody),
        (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody)
    )
)]
async fn show(
    State(state): State<AppState>,
    ApiAdmin(session): ApiAdmin,
    Path(id): Path<String>,
) -> Result<Json<ServiceAccountBody>, ApiError> {
    let found = sa::get_service_account(&state.store, &session.actor, &id).await?;
    Ok(Json(found.into()))
}

/// Renames a service account (its id and credentials are unaffected).
#[utoipa::path(
    patch,
    path = "/api/v1/admin/service-accounts/{id}",
    tag = "service accounts",
    params(("id" = String, Path, description = "Service account id")),
    request_body = RenameServiceAccount,
    responses(
        (status = 200, body = ServiceAccountBody),
        (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody)
    )
)]
async fn rename(
    State(state): State<AppState>,
    ApiAdmin(session): ApiAdmin,
    Path(id): Path<String>,
    Json(body): Json<RenameServiceAccount>,
) -> Result<Json<ServiceAccountBody>, ApiError> {
    let renamed = sa::rename_service_account(&state.store, &session.actor, &id, &body.name).await?;
    Ok(Json(renamed.into()))
}

/// Disables a service account: its credentials stop working at once (401
/// `api_key_owner_disabled`). Idempotent.
#[utoipa::path(
    post,
    path = "/api/v1/admin/service-accounts/{id}/deactivate",
    tag = "service accounts",
    params(("id" = String, Path, description = "Service account id")),
    responses(
        (status = 200, body = ServiceAccountBody),
        (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody)
    )
)]
async fn deactivate(
    State(state): State<AppState>,
    ApiAdmin(session): ApiAdmin,
    Path(id): Path<String>,
) -> Result<Json<ServiceAccountBody>, ApiError> {
    let done = sa::deactivate_service_account(&state.store, &session.actor, &id).await?;
    refresh_keys(&state).await;
    Ok(Json(done.into()))
}

/// Re-enables a service account; its unrevoked, unexpired credentials work again.
#[utoipa::path(
    post,
    path = "/api/v1/admin/service-accounts/{id}/reactivate",
    tag = "service accounts",
    params(("id" = String, Path, description = "Service account id")),
    responses(
        (status = 200, body = ServiceAccountBody),
        (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody)
    )
)]
async fn reactivate(
    State(state): State<AppState>,
    ApiAdmin(session): ApiAdmin,
    Path(id): Path<String>,
) -> Result<Json<ServiceAccountBody>, ApiError> {
    let done = sa::reactivate_service_account(&state.store, &session.actor, &id).await?;
    refresh_keys(&state).await;
    Ok(Json(done.into()))
}
