//! The `/v1` happy paths through a fake OpenAI-compatible upstream: JSON chat, embeddings, the
//! model list, and SSE streaming with usage stripping and injection; what the upstream
//! receives, the headers every response carries, and the request-log row each call leaves.

#![allow(clippy::expect_used, clippy::unwrap_used)]

mod common;

use common::plane::{
    BASE, chat, chat_stream, get, log_row, post, ready_key, request_id, sse_content, sse_data,
};
use common::upstream::{Behavior, FakeUpstream};
use common::{Backend, Gateway, Server, TestDb};
use serde_json::{Value, json};

/// 10 input tokens at $0.15/M plus 20 output tokens at $0.60/M = 13.5 µ$, rounded up.
const CHAT_COST_MICROS: i64 = 14;

struct Setup {
    server: Server,
    db: TestDb,
    key: String,
}

async fn setup(backend: Backend, up: &FakeUpstream) -> Setup {
    let db = TestDb::new(backend).await;
    let yaml = format!(
        r#"{BASE}
providers:
  - id: up
    kind: openai_compat
    base_url: "{url}"
    api_key: env://UPSTREAM_KEY
    headers: {{ x-org: acme }}
models:
  - id: small
    routes: [{{ provider: up, model: upstream-small, pricing: {{ input: "0.15", output: "0.60" }} }}]
  - id: embed
    routes: [{{ provider: up, model: upstream-embed, pricing: {{ input: "0.02", output: "0" }} }}]
"#,
        url = up.base_url
    );
    let gw = Gateway::new(&db, &yaml).env("UPSTREAM_KEY", "sk-upstream-secret");
    let server = gw.serve().await;
    let key = ready_key(&gw, &server, &[]).await.key;
    Setup { server, db, key }
}

async fn a_chat_completion_passes_through_with_the_route_model_and_the_provider_credentials(
    backend: Backend,
) {
    let up = FakeUpstream::start("up", Behavior::Ok).await;
    let s = setup(backend, &up).await;
    let id = request_id();
    let r = post(
        &s.server,
        "/v1/chat/completions",
        Some(&s.key),
        &chat("small"),
        Some(&id),
    )
    .await;

    assert_eq!(r.status, 200, "{}", r.text);
    let body = r.json();
    assert_eq!(body["object"], "chat.completion");
    assert_eq!(body["choices"][0]["message"]["content"], "hello from up");
    assert_eq!(body["usage"]["completion_tokens"], 20);
    assert_eq!(r.header("x-request-id"), Some(id.as_str()));
    r.overhead_us();

    let received = up.received();
    assert_eq!(received.len(), 1);
    let got = &received[0];
    assert_eq!(got.path, "/v1/chat/completions");
    assert_eq!(got.body["model"], "upstream-small");
    assert_eq!(got.body["messages"], chat("small")["messages"]);
    let header = |name: &str| got.headers.get(name).and_then(|v| v.to_str().ok());
    assert_eq!(header("authorization"), Some("Bearer sk-upstream-secret"));
    assert_eq!(header("x-org"), Some("acme"));
    assert!(
        !format!("{:?}", got.headers).contains(&s.key),
        "the client's key leaked upstream"
    );

    let row = log_row(&s.db, &id).await;
    assert_eq!(row.status, 200);
    assert_eq!(row.endpoint, "chat.completions");
    assert_eq!(row.provider.as_deref(), Some("up"));
    assert_eq!(row.model_requested.as_deref(), Some("small"));
    assert_eq!(row.model_served.as_deref(), Some("small"));
    assert_eq!(row.attempts.len(), 1, "{:?}", row.attempts);
    assert_eq!(row.attempts[0]["provider"], "up");
    assert_eq!(row.attempts[0]["status"], 200);
    assert!(row.attempts[0]["latency_us"].is_u64());
    assert_eq!(
        (row.input_tokens, row.output_tokens, row.cost_micros),
        (Some(10), Some(20), Some(CHAT_COST_MICROS))
    );
}

async fn the_x_api_key_header_is_accepted_like_a_bearer_token(backend: Backend) {
    let up = FakeUpstream::start("up", Behavior::Ok).await;
    let s = setup(backend, &up).await;
    let resp = common::http()
        .post(s.server.url("/v1/chat/completions"))
        .header("x-api-key", &s.key)
        .json(&chat("small"))
        .send()
        .await
        .expect("request");
    assert_eq!(resp.status().as_u16(), 200);
    assert!(resp.headers().contains_key("x-request-id"));
    assert_eq!(up.count(), 1);
}

async fn embeddings_pass_through_and_are_logged_with_their_usage(backend: Backend) {
    let up = FakeUpstream::start("up", Behavior::Ok).await;
    let s = setup(backend, &up).await;
    let id = request_id();
    let body = json!({"model": "embed", "input": ["a", "b"]});
    let r = post(&s.server, "/v1/embeddings", Some(&s.key), &body, Some(&id)).await;

    assert_eq!(r.status, 200, "{}", r.text);
    let answer = r.json();
    assert_eq!(answer["object"], "list");
    assert_eq!(answer["data"][0]["embedding"], json!([0.1, 0.2, 0.3]));
    assert_eq!(r.header("x-request-id"), Some(id.as_str()));
    r.overhead_us();
    let got = &up.received()[0];
    assert_eq!(got.path, "/v1/embeddings");
    assert_eq!(got.body["model"], "upstream-embed");
    assert_eq!(got.body["input"], json!(["a", "b"]));

    let row = log_row(&s.db, &id).await;
    assert_eq!((row.status, row.endpoint.as_str()), (200, "embeddings"));
    assert_eq!(row.input_tokens, Some(4));
    // 4 tokens at $0.02/M = 0.08 µ$, rounded up.
    assert_eq!(row.cost_micros, Some(1));
}

async fn models_are_listed_in_openai_list_shape_and_fetched_one_by_one(backend: Backend) {
    let up = FakeUpstream::start("up", Behavior::Ok).await;
    let s = setup(backend, &up).await;

    let list = get(&s.server, "/v1/models", Some(&s.key)).await;
    assert_eq!(list.status, 200, "{}", list.text);
    assert!(list.header("x-request-id").is_some());
    list.overhead_us();
    let body = list.json();
    assert_eq!(body["object"], "list");
    let data = body["data"].as_array().expect("data is an array");
    let ids: Vec<&str> = data.iter().map(|m| m["id"].as_str().unwrap()).collect();
    assert_eq!(ids, ["embed", "small"]);
    for m in data {
        assert_eq!(m["object"], "model", "{m}");
        assert!(m["created"].is_u64(), "{m}");
        assert!(m["owned_by"].is_string(), "{m}");
    }

    let one = get(&s.server, "/v1/models/small", Some(&s.key)).await;
    assert_eq!(one.status, 200, "{}", one.text);
    assert_eq!(one.json()["id"], "small");
    assert_eq!(one.json()["object"], "model");

    let missing = get(&s.server, "/v1/models/nope", Some(&s.key)).await;
    missing.assert_error(404, "model_not_found");
    assert_eq!(up.count(), 0, "listing models must not call upstream");
}

/// Payloads that are usage-only chunks (`choices: []` with a `usage` object).
fn usage_chunks(body: &str) -> Vec<Value> {
    sse_data(body)
        .iter()
        .filter_map(|d| serde_json::from_str::<Value>(d).ok())
        .filter(|v| v["usage"].is_object())
        .collect()
}

async fn a_stream_is_relayed_and_the_usage_chunk_the_client_did_not_ask_for_is_stripped(
    backend: Backend,
) {
    let up = FakeUpstream::start("up", Behavior::Ok).await;
    let s = setup(backend, &up).await;
    let id = request_id();
    let r = post(
        &s.server,
        "/v1/chat/completions",
        Some(&s.key),
        &chat_stream("small"),
        Some(&id),
    )
    .await;

    assert_eq!(r.status, 200, "{}", r.text);
    let ct = r.header("content-type").unwrap_or_default();
    assert!(ct.starts_with("text/event-stream"), "{ct}");
    assert_eq!(r.header("x-request-id"), Some(id.as_str()));
    r.overhead_us();
    assert_eq!(
        sse_content(&r.text),
        "hello from up #0 hello from up #1 hello from up #2 "
    );
    let data = sse_data(&r.text);
    // role, three content chunks, finish, [DONE]: nothing else.
    assert_eq!(data.len(), 6, "{}", r.text);
    assert_eq!(data.last().map(String::as_str), Some("[DONE]"));
    assert!(usage_chunks(&r.text).is_empty(), "{}", r.text);

    let got = &up.received()[0];
    assert_eq!(got.body["stream"], true);
    assert_eq!(got.body["stream_options"]["include_usage"], true);
    assert_eq!(got.body["model"], "upstream-small");

    let row = log_row(&s.db, &id).await;
    assert_eq!(row.status, 200);
    assert_eq!(
        (row.input_tokens, row.output_tokens, row.cost_micros),
        (Some(10), Some(20), Some(CHAT_COST_MICROS))
    );
}

async fn a_stream_keeps_the_usage_chunk_when_the_client_asked_for_it(backend: Backend) {
    let up = FakeUpstream::start("up", Behavior::Ok).await;
    let s = setup(backend, &up).await;
    let id = request_id();
    let mut body = chat_stream("small");
    body["stream_options"] = json!({"include_usage": true});
    let r = post(
        &s.server,
        "/v1/chat/completions",
        Some(&s.key),
        &body,
        Some(&id),
    )
    .await;

    assert_eq!(r.status, 200, "{}", r.text);
    let data = sse_data(&r.text);
    assert_eq!(data.len(), 7, "{}", r.text);
    assert_eq!(data.last().map(String::as_str), Some("[DONE]"));
    let usage = usage_chunks(&r.text);
    assert_eq!(usage.len(), 1, "{}", r.text);
    assert_eq!(usage[0]["choices"], json!([]));
    assert_eq!(usage[0]["usage"]["prompt_tokens"], 10);
    assert_eq!(usage[0]["usage"]["completion_tokens"], 20);
    assert_eq!(
        up.received()[0].body["stream_options"]["include_usage"],
        true
    );

    let row = log_row(&s.db, &id).await;
    assert_eq!(
        (row.input_tokens, row.output_tokens, row.cost_micros),
        (Some(10), Some(20), Some(CHAT_COST_MICROS))
    );
}

async fn a_client_that_turns_usage_off_still_gets_it_logged_but_not_sent(backend: Backend) {
    let up = FakeUpstream::start("up", Behavior::Ok).await;
    let s = setup(backend, &up).await;
    let id = request_id();
    let mut body = chat_stream("small");
    body["stream_options"] = json!({"include_usage": false});
    let r = post(
        &s.server,
        "/v1/chat/completions",
        Some(&s.key),
        &body,
        Some(&id),
    )
    .await;

    assert_eq!(r.status, 200, "{}", r.text);
    assert!(usage_chunks(&r.text).is_empty(), "{}", r.text);
    assert_eq!(
        up.received()[0].body["stream_options"]["include_usage"],
        true
    );
    let row = log_row(&s.db, &id).await;
    assert_eq!((row.input_tokens, row.output_tokens), (Some(10), Some(20)));
}

both_backends!(
    a_chat_completion_passes_through_with_the_route_model_and_the_provider_credentials,
    the_x_api_key_header_is_accepted_like_a_bearer_token,
    embeddings_pass_through_and_are_logged_with_their_usage,
    models_are_listed_in_openai_list_shape_and_fetched_one_by_one,
    a_stream_is_relayed_and_the_usage_chunk_the_client_did_not_ask_for_is_stripped,
    a_stream_keeps_the_usage_chunk_when_the_client_asked_for_it,
    a_client_that_turns_usage_off_still_gets_it_logged_but_not_sent,
);
