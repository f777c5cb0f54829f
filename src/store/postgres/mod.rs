//! The PostgreSQL engine (sqlx pool): connecting and pool settings. SQL for each capability sits
//! in the sibling files; nothing here knows about SQLite.

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

use std::time::Duration;

use sqlx::postgres::PgPoolOptions;
use sqlx::{PgConnection, PgPool};

use crate::store::{Result, StoreError};

/// A pool on one PostgreSQL database.
#[derive(Clone)]
pub struct PgStore {
    pool: PgPool,
}

impl PgStore {
    pub async fn open(url: &str) -> Result<PgStore> {
        let pool = PgPoolOptions::new()
            .max_connections(16)
            .min_connections(0)
            .acquire_timeout(Duration::from_secs(5))
            .connect(url)
            .await
            .map_err(|e| StoreError::Unavailable(redact_error(&e.to_string(), url)))?;
        Ok(PgStore { pool })
    }

    pub async fn acquire(&self) -> Result<sqlx::pool::PoolConnection<sqlx::Postgres>> {
        Ok(self.pool.acquire().await?)
    }

    pub async fn close(&self) {
        self.pool.close().await;
    }

    pub fn pool(&self) -> &PgPool {
        &self.pool
    }
}

pub async fn ping(conn: &mut PgConnection) -> Result<()> {
    sqlx::query("SELECT 1").execute(conn).await?;
    Ok(())
}

/// One column of a batch, as the array bound to an `UNNEST($n::type[])` parameter.
pub(super) fn column<'a, R, T>(rows: &'a [R], f: impl Fn(&'a R) -> T) -> Vec<T> {
    rows.iter().map(f).collect()
}

/// Connection errors may echo the URL; make sure its password never reaches a log.
fn redact_error(message: &str, url: &str) -> String {
    match url::Url::parse(url) {
        Ok(parsed) => match parsed.password() {
            Some(pw) if !pw.is_empty() => message.replace(pw, "****"),
            _ => message.to_string(),
        },
        Err(_) => message.to_string(),
    }
}
