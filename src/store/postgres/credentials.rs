//! Credential SQL for PostgreSQL.

use chrono::{DateTime, Utc};
use sqlx::{PgConnection, Row};

use crate::store::Result;
use crate::store::credentials::{CredentialRecord, CredentialScope, OwnerUser};
use crate::store::rows::{AuthRow, CredentialRow, NewCredentialRow, ServiceAccountRow};

pub async fn insert_credential(
    c: &mut PgConnection,
    r: &NewCredentialRow,
    now: DateTime<Utc>,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO credentials (id, public_id, secret_hash, last4, name, service_account_id, \
         user_id, team_id, model_grants, expires_at, created_by, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
    )
    .bind(&r.id)
    .bind(&r.public_id)
    .bind(&r.secret_hash)
    .bind(&r.last4)
    .bind(&r.name)
    .bind(&r.service_account_id)
    .bind(&r.user_id)
    .bind(&r.team_id)
    .bind(&r.model_grants)
    .bind(r.expires_at)
    .bind(&r.created_by)
    .bind(now)
    .execute(c)
    .await?;
    Ok(())
}

pub async fn list_credentials(c: &mut PgConnection) -> Result<Vec<CredentialRow>> {
    let rows = sqlx::query(
        "SELECT c.id, c.public_id, c.last4, c.name, c.service_account_id, u.email AS user_email, \
         COALESCE(sa.team_id, c.team_id) AS team_id, c.model_grants, c.expires_at, c.created_by, \
         c.created_at, c.last_used_at, c.revoked_at \
         FROM credentials c \
         LEFT JOIN service_accounts sa ON sa.id = c.service_account_id \
         LEFT JOIN users u ON u.id = c.user_id \
         ORDER BY c.created_at DESC, c.id",
    )
    .fetch_all(c)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(CredentialRow {
                id: r.try_get("id")?,
                public_id: r.try_get("public_id")?,
                last4: r.try_get("last4")?,
                name: r.try_get("name")?,
                service_account_id: r.try_get("service_account_id")?,
                user_email: r.try_get("user_email")?,
                team_id: r.try_get("team_id")?,
                model_grants: r.try_get("model_grants")?,
                expires_at: r.try_get("expires_at")?,
                created_by: r.try_get("created_by")?,
                created_at: r.try_get("created_at")?,
                last_used_at: r.try_get("last_used_at")?,
                revoked_at: r.try_get("revoked_at")?,
            })
        })
        .collect()
}

pub async fn revoke_credential(c: &mut PgConnection, id: &str, now: DateTime<Utc>) -> Result<u64> {
    let done = sqlx::query(
        "UPDATE credentials SET revoked_at = $2 \
         WHERE (id = $1 OR public_id = $1) AND revoked_at IS NULL",
    )
    .bind(id)
    .bind(now)
    .execute(c)
    .await?;
    Ok(done.rows_affected())
}

pub async fn load_auth_rows(c: &mut PgConnection) -> Result<Vec<AuthRow>> {
    let rows = sqlx::query(
        "SELECT c.id, c.public_id, c.secret_hash, c.model_grants, c.expires_at, \
         c.revoked_at IS NOT NULL AS revoked, \
         CASE WHEN c.service_account_id IS NOT NULL THEN COALESCE(sa.status = 'active', FALSE) \
              ELSE COALESCE(u.status = 'active', FALSE) END AS owner_active, \
         c.user_id, c.service_account_id, COALESCE(sa.team_id, c.team_id) AS team_id \
         FROM credentials c \
         LEFT JOIN service_accounts sa ON sa.id = c.service_account_id \
         LEFT JOIN users u ON u.id = c.user_id",
    )
    .fetch_all(c)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(AuthRow {
                id: r.try_get("id")?,
                public_id: r.try_get("public_id")?,
                secret_hash: r.try_get("secret_hash")?,
                model_grants: r.try_get("model_grants")?,
                expires_at: r.try_get("expires_at")?,
                revoked: r.try_get("revoked")?,
                owner_active: r.try_get("owner_active")?,
                user_id: r.try_get("user_id")?,
                service_account_id: r.try_get("service_account_id")?,
                team_id: r.try_get("team_id")?,
            })
        })
        .collect()
}

pub async fn touch_credentials(
    c: &mut PgConnection,
    used: &[(String, DateTime<Utc>)],
) -> Result<()> {
    let ids: Vec<&str> = used.iter().map(|(id, _)| id.as_str()).collect();
    let ats: Vec<DateTime<Utc>> = used.iter().map(|(_, at)| *at).collect();
    sqlx::query(
        "UPDATE credentials c SET last_used_at = GREATEST(c.last_used_at, u.at) \
         FROM UNNEST($1::text[], $2::timestamptz[]) AS u(id, at) WHERE c.id = u.id",
    )
    .bind(&ids)
    .bind(&ats)
    .execute(c)
    .await?;
    Ok(())
}

pub async fn auth_epoch(c: &mut PgConnection) -> Result<i64> {
    Ok(
        sqlx::query_scalar("SELECT epoch FROM auth_epoch WHERE id = 1")
            .fetch_one(c)
            .await?,
    )
}

pub async fn bump_auth_epoch(c: &mut PgConnection) -> Result<()> {
    sqlx::query("UPDATE auth_epoch SET epoch = epoch + 1 WHERE id = 1")
        .execute(c)
        .await?;
    Ok(())
}

pub async fn find_service_account(
    c: &mut PgConnection,
    id: &str,
) -> Result<Option<ServiceAccountRow>> {
    let row = sqlx::query("SELECT id, team_id, name, status FROM service_accounts WHERE id = $1")
        .bind(id)
        .fetch_optional(c)
        .await?;
    row.map(|r| {
        Ok(ServiceAccountRow {
            id: r.try_get("id")?,
            team_id: r.try_get("team_id")?,
            name: r.try_get("name")?,
            status: r.try_get("status")?,
        })
    })
    .transpose()
}

pub async fn user_team_ids(c: &mut PgConnection, user_id: &str) -> Result<Vec<String>> {
    Ok(
        sqlx::query_scalar("SELECT team_id FROM memberships WHERE user_id = $1 ORDER BY team_id")
            .bind(user_id)
            .fetch_all(c)
            .await?,
    )
}

/// Columns of a [`CredentialRecord`], read by name in [`record`]. A macro so the queries below
/// can `concat!` their bound-parameter filters onto it at compile time.
macro_rules! record_select {
    () => {
        "SELECT c.id, c.public_id, c.last4, c.name, c.service_account_id, \
         sa.name AS service_account_name, c.user_id, u.email AS user_email, \
         COALESCE(sa.team_id, c.team_id) AS team_id, c.model_grants, c.expires_at, \
         c.created_by, c.created_at, c.last_used_at, c.revoked_at, c.replaced_by, c.rotated_at, \
         CASE WHEN c.service_account_id IS NOT NULL THEN COALESCE(sa.status = 'active', FALSE) \
              ELSE COALESCE(u.status = 'active', FALSE) END AS owner_active \
         FROM credentials c \
         LEFT JOIN service_accounts sa ON sa.id = c.service_account_id \
         LEFT JOIN users u ON u.id = c.user_id"
    };
}

fn record(r: &sqlx::postgres::PgRow) -> Result<CredentialRecord> {
    Ok(CredentialRecord {
        id: r.try_get("id")?,
        public_id: r.try_get("public_id")?,
        last4: r.try_get("last4")?,
        name: r.try_get("name")?,
        service_account_id: r.try_get("service_account_id")?,
        service_account_name: r.try_get("service_account_name")?,
        user_id: r.try_get("user_id")?,
        user_email: r.try_get("user_email")?,
        team_id: r.try_get("team_id")?,
        model_grants: r.try_get("model_grants")?,
        expires_at: r.try_get("expires_at")?,
        created_by: r.try_get("created_by")?,
        created_at: r.try_get("created_at")?,
        last_used_at: r.try_get("last_used_at")?,
        revoked_at: r.try_get("revoked_at")?,
        replaced_by: r.try_get("replaced_by")?,
        rotated_at: r.try_get("rotated_at")?,
        owner_active: r.try_get("owner_active")?,
    })
}

pub async fn find_credential(c: &mut PgConnection, id: &str) -> Result<Option<CredentialRecord>> {
    let row = sqlx::query(concat!(
        record_select!(),
        " WHERE c.id = $1 OR c.public_id = $1"
    ))
    .bind(id)
    .fetch_optional(c)
    .await?;
    row.as_ref().map(record).transpose()
}

pub async fn list_credential_records(
    c: &mut PgConnection,
    scope: CredentialScope<'_>,
) -> Result<Vec<CredentialRecord>> {
    let (sa, user, team) = scope.filters();
    let rows = sqlx::query(concat!(
        record_select!(),
        " WHERE ($1::text IS NULL OR c.service_account_id = $1) \
         AND ($2::text IS NULL OR c.user_id = $2) \
         AND ($3::text IS NULL OR COALESCE(sa.team_id, c.team_id) = $3) \
         ORDER BY c.created_at DESC, c.id"
    ))
    .bind(sa)
    .bind(user)
    .bind(team)
    .fetch_all(c)
    .await?;
    rows.iter().map(record).collect()
}

pub async fn set_credential_grants(
    c: &mut PgConnection,
    id: &str,
    grants: Option<&str>,
) -> Result<u64> {
    let done = sqlx::query("UPDATE credentials SET model_grants = $2 WHERE id = $1")
        .bind(id)
        .bind(grants)
        .execute(c)
        .await?;
    Ok(done.rows_affected())
}

pub async fn rotate_out_credential(
    c: &mut PgConnection,
    id: &str,
    replaced_by: &str,
    ends_at: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> Result<u64> {
    let revoked_at = ends_at.is_none().then_some(now);
    let done = sqlx::query(
        "UPDATE credentials SET replaced_by = $2, rotated_at = $3, \
         expires_at = COALESCE($4, expires_at), revoked_at = $5 \
         WHERE id = $1 AND revoked_at IS NULL AND replaced_by IS NULL",
    )
    .bind(id)
    .bind(replaced_by)
    .bind(now)
    .bind(ends_at)
    .bind(revoked_at)
    .execute(c)
    .await?;
    Ok(done.rows_affected())
}

pub async fn credential_owner_user(
    c: &mut PgConnection,
    user_id: &str,
) -> Result<Option<OwnerUser>> {
    let row = sqlx::query("SELECT id, email, status FROM users WHERE id = $1")
        .bind(user_id)
        .fetch_optional(c)
        .await?;
    row.map(|r| {
        Ok(OwnerUser {
            id: r.try_get("id")?,
            email: r.try_get("email")?,
            status: r.try_get("status")?,
        })
    })
    .transpose()
}
