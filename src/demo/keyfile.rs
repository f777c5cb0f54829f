//! The demo credentials file and the one-time printout of the demo keys.
//!
//! The file (`demo-credentials.json`, next to the SQLite database by default) is written to a
//! temporary file that is *created* with mode 0600 — never world-readable, not even for a
//! moment — then renamed over the target, so readers see the old file or the new one, never
//! half of one. Nothing here logs a key; callers print [`summary`] to stdout once.

use std::io::Write;
use std::path::{Path, PathBuf};

use serde_json::{Value, json};

use super::{KeyOwner, PASSWORD, PEOPLE, Seeded};
use crate::config::DbUrl;

/// The file name of the demo credentials file.
pub const FILE_NAME: &str = "demo-credentials.json";

/// Where the file goes unless told otherwise: beside the SQLite file, or in the current
/// directory for PostgreSQL.
pub fn default_path(db: &DbUrl) -> PathBuf {
    match db {
        DbUrl::Sqlite { path } => path
            .parent()
            .filter(|d| !d.as_os_str().is_empty())
            .map_or_else(|| PathBuf::from(FILE_NAME), |d| d.join(FILE_NAME)),
        DbUrl::Postgres { .. } => PathBuf::from(FILE_NAME),
    }
}

/// The file's contents: where to sign in, the people and their password, and every key.
pub fn document(seeded: &Seeded, public_url: &str) -> Value {
    let people: Vec<Value> = PEOPLE
        .iter()
        .map(|p| json!({ "email": p.email, "name": p.name, "team": p.team, "role": p.role.as_str() }))
        .collect();
    let credentials: Vec<Value> = seeded
        .keys
        .iter()
        .map(|k| {
            let (kind, owner) = match &k.owner {
                KeyOwner::Person { email, .. } => ("personal", *email),
                KeyOwner::ServiceAccount { id } => ("service_account", *id),
            };
            json!({
                "kind": kind, "owner": owner, "team": k.team,
                "credential_id": k.credential_id, "key": k.key.expose(),
            })
        })
        .collect();
    json!({
        "note": "Local demo data only. These keys call /v1 as the demo principals; keep this \
                 file private and never commit it. `gateway demo reset` replaces them.",
        "admin_url": format!("{}/admin", public_url.trim_end_matches('/')),
        "password": PASSWORD,
        "people": people,
        "credentials": credentials,
    })
}

/// Writes [`document`] to `path` atomically, with mode 0600 from the first byte.
pub fn write(path: &Path, seeded: &Seeded, public_url: &str) -> std::io::Result<()> {
    let text = serde_json::to_string_pretty(&document(seeded, public_url))?;
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .map_or_else(|| FILE_NAME.into(), |n| n.to_string_lossy().into_owned());
    let tmp = dir.join(format!(".{name}.{}.tmp", uuid::Uuid::new_v4().simple()));
    let result =
        write_new_private(&tmp, text.as_bytes()).and_then(|()| std::fs::rename(&tmp, path));
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

/// Creates `path` (which must not exist) readable and writable by the owner only.
fn write_new_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(path)?;
    file.write_all(bytes)?;
    file.write_all(b"\n")?;
    file.sync_all()
}

/// What to print once after seeding: how to sign in, and every key.
pub fn summary(seeded: &Seeded, file: Option<&Path>, public_url: &str) -> String {
    let mut out = String::new();
    out.push_str(&format!(
        "demo dataset seeded: {} teams, {} people, {} credentials, {} budgets, {} sample \
         requests ({} with spend)\n",
        super::TEAMS.len(),
        PEOPLE.len(),
        seeded.keys.len(),
        super::BUDGETS.len(),
        seeded.request_logs,
        seeded.ledger_rows,
    ));
    if let Some(note) = &seeded.history_note {
        out.push_str(&format!("note: {note}\n"));
    }
    out.push_str(&format!(
        "sign in at {}/admin as any of these with password {PASSWORD}:\n",
        public_url.trim_end_matches('/')
    ));
    for p in PEOPLE {
        out.push_str(&format!(
            "  {:<24} {:<7} {}\n",
            p.email,
            p.role.as_str(),
            p.team
        ));
    }
    out.push_str("demo credentials (shown once):\n");
    for k in &seeded.keys {
        let owner = match &k.owner {
            KeyOwner::Person { email, .. } => format!("{email} (personal)"),
            KeyOwner::ServiceAccount { id } => format!("{id} (service account)"),
        };
        out.push_str(&format!("  {owner:<40} {}\n", k.key.expose()));
    }
    match file {
        Some(path) => out.push_str(&format!("written to {} (mode 0600)\n", path.display())),
        None => out.push_str("not written to a file\n"),
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_file_sits_beside_the_sqlite_database() {
        let db = DbUrl::parse("sqlite:./data/gateway.db").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(default_path(&db), PathBuf::from("./data").join(FILE_NAME));
        let db = DbUrl::parse("sqlite:gateway.db").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(default_path(&db), PathBuf::from(FILE_NAME));
    }

    #[cfg(unix)]
    #[test]
    fn the_file_is_created_private_and_replaced_atomically() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let path = dir.path().join(FILE_NAME);
        std::fs::write(&path, "old").unwrap_or_else(|e| panic!("{e}"));
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644))
            .unwrap_or_else(|e| panic!("{e}"));
        let seeded = Seeded {
            removed: Default::default(),
            keys: Vec::new(),
            request_logs: 0,
            ledger_rows: 0,
            history_note: None,
        };
        write(&path, &seeded, "http://127.0.0.1:8080").unwrap_or_else(|e| panic!("{e}"));
        let mode = std::fs::metadata(&path)
            .unwrap_or_else(|e| panic!("{e}"))
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
        let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{e}"));
        assert!(text.contains(PASSWORD), "{text}");
        let leftovers = std::fs::read_dir(dir.path())
            .unwrap_or_else(|e| panic!("{e}"))
            .count();
        assert_eq!(leftovers, 1, "the temporary file was left behind");
    }
}
