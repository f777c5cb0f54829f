//! The running gateway every settings test starts from: the bootstrap admin, team `alpha`
//! with an owner who can sign in, the mock provider serving one priced model — plus a signed-in
//! JSON client, `/v1` helpers and readers for the `settings` table.

use reqwest::Method;
use serde_json::{Value, json};

use crate::common::admin::{ADMIN_EMAIL, ADMIN_PASSWORD, Browser, Page, admin_config};
use crate::common::plane::{Reply, chat, post};
use crate::common::{Backend, Gateway, Server, TestDb};

pub const OWNER: &str = "owner@example.com";
/// The owner's password.
pub const PASSWORD: &str = "Seeded-Passphrase-2025";

/// The world's config plus `extra` YAML.
pub fn config(extra: &str) -> String {
    format!(
        r#"{admin}
teams: [{{ id: alpha, name: Alpha }}]
users:
  - {{ email: {OWNER}, name: Owner, teams: [{{ team: alpha, role: owner }}] }}
providers: [{{ id: mock, kind: mock }}]
models:
  - {{ id: small, routes: [{{ provider: mock, model: small, pricing: {{ input: "1", output: "2" }} }}] }}
{extra}
"#,
        admin = admin_config(false)
    )
}

pub struct World {
    pub db: TestDb,
    pub gw: Gateway,
    pub server: Server,
}

impl World {
    pub async fn new(backend: Backend) -> World {
        World::with(backend, "").await
    }

    /// Starts `gateway serve` on the world's config plus `extra`, and gives the owner a
    /// password.
    pub async fn with(backend: Backend, extra: &str) -> World {
        let db = TestDb::new(backend).await;
        let gw = Gateway::new(&db, &config(extra))
            .env("GATEWAY_BOOTSTRAP_ADMIN_PASSWORD", ADMIN_PASSWORD);
        let server = gw.serve().await;
        let hash = gateway::identity::password::hash(PASSWORD)
            .await
            .expect("hash");
        db.exec(&format!(
            "UPDATE users SET status = 'active', password_hash = '{hash}' WHERE email = '{OWNER}'"
        ))
        .await;
        World { db, gw, server }
    }

    /// Another `gateway serve` on the same config and database: a second replica.
    pub async fn replica(&self) -> Server {
        self.gw.serve().await
    }

    pub async fn admin(&self) -> Api {
        Api::signed_in(&self.server, ADMIN_EMAIL, ADMIN_PASSWORD).await
    }

    pub async fn owner(&self) -> Api {
        Api::signed_in(&self.server, OWNER, PASSWORD).await
    }

    /// `POST /v1/chat/completions` for model `small` on `server`, with client request id `id`.
    pub async fn chat(server: &Server, key: &str, id: &str) -> Reply {
        post(
            server,
            "/v1/chat/completions",
            Some(key),
            &chat("small"),
            Some(id),
        )
        .await
    }

    /// `(value, origin)` of a stored setting, if stored.
    pub async fn stored(&self, key: &str) -> Option<(Value, String)> {
        let rows = self
            .db
            .rows(&format!(
                "SELECT value, origin FROM settings WHERE key = '{key}'"
            ))
            .await;
        rows.first().map(|r| {
            let value = serde_json::from_str(&r[0]).expect("settings.value is JSON");
            (value, r[1].clone())
        })
    }

    /// How many audit rows have `action`.
    pub async fn audits(&self, action: &str) -> usize {
        self.db
            .rows(&format!(
                "SELECT id FROM audit_log WHERE action = '{action}'"
            ))
            .await
            .len()
    }
}

/// A signed-in session calling `/api/v1/admin/*` with its CSRF token.
pub struct Api {
    pub browser: Browser,
    pub csrf: String,
}

impl Api {
    pub async fn signed_in(server: &Server, email: &str, password: &str) -> Api {
        let mut browser = Browser::signed_in(server, email, password).await;
        let csrf = browser.api_csrf().await;
        Api { browser, csrf }
    }

    pub async fn call(&mut self, method: Method, path: &str, body: Option<Value>) -> Page {
        let path = format!("/api/v1/admin{path}");
        let csrf = (method != Method::GET).then(|| self.csrf.clone());
        self.browser
            .api(method, &path, body.as_ref(), csrf.as_deref())
            .await
    }

    pub async fn get(&mut self, path: &str) -> Page {
        self.call(Method::GET, path, None).await
    }

    pub async fn post(&mut self, path: &str, body: Value) -> Page {
        self.call(Method::POST, path, Some(body)).await
    }

    /// `PUT /api/v1/admin/settings/{key}` with `{"value": value}`.
    pub async fn put_setting(&mut self, key: &str, value: Value) -> Page {
        let path = format!("/settings/{key}");
        self.call(Method::PUT, &path, Some(json!({ "value": value })))
            .await
    }

    /// Sets a setting and asserts it worked.
    pub async fn set(&mut self, key: &str, value: Value) -> Value {
        let page = self.put_setting(key, value).await;
        Api::expect(&page, 200)
    }

    /// Asserts `status` and returns the JSON body.
    #[track_caller]
    pub fn expect(page: &Page, status: u16) -> Value {
        assert_eq!(page.status, status, "body: {}", page.text);
        if page.text.is_empty() {
            Value::Null
        } else {
            page.json()
        }
    }

    /// Creates service account `id` in team alpha; returns its JSON.
    pub async fn service_account(&mut self, id: &str) -> Value {
        let page = self
            .post(
                "/service-accounts",
                json!({"team": "alpha", "id": id, "name": format!("SA {id}")}),
            )
            .await;
        Api::expect(&page, 201)
    }

    /// Issues a key to service account `sa`.
    pub async fn issue(&mut self, sa: &str) -> String {
        let page = self
            .post(
                &format!("/service-accounts/{sa}/credentials"),
                json!({"name": "k"}),
            )
            .await;
        Api::expect(&page, 201)["key"]
            .as_str()
            .expect("key")
            .to_string()
    }
}
