//! `/chat/completions` for the mock: a deterministic reply, as one JSON object or as SSE chunks
//! in exactly OpenAI's streaming format (including the `stream_options.include_usage` chunk).

use bytes::Bytes;
use serde_json::{Map, Value, json};

use super::{CREATED, approx_tokens, digest, invalid_request, json_response, positive_int};
use crate::providers::UpstreamResponse;

/// Filler words, picked by the prompt's hash so different prompts get visibly different replies.
const FILLER: [&str; 32] = [
    "amber", "basalt", "cedar", "delta", "ember", "fjord", "garnet", "harbor", "indigo", "juniper",
    "kelp", "lagoon", "meadow", "nectar", "onyx", "pebble", "quartz", "river", "saffron", "tundra",
    "umber", "valley", "willow", "xenon", "yarrow", "zephyr", "aurora", "breeze", "canyon", "dune",
    "estuary", "flint",
];

/// How many words of the last user message the reply quotes.
const QUOTED_WORDS: usize = 12;

/// The prompt as the mock sees it.
struct Prompt {
    /// Every message as `role: content`, one per line: hashed and counted for usage.
    text: String,
    /// The content of the last `user` message (or of the last message if none is a user's).
    last_user: String,
}

/// The reply to a prompt, already cut to the requested length.
struct Reply {
    id: String,
    words: Vec<String>,
    finish_reason: &'static str,
    prompt_tokens: u64,
}

impl Reply {
    fn usage(&self) -> Value {
        let completion = self.words.len() as u64;
        json!({
            "prompt_tokens": self.prompt_tokens,
            "completion_tokens": completion,
            "total_tokens": self.prompt_tokens + completion,
        })
    }
}

/// Answers a chat completion request (already known to be a JSON object with a `model`).
pub(super) fn respond(body: &Map<String, Value>, model: &str) -> UpstreamResponse {
    match reply_to(body) {
        Ok((reply, stream)) if stream => stream_response(&reply, model, include_usage(body)),
        Ok((reply, _)) => json_response(200, &completion(&reply, model)),
        Err(bad_request) => bad_request,
    }
}

/// Validates the request and computes the reply; also says whether SSE was asked for.
fn reply_to(body: &Map<String, Value>) -> Result<(Reply, bool), UpstreamResponse> {
    let prompt = prompt(body)?;
    let stream = match body.get("stream") {
        None | Some(Value::Null) => false,
        Some(Value::Bool(b)) => *b,
        Some(_) => return Err(invalid_request("stream must be a boolean", Some("stream"))),
    };
    // The newer name wins, as upstream does when both are present.
    let limit = match positive_int(body, "max_completion_tokens")? {
        Some(n) => Some(n),
        None => positive_int(body, "max_tokens")?,
    };

    let hash = digest(&[prompt.text.as_bytes()]);
    let mut words: Vec<String> = ["Mock", "reply", "to:"].map(String::from).into();
    words.extend(
        prompt
            .last_user
            .split_whitespace()
            .take(QUOTED_WORDS)
            .map(String::from),
    );
    let filler: Vec<&str> = hash[..4]
        .iter()
        .map(|b| FILLER[usize::from(*b) % FILLER.len()])
        .collect();
    words.push(format!("({}", filler[0]));
    words.extend(filler[1..3].iter().map(|w| w.to_string()));
    words.push(format!("{})", filler[3]));

    let mut finish_reason = "stop";
    if let Some(limit) = limit.and_then(|l| usize::try_from(l).ok())
        && words.len() > limit
    {
        words.truncate(limit);
        finish_reason = "length";
    }
    let reply = Reply {
        id: format!("chatcmpl-mock-{}", hex::encode(&hash[..12])),
        words,
        finish_reason,
        prompt_tokens: approx_tokens(&prompt.text),
    };
    Ok((reply, stream))
}

fn prompt(body: &Map<String, Value>) -> Result<Prompt, UpstreamResponse> {
    let messages = match body.get("messages") {
        Some(Value::Array(messages)) if !messages.is_empty() => messages,
        Some(Value::Array(_)) => {
            return Err(invalid_request(
                "messages must not be empty",
                Some("messages"),
            ));
        }
        _ => {
            return Err(invalid_request(
                "messages is required and must be an array",
                Some("messages"),
            ));
        }
    };
    let mut lines = Vec::with_capacity(messages.len());
    let mut last_user = None;
    for (i, message) in messages.iter().enumerate() {
        let Some(role) = message.get("role").and_then(Value::as_str) else {
            return Err(invalid_request(
                &format!("messages[{i}].role is required and must be a string"),
                Some(&format!("messages[{i}].role")),
            ));
        };
        let content = content_text(message.get("content")).ok_or_else(|| {
            invalid_request(
                &format!("messages[{i}].content must be a string, an array of parts or null"),
                Some(&format!("messages[{i}].content")),
            )
        })?;
        if role == "user" {
            last_user = Some(content.clone());
        }
        lines.push(format!("{role}: {content}"));
    }
    let last_user = match last_user {
        Some(text) => text,
        // No user message (e.g. only a system prompt): quote the last message instead.
        None => messages
            .last()
            .and_then(|m| content_text(m.get("content")))
            .unwrap_or_default(),
    };
    Ok(Prompt {
        text: lines.join("\n"),
        last_user,
    })
}

/// The text of a message's `content`: a string, the `text` of its parts, or empty for null
/// (e.g. an assistant message with tool calls). `None` if it has any other shape.
fn content_text(content: Option<&Value>) -> Option<String> {
    match content {
        None | Some(Value::Null) => Some(String::new()),
        Some(Value::String(s)) => Some(s.clone()),
        Some(Value::Array(parts)) => {
            let mut texts = Vec::new();
            for part in parts {
                let part = part.as_object()?;
                // Non-text parts (images, audio) are accepted and ignored.
                if let Some(text) = part.get("text") {
                    texts.push(text.as_str()?);
                }
            }
            Some(texts.join("\n"))
        }
        Some(_) => None,
    }
}

fn include_usage(body: &Map<String, Value>) -> bool {
    body.get("stream_options")
        .and_then(|o| o.get("include_usage"))
        .and_then(Value::as_bool)
        .unwrap_or(false)
}

fn completion(reply: &Reply, model: &str) -> Value {
    json!({
        "id": reply.id,
        "object": "chat.completion",
        "created": CREATED,
        "model": model,
        "system_fingerprint": "fp_mock",
        "choices": [{
            "index": 0,
            "message": {"role": "assistant", "content": reply.words.join(" "), "refusal": null},
            "logprobs": null,
            "finish_reason": reply.finish_reason,
        }],
        "usage": reply.usage(),
    })
}

fn stream_response(reply: &Reply, model: &str, include_usage: bool) -> UpstreamResponse {
    let chunk = |choices: Value, usage: Option<Value>| {
        let mut chunk = json!({
            "id": reply.id,
            "object": "chat.completion.chunk",
            "created": CREATED,
            "model": model,
            "system_fingerprint": "fp_mock",
            "choices": choices,
        });
        // With include_usage, OpenAI puts `"usage": null` on every chunk but the last.
        if include_usage {
            chunk["usage"] = usage.unwrap_or(Value::Null);
        }
        Bytes::from(format!("data: {chunk}\n\n"))
    };
    let choice = |delta: Value, finish_reason: Option<&str>| json!([{"index": 0, "delta": delta, "logprobs": null, "finish_reason": finish_reason}]);

    let mut events = Vec::with_capacity(reply.words.len() + 4);
    events.push(chunk(
        choice(
            json!({"role": "assistant", "content": "", "refusal": null}),
            None,
        ),
        None,
    ));
    for (i, word) in reply.words.iter().enumerate() {
        // Deltas concatenate to exactly the non-streamed content.
        let content = if i == 0 {
            word.clone()
        } else {
            format!(" {word}")
        };
        events.push(chunk(choice(json!({"content": content}), None), None));
    }
    events.push(chunk(choice(json!({}), Some(reply.finish_reason)), None));
    if include_usage {
        events.push(chunk(json!([]), Some(reply.usage())));
    }
    events.push(Bytes::from_static(b"data: [DONE]\n\n"));
    super::sse_response(events)
}

#[cfg(test)]
#[path = "chat_tests.rs"]
mod tests;
