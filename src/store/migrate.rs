//! Schema migrations: refinery's embedded `V{n}__{name}.sql` files for each engine, run through
//! thin adapters (refinery has no libsql or sqlx driver), under the `Migrate` lock.
//!
//! A database that carries a migration this binary does not know is refused before anything
//! runs: it was migrated by a newer gateway, and running older code on it is unsafe.

use refinery_core::Migration;
use refinery_core::traits::r#async::{AsyncMigrate, AsyncQuery, AsyncTransaction};
use sqlx::{AssertSqlSafe, Row};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use super::{Exec, LockName, Store, StoreError, Tx};

mod embedded_sqlite {
    refinery::embed_migrations!("migrations/sqlite");
}
mod embedded_postgres {
    refinery::embed_migrations!("migrations/postgres");
}

const HISTORY_TABLE: &str = "refinery_schema_history";

/// One migration, as `V{version}__{name}`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct MigrationId {
    pub version: i32,
    pub name: String,
}

impl std::fmt::Display for MigrationId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "V{}__{}", self.version, self.name)
    }
}

/// Where the database stands relative to this binary's migrations.
#[derive(Debug, Clone, serde::Serialize)]
pub struct MigrationStatus {
    pub applied: Vec<MigrationId>,
    pub pending: Vec<MigrationId>,
    /// Applied in the database but unknown to this binary.
    pub unknown: Vec<MigrationId>,
}

impl MigrationStatus {
    /// The error to refuse a database migrated by a newer binary with, if it is one.
    pub fn refuse_unknown(&self) -> Result<(), StoreError> {
        if self.unknown.is_empty() {
            return Ok(());
        }
        let names: Vec<String> = self.unknown.iter().map(ToString::to_string).collect();
        Err(StoreError::Backend(format!(
            "the database carries migration(s) this gateway binary does not know: {}. \
             It was migrated by a newer version; run that version (or restore a backup) \
             instead of this one",
            names.join(", ")
        )))
    }
}

/// The migrations embedded in this binary for `store`'s engine.
pub fn known(store: &Store) -> Vec<MigrationId> {
    let runner = match store {
        Store::Sqlite(_) => embedded_sqlite::migrations::runner(),
        Store::Postgres(_) => embedded_postgres::migrations::runner(),
    };
    let mut ids: Vec<MigrationId> = runner.get_migrations().iter().map(id_of).collect();
    ids.sort_by_key(|m| m.version);
    ids
}

fn id_of(m: &Migration) -> MigrationId {
    MigrationId {
        version: m.version(),
        name: m.name().to_string(),
    }
}

/// Compares the database's history with the embedded migrations. Read-only.
pub async fn status(store: &Store) -> Result<MigrationStatus, StoreError> {
    let mut conn = store.conn().await?;
    let applied = applied(conn.ex()).await?;
    Ok(compare(known(store), applied))
}

fn compare(known: Vec<MigrationId>, applied: Vec<MigrationId>) -> MigrationStatus {
    let pending = known
        .iter()
        .filter(|k| !applied.iter().any(|a| a.version == k.version))
        .cloned()
        .collect();
    let unknown = applied
        .iter()
        .filter(|a| !known.iter().any(|k| k.version == a.version))
        .cloned()
        .collect();
    MigrationStatus {
        applied,
        pending,
        unknown,
    }
}

async fn applied(ex: Exec<'_>) -> Result<Vec<MigrationId>, StoreError> {
    let sql = "SELECT version, name FROM refinery_schema_history ORDER BY version";
    match ex {
        Exec::Sqlite(c) => {
            let mut exists = c
                .query(
                    "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?1",
                    [HISTORY_TABLE],
                )
                .await?;
            if exists.next().await?.is_none() {
                return Ok(Vec::new());
            }
            let rows = c.query(sql, ()).await?;
            super::sqlite::collect(rows, |r| {
                Ok(MigrationId {
                    version: r.get::<i64>(0)? as i32,
                    name: r.get(1)?,
                })
            })
            .await
        }
        Exec::Postgres(c) => {
            let exists: Option<String> = sqlx::query_scalar("SELECT to_regclass($1)::text")
                .bind(HISTORY_TABLE)
                .fetch_one(&mut *c)
                .await?;
            if exists.is_none() {
                return Ok(Vec::new());
            }
            let rows = sqlx::query(sql).fetch_all(&mut *c).await?;
            rows.iter()
                .map(|r| {
                    Ok(MigrationId {
                        version: r.try_get::<i32, _>(0)?,
                        name: r.try_get(1)?,
                    })
                })
                .collect()
        }
    }
}

/// Applies every pending migration under the `Migrate` lock; returns what it applied.
/// Safe to run from many processes at once: the first applies, the others find nothing to do.
pub async fn apply(store: &Store) -> Result<Vec<MigrationId>, StoreError> {
    let mut locked = Tx::session(store, LockName::Migrate).await?;
    let current = compare(known(store), applied(locked.ex()).await?);
    current.refuse_unknown()?;
    let report = match (store, locked.ex()) {
        (Store::Sqlite(_), Exec::Sqlite(c)) => {
            embedded_sqlite::migrations::runner()
                .set_abort_divergent(true)
                .set_abort_missing(true)
                .run_async(&mut SqliteMigrations(c))
                .await
        }
        (Store::Postgres(_), Exec::Postgres(c)) => {
            embedded_postgres::migrations::runner()
                .set_abort_divergent(true)
                .set_abort_missing(true)
                .run_async(&mut PgMigrations(c))
                .await
        }
        _ => return Err(StoreError::Backend("engine mismatch".into())),
    }
    .map_err(|e| StoreError::Backend(format!("migration failed: {e}")))?;
    locked.commit().await?;
    Ok(report.applied_migrations().iter().map(id_of).collect())
}

fn parse_history_row(
    version: i64,
    name: String,
    applied_on: &str,
    checksum: &str,
) -> Result<Migration, StoreError> {
    let applied_on = OffsetDateTime::parse(applied_on, &Rfc3339)
        .map_err(|e| StoreError::Corrupt(format!("migration {version} applied_on: {e}")))?;
    let checksum = checksum
        .parse::<u64>()
        .map_err(|e| StoreError::Corrupt(format!("migration {version} checksum: {e}")))?;
    Ok(Migration::applied(
        version as i32,
        name,
        applied_on,
        checksum,
    ))
}

/// refinery adapter over a libsql connection that is already inside `BEGIN EXCLUSIVE`
/// (see `Tx::session`), so every migration of one run commits or rolls back together.
struct SqliteMigrations<'a>(&'a libsql::Connection);

impl AsyncTransaction for SqliteMigrations<'_> {
    type Error = StoreError;

    async fn execute<'a, T: Iterator<Item = &'a str> + Send + 'a>(
        &'a mut self,
        queries: T,
    ) -> Result<usize, StoreError> {
        let mut count = 0;
        for q in queries {
            self.0.execute_batch(q).await?;
            count += 1;
        }
        Ok(count)
    }
}

impl AsyncQuery<Vec<Migration>> for SqliteMigrations<'_> {
    async fn query<'a>(&'a mut self, query: &'a str) -> Result<Vec<Migration>, StoreError> {
        let rows = self.0.query(query, ()).await?;
        super::sqlite::collect(rows, |r| {
            parse_history_row(r.get(0)?, r.get(1)?, r.get_str(2)?, r.get_str(3)?)
        })
        .await
    }
}

impl AsyncMigrate for SqliteMigrations<'_> {}

/// refinery adapter over the pinned PostgreSQL connection holding the advisory lock.
struct PgMigrations<'a>(&'a mut sqlx::PgConnection);

impl AsyncTransaction for PgMigrations<'_> {
    type Error = StoreError;

    async fn execute<'a, T: Iterator<Item = &'a str> + Send + 'a>(
        &'a mut self,
        queries: T,
    ) -> Result<usize, StoreError> {
        sqlx::raw_sql("BEGIN").execute(&mut *self.0).await?;
        let mut count = 0;
        for q in queries {
            if let Err(e) = sqlx::raw_sql(AssertSqlSafe(q.to_string()))
                .execute(&mut *self.0)
                .await
            {
                sqlx::raw_sql("ROLLBACK").execute(&mut *self.0).await?;
                return Err(e.into());
            }
            count += 1;
        }
        sqlx::raw_sql("COMMIT").execute(&mut *self.0).await?;
        Ok(count)
    }
}

impl AsyncQuery<Vec<Migration>> for PgMigrations<'_> {
    async fn query<'a>(&'a mut self, query: &'a str) -> Result<Vec<Migration>, StoreError> {
        let rows = sqlx::query(AssertSqlSafe(query.to_string()))
            .fetch_all(&mut *self.0)
            .await?;
        rows.iter()
            .map(|r| {
                let version: i32 = r.try_get(0)?;
                let applied_on: String = r.try_get(2)?;
                let checksum: String = r.try_get(3)?;
                parse_history_row(version.into(), r.try_get(1)?, &applied_on, &checksum)
            })
            .collect()
    }
}

impl AsyncMigrate for PgMigrations<'_> {}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(version: i32, name: &str) -> MigrationId {
        MigrationId {
            version,
            name: name.into(),
        }
    }

    #[test]
    fn compare_splits_pending_and_unknown() {
        let s = compare(
            vec![id(1, "initial"), id(2, "more")],
            vec![id(1, "initial"), id(9, "future")],
        );
        assert_eq!(s.pending, vec![id(2, "more")]);
        assert_eq!(s.unknown, vec![id(9, "future")]);
        let err = s.refuse_unknown().unwrap_err().to_string();
        assert!(err.contains("V9__future"), "{err}");
    }
}
