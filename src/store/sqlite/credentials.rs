//! Credential SQL for SQLite.

use chrono::{DateTime, Utc};
use libsql::{Connection, params};

use super::{collect, first, from_ms, ms, opt_from_ms};
use crate::store::Result;
use crate::store::credentials::{CredentialRecord, CredentialScope, OwnerUser};
use crate::store::rows::{AuthRow, CredentialRow, NewCredentialRow, ServiceAccountRow};

pub async fn insert_credential(
    c: &Connection,
    r: &NewCredentialRow,
    now: DateTime<Utc>,
) -> Result<()> {
    c.execute(
        "INSERT INTO credentials (id, public_id, secret_hash, last4, name, service_account_id, \
         user_id, team_id, model_grants, expires_at, created_by, created_at) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
        params![
            r.id.as_str(),
            r.public_id.as_str(),
            r.secret_hash.clone(),
            r.last4.as_str(),
            r.name.as_str(),
            r.service_account_id.clone(),
            r.user_id.clone(),
            r.team_id.clone(),
            r.model_grants.clone(),
            r.expires_at.map(ms),
            r.created_by.clone(),
            ms(now)
        ],
    )
    .await?;
    Ok(())
}

pub async fn list_credentials(c: &Connection) -> Result<Vec<CredentialRow>> {
    let rows = c
        .query(
            "SELECT c.id, c.public_id, c.last4, c.name, c.service_account_id, u.email, \
             COALESCE(sa.team_id, c.team_id), c.model_grants, c.expires_at, c.created_by, \
             c.created_at, c.last_used_at, c.revoked_at \
             FROM credentials c \
             LEFT JOIN service_accounts sa ON sa.id = c.service_account_id \
             LEFT JOIN users u ON u.id = c.user_id \
             ORDER BY c.created_at DESC, c.id",
            (),
        )
        .await?;
    collect(rows, |r| {
        Ok(CredentialRow {
            id: r.get(0)?,
            public_id: r.get(1)?,
            last4: r.get(2)?,
            name: r.get(3)?,
            service_account_id: r.get(4)?,
            user_email: r.get(5)?,
            team_id: r.get(6)?,
            model_grants: r.get(7)?,
            expires_at: opt_from_ms(r.get(8)?)?,
            created_by: r.get(9)?,
            created_at: from_ms(r.get(10)?)?,
            last_used_at: opt_from_ms(r.get(11)?)?,
            revoked_at: opt_from_ms(r.get(12)?)?,
        })
    })
    .await
}

pub async fn revoke_credential(c: &Connection, id: &str, now: DateTime<Utc>) -> Result<u64> {
    Ok(c.execute(
        "UPDATE credentials SET revoked_at = ?2 \
             WHERE (id = ?1 OR public_id = ?1) AND revoked_at IS NULL",
        params![id, ms(now)],
    )
    .await?)
}

pub async fn load_auth_rows(c: &Connection) -> Result<Vec<AuthRow>> {
    let rows = c
        .query(
            "SELECT c.id, c.public_id, c.secret_hash, c.model_grants, c.expires_at, \
             c.revoked_at IS NOT NULL, \
             CASE WHEN c.service_account_id IS NOT NULL THEN COALESCE(sa.status = 'active', 0) \
                  ELSE COALESCE(u.status = 'active', 0) END, \
             c.user_id, c.service_account_id, COALESCE(sa.team_id, c.team_id) \
             FROM credentials c \
             LEFT JOIN service_accounts sa ON sa.id = c.service_account_id \
             LEFT JOIN users u ON u.id = c.user_id",
            (),
        )
        .await?;
    collect(rows, |r| {
        Ok(AuthRow {
            id: r.get(0)?,
            public_id: r.get(1)?,
            secret_hash: r.get(2)?,
            model_grants: r.get(3)?,
            expires_at: opt_from_ms(r.get(4)?)?,
            revoked: r.get::<i64>(5)? != 0,
            owner_active: r.get::<i64>(6)? != 0,
            user_id: r.get(7)?,
            service_account_id: r.get(8)?,
            team_id: r.get(9)?,
        })
    })
    .await
}

pub async fn touch_credentials(c: &Connection, used: &[(String, DateTime<Utc>)]) -> Result<()> {
    for (id, at) in used {
        c.execute(
            "UPDATE credentials SET last_used_at = MAX(COALESCE(last_used_at, 0), ?2) WHERE id = ?1",
            params![id.as_str(), ms(*at)],
        )
        .await?;
    }
    Ok(())
}

pub async fn auth_epoch(c: &Connection) -> Result<i64> {
    let rows = c
        .query("SELECT epoch FROM auth_epoch WHERE id = 1", ())
        .await?;
    Ok(first(rows, |r| Ok(r.get::<i64>(0)?)).await?.unwrap_or(0))
}

pub async fn bump_auth_epoch(c: &Connection) -> Result<()> {
    c.execute("UPDATE auth_epoch SET epoch = epoch + 1 WHERE id = 1", ())
        .await?;
    Ok(())
}

pub async fn find_service_account(c: &Connection, id: &str) -> Result<Option<ServiceAccountRow>> {
    let rows = c
        .query(
            "SELECT id, team_id, name, status FROM service_accounts WHERE id = ?1",
            [id],
        )
        .await?;
    first(rows, |r| {
        Ok(ServiceAccountRow {
            id: r.get(0)?,
            team_id: r.get(1)?,
            name: r.get(2)?,
            status: r.get(3)?,
        })
    })
    .await
}

pub async fn user_team_ids(c: &Connection, user_id: &str) -> Result<Vec<String>> {
    let rows = c
        .query(
            "SELECT team_id FROM memberships WHERE user_id = ?1 ORDER BY team_id",
            [user_id],
        )
        .await?;
    collect(rows, |r| Ok(r.get::<String>(0)?)).await
}

/// Columns of a [`CredentialRecord`], in the order [`record`] reads them. A macro so the
/// queries below can `concat!` their bound-parameter filters onto it at compile time.
macro_rules! record_select {
    () => {
        "SELECT c.id, c.public_id, c.last4, c.name, c.service_account_id, sa.name, \
     c.user_id, u.email, COALESCE(sa.team_id, c.team_id), c.model_grants, c.expires_at, \
     c.created_by, c.created_at, c.last_used_at, c.revoked_at, c.replaced_by, c.rotated_at, \
     CASE WHEN c.service_account_id IS NOT NULL THEN COALESCE(sa.status = 'active', 0) \
          ELSE COALESCE(u.status = 'active', 0) END \
     FROM credentials c \
     LEFT JOIN service_accounts sa ON sa.id = c.service_account_id \
     LEFT JOIN users u ON u.id = c.user_id"
    };
}

fn record(r: &libsql::Row) -> Result<CredentialRecord> {
    Ok(CredentialRecord {
        id: r.get(0)?,
        public_id: r.get(1)?,
        last4: r.get(2)?,
        name: r.get(3)?,
        service_account_id: r.get(4)?,
        service_account_name: r.get(5)?,
        user_id: r.get(6)?,
        user_email: r.get(7)?,
        team_id: r.get(8)?,
        model_grants: r.get(9)?,
        expires_at: opt_from_ms(r.get(10)?)?,
        created_by: r.get(11)?,
        created_at: from_ms(r.get(12)?)?,
        last_used_at: opt_from_ms(r.get(13)?)?,
        revoked_at: opt_from_ms(r.get(14)?)?,
        replaced_by: r.get(15)?,
        rotated_at: opt_from_ms(r.get(16)?)?,
        owner_active: r.get::<i64>(17)? != 0,
    })
}

pub async fn find_credential(c: &Connection, id: &str) -> Result<Option<CredentialRecord>> {
    let sql = concat!(record_select!(), " WHERE c.id = ?1 OR c.public_id = ?1");
    let rows = c.query(sql, [id]).await?;
    first(rows, record).await
}

pub async fn list_credential_records(
    c: &Connection,
    scope: CredentialScope<'_>,
) -> Result<Vec<CredentialRecord>> {
    let (sa, user, team) = scope.filters();
    let sql = concat!(
        record_select!(),
        " WHERE (?1 IS NULL OR c.service_account_id = ?1) \
         AND (?2 IS NULL OR c.user_id = ?2) \
         AND (?3 IS NULL OR COALESCE(sa.team_id, c.team_id) = ?3) \
         ORDER BY c.created_at DESC, c.id"
    );
    let rows = c.query(sql, params![sa, user, team]).await?;
    collect(rows, record).await
}

pub async fn set_credential_grants(c: &Connection, id: &str, grants: Option<&str>) -> Result<u64> {
    Ok(c.execute(
        "UPDATE credentials SET model_grants = ?2 WHERE id = ?1",
        params![id, grants],
    )
    .await?)
}

pub async fn rotate_out_credential(
    c: &Connection,
    id: &str,
    replaced_by: &str,
    ends_at: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> Result<u64> {
    let (expires_at, revoked_at) = match ends_at {
        Some(end) => (Some(ms(end)), None),
        None => (None, Some(ms(now))),
    };
    Ok(c.execute(
        "UPDATE credentials SET replaced_by = ?2, rotated_at = ?3, \
         expires_at = COALESCE(?4, expires_at), revoked_at = ?5 \
         WHERE id = ?1 AND revoked_at IS NULL AND replaced_by IS NULL",
        params![id, replaced_by, ms(now), expires_at, revoked_at],
    )
    .await?)
}

pub async fn credential_owner_user(c: &Connection, user_id: &str) -> Result<Option<OwnerUser>> {
    let rows = c
        .query(
            "SELECT id, email, status FROM users WHERE id = ?1",
            [user_id],
        )
        .await?;
    first(rows, |r| {
        Ok(OwnerUser {
            id: r.get(0)?,
            email: r.get(1)?,
            status: r.get(2)?,
        })
    })
    .await
}
