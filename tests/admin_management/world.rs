//! The running gateway every management test starts from: two teams (alpha, beta), the
//! bootstrap admin, an owner and a member of alpha, the owner of beta, a mock provider serving
//! two priced models — plus a signed-in JSON client per person and `/v1` helpers.

use reqwest::Method;
use serde_json::{Value, json};

use crate::common::admin::{ADMIN_EMAIL, ADMIN_PASSWORD, Browser, Page, admin_config};
use crate::common::plane::{Reply, chat, post};
use crate::common::{Backend, Gateway, Server, TestDb};

/// The password every seeded person gets.
pub const PASSWORD: &str = "Seeded-Passphrase-2025";

pub const OWNER: &str = "owner@example.com";
pub const MEMBER: &str = "member@example.com";
pub const OUTSIDER: &str = "outsider@example.com";
/// Seeded by the config and left `invited` (no password, no link yet).
pub const SEEDED: &str = "seeded@example.com";

fn config() -> String {
    format!(
        r#"{admin}
teams: [{{ id: alpha, name: Alpha }}, {{ id: beta, name: Beta }}]
users:
  - {{ email: {OWNER}, name: Owner, teams: [{{ team: alpha, role: owner }}] }}
  - {{ email: {MEMBER}, name: Member, teams: [{{ team: alpha, role: member }}] }}
  - {{ email: {OUTSIDER}, name: Outsider, teams: [{{ team: beta, role: owner }}] }}
  - {{ email: {SEEDED}, name: Seeded, teams: [{{ team: beta, role: member }}] }}
service_accounts: [{{ id: etl, team: beta, name: ETL }}]
providers: [{{ id: mock, kind: mock }}]
models:
  - {{ id: small, routes: [{{ provider: mock, model: small, pricing: {{ input: "1", output: "2" }} }}] }}
  - {{ id: large, routes: [{{ provider: mock, model: large, pricing: {{ input: "1", output: "2" }} }}] }}
"#,
        admin = admin_config(false)
    )
}

pub struct World {
    pub db: TestDb,
    pub server: Server,
}

impl World {
    /// Starts the gateway and gives the seeded (invited) people a password.
    pub async fn new(backend: Backend) -> World {
        let db = TestDb::new(backend).await;
        let server = Gateway::new(&db, &config())
            .env("GATEWAY_BOOTSTRAP_ADMIN_PASSWORD", ADMIN_PASSWORD)
            .serve()
            .await;
        let hash = gateway::identity::password::hash(PASSWORD)
            .await
            .expect("hash");
        db.exec(&format!(
            "UPDATE users SET status = 'active', password_hash = '{hash}' \
             WHERE email IN ('{OWNER}', '{MEMBER}', '{OUTSIDER}')"
        ))
        .await;
        World { db, server }
    }

    /// A JSON client signed in as `email`.
    pub async fn api(&self, email: &str) -> Api {
        let password = if email == ADMIN_EMAIL {
            ADMIN_PASSWORD
        } else {
            PASSWORD
        };
        let mut browser = Browser::signed_in(&self.server, email, password).await;
        let csrf = browser.api_csrf().await;
        Api { browser, csrf }
    }

    pub async fn admin(&self) -> Api {
        self.api(ADMIN_EMAIL).await
    }

    /// `POST /v1/chat/completions` for `model` with `key`.
    pub async fn chat(&self, key: &str, model: &str) -> Reply {
        post(
            &self.server,
            "/v1/chat/completions",
            Some(key),
            &chat(model),
            None,
        )
        .await
    }
}

/// A signed-in session calling `/api/v1/admin/*` with its CSRF token.
pub struct Api {
    pub browser: Browser,
    pub csrf: String,
}

impl Api {
    pub async fn call(&mut self, method: Method, path: &str, body: Option<Value>) -> Page {
        let path = format!("/api/v1/admin{path}");
        let csrf = (method != Method::GET).then_some(self.csrf.as_str());
        let csrf = csrf.map(str::to_string);
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

    /// Creates service account `id` in `team` (as this caller) and returns its JSON.
    pub async fn service_account(&mut self, team: &str, id: &str) -> Value {
        let page = self
            .post(
                "/service-accounts",
                json!({"team": team, "id": id, "name": format!("SA {id}")}),
            )
            .await;
        Api::expect(&page, 201)
    }

    /// Issues a credential to service account `sa` and returns `(key, credential id)`.
    pub async fn issue(&mut self, sa: &str, body: Value) -> (String, String) {
        let page = self
            .post(&format!("/service-accounts/{sa}/credentials"), body)
            .await;
        let v = Api::expect(&page, 201);
        (
            v["key"].as_str().expect("key").to_string(),
            v["credential"]["id"].as_str().expect("id").to_string(),
        )
    }
}

impl World {
    /// The id of the user with this e-mail.
    pub async fn user_id(&self, email: &str) -> String {
        self.db
            .scalar(&format!("SELECT id FROM users WHERE email = '{email}'"))
            .await
    }
}

/// The token at the end of an onboarding link.
pub fn token_of(link: &str) -> String {
    link.rsplit_once("/admin/invite/")
        .map(|(_, t)| t.to_string())
        .unwrap_or_else(|| panic!("not an invite link: {link}"))
}
