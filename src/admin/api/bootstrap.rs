//! `POST /api/v1/bootstrap`: redeem the one-time bootstrap token as JSON
//! (`{"token", "email"?, "name"?, "password"?}`; the token only ever in the body). Creates the
//! first admin and a control-plane token and returns them once, with any generated e-mail or
//! password, `201` and `Cache-Control: no-store`. While the link is closed (not armed, or an
//! admin exists) every request, whatever its method or body, gets the same 404.
//!
//! Outside `/api/v1/admin` and outside the CSRF layer: it takes no session and no ambient
//! credential (the token in the body is the proof). The rules live in
//! `identity::bootstrap_link`.

use std::net::SocketAddr;

use axum::body::Bytes;
use axum::extract::{ConnectInfo, State};
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::any;
use axum::{Json, Router};
use serde::{Deserialize, Serialize};

use crate::admin::auth::client;
use crate::admin::error::{AdminError, json_error, with_retry_after};
use crate::http::AppState;
use crate::identity::bootstrap_link::{self, LinkError, LinkRequest, Redeemed};

/// Where the JSON variant lives.
pub const PATH: &str = "/api/v1/bootstrap";

pub fn routes() -> Router<AppState> {
    Router::new().route(PATH, any(redeem))
}

#[derive(Deserialize)]
struct Body {
    token: String,
    email: Option<String>,
    name: Option<String>,
    password: Option<String>,
}

#[derive(Serialize)]
struct Generated {
    email: bool,
    password: bool,
}

/// The answer: shown once, never stored in this form.
#[derive(Serialize)]
struct Created {
    user_id: String,
    email: String,
    name: String,
    /// Present only when generated.
    #[serde(skip_serializing_if = "Option::is_none")]
    password: Option<String>,
    generated: Generated,
    control_plane_token: String,
    control_plane_token_id: String,
    token_file: String,
    token_file_deleted: bool,
}

impl From<Redeemed> for Created {
    fn from(r: Redeemed) -> Created {
        Created {
            user_id: r.user_id,
            email: r.email,
            name: r.name,
            generated: Generated {
                email: r.generated_email,
                password: r.generated_password.is_some(),
            },
            password: r.generated_password,
            control_plane_token: r.token.token,
            control_plane_token_id: r.token.id,
            token_file: r.token_file.display().to_string(),
            token_file_deleted: r.token_file_deleted,
        }
    }
}

/// The one answer of a closed link.
fn not_found() -> Response {
    AdminError::NotFound(format!("endpoint {PATH}")).api()
}

fn refused(e: LinkError) -> Response {
    let message = e.to_string();
    match e {
        LinkError::NotArmed => not_found(),
        LinkError::Throttled { minutes } => with_retry_after(
            json_error(StatusCode::TOO_MANY_REQUESTS, "throttled", message),
            minutes,
        ),
        LinkError::WrongToken => json_error(StatusCode::UNAUTHORIZED, "invalid_token", message),
        LinkError::Invalid(_) => json_error(StatusCode::BAD_REQUEST, "invalid_request", message),
        LinkError::Conflict(_) => json_error(StatusCode::CONFLICT, "conflict", message),
        LinkError::Unavailable(detail) => {
            tracing::error!(%detail, "bootstrap link: database error; nothing was created");
            json_error(StatusCode::SERVICE_UNAVAILABLE, "unavailable", message)
        }
        LinkError::Internal(detail) => AdminError::Internal(detail).api(),
    }
}

async fn redeem(
    State(state): State<AppState>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    method: Method,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if method != Method::POST {
        return not_found();
    }
    // Before the body is even parsed: a closed link reads as absent, whatever was sent.
    match bootstrap_link::is_open(&state.store, &state.bootstrap_link).await {
        Ok(true) => {}
        Ok(false) => return not_found(),
        Err(e) => return refused(e),
    }
    let body: Body = match serde_json::from_slice(&body) {
        Ok(b) => b,
        Err(e) => {
            let why = format!(
                "body: expected a JSON object {{\"token\", \"email\"?, \"name\"?, \
                 \"password\"?}} ({e})"
            );
            return refused(LinkError::Invalid(why));
        }
    };
    let req = LinkRequest {
        token: body.token,
        email: body.email,
        name: body.name,
        password: body.password,
    };
    let settings = state.settings.current();
    let who = client(&headers, Some(addr));
    match bootstrap_link::redeem(&state.store, &settings, &state.bootstrap_link, &req, &who).await {
        Ok(redeemed) => {
            let headers = [(header::CACHE_CONTROL, "no-store")];
            let body = Json(Created::from(redeemed));
            (StatusCode::CREATED, headers, body).into_response()
        }
        Err(e) => refused(e),
    }
}
