//! Operational-settings SQL for SQLite (see `store::settings`).

use chrono::{DateTime, Utc};
use libsql::{Connection, params};

use super::{collect, first, from_ms, ms};
use crate::store::Result;
use crate::store::settings::SettingRow;

/// The columns of a [`SettingRow`]. A macro so queries can `concat!` onto it.
macro_rules! select {
    () => {
        "SELECT key, value, origin, updated_at, updated_by FROM settings"
    };
}

fn row(r: &libsql::Row) -> Result<SettingRow> {
    Ok(SettingRow {
        key: r.get(0)?,
        value: r.get(1)?,
        origin: r.get(2)?,
        updated_at: from_ms(r.get(3)?)?,
        updated_by: r.get(4)?,
    })
}

pub async fn setting_rows(c: &Connection) -> Result<Vec<SettingRow>> {
    let rows = c.query(concat!(select!(), " ORDER BY key"), ()).await?;
    collect(rows, row).await
}

pub async fn setting_row(c: &Connection, key: &str) -> Result<Option<SettingRow>> {
    let rows = c
        .query(concat!(select!(), " WHERE key = ?1"), [key])
        .await?;
    first(rows, row).await
}

pub async fn seed_setting(
    c: &Connection,
    key: &str,
    value: &str,
    at: DateTime<Utc>,
) -> Result<bool> {
    let n = c
        .execute(
            "INSERT INTO settings (key, value, origin, updated_at, updated_by) \
             VALUES (?1, ?2, 'seeded', ?3, NULL) ON CONFLICT (key) DO NOTHING",
            params![key, value, ms(at)],
        )
        .await?;
    Ok(n > 0)
}

pub async fn put_setting(
    c: &Connection,
    key: &str,
    value: &str,
    updated_by: &str,
    at: DateTime<Utc>,
) -> Result<()> {
    c.execute(
        "INSERT INTO settings (key, value, origin, updated_at, updated_by) \
         VALUES (?1, ?2, 'explicit', ?3, ?4) ON CONFLICT (key) DO UPDATE SET \
         value = excluded.value, origin = 'explicit', updated_at = excluded.updated_at, \
         updated_by = excluded.updated_by",
        params![key, value, ms(at), updated_by],
    )
    .await?;
    Ok(())
}
