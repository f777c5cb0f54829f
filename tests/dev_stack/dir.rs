//! The dev-stack directory the tests run in, and what they check in it: the demo dataset's
//! counts and budgets, its 0600 credentials file, and a key answering on `/v1`.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::common::plane::{chat, post};
use crate::common::process::{command, run_with_stdin};
use crate::common::{Backend, Output, Server, TestDb};

pub const DEMO_PASSWORD: &str = "demo-password";

/// An empty directory holding a copy of the shipped `config/gateway.yaml`, where the binary
/// runs as a developer would run it from a checkout (so `sqlite:./gateway.db` lands here).
pub struct DevDir {
    pub db: TestDb,
    env: Vec<(String, String)>,
}

impl DevDir {
    pub async fn new() -> DevDir {
        let db = TestDb::new(Backend::Sqlite).await;
        let config = db.dir.path().join("config");
        std::fs::create_dir(&config).unwrap();
        let shipped = Path::new(env!("CARGO_MANIFEST_DIR")).join("config/gateway.yaml");
        std::fs::copy(shipped, config.join("gateway.yaml")).unwrap();
        assert_eq!(
            std::fs::read_dir(db.dir.path()).unwrap().count(),
            1,
            "the directory holds only the config"
        );
        DevDir {
            db,
            // Port 8080 may be taken; everything else is the shipped file.
            env: vec![("GATEWAY_BIND".into(), "127.0.0.1:0".into())],
        }
    }

    pub fn command(&self, args: &[&str]) -> tokio::process::Command {
        let mut cmd = command(Path::new("config/gateway.yaml"), &self.env, args);
        cmd.current_dir(self.db.dir.path());
        cmd
    }

    pub async fn serve(&self) -> Server {
        Server::start(self.command(&["serve"])).await
    }

    pub async fn run(&self, args: &[&str]) -> Output {
        run_with_stdin(self.command(args), None).await
    }

    pub fn keyfile(&self) -> PathBuf {
        self.db.dir.path().join("demo-credentials.json")
    }

    /// The credentials file, after checking it is private to its owner.
    pub fn keys(&self) -> Value {
        let mode = std::fs::metadata(self.keyfile())
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600, "demo-credentials.json mode {mode:o}");
        serde_json::from_str(&std::fs::read_to_string(self.keyfile()).unwrap()).unwrap()
    }

    pub async fn count(&self, sql: &str) -> i64 {
        self.db.scalar(sql).await.parse().unwrap()
    }
}

/// The key of the first credential of `kind` in the credentials file.
pub fn key_of(keys: &Value, kind: &str) -> String {
    keys["credentials"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["kind"] == kind)
        .unwrap_or_else(|| panic!("no {kind} credential in {keys}"))["key"]
        .as_str()
        .unwrap()
        .to_string()
}

/// Demo credential ids in the database, sorted.
pub async fn demo_credential_ids(dev: &DevDir) -> Vec<String> {
    dev.db
        .rows(
            "SELECT c.id FROM credentials c LEFT JOIN users u ON u.id = c.user_id \
             LEFT JOIN service_accounts s ON s.id = c.service_account_id \
             WHERE u.origin = 'demo' OR s.origin = 'demo' ORDER BY c.id",
        )
        .await
        .into_iter()
        .map(|r| r[0].clone())
        .collect()
}

pub async fn assert_chat_answers(server: &Server, key: &str) {
    let r = post(
        server,
        "/v1/chat/completions",
        Some(key),
        &chat("gpt-4o-mini"),
        None,
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert!(
        r.json()["choices"][0]["message"]["content"].is_string(),
        "{}",
        r.text
    );
}

/// Everything the issue promises about the demo dataset, read from the database and the file.
pub async fn assert_demo_dataset(dev: &DevDir) {
    let n = |sql: &'static str| dev.count(sql);
    assert_eq!(
        n("SELECT COUNT(*) FROM teams WHERE origin = 'demo'").await,
        2
    );
    assert_eq!(
        n("SELECT COUNT(*) FROM users WHERE origin = 'demo' AND status = 'active'").await,
        5
    );
    // Five people across the two teams, each team with an owner and an admin.
    assert_eq!(
        n(
            "SELECT COUNT(DISTINCT m.team_id) FROM memberships m JOIN users u ON u.id = m.user_id \
           WHERE u.origin = 'demo'"
        )
        .await,
        2
    );
    for role in ["owner", "admin"] {
        let teams = dev
            .count(&format!(
                "SELECT COUNT(DISTINCT m.team_id) FROM memberships m JOIN teams t ON t.id = m.team_id \
                 WHERE t.origin = 'demo' AND m.role = '{role}'"
            ))
            .await;
        assert_eq!(teams, 2, "every demo team has an {role}");
    }
    assert_eq!(
        n("SELECT COUNT(*) FROM service_accounts WHERE origin = 'demo'").await,
        2
    );
    // One live personal credential per person and one per team's service account.
    assert_eq!(
        n(
            "SELECT COUNT(*) FROM credentials c JOIN users u ON u.id = c.user_id \
           WHERE u.origin = 'demo' AND c.revoked_at IS NULL"
        )
        .await,
        5
    );
    assert_eq!(
        n(
            "SELECT COUNT(DISTINCT c.user_id) FROM credentials c JOIN users u ON u.id = c.user_id \
           WHERE u.origin = 'demo'"
        )
        .await,
        5
    );
    assert_eq!(
        n("SELECT COUNT(DISTINCT s.team_id) FROM credentials c \
           JOIN service_accounts s ON s.id = c.service_account_id WHERE s.origin = 'demo'")
        .await,
        2
    );
    // $1000 a month per team, $50 a day for one person, all hard.
    let budgets = dev
        .db
        .rows(
            "SELECT scope_kind, cadence, CAST(amount_micros AS TEXT), CAST(hard_limit AS TEXT) \
             FROM budgets WHERE origin = 'demo' ORDER BY scope_kind, scope_id",
        )
        .await;
    let budgets: Vec<Vec<&str>> = budgets
        .iter()
        .map(|r| r.iter().map(String::as_str).collect())
        .collect();
    assert_eq!(
        budgets,
        [
            ["team", "monthly", "1000000000", "1"],
            ["team", "monthly", "1000000000", "1"],
            ["user", "daily", "50000000", "1"],
        ]
    );
    // Sample history over the last 30 days, from the demo principals through `mock`.
    let logs = n("SELECT COUNT(*) FROM request_logs WHERE request_id LIKE 'demo-%'").await;
    assert!(logs >= 200, "{logs} sample request logs");
    let ledger = n("SELECT COUNT(*) FROM usage_ledger WHERE request_id LIKE 'demo-%'").await;
    assert!(
        ledger >= logs * 8 / 10 && ledger < logs,
        "{ledger} ledger rows for {logs} logs"
    );
    assert_eq!(
        n("SELECT COUNT(*) FROM usage_ledger WHERE provider_id <> 'mock' OR cost_micros IS NULL")
            .await,
        0
    );
    let now_ms = chrono::Utc::now().timestamp_millis();
    let (oldest, newest) = (
        n("SELECT MIN(at) FROM request_logs").await,
        n("SELECT MAX(at) FROM request_logs").await,
    );
    assert!(
        oldest > now_ms - 30 * 86_400_000 && newest <= now_ms,
        "{oldest}..{newest}"
    );
    let days = n("SELECT COUNT(DISTINCT at / 86400000) FROM request_logs").await;
    assert!(days >= 25, "samples on {days} days");
    // The credentials file lists every key and the people with their password.
    let keys = dev.keys();
    assert_eq!(keys["password"], DEMO_PASSWORD);
    assert_eq!(keys["people"].as_array().unwrap().len(), 5);
    let creds = keys["credentials"].as_array().unwrap();
    assert_eq!(creds.iter().filter(|c| c["kind"] == "personal").count(), 5);
    assert_eq!(
        creds
            .iter()
            .filter(|c| c["kind"] == "service_account")
            .count(),
        2
    );
}
