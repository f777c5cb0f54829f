//! Credential pages: `/admin/my/credentials` (the signed-in user's personal keys) and
//! `/admin/credentials/{id}` (one key: grants, rotate, revoke), plus what the service-account
//! pages share with them — the table rows, the issue form, the "shown once" secret page and the
//! small notices shown after a redirect. Permission checks live in `credentials::lifecycle`.

mod forms;

use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::{Form, Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use chrono::Duration;

pub use self::forms::{Fields, NoticeQuery, fixable, rejected, short};
use super::Nav;
use super::view::when;
use crate::admin::api::management::refresh_keys;
use crate::admin::auth::Admin;
use crate::admin::error::AdminError;
use crate::credentials::Grants;
use crate::credentials::lifecycle::{
    self, CredentialFilter, CredentialOwner, CredentialView, NewCredential, can_manage,
};
use crate::credentials::manage::OwnerSpec;
use crate::http::AppState;
use crate::identity::permissions::Actor;
use crate::identity::sessions::Session;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/admin/my/credentials", get(mine).post(issue_mine))
        .route("/admin/credentials/{id}", get(detail))
        .route("/admin/credentials/{id}/revoke", post(revoke))
        .route("/admin/credentials/{id}/rotate", post(rotate))
        .route("/admin/credentials/{id}/grants", post(set_grants))
}

/// One credential as a table row.
pub struct CredRow {
    pub id: String,
    pub name: String,
    pub shown: String,
    pub owner: String,
    pub grants: String,
    pub created: String,
    pub last_used: String,
    pub expires: String,
    pub status: &'static str,
    pub badge: &'static str,
    pub owner_active: bool,
    pub manageable: bool,
    pub live: bool,
}

impl CredRow {
    pub fn new(c: &CredentialView, actor: &Actor) -> CredRow {
        let badge = match c.status.as_str() {
            "active" => "ok",
            "rotating" => "warn",
            _ => "bad",
        };
        CredRow {
            id: c.id.clone(),
            name: c.name.clone(),
            shown: format!("{}…{}", c.prefix, c.last4),
            owner: match &c.owner {
                CredentialOwner::ServiceAccount { name, .. } => name.clone(),
                CredentialOwner::User { email, .. } => email.clone(),
            },
            grants: match &c.grants {
                Grants::All => "all models".into(),
                Grants::Models(m) => m.join(", "),
            },
            created: short(&c.created_at),
            last_used: c.last_used_at.as_ref().map_or("never".into(), short),
            expires: c.expires_at.as_ref().map_or("never".into(), short),
            status: c.status.as_str(),
            badge,
            owner_active: c.owner_active,
            manageable: can_manage(actor, c),
            live: c.status.is_live(),
        }
    }

    pub fn all(list: &[CredentialView], actor: &Actor) -> Vec<CredRow> {
        list.iter().map(|c| CredRow::new(c, actor)).collect()
    }
}

/// Where a credential is listed: its service account, or the actor's own list.
fn back_to(c: &CredentialView, actor: &Actor) -> String {
    match &c.owner {
        CredentialOwner::ServiceAccount { id, .. } => format!("/admin/service-accounts/{id}"),
        CredentialOwner::User { id, .. } if *id == actor.user_id => "/admin/my/credentials".into(),
        CredentialOwner::User { .. } => format!("/admin/credentials/{}", c.id),
    }
}

/// The page that shows a new key, once.
#[derive(Template, WebTemplate)]
#[template(path = "credential_secret.html")]
pub struct SecretPage {
    nav: Option<Nav>,
    heading: &'static str,
    key: String,
    row: CredRow,
    /// After a rotation: what happens to the old key.
    old_note: Option<String>,
    back: String,
}

impl SecretPage {
    /// `old_note` after a rotation says what happens to the old key.
    pub fn new(
        session: &Session,
        heading: &'static str,
        new: NewCredential,
        old_note: Option<String>,
    ) -> SecretPage {
        let back = back_to(&new.credential, &session.actor);
        let active = if back.starts_with("/admin/my/") {
            "my-credentials"
        } else {
            "service-accounts"
        };
        SecretPage {
            nav: Some(Nav::new(session, active)),
            heading,
            key: new.key.expose(),
            row: CredRow::new(&new.credential, &session.actor),
            old_note,
            back,
        }
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "my_credentials.html")]
pub struct MinePage {
    nav: Option<Nav>,
    csrf: String,
    issue_action: &'static str,
    creds: Vec<CredRow>,
    models: Vec<String>,
    teams: Vec<String>,
    notice: Option<&'static str>,
    error: Option<String>,
}

async fn render_mine(
    state: &AppState,
    session: &Session,
    notice: Option<&'static str>,
    error: Option<String>,
) -> Result<MinePage, AdminError> {
    let list =
        lifecycle::list_credentials(&state.store, &session.actor, CredentialFilter::Mine).await?;
    let mut teams: Vec<String> = session.actor.teams.keys().cloned().collect();
    teams.sort();
    Ok(MinePage {
        nav: Some(Nav::new(session, "my-credentials")),
        csrf: session.csrf_token.clone(),
        issue_action: "/admin/my/credentials",
        creds: CredRow::all(&list, &session.actor),
        models: state.catalog.ids().map(str::to_string).collect(),
        teams,
        notice,
        error,
    })
}

async fn mine(
    State(state): State<AppState>,
    Admin(session): Admin,
    Query(q): Query<NoticeQuery>,
) -> Result<MinePage, AdminError> {
    render_mine(&state, &session, q.message(), None).await
}

async fn issue_mine(
    State(state): State<AppState>,
    Admin(session): Admin,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, AdminError> {
    let f = Fields(pairs);
    let owner = OwnerSpec::UserId(session.actor.user_id.clone());
    let team = Some(f.get("team")).filter(|t| !t.is_empty());
    let issued = match f.expiry() {
        Ok(expires) => lifecycle::issue_credential(
            &state.store,
            &session.actor,
            &owner,
            f.get("name"),
            &f.grants(),
            expires,
            team,
        )
        .await
        .map_err(AdminError::from),
        Err(e) => Err(e),
    };
    match issued {
        Ok(new) => {
            refresh_keys(&state).await;
            Ok(SecretPage::new(&session, "Credential issued", new, None).into_response())
        }
        Err(e) => {
            let (status, message) = fixable(e)?;
            Ok(rejected(
                status,
                render_mine(&state, &session, None, Some(message)).await?,
            ))
        }
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "credential.html")]
pub struct DetailPage {
    nav: Option<Nav>,
    csrf: String,
    row: CredRow,
    owner_kind: &'static str,
    team: String,
    all_models: bool,
    /// (model id, granted)
    models: Vec<(String, bool)>,
    back: String,
    notice: Option<&'static str>,
    error: Option<String>,
}

async fn render_detail(
    state: &AppState,
    session: &Session,
    id: &str,
    notice: Option<&'static str>,
    error: Option<String>,
) -> Result<DetailPage, AdminError> {
    let c = lifecycle::get_credential(&state.store, &session.actor, id).await?;
    let granted = |m: &str| match &c.grants {
        Grants::All => false,
        Grants::Models(list) => list.iter().any(|g| g == m),
    };
    let mut models: Vec<(String, bool)> = state
        .catalog
        .ids()
        .map(|m| (m.to_string(), granted(m)))
        .collect();
    // A granted model since removed from the catalogue still shows (and can be unticked).
    if let Grants::Models(list) = &c.grants {
        for g in list {
            if !models.iter().any(|(m, _)| m == g) {
                models.push((g.clone(), true));
            }
        }
    }
    let active = match c.owner {
        CredentialOwner::User { ref id, .. } if *id == session.actor.user_id => "my-credentials",
        CredentialOwner::User { .. } => "users",
        CredentialOwner::ServiceAccount { .. } => "service-accounts",
    };
    Ok(DetailPage {
        nav: Some(Nav::new(session, active)),
        csrf: session.csrf_token.clone(),
        owner_kind: match c.owner {
            CredentialOwner::ServiceAccount { .. } => "Service account",
            CredentialOwner::User { .. } => "User",
        },
        team: c.team_id.clone().unwrap_or_else(|| "—".into()),
        all_models: c.grants == Grants::All,
        models,
        back: back_to(&c, &session.actor),
        row: CredRow::new(&c, &session.actor),
        notice,
        error,
    })
}

async fn detail(
    State(state): State<AppState>,
    Admin(session): Admin,
    Path(id): Path<String>,
    Query(q): Query<NoticeQuery>,
) -> Result<DetailPage, AdminError> {
    render_detail(&state, &session, &id, q.message(), None).await
}

async fn revoke(
    State(state): State<AppState>,
    Admin(session): Admin,
    Path(id): Path<String>,
) -> Result<Redirect, AdminError> {
    let c = lifecycle::revoke_credential(&state.store, &session.actor, &id).await?;
    refresh_keys(&state).await;
    Ok(Redirect::to(&format!(
        "{}?notice=revoked",
        back_to(&c, &session.actor)
    )))
}

async fn rotate(
    State(state): State<AppState>,
    Admin(session): Admin,
    Path(id): Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, AdminError> {
    let f = Fields(pairs);
    let grace = match f.get("grace") {
        "1h" => Some(Duration::hours(1)),
        "24h" => Some(Duration::hours(24)),
        "7d" => Some(Duration::days(7)),
        _ => None,
    };
    match lifecycle::rotate_credential(&state.store, &session.actor, &id, grace).await {
        Ok(r) => {
            refresh_keys(&state).await;
            let old_note = match (r.old.status.as_str(), r.old.expires_at.as_ref()) {
                ("rotating", Some(t)) => {
                    format!("The old key keeps working until {} UTC.", when(t))
                }
                _ => "The old key was revoked and no longer works.".into(),
            };
            let page = SecretPage::new(&session, "Credential rotated", r.new, Some(old_note));
            Ok(page.into_response())
        }
        Err(e) => {
            let (status, message) = fixable(e.into())?;
            Ok(rejected(
                status,
                render_detail(&state, &session, &id, None, Some(message)).await?,
            ))
        }
    }
}

async fn set_grants(
    State(state): State<AppState>,
    Admin(session): Admin,
    Path(id): Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, AdminError> {
    let f = Fields(pairs);
    match lifecycle::set_grants(&state.store, &session.actor, &id, &f.grants()).await {
        Ok(c) => {
            refresh_keys(&state).await;
            Ok(Redirect::to(&format!("/admin/credentials/{}?notice=grants", c.id)).into_response())
        }
        Err(e) => {
            let (status, message) = fixable(e.into())?;
            Ok(rejected(
                status,
                render_detail(&state, &session, &id, None, Some(message)).await?,
            ))
        }
    }
}
