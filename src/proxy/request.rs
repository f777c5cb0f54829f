//! Reading `/v1` request bodies: just enough validation to route and to give a precise 400
//! (with `param`), keeping every other field for the upstream untouched. Only the top level is
//! taken apart: every member's value stays the client's own JSON text, a slice of the request
//! buffer, so a long prompt is neither parsed into a tree nor written out again, only copied.

use std::collections::BTreeMap;

use bytes::Bytes;
use serde::ser::{Serialize, SerializeMap, Serializer};
use serde_json::value::RawValue;
use serde_json::{Map, Value};

use super::error::ProxyError;
use crate::providers::Endpoint;

/// A validated request body.
#[derive(Debug, Clone)]
pub struct ParsedRequest {
    pub endpoint: Endpoint,
    /// The body's members in key order, each value as the client wrote it (sharing the request
    /// buffer); a repeated key keeps its last value, as a JSON object parser would.
    members: BTreeMap<String, Bytes>,
    /// The body as received.
    raw: Bytes,
    pub model: String,
    pub stream: bool,
    /// The client itself asked for `stream_options.include_usage`.
    pub client_wants_usage: bool,
    /// `max_completion_tokens`, else `max_tokens`, when a whole number.
    max_output: Option<u64>,
}

/// What kind of JSON value a member's text holds, from its first byte.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Null,
    String,
    EmptyArray,
    Array,
    Other,
}

fn kind(text: &[u8]) -> Kind {
    let mut bytes = text.iter().filter(|b| !b.is_ascii_whitespace());
    match bytes.next() {
        Some(b'n') => Kind::Null,
        Some(b'"') => Kind::String,
        Some(b'[') if bytes.next() == Some(&b']') => Kind::EmptyArray,
        Some(b'[') => Kind::Array,
        _ => Kind::Other,
    }
}

impl ParsedRequest {
    pub fn parse(endpoint: Endpoint, bytes: &Bytes) -> Result<ParsedRequest, ProxyError> {
        let parsed: BTreeMap<String, &RawValue> = serde_json::from_slice(bytes).map_err(|e| {
            ProxyError::InvalidJson(match e.classify() {
                // Well-formed JSON, but not an object.
                serde_json::error::Category::Data => "expected a JSON object".into(),
                _ => e.to_string(),
            })
        })?;
        let members: BTreeMap<String, Bytes> = parsed
            .into_iter()
            .map(|(key, value)| (key, bytes.slice_ref(value.get().as_bytes())))
            .collect();
        let value = |key: &str| parsed_member(&members, key);
        let max_output = ["max_completion_tokens", "max_tokens"]
            .iter()
            .map(|k| value(k))
            .collect::<Result<Vec<_>, _>>()?
            .into_iter()
            .find_map(|v| v.as_ref().and_then(Value::as_u64));
        let model = match value("model")? {
            Some(Value::String(m)) if !m.is_empty() => m,
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
        let present = |key: &str| members.get(key).map(|text| kind(text));
        match endpoint {
            Endpoint::ChatCompletions => match present("messages") {
                Some(Kind::Array) => {}
                Some(Kind::EmptyArray) => {
                    return Err(ProxyError::InvalidParam {
                        param: "messages",
                        message: "must contain at least one message".into(),
                    });
                }
                None | Some(Kind::Null) => {
                    return Err(ProxyError::MissingParam { param: "messages" });
                }
                Some(_) => {
                    return Err(ProxyError::InvalidParam {
                        param: "messages",
                        message: "expected an array".into(),
                    });
                }
            },
            Endpoint::Embeddings => match present("input") {
                Some(Kind::String | Kind::Array | Kind::EmptyArray) => {}
                None | Some(Kind::Null) => {
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
        let stream = match (endpoint, value("stream")?) {
            (_, None | Some(Value::Null)) => false,
            (Endpoint::ChatCompletions, Some(Value::Bool(b))) => b,
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
        let client_wants_usage = value("stream_options")?
            .and_then(|o| o.get("include_usage").and_then(Value::as_bool))
            .unwrap_or(false);
        Ok(ParsedRequest {
            endpoint,
            members,
            raw: bytes.clone(),
            model,
            stream,
            client_wants_usage,
            max_output,
        })
    }

    /// The body for one upstream attempt: the route's model name, and for streams
    /// `stream_options.include_usage: true` so usage can be read from the final chunk. Every
    /// other member is copied as the client wrote it, in key order.
    pub fn upstream_body(&self, upstream_model: &str) -> Bytes {
        const OPTIONS: &str = "stream_options";
        let mut out = Vec::with_capacity(self.raw.len() + upstream_model.len() + 48);
        out.push(b'{');
        // Added where its key sorts when absent; patched in place when present.
        let mut options_written = !self.stream || self.members.contains_key(OPTIONS);
        for (key, value) in &self.members {
            if !options_written && key.as_str() > OPTIONS {
                member(&mut out, OPTIONS);
                write_json(&mut out, &WithUsage(None));
                options_written = true;
            }
            member(&mut out, key);
            match key.as_str() {
                "model" => write_json(&mut out, upstream_model),
                OPTIONS if self.stream => {
                    let options = serde_json::from_slice::<Value>(value).ok();
                    write_json(
                        &mut out,
                        &WithUsage(options.as_ref().and_then(Value::as_object)),
                    );
                }
                _ => out.extend_from_slice(value),
            }
        }
        if !options_written {
            member(&mut out, OPTIONS);
            write_json(&mut out, &WithUsage(None));
        }
        out.push(b'}');
        Bytes::from(out)
    }

    /// An upper bound on the input's size in bytes, the reservation's input-token estimate
    /// (see [`compact_len`]).
    fn input_bytes(&self, key: &str) -> u64 {
        self.members.get(key).map_or(0, |text| compact_len(text))
    }
}

/// A member the gateway reads itself, parsed; malformed is a 400 here, never a silent default.
/// (Nested values are only checked for JSON syntax: the upstream judges the rest.)
fn parsed_member(
    members: &BTreeMap<String, Bytes>,
    key: &str,
) -> Result<Option<Value>, ProxyError> {
    members
        .get(key)
        .map(|text| serde_json::from_slice(text))
        .transpose()
        .map_err(|e| ProxyError::InvalidJson(format!("{key}: {e}")))
}

/// The size of well-formed JSON `text` written compactly: whitespace between tokens is not
/// counted, a `\uXXXX` escape counts as 3 bytes (at least what it decodes to in UTF-8) and
/// any other escape as 2. Never less than the bytes of the strings it holds, decoded.
fn compact_len(text: &[u8]) -> u64 {
    let (mut len, mut in_string, mut i) = (0u64, false, 0);
    while i < text.len() {
        let b = text[i];
        i += 1;
        if !in_string {
            if !b.is_ascii_whitespace() {
                len += 1;
                in_string = b == b'"';
            }
            continue;
        }
        match b {
            b'"' => {
                len += 1;
                in_string = false;
            }
            b'\\' if text.get(i) == Some(&b'u') => {
                len += 3;
                i += 5;
            }
            b'\\' => {
                len += 2;
                i += 1;
            }
            _ => len += 1,
        }
    }
    len
}

/// Starts the member `key` of the object being written into `out`.
fn member(out: &mut Vec<u8>, key: &str) {
    if out.len() > 1 {
        out.push(b',');
    }
    write_json(out, key);
    out.push(b':');
}

/// Writes `value` as JSON; serializing a `str`, a `Map` or [`WithUsage`] into a `Vec` cannot fail.
fn write_json<T: Serialize + ?Sized>(out: &mut Vec<u8>, value: &T) {
    let _ = serde_json::to_writer(out, value);
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
                let asked = self.max_output;
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

    /// The whole body parsed, for payload capture (only then is it built). `None` when a nested
    /// value is valid JSON syntax but not a value `serde_json` takes (a lone surrogate escape, a
    /// number out of range, nesting deeper than 128): `parse` checks only the top level.
    pub fn body(&self) -> Option<Map<String, Value>> {
        serde_json::from_slice(&self.raw).ok()
    }
}

#[cfg(test)]
#[path = "request_tests.rs"]
mod tests;
