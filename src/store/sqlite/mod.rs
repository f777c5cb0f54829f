//! The libsql (embedded SQLite) engine: opening the file, per-connection pragmas, row helpers.
//! SQL for each capability sits in the sibling files; nothing here knows about PostgreSQL.

pub mod admin_tokens;
pub mod budget_admin;
pub mod budgets;
pub mod catalog;
pub mod credentials;
pub mod demo;
pub mod directory;
pub mod identity;
pub mod invites;
pub mod logs;
pub mod observe;
pub mod seed;
pub mod service_accounts;
pub mod sessions;
pub mod settings;
pub mod usage;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};

use crate::store::{Result, StoreError};

/// How long a statement waits for another process's lock before failing.
const BUSY_TIMEOUT: Duration = Duration::from_secs(15);

/// An opened SQLite database file.
#[derive(Clone)]
pub struct SqliteStore {
    db: Arc<libsql::Database>,
    /// The idle write connection, reused by every write transaction (they take turns under
    /// `write_lock`), so its page cache stays warm. It also keeps the database open between
    /// operations: otherwise each read connection closing would be "the last connection
    /// closing", which checkpoints and deletes the `-wal` file only for the next write to
    /// create it again (about ten extra system calls and an fsync per transaction, measured
    /// in the bench).
    writer: Arc<std::sync::Mutex<Option<libsql::Connection>>>,
    write_lock: Arc<tokio::sync::Mutex<()>>,
    path: PathBuf,
}

/// Puts the database in WAL mode (`journal_mode` answers with a row, so it goes through
/// `query`).
async fn use_wal(conn: &libsql::Connection) -> std::result::Result<(), libsql::Error> {
    let mut rows = conn.query("PRAGMA journal_mode = WAL", ()).await?;
    while rows.next().await?.is_some() {}
    Ok(())
}

impl SqliteStore {
    pub async fn open(path: &Path) -> Result<SqliteStore> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty())
            && !dir.exists()
        {
            return Err(StoreError::Unavailable(format!(
                "cannot create SQLite database {}: directory {} does not exist",
                path.display(),
                dir.display()
            )));
        }
        let db = libsql::Builder::new_local(path)
            .build()
            .await
            .map_err(|e| StoreError::Unavailable(format!("{}: {e}", path.display())))?;
        let store = SqliteStore {
            db: Arc::new(db),
            writer: Arc::default(),
            write_lock: Arc::new(tokio::sync::Mutex::new(())),
            path: path.to_path_buf(),
        };
        let conn = store.connect().await?;
        // Switching a new file to WAL needs it to itself, and SQLite answers "database is
        // locked" at once, without its busy handler, while another process opens the same
        // file (several replicas migrating one new database): retry for the busy timeout.
        let deadline = std::time::Instant::now() + BUSY_TIMEOUT;
        loop {
            match use_wal(&conn).await {
                Err(libsql::Error::SqliteFailure(code, _))
                    if matches!(code & 0xff, 5 | 6) && std::time::Instant::now() < deadline =>
                {
                    tokio::time::sleep(Duration::from_millis(10)).await;
                }
                done => break done?,
            }
        }
        store.put_writer(conn);
        Ok(store)
    }

    /// A new connection with foreign keys enforced and a busy timeout.
    pub async fn connect(&self) -> Result<libsql::Connection> {
        let conn = self.db.connect()?;
        conn.busy_timeout(BUSY_TIMEOUT)?;
        conn.execute("PRAGMA foreign_keys = ON", ()).await?;
        Ok(conn)
    }

    /// The write connection (see [`SqliteStore::writer`]); call with `write_lock` held.
    pub async fn take_writer(&self) -> Result<libsql::Connection> {
        let idle = self.writer.lock().ok().and_then(|mut slot| slot.take());
        match idle {
            Some(conn) => Ok(conn),
            None => self.connect().await,
        }
    }

    /// Gives the write connection back, outside any transaction: after `COMMIT`. (A
    /// transaction that is dropped instead closes its connection, which rolls it back.)
    pub fn put_writer(&self, conn: libsql::Connection) {
        if let Ok(mut slot) = self.writer.lock() {
            *slot = Some(conn);
        }
    }

    /// The in-process writer queue (see `store::lock`).
    pub async fn write_lock(&self) -> tokio::sync::OwnedMutexGuard<()> {
        self.write_lock.clone().lock_owned().await
    }

    pub fn path(&self) -> &Path {
        &self.path
    }
}

pub async fn ping(conn: &libsql::Connection) -> Result<()> {
    let mut rows = conn.query("SELECT 1", ()).await?;
    rows.next().await?;
    Ok(())
}

/// Stored timestamps are unix milliseconds.
pub fn ms(t: DateTime<Utc>) -> i64 {
    t.timestamp_millis()
}

pub fn from_ms(v: i64) -> Result<DateTime<Utc>> {
    DateTime::from_timestamp_millis(v)
        .ok_or_else(|| StoreError::Corrupt(format!("timestamp {v} out of range")))
}

pub fn opt_from_ms(v: Option<i64>) -> Result<Option<DateTime<Utc>>> {
    v.map(from_ms).transpose()
}

/// Reads every row of a query through `f`.
pub async fn collect<T>(
    mut rows: libsql::Rows,
    f: impl Fn(&libsql::Row) -> Result<T>,
) -> Result<Vec<T>> {
    let mut out = Vec::new();
    while let Some(row) = rows.next().await? {
        out.push(f(&row)?);
    }
    Ok(out)
}

/// Reads the first row of a query through `f`, if any.
pub async fn first<T>(
    mut rows: libsql::Rows,
    f: impl Fn(&libsql::Row) -> Result<T>,
) -> Result<Option<T>> {
    match rows.next().await? {
        Some(row) => Ok(Some(f(&row)?)),
        None => Ok(None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{Exec, Store};

    async fn run(tx: &mut crate::store::Tx, sql: &str) {
        match tx.ex() {
            Exec::Sqlite(c) => c.execute(sql, ()).await.unwrap(),
            Exec::Postgres(_) => unreachable!("a SQLite store"),
        };
    }

    #[tokio::test]
    async fn write_transactions_share_one_connection_that_keeps_the_wal_and_drops_roll_back() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("gateway.db");
        let Store::Sqlite(sqlite) =
            Store::open(&crate::config::DbUrl::Sqlite { path: path.clone() })
                .await
                .unwrap()
        else {
            unreachable!("a SQLite URL");
        };
        let store = Store::Sqlite(sqlite.clone());
        let mut tx = store.begin().await.unwrap();
        run(&mut tx, "CREATE TABLE t (v INTEGER)").await;
        tx.commit().await.unwrap();

        // A read connection coming and going is not the last one: the WAL stays.
        drop(store.conn().await.unwrap());
        assert!(
            dir.path().join("gateway.db-wal").exists(),
            "the -wal file was deleted"
        );

        // A transaction dropped without commit rolls back and does not come back to the slot.
        let mut tx = store.begin().await.unwrap();
        run(&mut tx, "INSERT INTO t VALUES (1)").await;
        drop(tx);
        assert!(sqlite.writer.lock().unwrap().is_none());
        let mut tx = store.begin().await.unwrap();
        run(&mut tx, "INSERT INTO t VALUES (2)").await;
        tx.commit().await.unwrap();
        assert!(
            sqlite.writer.lock().unwrap().is_some(),
            "committed: given back"
        );

        let conn = sqlite.connect().await.unwrap();
        let rows = conn
            .query("SELECT group_concat(v) FROM t", ())
            .await
            .unwrap();
        let values = first(rows, |r| Ok(r.get::<String>(0)?)).await.unwrap();
        assert_eq!(values.as_deref(), Some("2"));
    }
}
