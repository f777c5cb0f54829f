//! Reading `/v1` request bodies: just enough validation to route and to give a precise 400
//! (with `param`), keeping every other field for the upstream untouched.

use bytes::Bytes;
use serde::ser::{Serialize, SerializeMap, Serializer};
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
    /// Written straight from the parsed body, without copying it.
    pub fn upstream_body(&self, upstream_model: &str) -> Bytes {
        let body = UpstreamBody {
            body: &self.body,
            model: upstream_model,
            ask_usage: self.stream,
        };
        Bytes::from(serde_json::to_vec(&body).unwrap_or_default())
    }

    /// An upper bound on the input's size in bytes (as serialized JSON): the reservation's
    /// input-token estimate. Counted, not built.
    fn input_bytes(&self, key: &str) -> u64 {
        struct Count(u64);
        impl std::io::Write for Count {
            fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
                self.0 += buf.len() as u64;
                Ok(buf.len())
            }
            fn flush(&mut self) -> std::io::Result<()> {
                Ok(())
            }
        }
        let mut count = Count(0);
        match self.body.get(key) {
            Some(v) if serde_json::to_writer(&mut count, v).is_ok() => count.0,
            _ => 0,
        }
    }
}

/// The request body with the route's model and, when `ask_usage`, `stream_options.
/// include_usage: true`; every other member as the client sent it, keys in map order.
struct UpstreamBody<'a> {
    body: &'a Map<String, Value>,
    model: &'a str,
    ask_usage: bool,
}

impl Serialize for UpstreamBody<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        const OPTIONS: &str = "stream_options";
        let mut out = s.serialize_map(Some(self.body.len() + 1))?;
        // Added where its key sorts when absent; patched in place when present.
        let mut options_written = !self.ask_usage || self.body.contains_key(OPTIONS);
        for (key, value) in self.body {
            if !options_written && key.as_str() > OPTIONS {
                out.serialize_entry(OPTIONS, &WithUsage(None))?;
                options_written = true;
            }
            match key.as_str() {
                "model" => out.serialize_entry(key, self.model)?,
                OPTIONS if self.ask_usage => {
                    out.serialize_entry(key, &WithUsage(value.as_object()))?;
                }
                _ => out.serialize_entry(key, value)?,
            }
        }
        if !options_written {
            out.serialize_entry(OPTIONS, &WithUsage(None))?;
        }
        out.end()
    }
}

/// `stream_options` with `include_usage: true`, keeping its other members (a non-object value
/// is replaced).
struct WithUsage<'a>(Option<&'a Map<String, Value>>);

impl Serialize for WithUsage<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        const USAGE: &str = "include_usage";
        let mut out = s.serialize_map(None)?;
        let mut written = self.0.is_some_and(|o| o.contains_key(USAGE));
        for (key, value) in self.0.into_iter().flatten() {
            if !written && key.as_str() > USAGE {
                out.serialize_entry(USAGE, &true)?;
                written = true;
            }
            match key.as_str() {
                USAGE => out.serialize_entry(key, &true)?,
                _ => out.serialize_entry(key, value)?,
            }
        }
        if !written {
            out.serialize_entry(USAGE, &true)?;
        }
        out.end()
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
        let input = self.input_bytes(key);
        (input, output)
    }

    /// The parsed body, for payload capture.
    pub fn body(&self) -> &Map<String, Value> {
        &self.body
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

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

    /// What `upstream_body` writes without copying the body: the same as patching a copy.
    fn patched_copy(p: &ParsedRequest, upstream_model: &str) -> Value {
        let mut body = p.body().clone();
        body.insert("model".into(), upstream_model.into());
        if p.stream {
            let options = body.entry("stream_options").or_insert_with(|| json!({}));
            match options {
                Value::Object(o) => {
                    o.insert("include_usage".into(), true.into());
                }
                other => *other = json!({ "include_usage": true }),
            }
        }
        Value::Object(body)
    }

    #[test]
    fn the_upstream_body_is_the_client_body_with_model_and_usage_patched_in() {
        let bodies = [
            r#"{"model":"m","messages":[{"role":"user","content":"héllo \"x\""}],"temperature":0.5}"#,
            r#"{"model":"m","messages":[{}],"stream":true}"#,
            r#"{"model":"m","messages":[{}],"stream":true,"user":"u","tools":[]}"#,
            r#"{"model":"m","messages":[{}],"stream":true,"stream_options":{"include_usage":false}}"#,
            r#"{"model":"m","messages":[{}],"stream":true,"stream_options":{"a":1,"zz":{"b":[2]}}}"#,
            r#"{"model":"m","messages":[{}],"stream":true,"stream_options":"odd"}"#,
            r#"{"model":"m","messages":[{}],"stream":false,"stream_options":{"include_usage":false}}"#,
        ];
        for body in bodies {
            let p = chat(body).unwrap();
            let sent = p.upstream_body("up/model-1");
            let sent: Value =
                serde_json::from_slice(&sent).unwrap_or_else(|e| panic!("{body}: {e}"));
            assert_eq!(sent, patched_copy(&p, "up/model-1"), "{body}");
        }
        let p = chat(r#"{"model":"m","messages":[{"content":"abc"}]}"#).unwrap();
        assert_eq!(
            p.input_bytes("messages"),
            r#"[{"content":"abc"}]"#.len() as u64
        );
        assert_eq!(p.input_bytes("absent"), 0);
    }
}
