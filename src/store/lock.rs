//! Cross-process serialisation for the startup actions (migrate, bootstrap-admin, seed-config).
//!
//! PostgreSQL: a session-level `pg_advisory_lock` taken on one pinned connection, then (for
//! [`Tx::begin`]) a transaction on that same connection. SQLite: `BEGIN EXCLUSIVE` on one
//! connection, behind an in-process async mutex so tasks of one process queue without blocking
//! a runtime thread in SQLite's busy handler. Dropping a [`Tx`] without committing rolls
//! back and releases the lock (the PostgreSQL connection is closed rather than returned to the
//! pool with a lock or a transaction still open).

use sqlx::pool::PoolConnection;

use super::{Exec, Result, Store};

/// The named locks. Each maps to a fixed advisory-lock key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LockName {
    Migrate,
    Bootstrap,
    Seed,
}

impl LockName {
    fn key(self) -> i64 {
        // "gw" in the high bytes keeps clear of other applications sharing the database.
        const BASE: i64 = 0x6777_0000;
        match self {
            LockName::Migrate => BASE + 1,
            LockName::Bootstrap => BASE + 2,
            LockName::Seed => BASE + 3,
        }
    }
}

/// An open transaction (optionally under a named cross-process lock), or a held lock whose
/// holder manages its own transactions (migrations).
pub struct Tx {
    inner: Inner,
}

enum Inner {
    Sqlite {
        /// `None` once committed (given back to the store).
        conn: Option<libsql::Connection>,
        store: super::sqlite::SqliteStore,
        _guard: tokio::sync::OwnedMutexGuard<()>,
    },
    Postgres {
        conn: Option<PoolConnection<sqlx::Postgres>>,
        key: Option<i64>,
        in_tx: bool,
    },
}

impl Tx {
    /// Takes the lock and opens a transaction.
    pub(super) async fn begin(store: &Store, name: LockName) -> Result<Tx> {
        Self::acquire(store, Some(name), true).await
    }

    /// Opens an ordinary write transaction, without a cross-process lock.
    pub(super) async fn plain(store: &Store) -> Result<Tx> {
        Self::acquire(store, None, true).await
    }

    /// Takes the lock for work that manages its own transactions (migrations). On SQLite the
    /// whole run still happens inside one exclusive transaction.
    pub async fn session(store: &Store, name: LockName) -> Result<Tx> {
        Self::acquire(store, Some(name), false).await
    }

    async fn acquire(store: &Store, name: Option<LockName>, in_tx: bool) -> Result<Tx> {
        match store {
            Store::Sqlite(s) => {
                let guard = s.write_lock().await;
                let conn = s.take_writer().await?;
                let begin = if name.is_some() {
                    "BEGIN EXCLUSIVE"
                } else {
                    "BEGIN IMMEDIATE"
                };
                conn.execute(begin, ()).await?;
                Ok(Tx {
                    inner: Inner::Sqlite {
                        conn: Some(conn),
                        store: s.clone(),
                        _guard: guard,
                    },
                })
            }
            Store::Postgres(p) => {
                let mut conn = p.acquire().await?;
                let key = name.map(LockName::key);
                if let Some(key) = key {
                    sqlx::query("SELECT pg_advisory_lock($1)")
                        .bind(key)
                        .execute(&mut *conn)
                        .await?;
                }
                if in_tx {
                    sqlx::query("BEGIN").execute(&mut *conn).await?;
                }
                Ok(Tx {
                    inner: Inner::Postgres {
                        conn: Some(conn),
                        key,
                        in_tx,
                    },
                })
            }
        }
    }

    /// The executor: queries run on the locked connection (inside the transaction, if any).
    pub fn ex(&mut self) -> Exec<'_> {
        match &mut self.inner {
            // Only `commit` takes the connection, and it consumes `self`.
            Inner::Sqlite { conn, .. } => match conn {
                Some(c) => Exec::Sqlite(c),
                None => unreachable!("locked connection used after commit"),
            },
            Inner::Postgres { conn, .. } => match conn {
                Some(c) => Exec::Postgres(c),
                None => unreachable!("locked connection used after commit"),
            },
        }
    }

    /// Commits (when a transaction is open) and releases the lock.
    pub async fn commit(mut self) -> Result<()> {
        match &mut self.inner {
            Inner::Sqlite { conn, store, .. } => {
                let Some(c) = conn.take() else {
                    return Ok(());
                };
                c.execute("COMMIT", ()).await?;
                store.put_writer(c);
                Ok(())
            }
            Inner::Postgres { conn, key, in_tx } => {
                let Some(mut c) = conn.take() else {
                    return Ok(());
                };
                if *in_tx {
                    sqlx::query("COMMIT").execute(&mut *c).await?;
                }
                if let Some(key) = key {
                    sqlx::query("SELECT pg_advisory_unlock($1)")
                        .bind(*key)
                        .execute(&mut *c)
                        .await?;
                }
                Ok(())
            }
        }
    }
}

impl Drop for Tx {
    fn drop(&mut self) {
        // SQLite: dropping the connection closes it, which rolls back and frees the lock.
        // PostgreSQL: close the socket instead of pooling a connection that still holds the
        // advisory lock; the server then rolls back and releases it.
        if let Inner::Postgres { conn, .. } = &mut self.inner
            && let Some(c) = conn.take()
        {
            drop(c.detach());
        }
    }
}
