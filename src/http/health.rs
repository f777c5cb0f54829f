//! Liveness and readiness. `/healthz` never touches the database; `/readyz` answers 200 only
//! when the database responds within a bounded time and no migration is pending.

use std::time::Duration;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde_json::json;

use super::AppState;
use crate::store::migrate;

/// How long `/readyz` waits for the database before declaring it unavailable.
const READY_TIMEOUT: Duration = Duration::from_secs(2);

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
}

async fn healthz() -> Json<serde_json::Value> {
    Json(json!({ "status": "ok" }))
}

async fn readyz(State(state): State<AppState>) -> Response {
    match readiness(&state).await {
        Ok(()) => Json(json!({ "status": "ready" })).into_response(),
        Err(reason) => (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(json!({ "status": "unavailable", "reason": reason })),
        )
            .into_response(),
    }
}

async fn readiness(state: &AppState) -> Result<(), String> {
    state
        .store
        .ping(READY_TIMEOUT)
        .await
        .map_err(|e| e.to_string())?;
    let status = tokio::time::timeout(READY_TIMEOUT, migrate::status(&state.store))
        .await
        .map_err(|_| "database did not answer the migration check in time".to_string())?
        .map_err(|e| e.to_string())?;
    if !status.pending.is_empty() {
        let names: Vec<String> = status.pending.iter().map(ToString::to_string).collect();
        return Err(format!(
            "pending migrations: {} (run `gateway migrate --apply`)",
            names.join(", ")
        ));
    }
    if !status.unknown.is_empty() {
        return Err("the database was migrated by a newer gateway version".into());
    }
    Ok(())
}
