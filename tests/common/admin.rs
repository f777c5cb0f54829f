//! Control-plane helpers: a browser-like client that keeps its own cookies and never follows
//! redirects (so tests see every 303 and `Set-Cookie`), form posts with the page's CSRF token,
//! JSON calls to `/api/v1/admin/*`, users inserted with SQL, and session clocks moved with SQL.

use std::collections::BTreeMap;
use std::net::IpAddr;

use reqwest::Method;
use reqwest::header::HeaderMap;
use serde_json::Value;

use super::{Backend, Server, TestDb};

/// The bootstrap admin every admin test config creates.
pub const ADMIN_EMAIL: &str = "admin@example.com";
/// Its password (strong, so bootstrap accepts it whatever `require_password_change` says).
pub const ADMIN_PASSWORD: &str = "Correct-Horse-Battery-42";
/// The message every refused sign-in shows, whatever the reason.
pub const LOGIN_FAILED: &str = "Invalid email or password.";

/// Config for a gateway whose `gateway serve` creates [`ADMIN_EMAIL`] (set
/// `GATEWAY_BOOTSTRAP_ADMIN_PASSWORD` to [`ADMIN_PASSWORD`], or use [`serve_admin`]).
pub fn admin_config(require_password_change: bool) -> String {
    format!(
        "auth:\n  bootstrap_admin:\n    email: {ADMIN_EMAIL}\n    name: Admin\n    \
         require_password_change: {require_password_change}\n"
    )
}

/// Starts `gateway serve` on `yaml` with the bootstrap admin password in its environment.
pub async fn serve_admin(db: &TestDb, yaml: &str) -> Server {
    super::Gateway::new(db, yaml)
        .env("GATEWAY_BOOTSTRAP_ADMIN_PASSWORD", ADMIN_PASSWORD)
        .serve()
        .await
}

/// One fully read answer.
#[derive(Debug)]
pub struct Page {
    pub status: u16,
    pub headers: HeaderMap,
    pub text: String,
}

impl Page {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// Every `Set-Cookie` value.
    pub fn set_cookies(&self) -> Vec<String> {
        self.headers
            .get_all("set-cookie")
            .iter()
            .filter_map(|v| v.to_str().ok().map(str::to_string))
            .collect()
    }

    /// The `Set-Cookie` value for cookie `name`, if this answer sets it.
    pub fn set_cookie(&self, name: &str) -> Option<String> {
        self.set_cookies()
            .into_iter()
            .find(|c| c.starts_with(&format!("{name}=")))
    }

    /// Asserts a redirect (303) to `to` and returns `self`.
    #[track_caller]
    pub fn assert_redirect(&self, to: &str) -> &Self {
        assert_eq!(
            (self.status, self.header("location")),
            (303, Some(to)),
            "expected 303 to {to}; body: {}",
            self.text
        );
        self
    }

    pub fn json(&self) -> Value {
        serde_json::from_str(&self.text)
            .unwrap_or_else(|e| panic!("body is not JSON ({e}): {:?}", self.text))
    }

    /// Asserts a JSON API error `{"error":{"code","message"}}` with this status and code.
    #[track_caller]
    pub fn assert_api_error(&self, status: u16, code: &str) {
        assert_eq!(self.status, status, "status; body: {}", self.text);
        let ct = self.header("content-type").unwrap_or_default();
        assert!(ct.starts_with("application/json"), "content-type {ct:?}");
        let error = &self.json()["error"];
        assert_eq!(error["code"], code, "{}", self.text);
        assert!(
            error["message"].as_str().is_some_and(|m| !m.is_empty()),
            "error.message missing: {}",
            self.text
        );
    }

    /// The value of the hidden form field `name` (the first one on the page).
    pub fn hidden(&self, name: &str) -> Option<String> {
        hidden_field(&self.text, name)
    }

    /// The text of the page's alert (`role="alert"`), if any.
    pub fn alert(&self) -> Option<String> {
        let start = self.text.find("role=\"alert\"")?;
        let rest = &self.text[start..];
        let open = rest.find('>')? + 1;
        let close = rest[open..].find('<')?;
        Some(html_unescape(rest[open..open + close].trim()))
    }
}

/// The `value` of `<input … name="NAME" value="…">` in `html`.
pub fn hidden_field(html: &str, name: &str) -> Option<String> {
    let marker = format!("name=\"{name}\" value=\"");
    let start = html.find(&marker)? + marker.len();
    let end = html[start..].find('"')?;
    Some(html_unescape(&html[start..start + end]))
}

fn html_unescape(s: &str) -> String {
    s.replace("&#x2f;", "/")
        .replace("&#x27;", "'")
        .replace("&#39;", "'")
        .replace("&quot;", "\"")
        .replace("&#34;", "\"")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

/// A urlencoded body.
pub fn form(fields: &[(&str, &str)]) -> String {
    let mut s = url::form_urlencoded::Serializer::new(String::new());
    for (k, v) in fields {
        s.append_pair(k, v);
    }
    s.finish()
}

/// A browser stand-in: its own cookie jar, no redirects followed.
pub struct Browser {
    client: reqwest::Client,
    base: String,
    /// Cookies by name, sent on every request.
    pub cookies: BTreeMap<String, String>,
}

impl Browser {
    pub fn new(server: &Server) -> Browser {
        Browser::build(server, None)
    }

    /// A browser whose connections come from `local` (any 127.0.0.0/8 address), so the
    /// server sees a different client address.
    pub fn from_addr(server: &Server, local: &str) -> Browser {
        let ip: IpAddr = local.parse().expect("local address");
        Browser::build(server, Some(ip))
    }

    fn build(server: &Server, local: Option<IpAddr>) -> Browser {
        gateway::providers::install_crypto_provider();
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .local_address(local)
            .build()
            .expect("client");
        Browser {
            client,
            base: server.url(""),
            cookies: BTreeMap::new(),
        }
    }

    /// The cookie `name`, if the jar holds it.
    pub fn cookie(&self, name: &str) -> Option<String> {
        self.cookies.get(name).cloned()
    }

    fn cookie_header(&self) -> String {
        self.cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    /// Sends a request with the jar's cookies and stores what the answer sets (an empty
    /// value or `Max-Age=0` deletes the cookie, as a browser would).
    pub async fn send(&mut self, req: reqwest::RequestBuilder) -> Page {
        let req = if self.cookies.is_empty() {
            req
        } else {
            req.header("cookie", self.cookie_header())
        };
        let resp = req.send().await.expect("request");
        let page = Page {
            status: resp.status().as_u16(),
            headers: resp.headers().clone(),
            text: resp.text().await.expect("read body"),
        };
        for c in page.set_cookies() {
            let first = c.split(';').next().unwrap_or_default();
            let Some((name, value)) = first.split_once('=') else {
                continue;
            };
            let expired = c
                .split(';')
                .any(|a| a.trim().eq_ignore_ascii_case("max-age=0"));
            if value.is_empty() || expired {
                self.cookies.remove(name.trim());
            } else {
                self.cookies
                    .insert(name.trim().to_string(), value.to_string());
            }
        }
        page
    }

    /// A request builder for `path` on the server (add headers, then [`Browser::send`]).
    pub fn request(&self, method: Method, path: &str) -> reqwest::RequestBuilder {
        self.client.request(method, format!("{}{path}", self.base))
    }

    pub async fn get(&mut self, path: &str) -> Page {
        let req = self.request(Method::GET, path);
        self.send(req).await
    }

    /// `POST path` with a urlencoded form.
    pub async fn post_form(&mut self, path: &str, fields: &[(&str, &str)]) -> Page {
        let req = self
            .request(Method::POST, path)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(form(fields));
        self.send(req).await
    }

    /// A JSON API call; `csrf` goes into `x-csrf-token`.
    pub async fn api(
        &mut self,
        method: Method,
        path: &str,
        body: Option<&Value>,
        csrf: Option<&str>,
    ) -> Page {
        let mut req = self.request(method, path);
        if let Some(body) = body {
            req = req.json(body);
        }
        if let Some(token) = csrf {
            req = req.header("x-csrf-token", token);
        }
        self.send(req).await
    }

    /// Opens the sign-in page and returns its CSRF token (also set as cookie `gw_pre`).
    pub async fn login_csrf(&mut self) -> String {
        let page = self.get("/admin/login").await;
        assert_eq!(page.status, 200, "{}", page.text);
        page.hidden("csrf").expect("csrf field on the sign-in page")
    }

    /// Submits the sign-in form as a browser would (page first, then the form with its token).
    pub async fn sign_in(&mut self, email: &str, password: &str) -> Page {
        let csrf = self.login_csrf().await;
        self.post_form(
            "/admin/login",
            &[
                ("csrf", &csrf),
                ("email", email),
                ("password", password),
                ("next", "/admin"),
            ],
        )
        .await
    }

    /// Signs in and asserts it worked (a session cookie and a redirect).
    pub async fn signed_in(server: &Server, email: &str, password: &str) -> Browser {
        let mut b = Browser::new(server);
        let page = b.sign_in(email, password).await;
        assert_eq!(page.status, 303, "sign-in as {email} failed: {}", page.text);
        assert!(b.cookie("gw_session").is_some(), "no session cookie");
        b
    }

    /// The session's CSRF token, as the API reports it (`GET /api/v1/admin/me`).
    pub async fn api_csrf(&mut self) -> String {
        let me = self.api(Method::GET, "/api/v1/admin/me", None, None).await;
        assert_eq!(me.status, 200, "{}", me.text);
        me.json()["csrf_token"]
            .as_str()
            .expect("csrf_token")
            .to_string()
    }

    /// The session's CSRF token, from a signed-in page's forms.
    pub async fn page_csrf(&mut self, path: &str) -> String {
        let page = self.get(path).await;
        assert_eq!(page.status, 200, "GET {path}: {}", page.text);
        page.hidden("csrf")
            .unwrap_or_else(|| panic!("no csrf field on {path}"))
    }
}

/// Inserts a user with SQL (after `gateway serve` has migrated the database).
pub async fn insert_user(
    db: &TestDb,
    email: &str,
    password: Option<&str>,
    status: &str,
    platform_admin: bool,
    must_change_password: bool,
) -> String {
    let id = format!("u_{}", uuid::Uuid::new_v4().simple());
    let hash = match password {
        Some(p) => format!(
            "'{}'",
            gateway::identity::password::hash(p).await.expect("hash")
        ),
        None => "NULL".into(),
    };
    let (admin, must, now) = match db.backend {
        Backend::Sqlite => (
            (platform_admin as i32).to_string(),
            (must_change_password as i32).to_string(),
            chrono::Utc::now().timestamp_millis().to_string(),
        ),
        Backend::Postgres => (
            platform_admin.to_string(),
            must_change_password.to_string(),
            "now()".to_string(),
        ),
    };
    db.exec(&format!(
        "INSERT INTO users (id, email, name, status, platform_admin, password_hash, \
         must_change_password, origin, created_at, updated_at) VALUES ('{id}', '{email}', \
         'Test User', '{status}', {admin}, {hash}, {must}, 'admin', {now}, {now})"
    ))
    .await;
    id
}

/// An SQL expression for `column` moved `seconds` into the past (`seconds` may be negative).
pub fn shifted(db: &TestDb, column: &str, seconds: i64) -> String {
    match db.backend {
        Backend::Sqlite => format!("{column} - {}", seconds * 1000),
        Backend::Postgres => format!("{column} - interval '{seconds} seconds'"),
    }
}

/// An SQL expression for "now plus `seconds`".
pub fn now_plus(db: &TestDb, seconds: i64) -> String {
    match db.backend {
        Backend::Sqlite => (chrono::Utc::now().timestamp_millis() + seconds * 1000).to_string(),
        Backend::Postgres => format!("now() + interval '{seconds} seconds'"),
    }
}

/// Audit rows with `action`, as (actor, details JSON, client address), oldest first.
pub async fn audit_rows(db: &TestDb, action: &str) -> Vec<(String, Value, String)> {
    db.rows(&format!(
        "SELECT actor, details, COALESCE(client_addr, 'NULL') FROM audit_log \
         WHERE action = '{action}' ORDER BY id"
    ))
    .await
    .into_iter()
    .map(|r| {
        let details = serde_json::from_str(&r[1]).expect("audit details are JSON");
        (r[0].clone(), details, r[2].clone())
    })
    .collect()
}

/// The throttling message, with whatever number of minutes.
pub fn is_throttled(page: &Page) -> bool {
    page.alert().is_some_and(|a| {
        a.starts_with("Too many sign-in attempts. Try again in ") && a.ends_with(" minute(s).")
    })
}

/// A refused sign-in: 401, the sign-in page again, no session cookie.
#[track_caller]
pub fn assert_refused(page: &Page, alert: &str) {
    assert_eq!(page.status, 401, "{}", page.text);
    assert_eq!(page.alert().as_deref(), Some(alert), "{}", page.text);
    assert!(
        page.set_cookie("gw_session").is_none(),
        "a refused sign-in set a session: {:?}",
        page.set_cookies()
    );
}

#[track_caller]
pub fn assert_throttled(page: &Page) {
    assert_eq!(page.status, 401, "{}", page.text);
    assert!(is_throttled(page), "not throttled: {:?}", page.alert());
    assert!(page.set_cookie("gw_session").is_none());
}
