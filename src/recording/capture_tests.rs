//! Tests for payload capture: path syntax, each redaction rule, metadata, truncation.

use serde_json::json;

use super::*;

fn policy(mode: CaptureMode, max_bytes: usize, paths: &[&str]) -> CapturePolicy {
    let paths: Vec<String> = paths.iter().map(|p| p.to_string()).collect();
    CapturePolicy::new(mode, max_bytes, &paths).unwrap()
}

/// The request body as the proxy hands it over: a JSON object.
fn obj(body: &Value) -> &Map<String, Value> {
    body.as_object().unwrap()
}

fn redacted(body: &Value, paths: &[&str]) -> Value {
    let text = policy(CaptureMode::Redacted, 1 << 20, paths)
        .capture(obj(body), 0)
        .unwrap();
    serde_json::from_str(&text).unwrap()
}

#[test]
fn paths_parse_keys_indexes_and_wildcards_and_display_as_written() {
    for (text, segments) in [
        (
            "messages[*].content",
            vec![
                Segment::Key("messages".into()),
                Segment::Any,
                Segment::Key("content".into()),
            ],
        ),
        (
            "metadata.user_email",
            vec![
                Segment::Key("metadata".into()),
                Segment::Key("user_email".into()),
            ],
        ),
        (
            "tools[0].function.parameters",
            vec![
                Segment::Key("tools".into()),
                Segment::Index(0),
                Segment::Key("function".into()),
                Segment::Key("parameters".into()),
            ],
        ),
        (
            "a[1][*]",
            vec![Segment::Key("a".into()), Segment::Index(1), Segment::Any],
        ),
    ] {
        let path = JsonPath::parse(text).unwrap();
        assert_eq!(path.segments(), segments.as_slice(), "{text}");
        assert_eq!(path.to_string(), text);
    }
}

#[test]
fn malformed_paths_are_rejected_and_the_error_names_the_path() {
    for bad in [
        "",
        ".a",
        "a.",
        "a..b",
        "a[",
        "a[]",
        "a[x]",
        "a[-1]",
        "[0]",
        "a]b",
        "a[0]b",
        "a[99999999999999999999999]",
    ] {
        let err = JsonPath::parse(bad).unwrap_err();
        assert!(err.contains(&format!("{bad:?}")), "{bad:?}: {err}");
    }
    let err = CapturePolicy::new(
        CaptureMode::Redacted,
        1024,
        &["messages[*].content".into(), "tools[oops]".into()],
    )
    .unwrap_err();
    assert!(err.contains("tools[oops]"), "{err}");
}

#[test]
fn a_capturing_policy_needs_room_for_the_truncation_marker() {
    let err = CapturePolicy::new(CaptureMode::Redacted, 10, &[]).unwrap_err();
    assert!(err.contains("max_bytes"), "{err}");
    assert!(CapturePolicy::new(CaptureMode::Off, 0, &[]).is_ok());
}

#[test]
fn off_captures_nothing() {
    let body = json!({"model": "gpt-4o", "messages": [{"role": "user", "content": "hi"}]});
    assert_eq!(
        policy(CaptureMode::Off, 0, &[]).capture(obj(&body), 80),
        None
    );
}

#[test]
fn metadata_keeps_shape_and_sizes_but_no_content() {
    let body = json!({
        "model": "gpt-4o", "stream": true, "max_tokens": 256,
        "messages": [{"role": "system", "content": "be terse"}, {"role": "user", "content": "my secret plan"}],
    });
    let text = policy(CaptureMode::Metadata, 1024, &[])
        .capture(obj(&body), 123)
        .unwrap();
    let got: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(
        got,
        json!({"model": "gpt-4o", "stream": true, "message_count": 2, "input_bytes": 123, "max_tokens": 256})
    );
    assert!(
        !text.contains("secret plan") && !text.contains("terse"),
        "{text}"
    );
}

#[test]
fn metadata_without_optional_fields_has_defaults_and_no_max_tokens() {
    let text = policy(CaptureMode::Metadata, 1024, &[])
        .capture(obj(&json!({"input": "x"})), 5)
        .unwrap();
    let got: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(
        got,
        json!({"model": null, "stream": false, "message_count": 0, "input_bytes": 5})
    );
    let text = policy(CaptureMode::Metadata, 1024, &[])
        .capture(obj(&json!({"model": "m", "max_completion_tokens": 9})), 5)
        .unwrap();
    assert!(text.contains("\"max_tokens\":9"), "{text}");
}

#[test]
fn configured_paths_replace_every_value_they_reach() {
    let body = json!({
        "model": "gpt-4o",
        "messages": [{"role": "user", "content": "alpha"}, {"role": "user", "content": [{"type": "text", "text": "beta"}]}],
        "metadata": {"user_email": "a@example.com", "team": "ml"},
        "tools": [{"function": {"name": "f", "parameters": {"x": 1}}}, {"function": {"name": "g", "parameters": {"y": 2}}}],
    });
    let got = redacted(
        &body,
        &[
            "messages[*].content",
            "metadata.user_email",
            "tools[0].function.parameters",
        ],
    );
    assert_eq!(
        got["messages"][0],
        json!({"role": "user", "content": REDACTED})
    );
    assert_eq!(
        got["messages"][1],
        json!({"role": "user", "content": REDACTED})
    );
    assert_eq!(
        got["metadata"],
        json!({"user_email": REDACTED, "team": "ml"})
    );
    assert_eq!(
        got["tools"][0]["function"],
        json!({"name": "f", "parameters": REDACTED})
    );
    assert_eq!(got["tools"][1]["function"]["parameters"], json!({"y": 2}));
    assert_eq!(got["model"], "gpt-4o");
}

#[test]
fn paths_that_reach_nothing_change_nothing() {
    let body = json!({"messages": "not an array", "tools": [], "metadata": null});
    let got = redacted(
        &body,
        &[
            "messages[*].content",
            "tools[3].function",
            "metadata.user",
            "absent.key",
        ],
    );
    assert_eq!(got, body);
}

#[test]
fn a_wildcard_on_an_object_reaches_every_member() {
    let got = redacted(
        &json!({"metadata": {"a": "1", "b": {"c": 2}}}),
        &["metadata[*]"],
    );
    assert_eq!(got, json!({"metadata": {"a": REDACTED, "b": REDACTED}}));
}

#[test]
fn built_in_secret_keys_are_redacted_at_any_depth_whatever_their_case() {
    let keys = [
        "authorization",
        "Authorization",
        "api_key",
        "API_KEY",
        "apiKey",
        "apikey",
        "x-api-key",
        "X-Api-Key",
        "password",
        "Password",
        "secret",
        "token",
        "access_token",
        "refresh_token",
        "client_secret",
        "Client-Secret",
    ];
    for key in keys {
        let body = json!({
            key: "top-value-1",
            "nested": {"deeper": [{key: "deep-value-2"}, {"ok": "kept", key: {"even": "objects-3"}}]},
        });
        let text = policy(CaptureMode::Redacted, 1 << 20, &[])
            .capture(obj(&body), 0)
            .unwrap();
        for secret in ["top-value-1", "deep-value-2", "objects-3"] {
            assert!(!text.contains(secret), "{key}: {secret} survived in {text}");
        }
        assert!(text.contains("kept"), "{text}");
    }
}

#[test]
fn keys_that_merely_resemble_secrets_are_kept() {
    let body = json!({"max_tokens": 10, "tokens": 3, "secretary": "ann", "passwords_changed": 1});
    assert_eq!(redacted(&body, &[]), body);
}

#[test]
fn no_secret_survives_in_a_realistic_body_even_when_truncated() {
    let body = json!({
        "model": "gpt-4o",
        "messages": [{"role": "user", "content": "hello"}],
        "headers": {"Authorization": "Bearer sk-live-AAAA", "X-Api-Key": "sk-live-BBBB"},
        "tool_config": {"oauth": {"client_secret": "sk-live-CCCC", "refresh_token": "sk-live-DDDD"}},
        "metadata": {"password": "sk-live-EEEE", "user_email": "sk-live-FFFF"},
    });
    for max_bytes in [64, 100, 200, 1 << 20] {
        let text = policy(CaptureMode::Redacted, max_bytes, &["metadata.user_email"])
            .capture(obj(&body), 0)
            .unwrap();
        assert!(!text.contains("sk-live"), "{max_bytes}: {text}");
        assert!(text.len() <= max_bytes, "{max_bytes}: {}", text.len());
    }
}

#[test]
fn long_bodies_are_cut_to_the_limit_with_a_marker_counting_the_dropped_bytes() {
    let body = json!({"messages": [{"content": "x".repeat(1000)}]});
    let full = body.to_string();
    let text = policy(CaptureMode::Redacted, 100, &[])
        .capture(obj(&body), 0)
        .unwrap();
    assert!(text.len() <= 100, "{}", text.len());
    let (kept, marker) = text.split_once('…').unwrap();
    assert!(full.starts_with(kept));
    assert_eq!(
        marker,
        format!("[truncated {} bytes]", full.len() - kept.len())
    );
    // A body within the limit is stored whole.
    let small = json!({"a": 1});
    assert_eq!(
        policy(CaptureMode::Redacted, 64, &[])
            .capture(obj(&small), 0)
            .unwrap(),
        small.to_string()
    );
}

#[test]
fn truncation_never_splits_a_multibyte_character() {
    // 2-, 3- and 4-byte characters, cut at every limit in a range.
    for ch in ["é", "€", "🦀"] {
        let body = json!({"content": ch.repeat(200)});
        let full = body.to_string();
        for max_bytes in 64..140 {
            let text = policy(CaptureMode::Redacted, max_bytes, &[])
                .capture(obj(&body), 0)
                .unwrap();
            assert!(text.len() <= max_bytes, "{ch} {max_bytes}: {}", text.len());
            let kept = text.rsplit_once('…').unwrap().0;
            assert!(full.starts_with(kept), "{ch} {max_bytes}");
            // The kept prefix is as long as the limit allows, to within one character.
            assert!(
                text.len() + ch.len() > max_bytes,
                "{ch} {max_bytes}: {text}"
            );
        }
    }
}

#[test]
fn the_dropped_byte_count_stays_exact_when_its_digits_change() {
    // Limits where the number of dropped bytes crosses 99 → 100 and 999 → 1000.
    for (len, max_bytes) in [(180, 81), (180, 80), (1100, 101), (1100, 100), (1100, 99)] {
        let text = truncate("a".repeat(len), max_bytes);
        assert!(text.len() <= max_bytes, "{len} {max_bytes}: {text}");
        let (kept, marker) = text.split_once('…').unwrap();
        assert_eq!(marker, format!("[truncated {} bytes]", len - kept.len()));
    }
}

#[test]
fn a_limit_too_small_for_the_marker_stores_nothing_rather_than_unmarked_content() {
    assert_eq!(truncate("a".repeat(100), 5), "");
    assert_eq!(truncate("abc".into(), 5), "abc");
}

#[test]
fn capture_mode_reads_and_writes_lowercase() {
    let modes: Vec<CaptureMode> = serde_json::from_str(r#"["off","metadata","redacted"]"#).unwrap();
    assert_eq!(
        modes,
        [
            CaptureMode::Off,
            CaptureMode::Metadata,
            CaptureMode::Redacted
        ]
    );
    assert_eq!(
        serde_json::to_string(&CaptureMode::Redacted).unwrap(),
        "\"redacted\""
    );
}
