//! Persistence: the [`Store`] enum over the two engines and the per-capability SQL behind it.
//!
//! `sqlite:`/bare paths open a libsql database; `postgres://` a sqlx pool. Domain code never
//! sees either driver: it gets an [`Exec`] (a connection or an open transaction) and calls the
//! capability methods defined in `store/<capability>.rs`, which dispatch to
//! `store/{sqlite,postgres}/<capability>.rs`. No business rules live here, only SQL.

pub mod admin_tokens;
pub mod budget_admin;
pub mod budgets;
pub mod catalog;
pub mod credentials;
pub mod demo;
pub mod directory;
mod error;
pub mod identity;
pub mod invites;
mod lock;
pub mod logs;
pub mod migrate;
pub mod observe;
mod postgres;
pub mod rows;
pub mod seed;
pub mod service_accounts;
pub mod sessions;
pub mod settings;
mod sqlite;
pub mod usage;

use std::sync::Arc;
use std::time::Duration;

pub use error::StoreError;
pub use lock::{LockName, Tx};

use crate::config::dburl::DbUrl;

/// Shorthand for store results.
pub type Result<T> = std::result::Result<T, StoreError>;

/// A handle on the configured database. Cheap to clone.
#[derive(Clone)]
pub enum Store {
    Sqlite(sqlite::SqliteStore),
    Postgres(postgres::PgStore),
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.engine())
    }
}

/// One open connection, checked out for a few statements.
pub enum Conn {
    Sqlite(libsql::Connection),
    Postgres(sqlx::pool::PoolConnection<sqlx::Postgres>),
}

impl Conn {
    /// The executor to run capability queries on.
    pub fn ex(&mut self) -> Exec<'_> {
        match self {
            Conn::Sqlite(c) => Exec::Sqlite(c),
            Conn::Postgres(c) => Exec::Postgres(c),
        }
    }
}

/// Something capability queries run on: a plain connection or one inside a transaction.
pub enum Exec<'a> {
    Sqlite(&'a libsql::Connection),
    Postgres(&'a mut sqlx::PgConnection),
}

impl Store {
    /// Opens (and for SQLite creates) the database the URL names. Does not migrate.
    pub async fn open(url: &DbUrl) -> Result<Store> {
        match url {
            DbUrl::Sqlite { path } => Ok(Store::Sqlite(sqlite::SqliteStore::open(path).await?)),
            DbUrl::Postgres { url } => Ok(Store::Postgres(postgres::PgStore::open(url).await?)),
        }
    }

    /// `"sqlite"` or `"postgres"`, for messages.
    pub fn engine(&self) -> &'static str {
        match self {
            Store::Sqlite(_) => "sqlite",
            Store::Postgres(_) => "postgres",
        }
    }

    /// Checks out a connection.
    pub async fn conn(&self) -> Result<Conn> {
        match self {
            Store::Sqlite(s) => Ok(Conn::Sqlite(s.connect().await?)),
            Store::Postgres(p) => Ok(Conn::Postgres(p.acquire().await?)),
        }
    }

    /// Opens a transaction serialised against every other process sharing the database:
    /// a `pg_advisory_lock` on one pinned connection, or `BEGIN EXCLUSIVE` on SQLite.
    pub async fn begin_locked(&self, name: LockName) -> Result<Tx> {
        Tx::begin(self, name).await
    }

    /// Opens an ordinary write transaction. Commit with [`Tx::commit`]; dropping it rolls
    /// back.
    pub async fn begin(&self) -> Result<Tx> {
        Tx::plain(self).await
    }

    /// Answers whether the database responds within `timeout`.
    pub async fn ping(&self, timeout: Duration) -> Result<()> {
        let probe = async {
            let mut conn = self.conn().await?;
            match conn.ex() {
                Exec::Sqlite(c) => sqlite::ping(c).await,
                Exec::Postgres(c) => postgres::ping(c).await,
            }
        };
        match tokio::time::timeout(timeout, probe).await {
            Ok(result) => result,
            Err(_) => Err(StoreError::Unavailable(format!(
                "database did not answer within {} ms",
                timeout.as_millis()
            ))),
        }
    }

    /// Closes pools so the process can exit promptly.
    pub async fn close(&self) {
        if let Store::Postgres(p) = self {
            p.close().await;
        }
    }
}

/// The store shared by the server's tasks.
pub type SharedStore = Arc<Store>;

/// Spawns a long-lived background loop (request-log writer, budget flushes, polls) on a
/// blocking-pool thread of its own, driven by the current runtime's timers and sockets. The
/// embedded SQLite engine runs statements — and their fsyncs — on the calling thread; here
/// they can never stall a request worker. The loop must end when the app stops.
pub fn spawn_background<F>(fut: F) -> tokio::task::JoinHandle<()>
where
    F: std::future::Future<Output = ()> + Send + 'static,
{
    let handle = tokio::runtime::Handle::current();
    tokio::task::spawn_blocking(move || handle.block_on(fut))
}

/// Current time truncated to milliseconds, the precision both engines keep.
pub fn now() -> chrono::DateTime<chrono::Utc> {
    let ms = chrono::Utc::now().timestamp_millis();
    chrono::DateTime::from_timestamp_millis(ms).unwrap_or_default()
}

/// A fresh random id for rows whose id is not a user-chosen slug.
pub fn new_id() -> String {
    uuid::Uuid::new_v4().to_string()
}
