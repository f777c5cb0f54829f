//! Token usage as upstreams report it (OpenAI's `usage` object), and its cost.

use serde::Serialize;
use serde_json::Value;

use crate::catalog::Price;

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Usage {
    pub input_tokens: u64,
    pub output_tokens: u64,
    /// Input tokens served from the provider's prompt cache (a subset of `input_tokens`).
    pub cached_tokens: u64,
}

impl Usage {
    /// Reads `usage` from a response body or a stream chunk, if it has one.
    pub fn from_json(v: &Value) -> Option<Usage> {
        v.get("usage").and_then(Usage::from_usage)
    }

    /// Usage from a whole JSON response body. Only the `usage` member is built; the rest
    /// (choices, embeddings) is skipped without allocating.
    pub fn from_body(body: &[u8]) -> Option<Usage> {
        #[derive(serde::Deserialize)]
        struct Envelope {
            usage: Option<Value>,
        }
        let envelope: Envelope = serde_json::from_slice(body).ok()?;
        envelope.usage.as_ref().and_then(Usage::from_usage)
    }

    /// Reads an OpenAI `usage` object; `None` when it is not an object.
    fn from_usage(u: &Value) -> Option<Usage> {
        if !u.is_object() {
            return None;
        }
        let get = |k: &str| u.get(k).and_then(Value::as_u64).unwrap_or(0);
        let cached = u
            .get("prompt_tokens_details")
            .and_then(|d| d.get("cached_tokens"))
            .and_then(Value::as_u64)
            .unwrap_or(0);
        Some(Usage {
            input_tokens: get("prompt_tokens"),
            output_tokens: get("completion_tokens"),
            cached_tokens: cached.min(get("prompt_tokens")),
        })
    }

    /// Cost in micro-USD, rounded up so that spend is never under-counted.
    pub fn cost_micros(&self, price: &Price) -> i64 {
        let uncached = i128::from(self.input_tokens - self.cached_tokens);
        let cached_price = price.cached_input.unwrap_or(price.input);
        let per_million = uncached * i128::from(price.input)
            + i128::from(self.cached_tokens) * i128::from(cached_price)
            + i128::from(self.output_tokens) * i128::from(price.output);
        let micros = (per_million + 999_999) / 1_000_000;
        i64::try_from(micros).unwrap_or(i64::MAX)
    }
}

/// The most `input`/`output` tokens can cost on any priced route; 0 when none is priced.
pub fn max_cost(routes: &[std::sync::Arc<crate::catalog::Route>], input: u64, output: u64) -> i64 {
    let bound = Usage {
        input_tokens: input,
        output_tokens: output,
        cached_tokens: 0,
    };
    routes
        .iter()
        .filter_map(|r| r.price.as_ref())
        .map(|p| bound.cost_micros(p))
        .max()
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usage_is_read_with_cached_tokens() {
        let v = serde_json::json!({"usage": {"prompt_tokens": 10, "completion_tokens": 5,
            "prompt_tokens_details": {"cached_tokens": 4}}});
        assert_eq!(
            Usage::from_json(&v),
            Some(Usage {
                input_tokens: 10,
                output_tokens: 5,
                cached_tokens: 4
            })
        );
        assert_eq!(Usage::from_json(&serde_json::json!({"usage": null})), None);
        let body = br#"{"choices":[{"message":{"content":"hi"}}],"usage":{"prompt_tokens":10,
            "completion_tokens":5,"prompt_tokens_details":{"cached_tokens":4}}}"#;
        assert_eq!(
            Usage::from_body(body),
            Usage::from_json(&serde_json::from_slice(body).unwrap())
        );
        assert_eq!(Usage::from_body(body).map(|u| u.cached_tokens), Some(4));
        for no_usage in [
            &br#"{"usage":null}"#[..],
            br#"{"usage":[1]}"#,
            b"[]",
            b"not json",
            b"{}",
        ] {
            assert_eq!(Usage::from_body(no_usage), None);
        }
    }

    #[test]
    fn cost_rounds_up_to_the_next_micro_dollar() {
        let price = Price {
            input: 150_000,
            output: 600_000,
            cached_input: Some(75_000),
        };
        let u = Usage {
            input_tokens: 1_000_000,
            output_tokens: 0,
            cached_tokens: 0,
        };
        assert_eq!(u.cost_micros(&price), 150_000);
        let u = Usage {
            input_tokens: 1,
            output_tokens: 0,
            cached_tokens: 0,
        };
        assert_eq!(u.cost_micros(&price), 1);
        let u = Usage {
            input_tokens: 10,
            output_tokens: 10,
            cached_tokens: 10,
        };
        // 10 × 0.075 + 10 × 0.6 = 6.75 µ$ → 7
        assert_eq!(u.cost_micros(&price), 7);
    }
}
