//! `/api/v1/admin/*`: everything the UI does, as JSON, with the same permission checks (they
//! live in the domain). Authentication: the session cookie (with `x-csrf-token` on writes);
//! errors are `{"error":{"code","message"}}`.

use axum::routing::{any, get};
use axum::{Json, Router};
use serde_json::{Value, json};

use super::auth::ApiAdmin;
use super::error::{AdminError, ApiError};
use crate::http::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/admin/me", get(me))
        .route("/api/v1/admin", any(unknown))
        .route("/api/v1/admin/{*rest}", any(unknown))
}

/// The signed-in user, their roles and the CSRF token to send on writes.
async fn me(ApiAdmin(session): ApiAdmin) -> Json<Value> {
    let a = &session.actor;
    let mut teams: Vec<Value> = a
        .teams
        .iter()
        .map(|(team, role)| json!({"team": team, "role": role.as_str()}))
        .collect();
    teams.sort_by(|x, y| x["team"].as_str().cmp(&y["team"].as_str()));
    Json(json!({
        "user_id": a.user_id,
        "email": a.email,
        "name": a.name,
        "platform_admin": a.platform_admin,
        "teams": teams,
        "csrf_token": session.csrf_token,
    }))
}

async fn unknown(uri: axum::http::Uri) -> ApiError {
    ApiError(AdminError::NotFound(format!("endpoint {}", uri.path())))
}
