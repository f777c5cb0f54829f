//! `/api/v1/admin/*`: everything the UI does, as JSON, with the same permission checks (they
//! live in the domain). Authentication: a control-plane token (`Authorization: Bearer gwa_…`)
//! or the session cookie (with `x-csrf-token` on writes);
//! errors are `{"error":{"code","message"}}`. Every handler carries a `#[utoipa::path]`, and
//! the OpenAPI document generated from them is served at `/api/v1/admin/openapi.json`.

pub mod bootstrap;
pub mod management;
mod observability;
pub mod settings;
pub mod tokens;

use std::sync::Arc;

use axum::routing::{any, get};
use axum::{Json, Router};
use serde::Serialize;
use utoipa::{OpenApi, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::auth::ApiAdmin;
use super::error::{AdminError, ApiError};
use crate::http::AppState;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "gateway admin API",
        version = "1",
        description = "Control-plane API. Authenticate either with a control-plane token \
                       (`Authorization: Bearer gwa_…`, from `gateway admin token`, \
                       `gateway login` or POST /api/v1/admin/tokens; no CSRF token needed) or \
                       with the admin session cookie, sending the session's CSRF token (from \
                       GET /api/v1/admin/me) as `x-csrf-token` on every write. Errors: \
                       {\"error\":{\"code\",\"message\"}}."
    ),
    components(schemas(ErrorBody, ErrorDetail))
)]
struct ApiDoc;

/// The error envelope of every failed call.
#[derive(Serialize, ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Serialize, ToSchema)]
pub struct ErrorDetail {
    /// Machine-readable: unauthenticated, invalid_token, invalid_credentials, throttled,
    /// password_change_required, csrf_failed, forbidden,
    /// not_found, conflict, invalid_request, internal_error.
    pub code: String,
    pub message: String,
}

/// All API routes plus the generated OpenAPI document.
pub fn routes() -> Router<AppState> {
    let (router, doc) = OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(me))
        .merge(observability::router())
        .merge(management::router())
        .merge(settings::router())
        .merge(tokens::router())
        .split_for_parts();
    let doc = Arc::new(doc);
    router
        .route(
            "/api/v1/admin/openapi.json",
            get(move |_: ApiAdmin| {
                let doc = doc.clone();
                async move { Json(doc.as_ref().clone()) }
            }),
        )
        .route("/api/v1/admin", any(unknown))
        .route("/api/v1/admin/{*rest}", any(unknown))
}

#[derive(Serialize, ToSchema)]
pub struct TeamRoleView {
    pub team: String,
    /// owner | admin | member
    pub role: String,
}

#[derive(Serialize, ToSchema)]
pub struct Me {
    pub user_id: String,
    pub email: String,
    pub name: String,
    pub platform_admin: bool,
    pub teams: Vec<TeamRoleView>,
    /// Send as `x-csrf-token` on writes.
    pub csrf_token: String,
}

/// The signed-in user, their roles and the CSRF token to send on writes.
#[utoipa::path(
    get,
    path = "/api/v1/admin/me",
    tag = "session",
    responses(
        (status = 200, body = Me),
        (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody, description = "password_change_required")
    )
)]
async fn me(ApiAdmin(session): ApiAdmin) -> Json<Me> {
    let a = &session.actor;
    let mut teams: Vec<TeamRoleView> = a
        .teams
        .iter()
        .map(|(team, role)| TeamRoleView {
            team: team.clone(),
            role: role.as_str().to_string(),
        })
        .collect();
    teams.sort_by(|x, y| x.team.cmp(&y.team));
    Json(Me {
        user_id: a.user_id.clone(),
        email: a.email.clone(),
        name: a.name.clone(),
        platform_admin: a.platform_admin,
        teams,
        csrf_token: session.csrf_token.clone(),
    })
}

/// Unknown paths still authenticate first, so nobody can probe which endpoints exist.
async fn unknown(_: ApiAdmin, uri: axum::http::Uri) -> ApiError {
    ApiError(AdminError::NotFound(format!("endpoint {}", uri.path())))
}
