//! `/embeddings` for the mock: unit-length vectors derived from a hash of each input, so the
//! same text always embeds to the same vector. Supports `dimensions` and both encodings
//! (`float`, and `base64`, which the official Python SDK asks for by default).

use serde_json::{Map, Value, json};

use super::{approx_tokens, digest, invalid_request, json_response, positive_int};
use crate::providers::UpstreamResponse;

/// Vector length when the request gives no `dimensions`.
const DEFAULT_DIMENSIONS: usize = 16;
/// Refuse absurd sizes rather than allocate them (real models stop at a few thousand).
const MAX_DIMENSIONS: u64 = 8_192;

/// Answers an embeddings request (already known to be a JSON object with a `model`).
pub(super) fn respond(body: &Map<String, Value>, model: &str) -> UpstreamResponse {
    match embed(body, model) {
        Ok(response) => json_response(200, &response),
        Err(bad_request) => bad_request,
    }
}

fn embed(body: &Map<String, Value>, model: &str) -> Result<Value, UpstreamResponse> {
    let inputs = inputs(body)?;
    let dimensions = match positive_int(body, "dimensions")? {
        None => DEFAULT_DIMENSIONS,
        Some(n) if n <= MAX_DIMENSIONS => usize::try_from(n).unwrap_or(DEFAULT_DIMENSIONS),
        Some(n) => {
            return Err(invalid_request(
                &format!("dimensions must be at most {MAX_DIMENSIONS}, got {n}"),
                Some("dimensions"),
            ));
        }
    };
    let base64 = match body.get("encoding_format") {
        None | Some(Value::Null) => false,
        Some(Value::String(s)) if s == "float" => false,
        Some(Value::String(s)) if s == "base64" => true,
        Some(_) => {
            return Err(invalid_request(
                "encoding_format must be \"float\" or \"base64\"",
                Some("encoding_format"),
            ));
        }
    };

    let mut data = Vec::with_capacity(inputs.len());
    let mut tokens = 0;
    for (index, input) in inputs.iter().enumerate() {
        tokens += approx_tokens(input);
        let vector = vector(input, dimensions);
        let embedding = if base64 {
            json!(encode_base64(&vector))
        } else {
            json!(vector)
        };
        data.push(json!({"object": "embedding", "index": index, "embedding": embedding}));
    }
    Ok(json!({
        "object": "list",
        "data": data,
        "model": model,
        "usage": {"prompt_tokens": tokens, "total_tokens": tokens},
    }))
}

/// `input`: a non-empty string or a non-empty array of non-empty strings.
fn inputs(body: &Map<String, Value>) -> Result<Vec<&str>, UpstreamResponse> {
    let invalid = || {
        invalid_request(
            "input must be a non-empty string or a non-empty array of non-empty strings",
            Some("input"),
        )
    };
    let inputs = match body.get("input") {
        Some(Value::String(s)) => vec![s.as_str()],
        Some(Value::Array(items)) if !items.is_empty() => items
            .iter()
            .map(Value::as_str)
            .collect::<Option<Vec<_>>>()
            .ok_or_else(invalid)?,
        _ => return Err(invalid()),
    };
    if inputs.iter().any(|s| s.is_empty()) {
        return Err(invalid());
    }
    Ok(inputs)
}

/// A unit-length vector from SHA-256(input ‖ block counter), eight components per block.
fn vector(input: &str, dimensions: usize) -> Vec<f32> {
    let mut raw: Vec<f64> = Vec::with_capacity(dimensions);
    let mut block: u32 = 0;
    while raw.len() < dimensions {
        let hash = digest(&[input.as_bytes(), &block.to_le_bytes()]);
        for word in hash.chunks_exact(4) {
            let n = u32::from_le_bytes([word[0], word[1], word[2], word[3]]);
            // Map to [-1, 1].
            raw.push(f64::from(n) / f64::from(u32::MAX) * 2.0 - 1.0);
        }
        block += 1;
    }
    raw.truncate(dimensions);
    let norm = raw.iter().map(|x| x * x).sum::<f64>().sqrt();
    if norm == 0.0 {
        // Astronomically unlikely; still return a valid unit vector rather than NaNs.
        let mut unit = vec![0.0; dimensions];
        unit[0] = 1.0;
        return unit;
    }
    raw.iter().map(|x| (x / norm) as f32).collect()
}

/// Standard base64 (with padding) of the little-endian f32 bytes, as OpenAI sends them.
fn encode_base64(vector: &[f32]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let bytes: Vec<u8> = vector.iter().flat_map(|x| x.to_le_bytes()).collect();
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for (i, shift) in [18, 12, 6, 0].into_iter().enumerate() {
            if i <= chunk.len() {
                out.push(char::from(ALPHABET[(n >> shift) as usize & 63]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::providers::Endpoint;
    use crate::providers::mock::tests::send;

    async fn embeddings(body: Value) -> Value {
        let (resp, json) = send(Endpoint::Embeddings, body).await;
        assert_eq!(resp.status, 200, "{json}");
        assert_eq!(resp.content_type.as_deref(), Some("application/json"));
        json
    }

    fn floats(embedding: &Value) -> Vec<f64> {
        embedding
            .as_array()
            .unwrap()
            .iter()
            .map(|x| x.as_f64().unwrap())
            .collect()
    }

    #[tokio::test]
    async fn a_string_input_gets_one_unit_vector_of_sixteen_dimensions() {
        let resp = embeddings(json!({"model": "embed-test", "input": "hello world"})).await;
        assert_eq!(resp["object"], "list");
        assert_eq!(resp["model"], "embed-test");
        assert_eq!(
            resp["usage"],
            json!({"prompt_tokens": 3, "total_tokens": 3})
        );
        let data = resp["data"].as_array().unwrap();
        assert_eq!(data.len(), 1);
        assert_eq!(data[0]["object"], "embedding");
        assert_eq!(data[0]["index"], 0);
        let v = floats(&data[0]["embedding"]);
        assert_eq!(v.len(), 16);
        let norm = v.iter().map(|x| x * x).sum::<f64>().sqrt();
        assert!((norm - 1.0).abs() < 1e-5, "norm {norm}");
    }

    #[tokio::test]
    async fn an_array_input_gets_one_vector_per_item_in_order_with_the_asked_dimensions() {
        let resp = embeddings(json!({
            "model": "m", "input": ["a", "bb", "a"], "dimensions": 37
        }))
        .await;
        let data = resp["data"].as_array().unwrap();
        assert_eq!(data.len(), 3);
        for (i, item) in data.iter().enumerate() {
            assert_eq!(item["index"], i);
            let v = floats(&item["embedding"]);
            assert_eq!(v.len(), 37);
            let norm = v.iter().map(|x| x * x).sum::<f64>().sqrt();
            assert!((norm - 1.0).abs() < 1e-5, "norm {norm}");
        }
        assert_eq!(
            data[0]["embedding"], data[2]["embedding"],
            "same text, same vector"
        );
        assert_ne!(data[0]["embedding"], data[1]["embedding"]);
        assert_eq!(resp["usage"]["prompt_tokens"], 3);
    }

    #[tokio::test]
    async fn embeddings_are_deterministic_across_requests() {
        let body = json!({"model": "m", "input": "stable"});
        assert_eq!(embeddings(body.clone()).await, embeddings(body).await);
    }

    #[tokio::test]
    async fn base64_encoding_carries_the_same_little_endian_floats() {
        let float = embeddings(json!({"model": "m", "input": "x", "dimensions": 5})).await;
        let b64 = embeddings(json!({
            "model": "m", "input": "x", "dimensions": 5, "encoding_format": "base64"
        }))
        .await;
        let expected: Vec<f32> = floats(&float["data"][0]["embedding"])
            .iter()
            .map(|x| *x as f32)
            .collect();
        assert_eq!(
            b64["data"][0]["embedding"].as_str().unwrap(),
            encode_base64(&expected)
        );
    }

    #[test]
    fn base64_matches_the_standard_alphabet_and_padding() {
        // 1.0f32 is 00 00 80 3f; 2.0f32 is 00 00 00 40.
        assert_eq!(encode_base64(&[1.0]), "AACAPw==");
        assert_eq!(encode_base64(&[1.0, 2.0]), "AACAPwAAAEA=");
        assert_eq!(encode_base64(&[]), "");
    }

    #[tokio::test]
    async fn bad_inputs_and_encodings_are_rejected() {
        for body in [
            json!({"model": "m", "input": ""}),
            json!({"model": "m", "input": []}),
            json!({"model": "m", "input": [1, 2]}),
            json!({"model": "m", "input": 3}),
            json!({"model": "m", "input": "x", "dimensions": 0}),
            json!({"model": "m", "input": "x", "dimensions": 100_000}),
            json!({"model": "m", "input": "x", "encoding_format": "hex"}),
            json!({"model": "m", "input": "x", "encoding_format": 1}),
        ] {
            let (resp, json) = send(Endpoint::Embeddings, body.clone()).await;
            assert_eq!(resp.status, 400, "{body}");
            assert_eq!(json["error"]["type"], "invalid_request_error", "{body}");
        }
    }
}
