//! Middleware for the control plane: security headers on every response (CSP, no framing,
//! no caching — admin pages may show secrets once) and a CSRF check on every state-changing
//! request. Signed-in requests must echo the session's CSRF token (form field `csrf` or header
//! `x-csrf-token`); pre-session forms (sign-in, onboarding) use a double-submit cookie.

use axum::body::{Body, to_bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderValue, Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use subtle::ConstantTimeEq;

use super::auth::{PRE_COOKIE, bearer, cookie, session_of};
use super::error::{AdminError, is_api};
use crate::http::AppState;

/// Forms are small; anything larger is refused before parsing.
const FORM_LIMIT: usize = 64 * 1024;

/// Paths whose POST happens before a session exists.
fn pre_session(path: &str) -> bool {
    path == "/admin/login" || path.starts_with("/admin/invite/")
}

/// Paths that take no ambient credential at all, so there is nothing for CSRF to abuse: the
/// JSON password exchange of `gateway login` (its handler reads no cookie and accepts only
/// `application/json`).
fn csrf_exempt(path: &str) -> bool {
    path == super::api::tokens::EXCHANGE_PATH
}

pub async fn security_headers(request: Request, next: Next) -> Response {
    let mut response = next.run(request).await;
    let h = response.headers_mut();
    let set = |h: &mut axum::http::HeaderMap, k: header::HeaderName, v: &'static str| {
        h.insert(k, HeaderValue::from_static(v));
    };
    set(
        h,
        header::CONTENT_SECURITY_POLICY,
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
         frame-ancestors 'none'; form-action 'self'; base-uri 'none'; object-src 'none'",
    );
    set(h, header::X_FRAME_OPTIONS, "DENY");
    set(h, header::X_CONTENT_TYPE_OPTIONS, "nosniff");
    set(h, header::REFERRER_POLICY, "no-referrer");
    set(h, header::CACHE_CONTROL, "no-store");
    response
}

fn fail(api: bool) -> Response {
    if api {
        AdminError::Csrf.api()
    } else {
        AdminError::Csrf.into_response()
    }
}

fn equal(a: &str, b: &str) -> bool {
    !a.is_empty() && bool::from(a.as_bytes().ct_eq(b.as_bytes()))
}

/// The pre-session double-submit check, for a form routed outside the [`csrf`] layer (the
/// bootstrap link, which must answer 404 before looking at anything once it is closed).
pub(super) fn pre_session_matches(headers: &axum::http::HeaderMap, submitted: &str) -> bool {
    cookie(headers, PRE_COOKIE).is_some_and(|expected| equal(submitted, expected))
}

/// The `csrf` field of a urlencoded form body.
fn form_token(body: &[u8]) -> Option<String> {
    url::form_urlencoded::parse(body)
        .find(|(k, _)| k == "csrf")
        .map(|(_, v)| v.into_owned())
}

pub async fn csrf(State(state): State<AppState>, request: Request, next: Next) -> Response {
    if matches!(
        *request.method(),
        Method::GET | Method::HEAD | Method::OPTIONS
    ) {
        return next.run(request).await;
    }
    let api = is_api(request.uri());
    // A bearer token is no ambient credential: a browser never attaches it by itself, so a
    // token-authenticated API call needs no CSRF token (the extractor checks the token);
    // an exempt path takes no credential at all.
    if api && (bearer(request.headers()).is_some() || csrf_exempt(request.uri().path())) {
        return next.run(request).await;
    }
    let path = request.uri().path().to_string();
    let header_token = request
        .headers()
        .get("x-csrf-token")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let expected = if pre_session(&path) {
        cookie(request.headers(), PRE_COOKIE).map(str::to_string)
    } else {
        match session_of(&state, request.headers()).await {
            Ok(Some(s)) => Some(s.csrf_token),
            // No session: the handler's extractor answers 401 / redirects to sign-in.
            Ok(None) => return next.run(request).await,
            Err(e) => return if api { e.api() } else { e.into_response() },
        }
    };
    let Some(expected) = expected else {
        return fail(api);
    };
    if let Some(t) = header_token {
        return if equal(&t, &expected) {
            next.run(request).await
        } else {
            fail(api)
        };
    }
    let (parts, body) = request.into_parts();
    let Ok(bytes) = to_bytes(body, FORM_LIMIT).await else {
        return fail(api);
    };
    match form_token(&bytes) {
        Some(t) if equal(&t, &expected) => {
            next.run(Request::from_parts(parts, Body::from(bytes)))
                .await
        }
        _ => fail(api),
    }
}
