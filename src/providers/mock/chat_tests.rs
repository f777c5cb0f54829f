//! Tests for the mock's chat completions, JSON and streamed.

use bytes::Bytes;
use futures_util::StreamExt;
use serde_json::{Value, json};

use crate::config::schema::ProviderKind;
use crate::providers::mock::MockProvider;
use crate::providers::mock::tests::send;
use crate::providers::testutil::config;
use crate::providers::{Endpoint, UpstreamRequest};

fn request(prompt: &str) -> Value {
    json!({
        "model": "gpt-test",
        "messages": [
            {"role": "system", "content": "Be brief."},
            {"role": "user", "content": prompt},
        ],
    })
}

async fn chat(body: Value) -> Value {
    let (resp, json) = send(Endpoint::ChatCompletions, body).await;
    assert_eq!(resp.status, 200, "{json}");
    assert_eq!(resp.content_type.as_deref(), Some("application/json"));
    json
}

/// Sends a streaming request; returns each raw SSE event as an item of the body stream.
async fn events(body: Value) -> Vec<String> {
    let mock = MockProvider::from_config(&config("mock", ProviderKind::Mock));
    let resp = mock
        .send(UpstreamRequest {
            endpoint: Endpoint::ChatCompletions,
            body: Bytes::from(body.to_string()),
            stream: true,
        })
        .await;
    assert_eq!(resp.status, 200);
    assert_eq!(resp.content_type.as_deref(), Some("text/event-stream"));
    resp.body
        .map(|item| String::from_utf8(item.unwrap().to_vec()).unwrap())
        .collect()
        .await
}

fn data(event: &str) -> Value {
    let payload = event
        .strip_prefix("data: ")
        .and_then(|e| e.strip_suffix("\n\n"))
        .unwrap_or_else(|| panic!("not one SSE data event: {event:?}"));
    serde_json::from_str(payload).unwrap()
}

#[tokio::test]
async fn the_same_prompt_always_gets_the_same_reply() {
    let prompt = "Explain the borrow checker in one sentence please";
    let first = chat(request(prompt)).await;
    let second = chat(request(prompt)).await;
    assert_eq!(first, second);

    let content = first["choices"][0]["message"]["content"].as_str().unwrap();
    assert!(
        content.starts_with("Mock reply to: Explain the borrow checker in one sentence please ("),
        "{content}"
    );
    assert_eq!(first["object"], "chat.completion");
    assert_eq!(first["model"], "gpt-test");
    assert!(first["id"].as_str().unwrap().starts_with("chatcmpl-mock-"));
    assert!(first["created"].is_u64());
    assert_eq!(first["choices"][0]["message"]["role"], "assistant");
    assert_eq!(first["choices"][0]["finish_reason"], "stop");
}

#[tokio::test]
async fn different_prompts_get_different_replies_and_ids() {
    let a = chat(request("hello there")).await;
    let b = chat(request("hello there!")).await;
    assert_ne!(a["id"], b["id"]);
    assert_ne!(
        a["choices"][0]["message"]["content"],
        b["choices"][0]["message"]["content"]
    );
}

#[tokio::test]
async fn only_the_first_twelve_words_of_the_last_user_message_are_quoted() {
    let mut body =
        request("one two three four five six seven eight nine ten eleven twelve thirteen");
    body["messages"]
        .as_array_mut()
        .unwrap()
        .insert(0, json!({"role": "user", "content": "an earlier question"}));
    let reply = chat(body).await;
    let content = reply["choices"][0]["message"]["content"].as_str().unwrap();
    assert!(content.starts_with("Mock reply to: one two"), "{content}");
    assert!(content.contains("eleven twelve ("), "{content}");
    assert!(!content.contains("thirteen"), "{content}");
}

#[tokio::test]
async fn usage_counts_a_quarter_of_the_prompt_characters_and_the_reply_words() {
    let reply = chat(request("abcd")).await;
    // "system: Be brief.\nuser: abcd" is 28 characters.
    let content = reply["choices"][0]["message"]["content"].as_str().unwrap();
    let words = content.split_whitespace().count() as u64;
    assert_eq!(
        reply["usage"],
        json!({"prompt_tokens": 7, "completion_tokens": words, "total_tokens": 7 + words})
    );
}

#[tokio::test]
async fn max_tokens_truncates_the_reply_to_that_many_words() {
    let mut body = request("tell me everything");
    body["max_tokens"] = json!(4);
    let reply = chat(body).await;
    assert_eq!(
        reply["choices"][0]["message"]["content"],
        "Mock reply to: tell"
    );
    assert_eq!(reply["choices"][0]["finish_reason"], "length");
    assert_eq!(reply["usage"]["completion_tokens"], 4);
}

#[tokio::test]
async fn max_completion_tokens_wins_over_max_tokens() {
    let mut body = request("tell me everything");
    body["max_tokens"] = json!(4);
    body["max_completion_tokens"] = json!(2);
    let reply = chat(body).await;
    assert_eq!(reply["choices"][0]["message"]["content"], "Mock reply");
    assert_eq!(reply["choices"][0]["finish_reason"], "length");
}

#[tokio::test]
async fn a_limit_above_the_reply_length_changes_nothing() {
    let plain = chat(request("short")).await;
    let mut body = request("short");
    body["max_tokens"] = json!(1000);
    assert_eq!(chat(body).await, plain);
}

#[tokio::test]
async fn content_parts_and_null_content_are_accepted() {
    let body = json!({
        "model": "m",
        "messages": [
            {"role": "assistant", "content": null, "tool_calls": []},
            {"role": "user", "content": [
                {"type": "text", "text": "describe"},
                {"type": "image_url", "image_url": {"url": "data:,"}},
            ]},
        ],
    });
    let reply = chat(body).await;
    let content = reply["choices"][0]["message"]["content"].as_str().unwrap();
    assert!(
        content.starts_with("Mock reply to: describe ("),
        "{content}"
    );
}

#[tokio::test]
async fn a_stream_is_role_then_one_chunk_per_word_then_finish_then_done() {
    let mut body = request("stream this");
    body["stream"] = json!(true);
    let plain = chat(request("stream this")).await;
    let content = plain["choices"][0]["message"]["content"].as_str().unwrap();
    let words = content.split_whitespace().count();

    let events = events(body).await;

    assert_eq!(events.len(), 1 + words + 1 + 1);
    assert_eq!(events.last().unwrap(), "data: [DONE]\n\n");
    let chunks: Vec<Value> = events[..events.len() - 1].iter().map(|e| data(e)).collect();
    for chunk in &chunks {
        assert_eq!(chunk["object"], "chat.completion.chunk");
        assert_eq!(chunk["id"], plain["id"]);
        assert_eq!(chunk["model"], "gpt-test");
        assert!(
            chunk.get("usage").is_none(),
            "no usage without include_usage"
        );
    }
    assert_eq!(chunks[0]["choices"][0]["delta"]["role"], "assistant");
    let streamed: String = chunks[1..=words]
        .iter()
        .map(|c| c["choices"][0]["delta"]["content"].as_str().unwrap())
        .collect();
    assert_eq!(streamed, content);
    for chunk in &chunks[..=words] {
        assert_eq!(chunk["choices"][0]["finish_reason"], Value::Null);
    }
    let last = &chunks[words + 1];
    assert_eq!(last["choices"][0]["delta"], json!({}));
    assert_eq!(last["choices"][0]["finish_reason"], "stop");
}

#[tokio::test]
async fn include_usage_adds_a_usage_chunk_with_no_choices_before_done() {
    let mut body = request("stream this");
    body["stream"] = json!(true);
    body["stream_options"] = json!({"include_usage": true});
    body["max_tokens"] = json!(3);
    let plain = {
        let mut b = request("stream this");
        b["max_tokens"] = json!(3);
        chat(b).await
    };

    let events = events(body).await;

    // role, 3 words, finish, usage, [DONE]
    assert_eq!(events.len(), 7);
    assert_eq!(events[6], "data: [DONE]\n\n");
    let usage_chunk = data(&events[5]);
    assert_eq!(usage_chunk["choices"], json!([]));
    assert_eq!(usage_chunk["usage"], plain["usage"]);
    assert_eq!(data(&events[4])["choices"][0]["finish_reason"], "length");
    for event in &events[..5] {
        assert_eq!(data(event)["usage"], Value::Null);
        assert!(data(event).as_object().unwrap().contains_key("usage"));
    }
}
