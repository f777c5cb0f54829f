//! Unit tests of `request`, kept beside it to hold the module under ~400 lines.

use serde_json::json;

use super::*;

fn chat(body: &str) -> Result<ParsedRequest, ProxyError> {
    ParsedRequest::parse(
        Endpoint::ChatCompletions,
        &Bytes::copy_from_slice(body.as_bytes()),
    )
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
    match chat(r#"[{"model":"m"}]"#) {
        Err(ProxyError::InvalidJson(m)) => assert_eq!(m, "expected a JSON object"),
        other => panic!("{other:?}"),
    }
    for body in [
        r#"{"model":"m","messages":[ ]}"#,
        r#"{"model":"m","messages":null}"#,
    ] {
        assert!(chat(body).is_err(), "{body}");
    }
    let nested = chat(r#"{"model":"m","messages":[{"content":"\ud800"}]}"#).unwrap();
    assert!(
        nested.body().is_none(),
        "capture says it could not parse the body"
    );
    // What the gateway reads itself must parse; nested values only need JSON syntax.
    for body in [
        r#"{"model":"\ud800","messages":[{}]}"#,
        r#"{"model":"m","messages":[{}],"max_tokens":1e400}"#,
        r#"{"model":"m","messages":[{}],"stream":true,"stream_options":{"x":"\udfff"}}"#,
    ] {
        match chat(body) {
            Err(ProxyError::InvalidJson(_)) => {}
            other => panic!("{body}: {other:?}"),
        }
    }
}

#[test]
fn streaming_bodies_ask_upstream_for_usage_and_remember_whether_the_client_did() {
    let p = chat(r#"{"model":"m","messages":[{}],"stream":true,"extra":1}"#).unwrap();
    assert!(p.stream && !p.client_wants_usage);
    let up: Value = serde_json::from_slice(&p.upstream_body("up-model")).unwrap();
    assert_eq!(up["model"], "up-model");
    assert_eq!(up["stream_options"]["include_usage"], true);
    assert_eq!(up["extra"], 1);

    let p = chat(
        r#"{"model":"m","messages":[{}],"stream":true,"stream_options":{"include_usage":true}}"#,
    )
    .unwrap();
    assert!(p.client_wants_usage);
}

/// What `upstream_body` writes without copying the body: the same as patching a copy.
fn patched_copy(p: &ParsedRequest, upstream_model: &str) -> Value {
    let mut body = p.body().unwrap();
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
        // Pretty-printed, an escaped key, a repeated key (the last one counts), odd numbers.
        "{\n  \"model\" : \"m\",\n  \"messages\" : [ { \"content\" : \"a\\u00e9\" } ],\n  \"stream\": true\n}",
        r#"{"mo\u0064el":"m","messages":[{}],"top_p":1e-3,"n":-0}"#,
        r#"{"model":"a","messages":[1],"model":"m","user":"first","user":"second"}"#,
    ];
    for body in bodies {
        let p = chat(body).unwrap();
        let sent = p.upstream_body("up/model-1");
        let sent: Value = serde_json::from_slice(&sent).unwrap_or_else(|e| panic!("{body}: {e}"));
        assert_eq!(sent, patched_copy(&p, "up/model-1"), "{body}");
    }
    let p = chat(r#"{"model":"m","messages":[{"content":"abc"}]}"#).unwrap();
    assert_eq!(
        p.input_bytes("messages"),
        r#"[{"content":"abc"}]"#.len() as u64
    );
    assert_eq!(p.input_bytes("absent"), 0);
    let p = chat(
        r#"{"model":"m","messages": [ {"content" : "\u00e9 \n x"} ]
        }"#,
    )
    .unwrap();
    assert_eq!(
        p.input_bytes("messages"),
        r#"[{"content":"eee \n x"}]"#.len() as u64,
        "whitespace between tokens not counted; \\u00e9 as 3 bytes, \\n as 2"
    );
}
