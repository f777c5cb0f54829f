//! The hot-path key cache: every credential in memory, keyed by public id.
//!
//! Authentication is a hash-map lookup plus one SHA-256 and a constant-time compare: no
//! database access and no password hashing per request. The cache reloads whenever the
//! `auth_epoch` row moves (`app::watch_epoch` polls it), and the replica that made a change
//! reloads at once. Last use is kept in memory and written in batches by [`KeyCache::flush_last_used`].

use std::collections::HashMap;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, RwLock};

use chrono::{DateTime, Utc};

use super::{ApiKey, Grants};
use crate::store::rows::AuthRow;
use crate::store::{Store, StoreError};

/// Who is calling: the credential and its owner.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Principal {
    pub credential_id: String,
    pub user_id: Option<String>,
    pub service_account_id: Option<String>,
    pub team_id: Option<String>,
}

/// One cached credential.
pub struct CachedCredential {
    secret_hash: Vec<u8>,
    expires_at_ms: Option<i64>,
    revoked: bool,
    owner_active: bool,
    pub grants: Grants,
    pub principal: Principal,
    last_used_ms: AtomicI64,
}

/// Why a presented key was refused. Each maps to its own 401 code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthError {
    /// No key, or not in the gateway's format, or no such key / wrong secret.
    Invalid,
    Revoked,
    Expired,
    /// The owning user or service account is disabled.
    OwnerDisabled,
}

type Map = HashMap<String, Arc<CachedCredential>>;

/// See the module docs.
pub struct KeyCache {
    store: Store,
    map: RwLock<Arc<Map>>,
    epoch: AtomicI64,
}

impl KeyCache {
    /// Loads every credential.
    pub async fn load(store: Store) -> Result<Arc<KeyCache>, StoreError> {
        let cache = Arc::new(KeyCache {
            store,
            map: RwLock::new(Arc::new(HashMap::new())),
            epoch: AtomicI64::new(i64::MIN),
        });
        cache.refresh().await?;
        Ok(cache)
    }

    /// Reloads from the database now (the epoch is read first, so a change racing with the
    /// reload triggers another one on the next poll).
    pub async fn refresh(&self) -> Result<(), StoreError> {
        let mut conn = self.store.conn().await?;
        let epoch = conn.ex().auth_epoch().await?;
        let rows = conn.ex().load_auth_rows().await?;
        drop(conn);
        let old = self.snapshot();
        let map: Map = rows
            .into_iter()
            .map(|row| {
                let (public_id, entry) = entry(row);
                // Keep unflushed last-use times across reloads.
                if let Some(prev) = old.get(&public_id) {
                    let used = prev.last_used_ms.load(Ordering::Relaxed);
                    entry.last_used_ms.store(used, Ordering::Relaxed);
                }
                (public_id, entry)
            })
            .collect();
        *self.map.write().unwrap_or_else(|p| p.into_inner()) = Arc::new(map);
        self.epoch.store(epoch, Ordering::Release);
        Ok(())
    }

    fn snapshot(&self) -> Arc<Map> {
        self.map.read().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// Checks a presented key (the raw header value, without `Bearer `).
    pub fn authenticate(&self, raw: &str) -> Result<Arc<CachedCredential>, AuthError> {
        let key = ApiKey::parse(raw).ok_or(AuthError::Invalid)?;
        let map = self.snapshot();
        let entry = map.get(key.public_id()).ok_or(AuthError::Invalid)?;
        if !key.matches(&entry.secret_hash) {
            return Err(AuthError::Invalid);
        }
        if entry.revoked {
            return Err(AuthError::Revoked);
        }
        let now = Utc::now().timestamp_millis();
        if entry.expires_at_ms.is_some_and(|e| e <= now) {
            return Err(AuthError::Expired);
        }
        if !entry.owner_active {
            return Err(AuthError::OwnerDisabled);
        }
        entry.last_used_ms.store(now, Ordering::Relaxed);
        Ok(entry.clone())
    }

    /// The epoch the cache was last loaded at.
    pub fn epoch(&self) -> i64 {
        self.epoch.load(Ordering::Acquire)
    }

    /// Writes in-memory last-use times to the database in one batch.
    pub async fn flush_last_used(&self) -> Result<usize, StoreError> {
        let used: Vec<(String, DateTime<Utc>)> = self
            .snapshot()
            .values()
            .filter_map(|e| {
                let ms = e.last_used_ms.swap(0, Ordering::Relaxed);
                (ms > 0).then(|| {
                    let at = DateTime::from_timestamp_millis(ms).unwrap_or_default();
                    (e.principal.credential_id.clone(), at)
                })
            })
            .collect();
        if used.is_empty() {
            return Ok(0);
        }
        let mut tx = self.store.begin().await?;
        tx.ex().touch_credentials(&used).await?;
        tx.commit().await?;
        Ok(used.len())
    }
}

fn entry(row: AuthRow) -> (String, Arc<CachedCredential>) {
    (
        row.public_id.clone(),
        Arc::new(CachedCredential {
            secret_hash: row.secret_hash,
            expires_at_ms: row.expires_at.map(|e| e.timestamp_millis()),
            revoked: row.revoked,
            owner_active: row.owner_active,
            grants: Grants::from_column(row.model_grants.as_deref()),
            principal: Principal {
                credential_id: row.id,
                user_id: row.user_id,
                service_account_id: row.service_account_id,
                team_id: row.team_id,
            },
            last_used_ms: AtomicI64::new(0),
        }),
    )
}
