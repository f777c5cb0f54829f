//! Seeding, reading, changing and importing operational settings — the domain functions the
//! admin API, the admin page, `gateway serve` and `gateway settings` share.
//!
//! Seeding inserts each default only where its key is absent (origin `seeded`), so a restart
//! never overwrites anything. Changing one (platform admins only, [`Action::ManageSettings`])
//! validates it against the registry, stores it with origin `explicit` and writes an audit row
//! in the same transaction. Callers holding a [`super::LiveSettings`] reload it afterwards so
//! the change applies on this replica at once; other replicas follow within seconds.

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::{Value, json};

use super::Settings;
use super::registry::{self, DEFS, Def};
use crate::identity::IdentityError;
use crate::identity::permissions::{Action, Actor};
use crate::store::rows::AuditEntry;
use crate::store::settings::SettingRow;
use crate::store::{Exec, Store, StoreError, now};

/// The audit actor of the startup seeding.
const SEEDER: &str = "system:serve";

/// A setting as listings show it.
#[derive(Debug, Clone, Serialize)]
pub struct SettingView {
    pub key: &'static str,
    /// The effective value (the default when none is stored).
    pub value: Value,
    pub default: Value,
    /// `seeded`, `explicit`, or `default` when no row is stored yet.
    pub origin: String,
    /// integer | choice | url | json_paths | budget
    pub kind: &'static str,
    /// What a valid value looks like.
    pub expected: String,
    pub description: &'static str,
    pub updated_at: Option<DateTime<Utc>>,
    pub updated_by: Option<String>,
}

fn view(def: &'static Def, effective: &Settings, row: Option<&SettingRow>) -> SettingView {
    SettingView {
        key: def.key,
        value: effective.value(def.key).cloned().unwrap_or(Value::Null),
        default: (def.default)(),
        origin: row.map_or_else(|| "default".to_string(), |r| r.origin.clone()),
        kind: def.kind.name(),
        expected: def.kind.expectation(),
        description: def.description,
        updated_at: row.map(|r| r.updated_at),
        updated_by: row.and_then(|r| r.updated_by.clone()),
    }
}

fn views(rows: &[SettingRow]) -> Vec<SettingView> {
    let (effective, _) = Settings::from_rows(rows);
    DEFS.iter()
        .map(|d| view(d, &effective, rows.iter().find(|r| r.key == d.key)))
        .collect()
}

fn require(actor: &Actor) -> Result<(), IdentityError> {
    if actor.can(&Action::ManageSettings) {
        Ok(())
    } else {
        Err(IdentityError::Forbidden)
    }
}

fn lookup(key: &str) -> Result<&'static Def, IdentityError> {
    registry::def(key.trim()).ok_or_else(|| IdentityError::NotFound(registry::unknown(key)))
}

/// Stores every default whose key is absent (origin `seeded`); existing rows, seeded or
/// explicit, are never touched. Returns the keys it inserted (audited as one row).
pub async fn seed(store: &Store) -> Result<Vec<&'static str>, StoreError> {
    let at = now();
    let mut tx = store.begin().await?;
    let mut ex = tx.ex();
    let mut inserted = Vec::new();
    for def in DEFS {
        if ex
            .seed_setting(def.key, &(def.default)().to_string(), at)
            .await?
        {
            inserted.push(def.key);
        }
    }
    if !inserted.is_empty() {
        let entry = AuditEntry {
            actor: SEEDER.into(),
            action: "settings.seeded".into(),
            target_kind: Some("setting".into()),
            target_id: None,
            details: json!({ "keys": inserted }),
            client_addr: None,
        };
        ex.insert_audit(&entry, at).await?;
    }
    tx.commit().await?;
    Ok(inserted)
}

/// Every setting with its effective value and origin (for `gateway settings list`, which
/// runs as the operator and so checks no actor).
pub async fn list_all(store: &Store) -> Result<Vec<SettingView>, StoreError> {
    let rows = store.conn().await?.ex().setting_rows().await?;
    Ok(views(&rows))
}

/// Every setting, for a platform admin.
pub async fn list(store: &Store, actor: &Actor) -> Result<Vec<SettingView>, IdentityError> {
    require(actor)?;
    Ok(list_all(store).await?)
}

/// One setting, for a platform admin; `NotFound` names the known keys.
pub async fn get(store: &Store, actor: &Actor, key: &str) -> Result<SettingView, IdentityError> {
    require(actor)?;
    let def = lookup(key)?;
    let rows = store.conn().await?.ex().setting_rows().await?;
    let found = views(&rows).into_iter().find(|v| v.key == def.key);
    found.ok_or_else(|| IdentityError::NotFound(registry::unknown(key)))
}

/// Sets `key` to `value` (checked against the registry; `Invalid` names the key and what was
/// expected) with origin `explicit` and an audit row. Setting the value it already has
/// explicitly changes nothing.
pub async fn set(
    store: &Store,
    actor: &Actor,
    key: &str,
    value: &Value,
    client_addr: Option<String>,
) -> Result<SettingView, IdentityError> {
    require(actor)?;
    let def = lookup(key)?;
    let value = def.parse(value).map_err(IdentityError::Invalid)?;
    let at = now();
    let mut tx = store.begin().await?;
    let mut ex = tx.ex();
    let by = actor.user_id.as_str();
    write(&mut ex, def, &value, by, json!({}), client_addr, at).await?;
    let rows = ex.setting_rows().await?;
    tx.commit().await?;
    let found = views(&rows).into_iter().find(|v| v.key == def.key);
    found.ok_or_else(|| IdentityError::NotFound(registry::unknown(key)))
}

/// What writing one value did (or, in a dry run, would do).
#[derive(Debug, Clone, Serialize)]
pub struct Change {
    pub key: &'static str,
    pub from: Value,
    /// The stored origin before: `seeded`, `explicit` or `default`.
    pub from_origin: String,
    pub to: Value,
    /// False when the value was already stored explicitly.
    pub changed: bool,
}

/// Writes `value` unless it is already stored explicitly; audits the change.
async fn write(
    ex: &mut Exec<'_>,
    def: &'static Def,
    value: &Value,
    by: &str,
    extra: Value,
    client_addr: Option<String>,
    at: DateTime<Utc>,
) -> Result<Change, IdentityError> {
    let change = compare(ex, def, value).await?;
    if !change.changed {
        return Ok(change);
    }
    ex.put_setting(def.key, &value.to_string(), by, at).await?;
    let mut details = json!({
        "key": def.key, "from": change.from, "from_origin": change.from_origin, "to": value,
    });
    if let (Some(d), Value::Object(more)) = (details.as_object_mut(), extra) {
        d.extend(more);
    }
    let entry = AuditEntry {
        actor: by.to_string(),
        action: "setting.changed".into(),
        target_kind: Some("setting".into()),
        target_id: Some(def.key.to_string()),
        details,
        client_addr,
    };
    ex.insert_audit(&entry, at).await?;
    Ok(change)
}

async fn compare(
    ex: &mut Exec<'_>,
    def: &'static Def,
    value: &Value,
) -> Result<Change, IdentityError> {
    let row = ex.setting_row(def.key).await?;
    let (from, from_origin) = match &row {
        Some(r) => (
            serde_json::from_str(&r.value).unwrap_or(Value::Null),
            r.origin.clone(),
        ),
        None => ((def.default)(), "default".to_string()),
    };
    let changed = !(from_origin == "explicit" && &from == value);
    Ok(Change {
        key: def.key,
        from,
        from_origin,
        to: value.clone(),
        changed,
    })
}

/// What `gateway settings import` did.
#[derive(Debug, Clone, Serialize)]
pub struct ImportReport {
    pub dry_run: bool,
    pub changes: Vec<Change>,
}

/// Writes `values` (setting key → value, e.g. from a YAML file) as explicit settings, each
/// audited as `by`. Every value is checked first; if any is invalid nothing is written and
/// `Invalid` lists every problem, one per line. `dry_run` reports without writing.
pub async fn import(
    store: &Store,
    values: &[(String, Value)],
    dry_run: bool,
    by: &str,
) -> Result<ImportReport, IdentityError> {
    let mut parsed = Vec::new();
    let mut problems = Vec::new();
    for (key, value) in values {
        match registry::def(key) {
            None => problems.push(format!("{key}: not an operational setting")),
            Some(def) => match def.parse(value) {
                Ok(v) => parsed.push((def, v)),
                Err(e) => problems.push(e),
            },
        }
    }
    if !problems.is_empty() {
        return Err(IdentityError::Invalid(problems.join("\n")));
    }
    let at = now();
    let mut tx = store.begin().await?;
    let mut ex = tx.ex();
    let mut changes = Vec::new();
    for (def, value) in parsed {
        let change = if dry_run {
            compare(&mut ex, def, &value).await?
        } else {
            let via = json!({ "via": "import" });
            write(&mut ex, def, &value, by, via, None, at).await?
        };
        changes.push(change);
    }
    if dry_run {
        drop(tx);
    } else {
        tx.commit().await?;
    }
    Ok(ImportReport { dry_run, changes })
}
