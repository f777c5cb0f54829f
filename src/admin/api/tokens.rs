//! `/api/v1/admin/tokens`: control-plane tokens over the API — trade an e-mail and password
//! for a token (what `gateway login` calls), list the caller's tokens, revoke one. The rules
//! (throttling, forced rotation, who may revoke what) live in `identity::admin_tokens`.
//!
//! `POST /api/v1/admin/tokens` is the one API call made without any credential: it takes no
//! session and no bearer, so it must not use the [`ApiAdmin`] extractor, and the CSRF guard
//! lets this exact path through (there is no ambient credential to abuse). It accepts only
//! `application/json`, a type no cross-site form can send without a CORS preflight.

use std::net::SocketAddr;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{ConnectInfo, Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::admin::api::ErrorBody;
use crate::admin::auth::{ApiAdmin, client};
use crate::admin::error::{AdminError, ApiError};
use crate::http::AppState;
use crate::identity::admin_tokens::{self, ExchangeError, TokenView};
use crate::identity::sessions::LoginError;

/// The path of the password exchange, exempt from the CSRF guard.
pub const EXCHANGE_PATH: &str = "/api/v1/admin/tokens";
/// The longest lifetime a token can be asked for.
const MAX_DAYS: i64 = 3650;
/// The name of a token whose request names none.
const DEFAULT_NAME: &str = "api";

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list, create))
        .routes(routes!(revoke))
}

/// A password to trade for a token. No `Debug`: it holds the password.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateToken {
    pub email: String,
    pub password: String,
    /// Shown in token lists (default `api`); 1 to 100 characters.
    pub name: Option<String>,
    /// Lifetime in days, 1 to 3650 (default: no expiry).
    pub expires_in_days: Option<i64>,
}

/// A token just minted. `token` is the secret: it is in this answer only.
#[derive(Serialize, ToSchema)]
pub struct CreatedToken {
    pub id: String,
    /// `gwa_…`: send as `Authorization: Bearer …` on `/api/v1/admin/*`.
    pub token: String,
    pub email: String,
    pub name: String,
    pub expires_at: Option<DateTime<Utc>>,
}

fn is_json(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|t| t.trim().eq_ignore_ascii_case("application/json"))
}

fn parse(headers: &HeaderMap, body: &[u8]) -> Result<CreateToken, AdminError> {
    if !is_json(headers) {
        return Err(AdminError::Invalid(
            "send the request as JSON (Content-Type: application/json)".into(),
        ));
    }
    let req: CreateToken = serde_json::from_slice(body)
        .map_err(|e| AdminError::Invalid(format!("request body: {e}")))?;
    if let Some(days) = req.expires_in_days
        && !(1..=MAX_DAYS).contains(&days)
    {
        return Err(AdminError::Invalid(format!(
            "expires_in_days: expected 1 to {MAX_DAYS}, got {days}"
        )));
    }
    Ok(req)
}

fn refused(e: ExchangeError) -> Response {
    let err = match e {
        ExchangeError::Login(LoginError::Invalid) => AdminError::LoginFailed,
        ExchangeError::Login(LoginError::Throttled { minutes }) => {
            AdminError::Throttled { minutes }
        }
        ExchangeError::Login(LoginError::Other(e)) | ExchangeError::Other(e) => e.into(),
        ExchangeError::PasswordChangeRequired => AdminError::PasswordChangeRequired,
    };
    err.api()
}

/// Trades an e-mail and password for a control-plane token of that user (the same
/// throttling and audit as the `/admin` sign-in). Needs no session, no CSRF token and no
/// bearer. The token is in this answer only.
#[utoipa::path(
    post,
    path = "/api/v1/admin/tokens",
    tag = "tokens",
    request_body = CreateToken,
    responses(
        (status = 201, body = CreatedToken),
        (status = 400, body = ErrorBody, description = "not JSON, bad name or lifetime"),
        (status = 401, body = ErrorBody, description = "invalid_credentials: one message for every refusal"),
        (status = 403, body = ErrorBody, description = "password_change_required: sign in at /admin first"),
        (status = 429, body = ErrorBody, description = "throttled (Retry-After in seconds)")
    )
)]
async fn create(
    State(state): State<AppState>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let req = match parse(&headers, &body) {
        Ok(r) => r,
        Err(e) => return e.api(),
    };
    let name = req.name.as_deref().unwrap_or(DEFAULT_NAME);
    let expires_at = req
        .expires_in_days
        .map(|d| crate::store::now() + Duration::days(d));
    let who = client(&headers, Some(addr));
    match admin_tokens::exchange_password(
        &state.store,
        &req.email,
        &req.password,
        name,
        expires_at,
        &who,
    )
    .await
    {
        Ok(m) => {
            let body = CreatedToken {
                id: m.id,
                token: m.token,
                email: m.email,
                name: m.name,
                expires_at: m.expires_at,
            };
            (StatusCode::CREATED, Json(body)).into_response()
        }
        Err(e) => refused(e),
    }
}

/// The caller's control-plane tokens (every user's, for a platform admin); never secrets.
#[utoipa::path(
    get,
    path = "/api/v1/admin/tokens",
    tag = "tokens",
    responses((status = 200, body = Vec<TokenView>), (status = 401, body = ErrorBody))
)]
async fn list(
    State(state): State<AppState>,
    ApiAdmin(session): ApiAdmin,
) -> Result<Json<Vec<TokenView>>, ApiError> {
    let a = &session.actor;
    let whose = (!a.platform_admin).then_some(a.user_id.as_str());
    Ok(Json(admin_tokens::list(&state.store, whose).await?))
}

/// Revokes a control-plane token (by id or public id): the caller's own, or any for a
/// platform admin. The next call with it answers 401 `invalid_token`.
#[utoipa::path(
    delete,
    path = "/api/v1/admin/tokens/{id}",
    tag = "tokens",
    params(("id" = String, Path, description = "Token id or public id")),
    responses(
        (status = 200, body = TokenView),
        (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody, description = "no such token of yours"),
        (status = 409, body = ErrorBody, description = "already revoked")
    )
)]
async fn revoke(
    State(state): State<AppState>,
    ApiAdmin(session): ApiAdmin,
    Path(id): Path<String>,
) -> Result<Json<TokenView>, ApiError> {
    Ok(Json(
        admin_tokens::revoke(&state.store, Some(&session.actor), &id).await?,
    ))
}
