//! Request payload capture for request logs: what of a request body may be stored, by mode
//! (`off | metadata | redacted`), with configured JSON paths and built-in secret keys replaced
//! and the result held to a byte limit.
//!
//! This module only turns a parsed body into the text to store; queueing and writing rows
//! belongs to the recorder (`recording/mod.rs`), and reading the policy from YAML to `config/`.

use std::fmt;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// What replaces a redacted value.
pub const REDACTED: &str = "[redacted]";
/// The smallest `max_bytes` a capturing policy accepts: room for the truncation marker and
/// a little content.
pub const MIN_MAX_BYTES: usize = 64;

/// Object keys whose values are redacted at any depth, compared case-insensitively and
/// ignoring `-` and `_`, so `X-Api-Key`, `api_key` and `apiKey` all match.
const SECRET_KEYS: &[&str] = &[
    "authorization",
    "apikey",
    "xapikey",
    "password",
    "secret",
    "token",
    "accesstoken",
    "refreshtoken",
    "clientsecret",
];

/// How much of a request body the request log keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum CaptureMode {
    /// Nothing.
    Off,
    /// Model, stream flag, message count, sizes and limits; never content.
    Metadata,
    /// The body with secrets and configured paths replaced by `"[redacted]"`.
    Redacted,
}

/// One step of a [`JsonPath`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Segment {
    /// An object member by name.
    Key(String),
    /// An array element by position.
    Index(usize),
    /// Every array element or object member (`[*]`).
    Any,
}

/// A path into a JSON body, written `messages[*].content`, `metadata.user_email` or
/// `tools[0].function.parameters`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JsonPath(Vec<Segment>);

impl JsonPath {
    /// Parses dot/bracket syntax: keys separated by `.`, `[n]` for an index, `[*]` for every
    /// element. Keys may not contain `.`, `[`, `]` or be empty.
    pub fn parse(s: &str) -> Result<JsonPath, String> {
        let bad = |why: &str| format!("invalid JSON path {s:?}: {why}");
        let mut segments = Vec::new();
        let mut rest = s;
        let mut expect_key = true;
        while !rest.is_empty() {
            if let Some(after) = rest.strip_prefix('[') {
                let (inside, tail) = after.split_once(']').ok_or_else(|| bad("unclosed '['"))?;
                let segment = match inside {
                    "*" => Segment::Any,
                    n if !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()) => {
                        Segment::Index(n.parse().map_err(|_| bad("index too large"))?)
                    }
                    _ => return Err(bad("expected [*] or [<index>]")),
                };
                if segments.is_empty() {
                    return Err(bad("must start with a key"));
                }
                segments.push(segment);
                rest = tail;
                expect_key = false;
            } else if let Some(after) = rest.strip_prefix('.') {
                if expect_key {
                    return Err(bad("empty key"));
                }
                rest = after;
                expect_key = true;
                if rest.is_empty() {
                    return Err(bad("ends with '.'"));
                }
            } else {
                if !expect_key {
                    return Err(bad("expected '.' or '[' after ']'"));
                }
                let end = rest.find(['.', '[', ']']).unwrap_or(rest.len());
                if end == 0 {
                    return Err(bad("unexpected ']'"));
                }
                segments.push(Segment::Key(rest[..end].to_owned()));
                rest = &rest[end..];
                expect_key = false;
            }
        }
        if segments.is_empty() {
            return Err(bad("empty path"));
        }
        Ok(JsonPath(segments))
    }

    /// The steps of this path, first to last.
    pub fn segments(&self) -> &[Segment] {
        &self.0
    }

    /// Replaces every value this path reaches in `value` with `"[redacted]"`; paths that reach
    /// nothing change nothing.
    pub fn redact(&self, value: &mut Value) {
        redact_at(value, &self.0);
    }
}

impl fmt::Display for JsonPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, segment) in self.0.iter().enumerate() {
            match segment {
                Segment::Key(k) if i == 0 => write!(f, "{k}")?,
                Segment::Key(k) => write!(f, ".{k}")?,
                Segment::Index(n) => write!(f, "[{n}]")?,
                Segment::Any => write!(f, "[*]")?,
            }
        }
        Ok(())
    }
}

fn redact_at(value: &mut Value, path: &[Segment]) {
    let Some((first, rest)) = path.split_first() else {
        *value = Value::String(REDACTED.to_owned());
        return;
    };
    match (first, value) {
        (Segment::Key(k), Value::Object(map)) => {
            if let Some(v) = map.get_mut(k) {
                redact_at(v, rest);
            }
        }
        (Segment::Index(n), Value::Array(items)) => {
            if let Some(v) = items.get_mut(*n) {
                redact_at(v, rest);
            }
        }
        (Segment::Any, Value::Array(items)) => items.iter_mut().for_each(|v| redact_at(v, rest)),
        (Segment::Any, Value::Object(map)) => map.values_mut().for_each(|v| redact_at(v, rest)),
        _ => {}
    }
}

/// Replaces the value of every object member named like a secret, at any depth.
fn redact_secret_keys(value: &mut Value) {
    match value {
        Value::Object(map) => {
            for (key, v) in map.iter_mut() {
                if is_secret_key(key) {
                    *v = Value::String(REDACTED.to_owned());
                } else {
                    redact_secret_keys(v);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(redact_secret_keys),
        _ => {}
    }
}

fn is_secret_key(key: &str) -> bool {
    let normalized: String = key
        .chars()
        .filter(|c| *c != '-' && *c != '_')
        .flat_map(char::to_lowercase)
        .collect();
    SECRET_KEYS.contains(&normalized.as_str())
}

/// How request bodies are captured: the mode, the byte limit on what is stored, and the JSON
/// paths redacted on top of the built-in secret keys.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CapturePolicy {
    pub mode: CaptureMode,
    /// Upper bound on the stored text, truncation marker included.
    pub max_bytes: usize,
    pub redact_paths: Vec<JsonPath>,
}

impl CapturePolicy {
    /// Builds a policy, parsing every path; the error names the first bad path. A capturing
    /// mode needs `max_bytes` of at least [`MIN_MAX_BYTES`].
    pub fn new(
        mode: CaptureMode,
        max_bytes: usize,
        redact_paths: &[String],
    ) -> Result<CapturePolicy, String> {
        if mode != CaptureMode::Off && max_bytes < MIN_MAX_BYTES {
            return Err(format!(
                "capture max_bytes is {max_bytes}; at least {MIN_MAX_BYTES} is needed"
            ));
        }
        let redact_paths = redact_paths
            .iter()
            .map(|p| JsonPath::parse(p))
            .collect::<Result<_, _>>()?;
        Ok(CapturePolicy {
            mode,
            max_bytes,
            redact_paths,
        })
    }

    /// What to store for a request body (`raw_len` is its size in bytes as received): `None`
    /// when off; for `metadata` a small JSON object `{model, stream, message_count,
    /// input_bytes, max_tokens?}` without content; for `redacted` the body with secrets and
    /// configured paths replaced. Either is cut to `max_bytes` on a character boundary.
    pub fn capture(&self, body: &Map<String, Value>, raw_len: usize) -> Option<String> {
        let text = match self.mode {
            CaptureMode::Off => return None,
            CaptureMode::Metadata => metadata(body, raw_len).to_string(),
            CaptureMode::Redacted => {
                let mut copy = Value::Object(body.clone());
                for path in &self.redact_paths {
                    path.redact(&mut copy);
                }
                redact_secret_keys(&mut copy);
                copy.to_string()
            }
        };
        Some(truncate(text, self.max_bytes))
    }
}

/// Longest model name kept in metadata; names come from clients, so they are bounded.
const MAX_MODEL_CHARS: usize = 200;

fn metadata(body: &Map<String, Value>, raw_len: usize) -> Value {
    let mut out = Map::new();
    let model = body.get("model").and_then(Value::as_str).map(|m| {
        let end = m
            .char_indices()
            .nth(MAX_MODEL_CHARS)
            .map_or(m.len(), |(i, _)| i);
        Value::String(m[..end].to_owned())
    });
    out.insert("model".into(), model.unwrap_or(Value::Null));
    let stream = body.get("stream").and_then(Value::as_bool).unwrap_or(false);
    out.insert("stream".into(), stream.into());
    let messages = body
        .get("messages")
        .and_then(Value::as_array)
        .map_or(0, Vec::len);
    out.insert("message_count".into(), messages.into());
    out.insert("input_bytes".into(), raw_len.into());
    let max_tokens = ["max_completion_tokens", "max_tokens"]
        .iter()
        .find_map(|k| body.get(*k).and_then(Value::as_u64));
    if let Some(n) = max_tokens {
        out.insert("max_tokens".into(), n.into());
    }
    Value::Object(out)
}

/// Cuts `text` to at most `max_bytes`, ending on a character boundary with a marker saying
/// how many bytes were dropped; the marker counts toward the limit.
fn truncate(mut text: String, max_bytes: usize) -> String {
    if text.len() <= max_bytes {
        return text;
    }
    // The marker's length depends on the number it reports; a few rounds settle it.
    let marker = |dropped: usize| format!("…[truncated {dropped} bytes]");
    let mut keep = max_bytes;
    for _ in 0..4 {
        let room = max_bytes.saturating_sub(marker(text.len() - keep).len());
        keep = text.floor_char_boundary(room);
    }
    let marker = marker(text.len() - keep);
    if keep + marker.len() > max_bytes {
        // Only when max_bytes cannot hold the marker at all (a policy built without `new`).
        return String::new();
    }
    text.truncate(keep);
    text.push_str(&marker);
    text
}

#[cfg(test)]
#[path = "capture_tests.rs"]
mod tests;
