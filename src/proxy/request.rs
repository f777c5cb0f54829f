//! Reading `/v1` request bodies: just enough validation to route and to give a precise 400
//! (with `param`), keeping every other field for the upstream untouched.

use bytes::Bytes;
use serde_json::{Map, Value};

use super::error::ProxyError;
use crate::providers::Endpoint;

/// A validated request body.
#[derive(Debug, Clone)]
pub struct ParsedRequest {
    pub endpoint: Endpoint,
    body: Map<String, Value>,
    pub model: String,
    pub stream: bool,
    /// The client itself asked for `stream_options.include_usage`.
    pub client_wants_usage: bool,
}

impl ParsedRequest {
    pub fn parse(endpoint: Endpoint, bytes: &[u8]) -> Result<ParsedRequest, ProxyError> {
        let value: Value =
            serde_json::from_slice(bytes).map_err(|e| ProxyError::InvalidJson(e.to_string()))?;
        let Value::Object(body) = value else {
            return Err(ProxyError::InvalidJson("expected a JSON object".into()));
        };
        let model = match body.get("model") {
            Some(Value::String(m)) if !m.is_empty() => m.clone(),
            Some(Value::String(_)) | None | Some(Value::Null) => {
                return Err(ProxyError::MissingParam { param: "model" });
            }
            Some(_) => {
                return Err(ProxyError::InvalidParam {
                    param: "model",
                    message: "expected a string".into(),
                });
            }
        };
        match endpoint {
            Endpoint::ChatCompletions => match body.get("messages") {
                Some(Value::Array(m)) if !m.is_empty() => {}
                Some(Value::Array(_)) => {
                    return Err(ProxyError::InvalidParam {
                        param: "messages",
                        message: "must contain at least one message".into(),
                    });
                }
                None | Some(Value::Null) => {
                    return Err(ProxyError::MissingParam { param: "messages" });
                }
                Some(_) => {
                    return Err(ProxyError::InvalidParam {
                        param: "messages",
                        message: "expected an array".into(),
                    });
                }
            },
            Endpoint::Embeddings => match body.get("input") {
                Some(Value::String(_)) | Some(Value::Array(_)) => {}
                None | Some(Value::Null) => {
                    return Err(ProxyError::MissingParam { param: "input" });
                }
                Some(_) => {
                    return Err(ProxyError::InvalidParam {
                        param: "input",
                        message: "expected a string or an array".into(),
                    });
                }
            },
        }
        let stream = match (endpoint, body.get("stream")) {
            (_, None | Some(Value::Null)) => false,
            (Endpoint::ChatCompletions, Some(Value::Bool(b))) => *b,
            (Endpoint::Embeddings, Some(Value::Bool(false))) => false,
            (Endpoint::Embeddings, Some(_)) => {
                return Err(ProxyError::InvalidParam {
                    param: "stream",
                    message: "embeddings do not stream".into(),
                });
            }
            (_, Some(_)) => {
                return Err(ProxyError::InvalidParam {
                    param: "stream",
                    message: "expected a boolean".into(),
                });
            }
        };
        let client_wants_usage = body
            .get("stream_options")
            .and_then(|o| o.get("include_usage"))
            .and_then(Value::as_bool)
            .unwrap_or(false);
        Ok(ParsedRequest {
            endpoint,
            body,
            model,
            stream,
            client_wants_usage,
        })
    }

    /// The body for one upstream attempt: the route's model name, and for streams
    /// `stream_options.include_usage: true` so usage can be read from the final chunk.
    pub fn upstream_body(&self, upstream_model: &str) -> Bytes {
        let mut body = self.body.clone();
        body.insert("model".into(), Value::String(upstream_model.to_string()));
        if self.stream {
            let options = body
                .entry("stream_options")
                .or_insert_with(|| Value::Object(Map::new()));
            if let Value::Object(o) = options {
                o.insert("include_usage".into(), Value::Bool(true));
            } else {
                *options = serde_json::json!({ "include_usage": true });
            }
        }
        Bytes::from(serde_json::to_vec(&body).unwrap_or_default())
    }
}

/// Output cap assumed for reservations when neither the request nor the model sets one.
pub const DEFAULT_OUTPUT_CAP: u64 = 4096;

impl ParsedRequest {
    /// Upper bounds on (input, output) tokens, to size the budget reservation. Input: the
    /// serialized prompt's bytes (byte-level BPE tokenizers never emit more tokens than bytes);
    /// output: `max_completion_tokens`, `max_tokens`, the model's cap, or [`DEFAULT_OUTPUT_CAP`].
    pub fn token_bounds(&self, model_cap: Option<u32>) -> (u64, u64) {
        let (key, output) = match self.endpoint {
            Endpoint::ChatCompletions => {
                let asked = ["max_completion_tokens", "max_tokens"]
                    .iter()
                    .find_map(|k| self.body.get(*k).and_then(Value::as_u64));
                let cap = model_cap.map(u64::from);
                let output = match (asked, cap) {
                    (Some(a), Some(c)) => a.min(c),
                    (Some(a), None) => a,
                    (None, Some(c)) => c,
                    (None, None) => DEFAULT_OUTPUT_CAP,
                };
                ("messages", output)
            }
            Endpoint::Embeddings => ("input", 0),
        };
        let input = self
            .body
            .get(key)
            .map(|v| serde_json::to_vec(v).map_or(0, |b| b.len() as u64))
            .unwrap_or(0);
        (input, output)
    }

    /// The parsed body, for payload capture.
    pub fn body(&self) -> &Map<String, Value> {
        &self.body
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chat(body: &str) -> Result<ParsedRequest, ProxyError> {
        ParsedRequest::parse(Endpoint::ChatCompletions, body.as_bytes())
    }

    #[test]
    fn missing_and_wrong_fields_name_their_param() {
        let cases = [
            (r#"{"messages":[{"role":"user","content":"hi"}]}"#, "model"),
            (r#"{"model":"m"}"#, "messages"),
            (r#"{"model":"m","messages":"hi"}"#, "messages"),
            (r#"{"model":7,"messages":[{}]}"#, "model"),
            (r#"{"model":"m","messages":[{}],"stream":"yes"}"#, "stream"),
        ];
        for (body, param) in cases {
            match chat(body) {
                Err(ProxyError::MissingParam { param: p })
                | Err(ProxyError::InvalidParam { param: p, .. }) => {
                    assert_eq!(p, param, "{body}")
                }
                other => panic!("{body}: {other:?}"),
            }
        }
        assert!(matches!(chat("{not json"), Err(ProxyError::InvalidJson(_))));
    }

    #[test]
    fn streaming_bodies_ask_upstream_for_usage_and_remember_whether_the_client_did() {
        let p = chat(r#"{"model":"m","messages":[{}],"stream":true,"extra":1}"#).unwrap();
        assert!(p.stream && !p.client_wants_usage);
        let up: Value = serde_json::from_slice(&p.upstream_body("up-model")).unwrap();
        assert_eq!(up["model"], "up-model");
        assert_eq!(up["stream_options"]["include_usage"], true);
        assert_eq!(up["extra"], 1);

        let p = chat(r#"{"model":"m","messages":[{}],"stream":true,"stream_options":{"include_usage":true}}"#)
            .unwrap();
        assert!(p.client_wants_usage);
    }
}
