//! Credentials over the API: a service account's (`/service-accounts/{id}/credentials`), the
//! caller's own (`/me/credentials`), and per-credential revoke, rotate and grants. Secrets
//! appear exactly once, in the answer that issued them. Permissions are checked in
//! `credentials::lifecycle`.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{GrantsBody, refresh_keys};
use crate::admin::api::ErrorBody;
use crate::admin::auth::ApiAdmin;
use crate::admin::error::ApiError;
use crate::credentials::Grants;
use crate::credentials::lifecycle::{
    self, CredentialFilter, CredentialOwner, CredentialView, NewCredential,
};
use crate::credentials::manage::OwnerSpec;
use crate::http::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_for_service_account, issue_for_service_account))
        .routes(routes!(list_mine, issue_mine))
        .routes(routes!(show))
        .routes(routes!(revoke))
        .routes(routes!(rotate))
        .routes(routes!(set_grants))
}

/// A credential as listed: never its secret.
#[derive(Debug, Serialize, ToSchema)]
pub struct CredentialBody {
    pub id: String,
    pub public_id: String,
    /// How the key begins (`gw_<public id>_`); show it with `last4`.
    pub prefix: String,
    pub last4: String,
    pub name: String,
    /// service_account | user
    pub owner_kind: String,
    /// Service account id or user id.
    pub owner_id: String,
    /// Service account name or user e-mail.
    pub owner_name: String,
    /// The owner is active (if not, the key answers 401 whatever its status).
    pub owner_active: bool,
    pub team_id: Option<String>,
    pub grants: GrantsBody,
    /// active | rotating | expired | revoked
    pub status: String,
    pub created_at: DateTime<Utc>,
    pub created_by: Option<String>,
    pub last_used_at: Option<DateTime<Utc>>,
    pub expires_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
    pub replaced_by: Option<String>,
    pub rotated_at: Option<DateTime<Utc>>,
}

impl From<CredentialView> for CredentialBody {
    fn from(c: CredentialView) -> CredentialBody {
        let (owner_kind, owner_id, owner_name) = match c.owner {
            CredentialOwner::ServiceAccount { id, name } => ("service_account", id, name),
            CredentialOwner::User { id, email } => ("user", id, email),
        };
        CredentialBody {
            grants: GrantsBody::from(&c.grants),
            status: c.status.as_str().to_string(),
            owner_kind: owner_kind.to_string(),
            owner_id,
            owner_name,
            id: c.id,
            public_id: c.public_id,
            prefix: c.prefix,
            last4: c.last4,
            name: c.name,
            owner_active: c.owner_active,
            team_id: c.team_id,
            created_at: c.created_at,
            created_by: c.created_by,
            last_used_at: c.last_used_at,
            expires_at: c.expires_at,
            revoked_at: c.revoked_at,
            replaced_by: c.replaced_by,
            rotated_at: c.rotated_at,
        }
    }
}

/// A credential just issued. `key` is the full secret: it is shown only in this answer (no
/// `Debug`, so it cannot reach a log).
#[derive(Serialize, ToSchema)]
pub struct IssuedBody {
    pub key: String,
    pub credential: CredentialBody,
}

impl From<NewCredential> for IssuedBody {
    fn from(n: NewCredential) -> IssuedBody {
        IssuedBody {
            key: n.key.expose(),
            credential: n.credential.into(),
        }
    }
}

/// The outcome of a rotation: the successor's key (shown once) and the old credential. No
/// `Debug`: it holds the key.
#[derive(Serialize, ToSchema)]
pub struct RotatedBody {
    pub key: String,
    pub credential: CredentialBody,
    /// `rotating` until its grace period ends, or `revoked`.
    pub old: CredentialBody,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct IssueCredential {
    pub name: String,
    /// Default `"all"`.
    pub grants: Option<GrantsBody>,
    /// RFC 3339; default: never expires.
    pub expires_at: Option<DateTime<Utc>>,
    /// Personal credentials only: which of your teams it spends for (needed when you are in
    /// several).
    pub team: Option<String>,
}

impl IssueCredential {
    fn grants(&self) -> Result<Grants, ApiError> {
        Ok(self
            .grants
            .as_ref()
            .map(GrantsBody::parse)
            .transpose()?
            .unwrap_or(Grants::All))
    }
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct RotateCredential {
    /// How long the old key keeps working, in seconds (0 or absent: revoke it now; at most
    /// 30 days).
    pub grace_seconds: Option<i64>,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct SetGrants {
    pub grants: GrantsBody,
}

fn bodies(list: Vec<CredentialView>) -> Json<Vec<CredentialBody>> {
    Json(list.into_iter().map(Into::into).collect())
}

/// A service account's credentials, newest first.
#[utoipa::path(
    get,
    path = "/api/v1/admin/service-accounts/{id}/credentials",
    tag = "credentials",
    params(("id" = String, Path, description = "Service account id")),
    responses(
        (status = 200, body = Vec<CredentialBody>),
        (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody)
    )
)]
async fn list_for_service_account(
    State(state): State<AppState>,
    ApiAdmin(session): ApiAdmin,
    Path(id): Path<String>,
) -> Result<Json<Vec<CredentialBody>>, ApiError> {
    let filter = CredentialFilter::ServiceAccount(&id);
    Ok(bodies(
        lifecycle::list_credentials(&state.store, &session.actor, filter).await?,
    ))
}

/// Issues a credential to a service account. The key is in this answer only.
#[utoipa::path(
    post,
    path = "/api/v1/admin/service-accounts/{id}/credentials",
    tag = "credentials",
    params(("id" = String, Path, description = "Service account id")),
    request_body = IssueCredential,
    responses(
        (status = 201, body = IssuedBody),
        (status = 400, body = ErrorBody, description = "bad name, grants or expiry"),
        (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody, description = "the service account is disabled")
    )
)]
async fn issue_for_service_account(
    State(state): State<AppState>,
    ApiAdmin(session): ApiAdmin,
    Path(id): Path<String>,
    Json(body): Json<IssueCredential>,
) -> Result<(StatusCode, Json<IssuedBody>), ApiError> {
    let issued = lifecycle::issue_credential(
        &state.store,
        &session.actor,
        &OwnerSpec::ServiceAccount(id),
        &body.name,
        &body.grants()?,
        body.expires_at,
        body.team.as_deref(),
    )
    .await?;
    refresh_keys(&state).await;
    Ok((StatusCode::CREATED, Json(issued.into())))
}

/// The caller's personal credentials, newest first.
#[utoipa::path(
    get,
    path = "/api/v1/admin/me/credentials",
    tag = "credentials",
    responses((status = 200, body = Vec<CredentialBody>), (status = 401, body = ErrorBody))
)]
async fn list_mine(
    State(state): State<AppState>,
    ApiAdmin(session): ApiAdmin,
) -> Result<Json<Vec<CredentialBody>>, ApiError> {
    let filter = CredentialFilter::Mine;
    Ok(bodies(
        lifecycle::list_credentials(&state.store, &session.actor, filter).await?,
    ))
}

/// Issues a personal credential to the caller. The key is in this answer only.
#[utoipa::path(
    post,
    path = "/api/v1/admin/me/credentials",
    tag = "credentials",
    request_body = IssueCredential,
    responses(
        (status = 201, body = IssuedBody),
        (status = 400, body = ErrorBody, description = "bad name, grants, expiry or team"),
        (status = 401, body = ErrorBody)
    )
)]
async fn issue_mine(
    State(state): State<AppState>,
    ApiAdmin(session): ApiAdmin,
    Json(body): Json<IssueCredential>,
) -> Result<(StatusCode, Json<IssuedBody>), ApiError> {
    let owner = OwnerSpec::UserId(session.actor.user_id.clone());
    let issued = lifecycle::issue_credential(
        &state.store,
        &session.actor,
        &owner,
        &body.name,
        &body.grants()?,
        body.expires_at,
        body.team.as_deref(),
    )
    .await?;
    refresh_keys(&state).await;
    Ok((StatusCode::CREATED, Json(issued.into())))
}

/// One credential (by id or public id) the caller may manage.
#[utoipa::path(
    get,
    path = "/api/v1/admin/credentials/{id}",
    tag = "credentials",
    params(("id" = String, Path, description = "Credential id or public id")),
    responses(
        (status = 200, body = CredentialBody),
        (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody)
    )
)]
async fn show(
    State(state): State<AppState>,
    ApiAdmin(session): ApiAdmin,
    Path(id): Path<String>,
) -> Result<Json<CredentialBody>, ApiError> {
    let found = lifecycle::get_credential(&state.store, &session.actor, &id).await?;
    Ok(Json(found.into()))
}

/// Revokes a credential: the next `/v1` call with it answers 401. Idempotent.
#[utoipa::path(
    post,
    path = "/api/v1/admin/credentials/{id}/revoke",
    tag = "credentials",
    params(("id" = String, Path, description = "Credential id or public id")),
    responses(
        (status = 200, body = CredentialBody),
        (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody)
    )
)]
async fn revoke(
    State(state): State<AppState>,
    ApiAdmin(session): ApiAdmin,
    Path(id): Path<String>,
) -> Result<Json<CredentialBody>, ApiError> {
    let revoked = lifecycle::revoke_credential(&state.store, &session.actor, &id).await?;
    refresh_keys(&state).await;
    Ok(Json(revoked.into()))
}

/// Rotates a credential: a new key (shown once) with the same owner, name and grants; the
/// old key keeps working for the grace period, or is revoked now.
#[utoipa::path(
    post,
    path = "/api/v1/admin/credentials/{id}/rotate",
    tag = "credentials",
    params(("id" = String, Path, description = "Credential id or public id")),
    request_body = RotateCredential,
    responses(
        (status = 200, body = RotatedBody),
        (status = 400, body = ErrorBody, description = "grace out of range"),
        (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody, description = "revoked, expired or already rotated")
    )
)]
async fn rotate(
    State(state): State<AppState>,
    ApiAdmin(session): ApiAdmin,
    Path(id): Path<String>,
    Json(body): Json<RotateCredential>,
) -> Result<Json<RotatedBody>, ApiError> {
    let grace = body.grace_seconds.map(Duration::seconds);
    let r = lifecycle::rotate_credential(&state.store, &session.actor, &id, grace).await?;
    refresh_keys(&state).await;
    Ok(Json(RotatedBody {
        key: r.new.key.expose(),
        credential: r.new.credential.into(),
        old: r.old.into(),
    }))
}

/// Replaces a credential's model grants; a call to a model it no longer grants answers 403.
#[utoipa::path(
    put,
    path = "/api/v1/admin/credentials/{id}/grants",
    tag = "credentials",
    params(("id" = String, Path, description = "Credential id or public id")),
    request_body = SetGrants,
    responses(
        (status = 200, body = CredentialBody),
        (status = 400, body = ErrorBody, description = "empty grants or unknown model"),
        (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody, description = "the credential is revoked")
    )
)]
async fn set_grants(
    State(state): State<AppState>,
    ApiAdmin(session): ApiAdmin,
    Path(id): Path<String>,
    Json(body): Json<SetGrants>,
) -> Result<Json<CredentialBody>, ApiError> {
    let grants = body.grants.parse()?;
    let changed = lifecycle::set_grants(&state.store, &session.actor, &id, &grants).await?;
    refresh_keys(&state).await;
    Ok(Json(changed.into()))
}
