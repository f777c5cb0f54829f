//! The `mock` provider: a deterministic, offline stand-in for an OpenAI-compatible upstream,
//! so the local config works with no keys.
//!
//! It behaves like an upstream, not like a test double: it parses the request, answers in
//! OpenAI's shapes (JSON or SSE), and rejects bad input with a 400 in OpenAI's error shape.
//! The same request always gets the same answer. What must not go here: test-only branches
//! (tests use their own fake servers) and anything the proxy does (routing, usage, budgets).

mod chat;
mod embeddings;

use std::time::Duration;

use bytes::Bytes;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use super::{Endpoint, UpstreamRequest, UpstreamResponse};
use crate::config::schema;

/// The `created` timestamp of every mock response: fixed, so answers are reproducible.
const CREATED: u64 = 1_700_000_000;

/// A deterministic provider that never touches the network.
#[derive(Debug, Clone)]
pub struct MockProvider {
    id: String,
    /// Artificial delay before the response headers.
    latency: Duration,
}

impl MockProvider {
    /// Builds the mock from its config (only `id` and `latency_ms` matter).
    pub fn from_config(config: &schema::Provider) -> MockProvider {
        MockProvider {
            id: config.id.clone(),
            latency: Duration::from_millis(config.latency_ms),
        }
    }

    /// The configured provider id.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// Answers one request after the configured latency. Never fails: bad input is a 400.
    pub async fn send(&self, req: UpstreamRequest) -> UpstreamResponse {
        if !self.latency.is_zero() {
            tokio::time::sleep(self.latency).await;
        }
        let body = match serde_json::from_slice::<Value>(&req.body) {
            Ok(Value::Object(body)) => body,
            Ok(_) => return invalid_request("the request body must be a JSON object", None),
            Err(e) => {
                return invalid_request(&format!("the request body is not valid JSON: {e}"), None);
            }
        };
        let Some(model) = body.get("model").and_then(Value::as_str) else {
            return invalid_request("you must provide a model parameter", Some("model"));
        };
        let model = model.to_string();
        match req.endpoint {
            Endpoint::ChatCompletions => chat::respond(&body, &model),
            Endpoint::Embeddings => embeddings::respond(&body, &model),
        }
    }
}

/// A 400 in OpenAI's error shape, as an upstream would send it.
fn invalid_request(message: &str, param: Option<&str>) -> UpstreamResponse {
    let body = json!({
        "error": {
            "message": message,
            "type": "invalid_request_error",
            "param": param,
            "code": null,
        }
    });
    json_response(400, &body)
}

fn json_response(status: u16, body: &Value) -> UpstreamResponse {
    let bytes = Bytes::from(body.to_string());
    UpstreamResponse {
        status,
        content_type: Some("application/json".into()),
        body: Box::pin(futures_util::stream::once(async move { Ok(bytes) })),
    }
}

/// An SSE response, one stream item per event.
fn sse_response(events: Vec<Bytes>) -> UpstreamResponse {
    UpstreamResponse {
        status: 200,
        content_type: Some("text/event-stream".into()),
        body: Box::pin(futures_util::stream::iter(events.into_iter().map(Ok))),
    }
}

/// SHA-256, the source of every "random" choice: stable across platforms and Rust versions.
fn digest(parts: &[&[u8]]) -> [u8; 32] {
    let mut hasher = Sha256::new();
    for part in parts {
        hasher.update(part);
    }
    hasher.finalize().into()
}

/// The usual rough estimate: one token per four characters, rounded up.
fn approx_tokens(text: &str) -> u64 {
    (text.chars().count() as u64).div_ceil(4)
}

/// Reads an optional positive integer parameter; `Err` is the 400 to send.
fn positive_int(
    body: &serde_json::Map<String, Value>,
    name: &str,
) -> Result<Option<u64>, UpstreamResponse> {
    match body.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(v) => match v.as_u64() {
            Some(n) if n > 0 => Ok(Some(n)),
            _ => Err(invalid_request(
                &format!("{name} must be a positive integer, got {v}"),
                Some(name),
            )),
        },
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use crate::config::schema::ProviderKind;
    use crate::providers::testutil::{collect, config};

    pub(super) async fn send(endpoint: Endpoint, body: Value) -> (UpstreamResponse, Value) {
        let mock = MockProvider::from_config(&config("mock", ProviderKind::Mock));
        let req = UpstreamRequest {
            endpoint,
            stream: body["stream"] == json!(true),
            body: Bytes::from(body.to_string()),
        };
        let mut resp = mock.send(req).await;
        let body = std::mem::replace(&mut resp.body, Box::pin(futures_util::stream::empty()));
        let bytes = collect(body).await;
        let json = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        (resp, json)
    }

    async fn error_of(endpoint: Endpoint, raw: &'static str) -> Value {
        let mock = MockProvider::from_config(&config("mock", ProviderKind::Mock));
        let req = UpstreamRequest {
            endpoint,
            stream: false,
            body: Bytes::from_static(raw.as_bytes()),
        };
        let resp = mock.send(req).await;
        assert_eq!(resp.status, 400, "{raw}");
        assert_eq!(resp.content_type.as_deref(), Some("application/json"));
        serde_json::from_slice(&collect(resp.body).await).unwrap()
    }

    #[tokio::test]
    async fn bad_input_is_a_400_in_openai_error_shape() {
        for (endpoint, raw, param) in [
            (Endpoint::ChatCompletions, "not json", Value::Null),
            (Endpoint::ChatCompletions, "[1,2]", Value::Null),
            (
                Endpoint::ChatCompletions,
                r#"{"messages":[]}"#,
                json!("model"),
            ),
            (
                Endpoint::ChatCompletions,
                r#"{"model":"m"}"#,
                json!("messages"),
            ),
            (
                Endpoint::ChatCompletions,
                r#"{"model":"m","messages":[{"role":"user","content":"hi"}],"max_tokens":0}"#,
                json!("max_tokens"),
            ),
            (Endpoint::Embeddings, r#"{"model":"m"}"#, json!("input")),
            (
                Endpoint::Embeddings,
                r#"{"model":"m","input":"x","dimensions":-1}"#,
                json!("dimensions"),
            ),
        ] {
            let err = error_of(endpoint, raw).await;
            assert_eq!(err["error"]["type"], "invalid_request_error", "{raw}");
            assert!(err["error"]["message"].as_str().is_some(), "{raw}");
            assert_eq!(err["error"]["param"], param, "{raw}");
            assert!(
                err["error"].as_object().unwrap().contains_key("code"),
                "{raw}"
            );
        }
    }

    #[tokio::test]
    async fn latency_is_waited_before_the_response_headers() {
        let mut cfg = config("slow", ProviderKind::Mock);
        cfg.latency_ms = 150;
        let mock = MockProvider::from_config(&cfg);
        // A lower bound only, so it cannot flake on a slow machine.
        let start = std::time::Instant::now();
        let resp = mock
            .send(UpstreamRequest {
                endpoint: Endpoint::Embeddings,
                body: Bytes::from_static(br#"{"model":"m","input":"x"}"#),
                stream: false,
            })
            .await;
        assert_eq!(resp.status, 200);
        assert!(start.elapsed() >= Duration::from_millis(150));
    }

    #[test]
    fn approx_tokens_rounds_a_quarter_of_the_characters_up() {
        assert_eq!(approx_tokens(""), 0);
        assert_eq!(approx_tokens("abcd"), 1);
        assert_eq!(approx_tokens("abcde"), 2);
        assert_eq!(approx_tokens("éééé"), 1, "characters, not bytes");
    }
}
