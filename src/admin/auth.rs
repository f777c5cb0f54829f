//! Who is calling the control plane: the session cookie (pages and browser API calls) — never
//! a data-plane API key. Extractors for handlers, plus cookie helpers. Forced password
//! rotation is enforced here, by the server: a session with `must_change_password` gets
//! [`AdminError::PasswordChangeRequired`] everywhere except the change-password page and logout.

use axum::extract::FromRequestParts;
use axum::http::HeaderMap;
use axum::http::request::Parts;

use super::error::AdminError;
use crate::http::AppState;
use crate::identity::admin_tokens;
use crate::identity::sessions::{self, Session};

/// Cookie holding the session token.
pub const SESSION_COOKIE: &str = "gw_session";
/// Cookie holding the pre-session CSRF value (double-submit, for sign-in and onboarding).
pub const PRE_COOKIE: &str = "gw_pre";

/// The value of cookie `name`.
pub fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(axum::http::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

/// `Set-Cookie` value for `name`: HttpOnly, SameSite=Lax, `Secure` when served over https.
pub fn set_cookie(name: &str, value: &str, secure: bool, max_age_secs: Option<i64>) -> String {
    let mut c = format!("{name}={value}; Path=/; HttpOnly; SameSite=Lax");
    if secure {
        c.push_str("; Secure");
    }
    if let Some(age) = max_age_secs {
        c.push_str(&format!("; Max-Age={age}"));
    }
    c
}

/// The pre-session CSRF value for a sign-in or onboarding form: the browser's `gw_pre` cookie
/// if it holds a well-formed one, else a fresh random value (set it as the cookie too).
pub fn pre_token(headers: &HeaderMap) -> String {
    match cookie(headers, PRE_COOKIE) {
        Some(t) if t.len() == 64 && t.bytes().all(|b| b.is_ascii_hexdigit()) => t.to_string(),
        _ => crate::identity::sessions::random_token(),
    }
}

/// The URL people reach this gateway at: the `server.public_base_url` setting when set, else
/// `server.public_url` from the config. No trailing `/`.
pub fn public_url(state: &AppState) -> String {
    let settings = state.settings.current();
    settings
        .public_url(&state.config.server.public_url)
        .to_string()
}

/// Whether cookies must be `Secure` (the public URL is https).
pub fn secure_cookies(state: &AppState) -> bool {
    public_url(state).starts_with("https://")
}

/// Resolves the session cookie, if any.
pub async fn session_of(
    state: &AppState,
    headers: &HeaderMap,
) -> Result<Option<Session>, AdminError> {
    let Some(token) = cookie(headers, SESSION_COOKIE).filter(|t| !t.is_empty()) else {
        return Ok(None);
    };
    let settings = state.settings.current();
    Ok(sessions::authenticate_with(&state.store, &settings, token).await?)
}

/// A signed-in user, even one who still has to change their password (change-password page,
/// logout).
pub struct SignedIn(pub Session);

/// A signed-in user with no pending forced rotation: what every other page and API call needs.
pub struct Admin(pub Session);

impl FromRequestParts<AppState> for SignedIn {
    type Rejection = AdminError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AdminError> {
        match session_of(state, &parts.headers).await? {
            Some(s) => Ok(SignedIn(s)),
            None => Err(AdminError::SignInRequired),
        }
    }
}

impl FromRequestParts<AppState> for Admin {
    type Rejection = AdminError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AdminError> {
        let SignedIn(s) = SignedIn::from_request_parts(parts, state).await?;
        if s.must_change_password {
            return Err(AdminError::PasswordChangeRequired);
        }
        Ok(Admin(s))
    }
}

/// The client's address and user agent, for throttling and the audit log.
pub fn client(headers: &HeaderMap, addr: Option<std::net::SocketAddr>) -> sessions::Client {
    sessions::Client {
        addr: addr.map(|a| a.ip().to_string()),
        user_agent: headers
            .get(axum::http::header::USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .map(|s| s.chars().take(200).collect()),
    }
}

/// The bearer token of a request, if it sent `Authorization: Bearer …`.
pub fn bearer(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            v.strip_prefix("Bearer ")
                .or_else(|| v.strip_prefix("bearer "))
        })
        .map(str::trim)
}

/// [`Admin`] for the JSON API: the same rules, JSON errors (401, 403
/// `password_change_required`). A request with `Authorization: Bearer gwa_…` is authenticated
/// by that control-plane token alone (acting with its user's current role); pages never
/// accept tokens.
pub struct ApiAdmin(pub Session);

impl FromRequestParts<AppState> for ApiAdmin {
    type Rejection = super::error::ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, super::error::ApiError> {
        if let Some(token) = bearer(&parts.headers) {
            return match admin_tokens::authenticate(&state.store, token).await {
                Ok(Some(s)) => Ok(ApiAdmin(s)),
                Ok(None) => Err(AdminError::InvalidToken.into()),
                Err(e) => Err(AdminError::from(e).into()),
            };
        }
        let Admin(s) = Admin::from_request_parts(parts, state).await?;
        Ok(ApiAdmin(s))
    }
}
