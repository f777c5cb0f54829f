//! `/api/v1/admin/{request-logs, spend, audit, models}`: the JSON twins of the observability
//! pages. Each handler calls the same loader as its page (in `admin::pages`), so filters,
//! paging and permission checks cannot drift apart.

use axum::Json;
use axum::extract::{Path, Query, State};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::ErrorBody;
use crate::admin::auth::ApiAdmin;
use crate::admin::error::ApiError;
use crate::admin::pages::audit::{self, AuditList, AuditQuery};
use crate::admin::pages::log_entry::LogDetail;
use crate::admin::pages::logs::{self, LogList, LogQuery};
use crate::admin::pages::models::{self, ModelList};
use crate::admin::pages::spend::{self, SpendQuery, SpendReport};
use crate::http::AppState;

/// The observability endpoints, with their OpenAPI descriptions.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(request_logs))
        .routes(routes!(request_log))
        .routes(routes!(spend_report))
        .routes(routes!(audit_log))
        .routes(routes!(model_catalogue))
}

/// Request logs, newest first, 50 per page. Platform admins see every request; everyone else
/// the requests of teams they own or administer, plus their own.
#[utoipa::path(
    get,
    path = "/api/v1/admin/request-logs",
    tag = "observability",
    params(LogQuery),
    responses(
        (status = 200, body = LogList),
        (status = 400, body = ErrorBody, description = "invalid_request: a malformed filter or cursor"),
        (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody, description = "password_change_required")
    )
)]
async fn request_logs(
    State(state): State<AppState>,
    ApiAdmin(session): ApiAdmin,
    Query(q): Query<LogQuery>,
) -> Result<Json<LogList>, ApiError> {
    Ok(Json(logs::list(&state, &session.actor, &q).await?))
}

/// One request with every upstream attempt and its captured payload. Requests outside the
/// caller's scope answer 404, like requests that do not exist.
#[utoipa::path(
    get,
    path = "/api/v1/admin/request-logs/{request_id}",
    tag = "observability",
    params(("request_id" = String, Path, description = "The request's id (`x-request-id`)")),
    responses(
        (status = 200, body = LogDetail),
        (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody, description = "password_change_required"),
        (status = 404, body = ErrorBody)
    )
)]
async fn request_log(
    State(state): State<AppState>,
    ApiAdmin(session): ApiAdmin,
    Path(request_id): Path<String>,
) -> Result<Json<LogDetail>, ApiError> {
    Ok(Json(
        logs::detail(&state, &session.actor, &request_id).await?,
    ))
}

/// Spend from the usage ledger by team, user, service account or model, per UTC day and in
/// total. Scoped like the request logs. Unpriced requests are counted separately, never as
/// free.
#[utoipa::path(
    get,
    path = "/api/v1/admin/spend",
    tag = "observability",
    params(SpendQuery),
    responses(
        (status = 200, body = SpendReport),
        (status = 400, body = ErrorBody, description = "invalid_request: unknown `by` or `days` out of range"),
        (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody, description = "password_change_required")
    )
)]
async fn spend_report(
    State(state): State<AppState>,
    ApiAdmin(session): ApiAdmin,
    Query(q): Query<SpendQuery>,
) -> Result<Json<SpendReport>, ApiError> {
    let (report, _days) = spend::report(&state, &session.actor, &q).await?;
    Ok(Json(report))
}

/// The audit log, newest first, 50 per page. Platform admins only.
#[utoipa::path(
    get,
    path = "/api/v1/admin/audit",
    tag = "observability",
    params(AuditQuery),
    responses(
        (status = 200, body = AuditList),
        (status = 400, body = ErrorBody, description = "invalid_request: a malformed cursor"),
        (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody, description = "forbidden (not a platform admin) or password_change_required")
    )
)]
async fn audit_log(
    State(state): State<AppState>,
    ApiAdmin(session): ApiAdmin,
    Query(q): Query<AuditQuery>,
) -> Result<Json<AuditList>, ApiError> {
    Ok(Json(audit::list(&state, &session.actor, &q).await?))
}

/// The model catalogue: models, aliases, routes with prices per million tokens, and route
/// health as this replica sees it.
#[utoipa::path(
    get,
    path = "/api/v1/admin/models",
    tag = "observability",
    responses(
        (status = 200, body = ModelList),
        (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody, description = "password_change_required")
    )
)]
async fn model_catalogue(
    State(state): State<AppState>,
    ApiAdmin(session): ApiAdmin,
) -> Result<Json<ModelList>, ApiError> {
    Ok(Json(models::list(&state, &session.actor)?))
}
