//! Invites on the pages: the "link shown once" page an admin sees after inviting or resending,
//! and onboarding — `/admin/invite/{token}`, which needs no session: it shows who the link is
//! for and a set-password form (pre-session CSRF double-submit, like sign-in), and accepting it
//! signs the new user in. A link that is unknown answers 404; used, revoked or expired, 410.
//! The rules live in `identity::{invites, onboarding}`.

use std::net::SocketAddr;

use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::{ConnectInfo, Form, Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{AppendHeaders, IntoResponse, Redirect, Response};
use axum::routing::get;
use chrono::{DateTime, Utc};
use serde::Deserialize;

use super::Nav;
use super::view::when;
use crate::admin::api::management::invite_link;
use crate::admin::auth::{
    PRE_COOKIE, SESSION_COOKIE, client, pre_token, secure_cookies, set_cookie,
};
use crate::admin::error::AdminError;
use crate::http::AppState;
use crate::identity::IdentityError;
use crate::identity::invites::Invite;
use crate::identity::onboarding::{self, InvitedUser};
use crate::identity::sessions::{self, Session};

pub fn routes() -> Router<AppState> {
    Router::new().route("/admin/invite/{token}", get(page).post(accept))
}

/// The page showing a fresh onboarding link, once.
#[derive(Template, WebTemplate)]
#[template(path = "invite_link.html")]
pub struct LinkPage {
    nav: Option<Nav>,
    heading: &'static str,
    email: String,
    link: String,
    expires: String,
    back: String,
}

impl LinkPage {
    /// `who` is the invited e-mail address; `back` where "Done" leads.
    pub fn new(
        state: &AppState,
        session: &Session,
        active: &'static str,
        heading: &'static str,
        who: &str,
        invite: &Invite,
        back: String,
    ) -> LinkPage {
        LinkPage {
            nav: Some(Nav::new(session, active)),
            heading,
            email: who.to_string(),
            link: invite_link(state, &invite.link_token),
            expires: when(&invite.expires_at),
            back,
        }
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "onboarding.html")]
struct OnboardingPage {
    csrf: String,
    token: String,
    name: String,
    email: String,
    expires: String,
    /// The `passwords.min_length` setting, for the hint.
    min_length: usize,
    error: Option<String>,
}

#[derive(Template, WebTemplate)]
#[template(path = "onboarding_gone.html")]
struct GonePage {
    title: &'static str,
    message: String,
}

/// The double-submit value: the `gw_pre` cookie if it looks like ours, else a fresh one.
/// An unusable link: 404 when unknown, 410 when used, revoked or expired.
fn gone(e: IdentityError) -> Response {
    let (status, title, message) = match e {
        IdentityError::NotFound(_) => (
            StatusCode::NOT_FOUND,
            "Invite link not found",
            "This link is not valid. Check that you copied all of it, or ask an administrator \
             for a new one."
                .to_string(),
        ),
        IdentityError::Invalid(why) => (
            StatusCode::GONE,
            "Invite link no longer valid",
            sentence(&why),
        ),
        other => return AdminError::from(other).into_response(),
    };
    (status, GonePage { title, message }).into_response()
}

/// `why` with a capital first letter and a full stop.
fn sentence(why: &str) -> String {
    let mut chars = why.chars();
    let first = chars.next().map(|c| c.to_uppercase().collect::<String>());
    let mut out = first.unwrap_or_default() + chars.as_str();
    if !out.ends_with('.') {
        out.push('.');
    }
    out
}

fn render(
    state: &AppState,
    headers: &HeaderMap,
    token: &str,
    user: &InvitedUser,
    error: Option<String>,
) -> Response {
    let csrf = pre_token(headers);
    let page = OnboardingPage {
        csrf: csrf.clone(),
        token: token.to_string(),
        name: user.name.clone(),
        email: user.email.clone(),
        expires: when(&user.expires_at),
        min_length: state.settings.current().password_min_length,
        error,
    };
    let status = if page.error.is_some() {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    let cookie = set_cookie(PRE_COOKIE, &csrf, secure_cookies(state), None);
    (status, [(header::SET_COOKIE, cookie)], page).into_response()
}

async fn page(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(token): Path<String>,
) -> Response {
    match onboarding::invite_status(&state.store, &token).await {
        Ok(user) => render(&state, &headers, &token, &user, None),
        Err(e) => gone(e),
    }
}

#[derive(Deserialize)]
pub struct AcceptForm {
    password: String,
    confirm: String,
}

async fn accept(
    State(state): State<AppState>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Path(token): Path<String>,
    Form(form): Form<AcceptForm>,
) -> Response {
    let user = match onboarding::invite_status(&state.store, &token).await {
        Ok(u) => u,
        Err(e) => return gone(e),
    };
    if form.password != form.confirm {
        let why = "repeat password: does not match".to_string();
        return render(&state, &headers, &token, &user, Some(why));
    }
    let user_id = match onboarding::accept_invite(&state.store, &token, &form.password).await {
        Ok(id) => id,
        Err(IdentityError::Invalid(why)) => {
            return render(&state, &headers, &token, &user, Some(why));
        }
        Err(e) => return AdminError::from(e).into_response(),
    };
    let who = client(&headers, Some(addr));
    match sessions::start_session(&state.store, &user_id, &who).await {
        Ok(created) => {
            let secure = secure_cookies(&state);
            let session = set_cookie(SESSION_COOKIE, &created.token, secure, None);
            let pre = set_cookie(PRE_COOKIE, "", secure, Some(0));
            let cookies = AppendHeaders([(header::SET_COOKIE, session), (header::SET_COOKIE, pre)]);
            (cookies, Redirect::to("/admin")).into_response()
        }
        // The password is set: signing in by hand still works.
        Err(e) => {
            tracing::warn!(error = %e, "could not open a session after onboarding");
            Redirect::to("/admin/login").into_response()
        }
    }
}

/// `expires` in words for the users list: "in 6 days", "expired".
pub fn expiry_note(expires_at: Option<DateTime<Utc>>, now: DateTime<Utc>) -> &'static str {
    match expires_at {
        None => "no open link",
        Some(t) if t <= now => "link expired",
        Some(_) => "link sent",
    }
}
