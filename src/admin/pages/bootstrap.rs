//! `/admin/bootstrap`: the form that redeems the one-time bootstrap token (token, e-mail, name,
//! password) and then shows the new admin's control-plane token once. No session: the form
//! carries the pre-session CSRF double-submit value, checked here because the route sits
//! outside the CSRF layer — while the link is closed (not armed, or an admin exists) every
//! request, whatever its method or body, must get the same 404 before anything is looked at.
//! The rules live in `identity::bootstrap_link`.

use std::collections::HashMap;
use std::net::SocketAddr;

use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{ConnectInfo, State};
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::any;

use crate::admin::auth::{PRE_COOKIE, client, pre_token, secure_cookies, set_cookie};
use crate::admin::error::AdminError;
use crate::admin::guard::pre_session_matches;
use crate::http::AppState;
use crate::identity::bootstrap_link::{self, LinkError, LinkRequest};

/// Where the form lives.
pub const PATH: &str = "/admin/bootstrap";

pub fn routes() -> Router<AppState> {
    Router::new().route(PATH, any(handle))
}

#[derive(Template, WebTemplate)]
#[template(path = "bootstrap.html")]
struct FormPage {
    csrf: String,
    email: String,
    name: String,
    min_length: usize,
    error: Option<String>,
}

#[derive(Template, WebTemplate)]
#[template(path = "bootstrap_done.html")]
struct DonePage {
    email: String,
    name: String,
    token: String,
    token_file: String,
    token_file_deleted: bool,
}

/// The one answer of a closed link.
fn not_found() -> Response {
    AdminError::NotFound("page".into()).into_response()
}

/// The form (again), with what was typed except the secrets.
fn render(
    state: &AppState,
    headers: &HeaderMap,
    fields: &HashMap<String, String>,
    error: Option<(StatusCode, String)>,
) -> Response {
    let csrf = pre_token(headers);
    let field = |k: &str| fields.get(k).cloned().unwrap_or_default();
    let (status, error) = match error {
        Some((status, message)) => (status, Some(message)),
        None => (StatusCode::OK, None),
    };
    let page = FormPage {
        csrf: csrf.clone(),
        email: field("email"),
        name: field("name"),
        min_length: state.settings.current().password_min_length,
        error,
    };
    let cookie = set_cookie(PRE_COOKIE, &csrf, secure_cookies(state), None);
    (status, [(header::SET_COOKIE, cookie)], page).into_response()
}

async fn handle(
    State(state): State<AppState>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    method: Method,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let show = method == Method::GET || method == Method::HEAD;
    if !show && method != Method::POST {
        return not_found();
    }
    match bootstrap_link::is_open(&state.store, &state.bootstrap_link).await {
        Ok(true) => {}
        Ok(false) => return not_found(),
        Err(e) => return refused(&state, &headers, &HashMap::new(), e),
    }
    if show {
        return render(&state, &headers, &HashMap::new(), None);
    }
    let fields: HashMap<String, String> = url::form_urlencoded::parse(&body)
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    let field = |k: &str| fields.get(k).map(String::as_str).unwrap_or_default();
    if !pre_session_matches(&headers, field("csrf")) {
        return AdminError::Csrf.into_response();
    }
    // The form always asks for both; generating them is the JSON variant's convenience.
    let missing = if field("email").trim().is_empty() {
        Some("email: required")
    } else if field("password").is_empty() {
        Some("password: required")
    } else if field("password") != field("confirm") {
        Some("repeat password: does not match")
    } else {
        None
    };
    if let Some(why) = missing {
        return render(
            &state,
            &headers,
            &fields,
            Some((StatusCode::BAD_REQUEST, why.into())),
        );
    }
    let req = LinkRequest {
        token: field("token").trim().to_string(),
        email: Some(field("email").to_string()),
        name: Some(field("name").to_string()),
        password: Some(field("password").to_string()),
    };
    let settings = state.settings.current();
    let who = client(&headers, Some(addr));
    match bootstrap_link::redeem(&state.store, &settings, &state.bootstrap_link, &req, &who).await {
        Ok(r) => {
            let page = DonePage {
                email: r.email,
                name: r.name,
                token: r.token.token,
                token_file: r.token_file.display().to_string(),
                token_file_deleted: r.token_file_deleted,
            };
            let pre = set_cookie(PRE_COOKIE, "", secure_cookies(&state), Some(0));
            let headers = [
                (header::SET_COOKIE, pre),
                (header::CACHE_CONTROL, "no-store".into()),
            ];
            (StatusCode::OK, headers, page).into_response()
        }
        Err(e) => refused(&state, &headers, &fields, e),
    }
}

/// A refusal: the form again with the reason and its status (404 for a closed link).
fn refused(
    state: &AppState,
    headers: &HeaderMap,
    fields: &HashMap<String, String>,
    e: LinkError,
) -> Response {
    let message = e.to_string();
    let status = match e {
        LinkError::NotArmed => return not_found(),
        LinkError::Throttled { .. } => StatusCode::TOO_MANY_REQUESTS,
        LinkError::WrongToken => StatusCode::UNAUTHORIZED,
        LinkError::Invalid(_) => StatusCode::BAD_REQUEST,
        LinkError::Conflict(_) => StatusCode::CONFLICT,
        LinkError::Unavailable(detail) => {
            tracing::error!(%detail, "bootstrap link: database error; nothing was created");
            StatusCode::SERVICE_UNAVAILABLE
        }
        LinkError::Internal(detail) => return AdminError::Internal(detail).into_response(),
    };
    render(state, headers, fields, Some((status, message)))
}
