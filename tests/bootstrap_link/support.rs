//! A gateway whose bootstrap link is armed, and the calls the tests make on it.

use std::os::unix::fs::MetadataExt;
use std::path::PathBuf;

use reqwest::Method;
use serde_json::{Value, json};

use crate::common::admin::{Browser, Page};
use crate::common::{Backend, Gateway, Server, TestDb};

pub const API: &str = "/api/v1/bootstrap";
pub const FORM: &str = "/admin/bootstrap";
pub const STRONG: &str = "Correct-Horse-Battery-42";

/// A config with no bootstrap admin, so nothing but the link can create one.
pub const NO_ADMIN: &str = "auth:\n  bootstrap_admin:\n    enabled: false\n";

pub struct Armed {
    pub db: TestDb,
    pub server: Server,
    pub gw: Gateway,
    pub token_path: PathBuf,
    pub token: String,
}

/// The gateway for `db` with the link on and its token file in the test's directory.
pub fn link_gateway(db: &TestDb, file_name: &str) -> (Gateway, PathBuf) {
    let path = db.dir.path().join(file_name);
    let gw = Gateway::new(db, NO_ADMIN)
        .env("GATEWAY_BOOTSTRAP_LINK", "1")
        .env(
            "GATEWAY_BOOTSTRAP_TOKEN_FILE",
            path.to_str().expect("utf-8 path"),
        );
    (gw, path)
}

/// Reads a token file, checking it is what the server promises: mode 0600, `gwb_` + 64 hex.
pub fn read_token(path: &std::path::Path) -> String {
    let meta = std::fs::symlink_metadata(path).expect("the token file exists");
    assert!(meta.file_type().is_file());
    assert_eq!(meta.mode() & 0o777, 0o600, "token file mode");
    let text = std::fs::read_to_string(path).expect("read token file");
    let token = text.trim().to_string();
    let hex = token.strip_prefix("gwb_").expect("gwb_ prefix");
    assert!(
        hex.len() == 64 && hex.bytes().all(|b| b.is_ascii_hexdigit()),
        "not 256 bits of hex: {hex}"
    );
    token
}

/// A fresh database and a `gateway serve` with the link armed.
pub async fn armed(backend: Backend) -> Armed {
    let db = TestDb::new(backend).await;
    let (gw, token_path) = link_gateway(&db, "bootstrap-token");
    let server = gw.serve().await;
    let token = read_token(&token_path);
    Armed {
        db,
        server,
        gw,
        token_path,
        token,
    }
}

/// `POST /api/v1/bootstrap` with `body`, from client address `from` (127.0.0.0/8).
pub async fn post_api(server: &Server, from: &str, body: &Value) -> Page {
    let mut b = Browser::from_addr(server, from);
    b.api(Method::POST, API, Some(body), None).await
}

/// Redeems `token` with everything generated; asserts it worked and returns the answer.
pub async fn redeem(server: &Server, token: &str) -> Value {
    let page = post_api(server, "127.0.0.1", &json!({"token": token})).await;
    assert_eq!(page.status, 201, "{}", page.text);
    page.json()
}

/// `SELECT COUNT(*)` as a number.
pub async fn count(db: &TestDb, sql_from: &str) -> i64 {
    db.scalar(&format!("SELECT CAST(COUNT(*) AS TEXT) FROM {sql_from}"))
        .await
        .parse()
        .expect("count")
}

/// Asserts the database holds no user, no control-plane token and an unflipped latch.
pub async fn assert_nothing_created(db: &TestDb) {
    assert_eq!(count(db, "users").await, 0, "a user was created");
    assert_eq!(count(db, "admin_tokens").await, 0, "a token was created");
    assert_eq!(
        count(db, "bootstrap_latch WHERE bootstrapped_at IS NOT NULL").await,
        0,
        "the latch flipped"
    );
}

/// The `reason` of every `bootstrap_link.failed` audit row, oldest first.
pub async fn failure_reasons(db: &TestDb) -> Vec<String> {
    crate::common::admin::audit_rows(db, "bootstrap_link.failed")
        .await
        .into_iter()
        .map(|(_, details, _)| details["reason"].as_str().unwrap_or("?").to_string())
        .collect()
}

/// `GET /api/v1/admin/me` with a control-plane token.
pub async fn me_with(server: &Server, token: &str) -> Page {
    let mut b = Browser::new(server);
    let req = b
        .request(Method::GET, "/api/v1/admin/me")
        .header("authorization", format!("Bearer {token}"));
    b.send(req).await
}
