//! Operational-settings SQL for PostgreSQL (see `store::settings`).

use chrono::{DateTime, Utc};
use sqlx::{PgConnection, Row};

use crate::store::Result;
use crate::store::settings::SettingRow;

fn row(r: &sqlx::postgres::PgRow) -> Result<SettingRow> {
    Ok(SettingRow {
        key: r.try_get("key")?,
        value: r.try_get("value")?,
        origin: r.try_get("origin")?,
        updated_at: r.try_get("updated_at")?,
        updated_by: r.try_get("updated_by")?,
    })
}

pub async fn setting_rows(c: &mut PgConnection) -> Result<Vec<SettingRow>> {
    let rows =
        sqlx::query("SELECT key, value, origin, updated_at, updated_by FROM settings ORDER BY key")
            .fetch_all(c)
            .await?;
    rows.iter().map(row).collect()
}

pub async fn setting_row(c: &mut PgConnection, key: &str) -> Result<Option<SettingRow>> {
    let found = sqlx::query(
        "SELECT key, value, origin, updated_at, updated_by FROM settings WHERE key = $1",
    )
    .bind(key)
    .fetch_optional(c)
    .await?;
    found.as_ref().map(row).transpose()
}

pub async fn seed_setting(
    c: &mut PgConnection,
    key: &str,
    value: &str,
    at: DateTime<Utc>,
) -> Result<bool> {
    let done = sqlx::query(
        "INSERT INTO settings (key, value, origin, updated_at, updated_by) \
         VALUES ($1, $2, 'seeded', $3, NULL) ON CONFLICT (key) DO NOTHING",
    )
    .bind(key)
    .bind(value)
    .bind(at)
    .execute(c)
    .await?;
    Ok(done.rows_affected() > 0)
}

pub async fn put_setting(
    c: &mut PgConnection,
    key: &str,
    value: &str,
    updated_by: &str,
    at: DateTime<Utc>,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO settings (key, value, origin, updated_at, updated_by) \
         VALUES ($1, $2, 'explicit', $3, $4) ON CONFLICT (key) DO UPDATE SET \
         value = EXCLUDED.value, origin = 'explicit', updated_at = EXCLUDED.updated_at, \
         updated_by = EXCLUDED.updated_by",
    )
    .bind(key)
    .bind(value)
    .bind(at)
    .bind(updated_by)
    .execute(c)
    .await?;
    Ok(())
}
