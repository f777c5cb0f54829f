//! Every `/v1` error as OpenAI-shaped JSON (`{"error":{"message","type","param","code"}}`) with
//! its status and code: bad or missing keys, revoked / expired / owner-disabled credentials,
//! malformed requests, unknown models and paths, oversized bodies, and every way all routes can
//! fail. Also: the `x-request-id` and overhead headers on every `/v1` response.

#![allow(clippy::expect_used, clippy::unwrap_used)]

mod common;

use std::time::Duration;

use common::plane::{
    BASE, Reply, bump_auth_epoch, chat, closed_port, get, issue, log_row, post, post_raw,
    ready_key, request_id, wait_until_accepted,
};
use common::upstream::{Behavior, FakeUpstream};
use common::{Backend, Gateway, Server, TestDb, eventually};
use serde_json::json;

/// Upstreams for each failure kind, plus a healthy one.
struct Upstreams {
    ok: FakeUpstream,
    server_error: FakeUpstream,
    rate_limited: FakeUpstream,
    slow: FakeUpstream,
}

impl Upstreams {
    async fn start() -> Upstreams {
        Upstreams {
            ok: FakeUpstream::start("ok", Behavior::Ok).await,
            server_error: FakeUpstream::start("e500", Behavior::Status(500, "boom-500".into()))
                .await,
            rate_limited: FakeUpstream::start("e429", Behavior::Status(429, "slow-down".into()))
                .await,
            slow: FakeUpstream::start("slow", Behavior::Delay(Duration::from_secs(5))).await,
        }
    }
}

struct Setup {
    server: Server,
    gw: Gateway,
    db: TestDb,
    key: String,
}

async fn setup(backend: Backend, up: &Upstreams) -> Setup {
    let db = TestDb::new(backend).await;
    let yaml = format!(
        r#"{BASE}
server:
  bind: 127.0.0.1:0
  shutdown_grace_seconds: 5
  body_limit_bytes: 2048
providers:
  - {{ id: ok, kind: openai_compat, base_url: "{ok}" }}
  - {{ id: e500, kind: openai_compat, base_url: "{e500}" }}
  - {{ id: e429, kind: openai_compat, base_url: "{e429}" }}
  - {{ id: slow, kind: openai_compat, base_url: "{slow}", timeouts: {{ first_byte_ms: 300 }} }}
  - {{ id: dead, kind: openai_compat, base_url: "http://127.0.0.1:{dead}/v1" }}
models:
  - {{ id: small, routes: [{{ provider: ok, model: up-small }}] }}
  - {{ id: embed, routes: [{{ provider: ok, model: up-embed }}] }}
  - {{ id: m500, routes: [{{ provider: e500, model: x }}] }}
  - {{ id: m429, routes: [{{ provider: e429, model: x }}] }}
  - {{ id: mslow, routes: [{{ provider: slow, model: x }}] }}
  - {{ id: mdead, routes: [{{ provider: dead, model: x }}] }}
"#,
        ok = up.ok.base_url,
        e500 = up.server_error.base_url,
        e429 = up.rate_limited.base_url,
        slow = up.slow.base_url,
        dead = closed_port(),
    );
    let gw = Gateway::new(&db, &yaml);
    let server = gw.serve().await;
    let key = ready_key(&gw, &server, &[]).await.key;
    Setup {
        server,
        gw,
        db,
        key,
    }
}

/// Chat with an arbitrary `Authorization` / `x-api-key` header.
async fn chat_with_header(server: &Server, name: &str, value: &str) -> Reply {
    let resp = common::http()
        .post(server.url("/v1/chat/completions"))
        .header(name, value)
        .json(&chat("small"))
        .send()
        .await
        .expect("request");
    let status = resp.status().as_u16();
    let headers = resp.headers().clone();
    let text = resp.text().await.expect("body");
    Reply {
        status,
        headers,
        text,
    }
}

async fn missing_malformed_and_unknown_keys_are_refused_as_invalid_api_key(backend: Backend) {
    let up = Upstreams::start().await;
    let s = setup(backend, &up).await;
    let missing = post(
        &s.server,
        "/v1/chat/completions",
        None,
        &chat("small"),
        None,
    )
    .await;
    missing.assert_error(401, "invalid_api_key");
    missing.overhead_us();
    assert!(missing.header("x-request-id").is_some());

    // Same public id, different secret; and a well-formed key nobody issued.
    let last = s.key.chars().last().unwrap();
    let wrong_secret = format!(
        "{}{}",
        &s.key[..s.key.len() - 1],
        if last == 'a' { 'b' } else { 'a' }
    );
    let unknown = format!("gw_{}_{}", "a".repeat(16), "b".repeat(44));
    let cases = [
        ("authorization", "Bearer not-a-gateway-key".to_string()),
        ("authorization", format!("Basic {}", s.key)),
        ("authorization", "Bearer ".to_string()),
        ("authorization", format!("Bearer {wrong_secret}")),
        ("authorization", format!("Bearer {unknown}")),
        ("x-api-key", "sk-not-ours".to_string()),
        ("x-api-key", wrong_secret.clone()),
    ];
    for (name, value) in cases {
        let r = chat_with_header(&s.server, name, &value).await;
        assert_eq!(r.status, 401, "{name}: {value}: {}", r.text);
        r.assert_error(401, "invalid_api_key");
    }
    let list = get(&s.server, "/v1/models", Some(&unknown)).await;
    list.assert_error(401, "invalid_api_key");
    assert_eq!(up.ok.count(), 0, "a refused request reached upstream");
}

/// Polls until `key` is refused, then returns the refusal of a chat request.
async fn until_refused(server: &Server, key: &str) -> Reply {
    eventually(Duration::from_secs(5), "the key to be refused", || async {
        (get(server, "/v1/models", Some(key)).await.status == 401).then_some(())
    })
    .await;
    post(
        server,
        "/v1/chat/completions",
        Some(key),
        &chat("small"),
        None,
    )
    .await
}

async fn revoked_expired_and_owner_disabled_keys_each_get_their_own_401_code(backend: Backend) {
    let up = Upstreams::start().await;
    let s = setup(backend, &up).await;
    s.db.exec("UPDATE users SET status = 'active' WHERE email = 'dev@example.com'")
        .await;
    let revoked = issue(&s.gw, &["--service-account", "ci", "--name", "revoked"]).await;
    let expired = issue(&s.gw, &["--service-account", "ci", "--name", "expired"]).await;
    let bot = issue(&s.gw, &["--service-account", "bots", "--name", "bot"]).await;
    let personal = issue(&s.gw, &["--user", "dev@example.com", "--name", "mine"]).await;
    for k in [&revoked, &expired, &bot, &personal] {
        wait_until_accepted(&s.server, &k.key).await;
    }

    s.gw.run(&["credentials", "revoke", &revoked.id])
        .await
        .assert_code(0);
    until_refused(&s.server, &revoked.key)
        .await
        .assert_error(401, "api_key_revoked");

    s.db.exec(&format!(
        "UPDATE credentials SET expires_at = created_at WHERE id = '{}'",
        expired.id
    ))
    .await;
    bump_auth_epoch(&s.db).await;
    until_refused(&s.server, &expired.key)
        .await
        .assert_error(401, "api_key_expired");

    s.db.exec("UPDATE service_accounts SET status = 'disabled' WHERE id = 'bots'")
        .await;
    bump_auth_epoch(&s.db).await;
    until_refused(&s.server, &bot.key)
        .await
        .assert_error(401, "api_key_owner_disabled");

    s.db.exec("UPDATE users SET status = 'disabled' WHERE email = 'dev@example.com'")
        .await;
    bump_auth_epoch(&s.db).await;
    until_refused(&s.server, &personal.key)
        .await
        .assert_error(401, "api_key_owner_disabled");

    // The unaffected key still works.
    let ok = post(
        &s.server,
        "/v1/chat/completions",
        Some(&s.key),
        &chat("small"),
        None,
    )
    .await;
    assert_eq!(ok.status, 200, "{}", ok.text);
}

async fn malformed_requests_get_a_400_naming_the_param_and_unknown_things_a_404(backend: Backend) {
    let up = Upstreams::start().await;
    let s = setup(backend, &up).await;
    let key = Some(s.key.as_str());
    let chat_path = "/v1/chat/completions";

    for raw in [&b"{not json"[..], b"[1, 2]", b""] {
        let r = post_raw(&s.server, chat_path, key, raw.to_vec()).await;
        r.assert_error(400, "invalid_json");
        r.overhead_us();
        assert!(r.header("x-request-id").is_some());
    }
    let cases = [
        (
            chat_path,
            json!({"messages": [{"role": "user", "content": "hi"}]}),
            "model",
        ),
        (chat_path, json!({"model": "small"}), "messages"),
        ("/v1/embeddings", json!({"model": "embed"}), "input"),
        ("/v1/embeddings", json!({"input": "hi"}), "model"),
    ];
    for (path, body, param) in cases {
        let r = post(&s.server, path, key, &body, None).await;
        let error = r.assert_error(400, "missing_required_parameter");
        assert_eq!(error["param"], param, "{body}");
        r.overhead_us();
    }

    let r = post(&s.server, chat_path, key, &chat("no-such-model"), None).await;
    let error = r.assert_error(404, "model_not_found");
    assert_eq!(error["param"], "model");
    r.overhead_us();

    let big =
        json!({"model": "small", "messages": [{"role": "user", "content": "x".repeat(4096)}]});
    let r = post(&s.server, chat_path, key, &big, None).await;
    r.assert_error(413, "request_too_large");
    r.overhead_us();

    let r = post(&s.server, "/v1/completions", key, &chat("small"), None).await;
    r.assert_error(404, "unknown_url");
    get(&s.server, "/v1/nope", key)
        .await
        .assert_error(404, "unknown_url");
    assert_eq!(up.ok.count(), 0, "an invalid request reached upstream");
}

async fn when_every_route_fails_the_status_follows_the_last_failure_and_names_its_reason(
    backend: Backend,
) {
    let up = Upstreams::start().await;
    let s = setup(backend, &up).await;
    let cases = [
        ("m500", 502, "upstream_error", "boom-500"),
        ("m429", 503, "upstream_rate_limited", "slow-down"),
        ("mdead", 503, "upstream_unreachable", "dead"),
        ("mslow", 504, "upstream_timeout", "timeout"),
    ];
    for (model, status, code, reason) in cases {
        let id = request_id();
        let r = post(
            &s.server,
            "/v1/chat/completions",
            Some(&s.key),
            &chat(model),
            Some(&id),
        )
        .await;
        let error = r.assert_error(status, code);
        let message = error["message"].as_str().unwrap();
        assert!(message.contains(reason), "{model}: {message}");
        assert_eq!(r.header("x-request-id"), Some(id.as_str()));
        r.overhead_us();
        let row = log_row(&s.db, &id).await;
        assert_eq!(row.status, status, "{model}");
        assert_eq!(row.error_code.as_deref(), Some(code), "{model}");
        assert_eq!(row.attempts.len(), 1, "{model}: {:?}", row.attempts);
    }
    // A streaming request fails the same way, as JSON, before any event is sent.
    let mut body = chat("m500");
    body["stream"] = json!(true);
    let r = post(&s.server, "/v1/chat/completions", Some(&s.key), &body, None).await;
    r.assert_error(502, "upstream_error");
}

async fn every_v1_response_carries_a_request_id_and_the_gateway_overhead(backend: Backend) {
    let up = Upstreams::start().await;
    let s = setup(backend, &up).await;
    let key = Some(s.key.as_str());
    let replies = [
        ("GET /v1/models", get(&s.server, "/v1/models", key).await),
        (
            "GET /v1/models unauthenticated",
            get(&s.server, "/v1/models", None).await,
        ),
        (
            "GET /v1/models/small",
            get(&s.server, "/v1/models/small", key).await,
        ),
        (
            "GET /v1/models/nope",
            get(&s.server, "/v1/models/nope", key).await,
        ),
        ("GET /v1/nope", get(&s.server, "/v1/nope", key).await),
        (
            "GET /v1/chat/completions",
            get(&s.server, "/v1/chat/completions", key).await,
        ),
        (
            "POST /v1/chat/completions",
            post(&s.server, "/v1/chat/completions", key, &chat("small"), None).await,
        ),
    ];
    let missing: Vec<&str> = replies
        .iter()
        .filter(|(_, r)| {
            r.header("x-request-id").is_none()
                || r.header("x-gateway-overhead-us")
                    .and_then(|v| v.parse::<u64>().ok())
                    .is_none()
        })
        .map(|(what, _)| *what)
        .collect();
    assert!(
        missing.is_empty(),
        "responses without x-request-id or x-gateway-overhead-us: {missing:?}"
    );
}

both_backends!(
    missing_malformed_and_unknown_keys_are_refused_as_invalid_api_key,
    revoked_expired_and_owner_disabled_keys_each_get_their_own_401_code,
    malformed_requests_get_a_400_naming_the_param_and_unknown_things_a_404,
    when_every_route_fails_the_status_follows_the_last_failure_and_names_its_reason,
    every_v1_response_carries_a_request_id_and_the_gateway_overhead,
);
