//! One error type for the control plane, rendered as an HTML page under `/admin` and as
//! `{"error":{"code","message"}}` under `/api/v1/admin`. The status match is exhaustive.

use askama::Template;
use askama_web::WebTemplate;
use axum::Json;
use axum::http::{StatusCode, Uri, header};
use axum::response::{IntoResponse, Redirect, Response};
use serde_json::json;

use crate::credentials::manage::CredentialError;
use crate::identity::IdentityError;

#[derive(Debug, thiserror::Error)]
pub enum AdminError {
    #[error("sign in required")]
    SignInRequired,
    #[error(
        "invalid, revoked or expired control-plane token (the API takes `Authorization: Bearer \
         gwa_…` from `gateway admin token` or `gateway login`; data-plane gw_ keys never work here)"
    )]
    InvalidToken,
    /// A refused password exchange (`POST /api/v1/admin/tokens`): one message whatever the
    /// reason, as on the sign-in page.
    #[error("{}", crate::identity::sessions::LOGIN_FAILED)]
    LoginFailed,
    #[error("Too many sign-in attempts. Try again in {minutes} minute(s).")]
    Throttled { minutes: i64 },
    #[error("you must change your password before doing anything else")]
    PasswordChangeRequired,
    #[error("invalid or missing CSRF token")]
    Csrf,
    #[error("you do not have permission to do this")]
    Forbidden,
    #[error("{0} not found")]
    NotFound(String),
    #[error("{0}")]
    Conflict(String),
    #[error("{0}")]
    Invalid(String),
    #[error("internal error")]
    Internal(String),
}

impl AdminError {
    pub fn status(&self) -> StatusCode {
        match self {
            AdminError::SignInRequired | AdminError::InvalidToken | AdminError::LoginFailed => {
                StatusCode::UNAUTHORIZED
            }
            AdminError::Throttled { .. } => StatusCode::TOO_MANY_REQUESTS,
            AdminError::PasswordChangeRequired | AdminError::Csrf | AdminError::Forbidden => {
                StatusCode::FORBIDDEN
            }
            AdminError::NotFound(_) => StatusCode::NOT_FOUND,
            AdminError::Conflict(_) => StatusCode::CONFLICT,
            AdminError::Invalid(_) => StatusCode::BAD_REQUEST,
            AdminError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    pub fn code(&self) -> &'static str {
        match self {
            AdminError::SignInRequired => "unauthenticated",
            AdminError::InvalidToken => "invalid_token",
            AdminError::LoginFailed => "invalid_credentials",
            AdminError::Throttled { .. } => "throttled",
            AdminError::PasswordChangeRequired => "password_change_required",
            AdminError::Csrf => "csrf_failed",
            AdminError::Forbidden => "forbidden",
            AdminError::NotFound(_) => "not_found",
            AdminError::Conflict(_) => "conflict",
            AdminError::Invalid(_) => "invalid_request",
            AdminError::Internal(_) => "internal_error",
        }
    }

    /// The JSON form, for `/api/v1/admin/*`; a throttled answer carries `Retry-After`.
    pub fn api(self) -> Response {
        if let AdminError::Internal(detail) = &self {
            tracing::error!(%detail, "admin API internal error");
        }
        let resp = json_error(self.status(), self.code(), self.to_string());
        match self {
            AdminError::Throttled { minutes } => with_retry_after(resp, minutes),
            _ => resp,
        }
    }
}

/// The admin API's error body `{"error":{"code","message"}}` with its status.
pub fn json_error(status: StatusCode, code: &str, message: String) -> Response {
    let body = json!({"error": {"code": code, "message": message}});
    (status, Json(body)).into_response()
}

/// Adds `Retry-After` (in seconds, at least one minute's worth) to a throttled answer.
pub fn with_retry_after(mut resp: Response, minutes: i64) -> Response {
    let secs = header::HeaderValue::from(minutes.max(1).saturating_mul(60));
    resp.headers_mut().insert(header::RETRY_AFTER, secs);
    resp
}

impl From<IdentityError> for AdminError {
    fn from(e: IdentityError) -> Self {
        match e {
            IdentityError::NotFound(what) => AdminError::NotFound(what),
            IdentityError::Forbidden => AdminError::Forbidden,
            IdentityError::Conflict(m) => AdminError::Conflict(m),
            IdentityError::Invalid(m) => AdminError::Invalid(m),
            IdentityError::Store(s) => AdminError::Internal(s.to_string()),
            IdentityError::Internal(m) => AdminError::Internal(m),
        }
    }
}

impl From<crate::store::StoreError> for AdminError {
    fn from(e: crate::store::StoreError) -> Self {
        AdminError::Internal(e.to_string())
    }
}

impl From<CredentialError> for AdminError {
    fn from(e: CredentialError) -> Self {
        AdminError::from(IdentityError::from(e))
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "error.html")]
struct ErrorPage {
    nav: Option<super::pages::Nav>,
    title: String,
    message: String,
}

/// Pages: sign-in problems redirect; everything else is an HTML error page.
impl IntoResponse for AdminError {
    fn into_response(self) -> Response {
        match self {
            AdminError::SignInRequired | AdminError::InvalidToken => {
                Redirect::to("/admin/login").into_response()
            }
            AdminError::PasswordChangeRequired => {
                Redirect::to("/admin/change-password").into_response()
            }
            other => {
                if let AdminError::Internal(detail) = &other {
                    tracing::error!(%detail, "admin page internal error");
                }
                let status = other.status();
                let page = ErrorPage {
                    nav: None,
                    title: status.canonical_reason().unwrap_or("Error").to_string(),
                    message: other.to_string(),
                };
                let mut resp = page.into_response();
                *resp.status_mut() = status;
                resp.headers_mut().insert(
                    header::CACHE_CONTROL,
                    header::HeaderValue::from_static("no-store"),
                );
                resp
            }
        }
    }
}

/// Whether a request targets the JSON API (errors then render as JSON).
pub fn is_api(uri: &Uri) -> bool {
    uri.path().starts_with("/api/")
}

/// An [`AdminError`] rendered as JSON: the rejection and error type of `/api/v1/admin/*`.
#[derive(Debug)]
pub struct ApiError(pub AdminError);

impl<E: Into<AdminError>> From<E> for ApiError {
    fn from(e: E) -> Self {
        ApiError(e.into())
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        self.0.api()
    }
}
