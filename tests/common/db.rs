//! A fresh database per test, on either engine, plus raw SQL access for assertions.

use std::path::PathBuf;

use sqlx::{Connection, Executor, PgConnection};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// The admin URL of the PostgreSQL server tests create databases on.
pub fn pg_admin_url() -> String {
    std::env::var("GATEWAY_TEST_PG_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into())
}

/// A database that exists for one test; PostgreSQL databases are dropped afterwards.
pub struct TestDb {
    pub backend: Backend,
    /// The URL to put in `database.url` / `GATEWAY_DATABASE_URL`.
    pub url: String,
    pub dir: tempfile::TempDir,
    pg_name: Option<String>,
}

impl TestDb {
    pub async fn new(backend: Backend) -> TestDb {
        let dir = tempfile::tempdir().expect("tempdir");
        match backend {
            Backend::Sqlite => {
                let path = dir.path().join("gateway.db");
                TestDb {
                    backend,
                    url: format!("sqlite:{}", path.display()),
                    dir,
                    pg_name: None,
                }
            }
            Backend::Postgres => {
                let name = format!("gw_test_{}", uuid::Uuid::new_v4().simple());
                let mut admin = PgConnection::connect(&pg_admin_url())
                    .await
                    .unwrap_or_else(|e| {
                        panic!(
                            "PostgreSQL is required for this test and did not answer at {}: {e}. \
                         Run the tests with scripts/test.sh, which starts one.",
                            pg_admin_url()
                        )
                    });
                admin
                    .execute(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
                    .await
                    .expect("create test database");
                let mut url = url::Url::parse(&pg_admin_url()).expect("pg url");
                url.set_path(&name);
                TestDb {
                    backend,
                    url: url.to_string(),
                    dir,
                    pg_name: Some(name),
                }
            }
        }
    }

    pub fn sqlite_path(&self) -> PathBuf {
        self.dir.path().join("gateway.db")
    }

    /// Runs one statement that returns nothing.
    pub async fn exec(&self, sql: &str) {
        match self.backend {
            Backend::Sqlite => {
                let db = libsql::Builder::new_local(self.sqlite_path())
                    .build()
                    .await
                    .expect("open sqlite");
                let conn = db.connect().expect("connect");
                conn.busy_timeout(std::time::Duration::from_secs(10))
                    .expect("busy");
                conn.execute_batch(sql).await.expect("exec");
            }
            Backend::Postgres => {
                let mut c = PgConnection::connect(&self.url).await.expect("connect");
                c.execute(sqlx::AssertSqlSafe(sql.to_string()))
                    .await
                    .expect("exec");
            }
        }
    }

    /// Runs a query and returns every row as strings (NULL as "NULL"); SQL must cast
    /// non-text columns itself where engines differ.
    pub async fn rows(&self, sql: &str) -> Vec<Vec<String>> {
        match self.backend {
            Backend::Sqlite => {
                let db = libsql::Builder::new_local(self.sqlite_path())
                    .build()
                    .await
                    .expect("open sqlite");
                let conn = db.connect().expect("connect");
                conn.busy_timeout(std::time::Duration::from_secs(10))
                    .expect("busy");
                let mut rows = conn.query(sql, ()).await.expect("query");
                let mut out = Vec::new();
                while let Some(r) = rows.next().await.expect("row") {
                    let mut line = Vec::new();
                    for i in 0..r.column_count() {
                        line.push(match r.get_value(i).expect("value") {
                            libsql::Value::Null => "NULL".to_string(),
                            libsql::Value::Integer(v) => v.to_string(),
                            libsql::Value::Real(v) => v.to_string(),
                            libsql::Value::Text(v) => v,
                            libsql::Value::Blob(v) => format!("{v:?}"),
                        });
                    }
                    out.push(line);
                }
                out
            }
            Backend::Postgres => {
                use sqlx::Row;
                let mut c = PgConnection::connect(&self.url).await.expect("connect");
                let rows = sqlx::query(sqlx::AssertSqlSafe(sql.to_string()))
                    .fetch_all(&mut c)
                    .await
                    .expect("query");
                rows.iter()
                    .map(|r| {
                        (0..r.len())
                            .map(|i| {
                                if let Ok(v) = r.try_get::<Option<String>, _>(i) {
                                    return v.unwrap_or_else(|| "NULL".into());
                                }
                                if let Ok(v) = r.try_get::<Option<i64>, _>(i) {
                                    return v.map_or("NULL".into(), |v| v.to_string());
                                }
                                if let Ok(v) = r.try_get::<Option<i32>, _>(i) {
                                    return v.map_or("NULL".into(), |v| v.to_string());
                                }
                                if let Ok(v) = r.try_get::<Option<bool>, _>(i) {
                                    return v.map_or("NULL".into(), |v| (v as i32).to_string());
                                }
                                panic!("column {i} of {sql:?}: cast it to text in the query")
                            })
                            .collect()
                    })
                    .collect()
            }
        }
    }

    /// The single value of a one-row, one-column query.
    pub async fn scalar(&self, sql: &str) -> String {
        let rows = self.rows(sql).await;
        assert_eq!(rows.len(), 1, "{sql} returned {} rows", rows.len());
        rows[0][0].clone()
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let Some(name) = self.pg_name.take() else {
            return;
        };
        // Drop needs async work; do it on a small runtime of its own, off the test's runtime.
        let _ = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("runtime");
            rt.block_on(async {
                if let Ok(mut admin) = PgConnection::connect(&pg_admin_url()).await {
                    let _ = admin
                        .execute(sqlx::AssertSqlSafe(format!(
                            "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
                        )))
                        .await;
                }
            });
        })
        .join();
    }
}

impl TestDb {
    /// The gateway's own store on this database, migrated: for tests that call domain or
    /// store functions directly.
    pub async fn migrated_store(&self) -> gateway::store::Store {
        let url = gateway::config::dburl::DbUrl::parse(&self.url).expect("url");
        let store = gateway::store::Store::open(&url).await.expect("open");
        gateway::store::migrate::apply(&store)
            .await
            .expect("migrate");
        store
    }

    /// Runs a statement on the PostgreSQL admin database (server-wide operations).
    pub async fn admin_exec(sql: &str) {
        let mut admin = PgConnection::connect(&pg_admin_url())
            .await
            .expect("admin connect");
        admin
            .execute(sqlx::AssertSqlSafe(sql.to_string()))
            .await
            .expect("admin exec");
    }
}
