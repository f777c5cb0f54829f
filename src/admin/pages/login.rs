//! Sign-in, sign-out and password change pages.

use std::net::SocketAddr;

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{ConnectInfo, Form, State};
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::{Router, routing::post};
use serde::Deserialize;

use crate::admin::auth::{
    PRE_COOKIE, SESSION_COOKIE, SignedIn, client, pre_token, secure_cookies, set_cookie,
};
use crate::admin::error::AdminError;
use crate::http::AppState;
use crate::identity::IdentityError;
use crate::identity::sessions::{self, LoginError};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/admin/login", get(login_page).post(login))
        .route("/admin/logout", post(logout))
        .route("/admin/change-password", get(change_page).post(change))
}

#[derive(Template, WebTemplate)]
#[template(path = "login.html")]
struct LoginPage {
    csrf: String,
    next: String,
    email: String,
    error: Option<String>,
}

#[derive(Deserialize)]
pub struct LoginQuery {
    next: Option<String>,
}

/// Only same-site relative paths are followed after sign-in.
fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(n) if n.starts_with("/admin") && !n.starts_with("//") => n.to_string(),
        _ => "/admin".into(),
    }
}

fn render_login(
    state: &AppState,
    headers: &HeaderMap,
    next: String,
    email: String,
    error: Option<String>,
) -> Response {
    let csrf = pre_token(headers);
    let page = LoginPage {
        csrf: csrf.clone(),
        next,
        email,
        error,
    };
    let cookie = set_cookie(PRE_COOKIE, &csrf, secure_cookies(state), None);
    ([(header::SET_COOKIE, cookie)], page).into_response()
}

async fn login_page(
    State(state): State<AppState>,
    headers: HeaderMap,
    axum::extract::Query(q): axum::extract::Query<LoginQuery>,
) -> Response {
    render_login(
        &state,
        &headers,
        safe_next(q.next.as_deref()),
        String::new(),
        None,
    )
}

#[derive(Deserialize)]
pub struct LoginForm {
    email: String,
    password: String,
    next: Option<String>,
}

async fn login(
    State(state): State<AppState>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Form(form): Form<LoginForm>,
) -> Response {
    let next = safe_next(form.next.as_deref());
    let who = client(&headers, Some(addr));
    let settings = state.settings.current();
    match sessions::login_with(&state.store, &settings, &form.email, &form.password, &who).await {
        Ok(created) => {
            let target = if created.must_change_password {
                "/admin/change-password".to_string()
            } else {
                next
            };
            let cookie = set_cookie(SESSION_COOKIE, &created.token, secure_cookies(&state), None);
            ([(header::SET_COOKIE, cookie)], Redirect::to(&target)).into_response()
        }
        Err(LoginError::Other(e)) => AdminError::from(e).into_response(),
        Err(e) => {
            let mut resp = render_login(&state, &headers, next, form.email, Some(e.to_string()));
            *resp.status_mut() = axum::http::StatusCode::UNAUTHORIZED;
            resp
        }
    }
}

async fn logout(
    State(state): State<AppState>,
    SignedIn(session): SignedIn,
) -> Result<Response, AdminError> {
    sessions::logout(&state.store, &session.id).await?;
    let cookie = set_cookie(SESSION_COOKIE, "", secure_cookies(&state), Some(0));
    Ok(([(header::SET_COOKIE, cookie)], Redirect::to("/admin/login")).into_response())
}

#[derive(Template, WebTemplate)]
#[template(path = "change_password.html")]
struct ChangePage {
    csrf: String,
    forced: bool,
    /// The `passwords.min_length` setting, for the hint.
    min_length: usize,
    error: Option<String>,
}

async fn change_page(State(state): State<AppState>, SignedIn(session): SignedIn) -> ChangePage {
    ChangePage {
        csrf: session.csrf_token.clone(),
        forced: session.must_change_password,
        min_length: state.settings.current().password_min_length,
        error: None,
    }
}

#[derive(Deserialize)]
pub struct ChangeForm {
    current: String,
    new: String,
    confirm: String,
}

async fn change(
    State(state): State<AppState>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    SignedIn(session): SignedIn,
    Form(form): Form<ChangeForm>,
) -> Response {
    let result = if form.new != form.confirm {
        Err(IdentityError::Invalid(
            "repeat new password: does not match".into(),
        ))
    } else {
        crate::identity::password_change::change_password(
            &state.store,
            &state.settings.current(),
            &session,
            &form.current,
            &form.new,
            &client(&headers, Some(addr)),
        )
        .await
    };
    match result {
        Ok(()) => Redirect::to("/admin").into_response(),
        Err(IdentityError::Invalid(message)) => {
            let page = ChangePage {
                csrf: session.csrf_token.clone(),
                forced: session.must_change_password,
                min_length: state.settings.current().password_min_length,
                error: Some(message),
            };
            (axum::http::StatusCode::BAD_REQUEST, page).into_response()
        }
        Err(e) => AdminError::from(e).into_response(),
    }
}
