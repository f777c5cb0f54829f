//! Sample traffic for the demo dataset: request-log and usage-ledger rows spread over the
//! last 30 days, built as the same [`Record`]s the recorder writes for real requests, so the
//! dashboard, request log and spend pages have something to show.
//!
//! Every sample is recognisable as such: its request id starts with
//! [`DEMO_REQUEST_PREFIX`], it carries the `demo` flag, and the provider is the built-in
//! `mock`. Generation is pure and deterministic (a fixed-seed generator): the same callers and
//! models on the same day give the same rows, ids and exact timestamps aside.

use chrono::{DateTime, Datelike, TimeDelta, Utc, Weekday};
use serde_json::json;

use crate::catalog::Price;
use crate::proxy::usage::Usage;
use crate::recording::Record;
use crate::store::demo::DEMO_REQUEST_PREFIX;
use crate::store::rows::{LedgerRow, RequestLogRow};

/// Days of history, today included.
pub const DAYS: i64 = 30;
/// The provider every sample names.
pub const PROVIDER: &str = "mock";
/// The flag every sample carries.
pub const FLAG: &str = "demo";
/// A model the catalogue does not know, for the occasional 404 sample.
const UNKNOWN_MODEL: &str = "demo-unknown-model";

/// Who sends sample traffic, with the credential it uses.
#[derive(Debug, Clone)]
pub struct Caller {
    pub credential_id: String,
    pub user_id: Option<String>,
    pub service_account_id: Option<String>,
    pub team_id: String,
    /// Requests per weekday, roughly.
    pub traffic: u32,
}

/// A model samples may ask for: the name callers use, the model that serves it, and its price.
#[derive(Debug, Clone)]
pub struct Target {
    pub requested: String,
    pub served: String,
    pub embeddings: bool,
    pub price: Option<Price>,
}

/// SplitMix64: tiny, seedable and stable across versions (the sample must not change when a
/// dependency does).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `lo..=hi`.
    fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.next() % (hi - lo + 1)
    }

    /// True with probability `percent` / 100.
    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }
}

/// Sample records for `callers` over the last [`DAYS`] days before `now`, oldest first.
/// Empty when there is no model to ask for.
pub fn generate(callers: &[Caller], targets: &[Target], now: DateTime<Utc>) -> Vec<Record> {
    let mut out = Vec::new();
    if targets.is_empty() {
        return out;
    }
    let mut rng = Rng(0x6761_7465_7761_7921);
    for day in (0..DAYS).rev() {
        let date = (now - TimeDelta::days(day)).date_naive();
        let weekend = matches!(date.weekday(), Weekday::Sat | Weekday::Sun);
        for caller in callers {
            let base = u64::from(caller.traffic);
            let n = if weekend {
                rng.range(0, base / 2)
            } else {
                rng.range(base / 2, base + base / 2)
            };
            for _ in 0..n {
                // Within the day that ends `day` days before now, so nothing is in the future
                // and nothing is older than DAYS days.
                let back_ms = day * 86_400_000 + rng.range(0, 86_399_999) as i64;
                let at = now - TimeDelta::milliseconds(back_ms);
                let target = &targets[rng.range(0, targets.len() as u64 - 1) as usize];
                out.push(sample(&mut rng, caller, target, at));
            }
        }
    }
    out.sort_by_key(|r| r.log.at);
    out
}

/// One request: mostly served, with the odd unknown model and upstream failure.
fn sample(rng: &mut Rng, caller: &Caller, target: &Target, at: DateTime<Utc>) -> Record {
    let request_id = format!("{DEMO_REQUEST_PREFIX}{}", uuid::Uuid::new_v4().simple());
    let overhead_us = rng.range(150, 900) as i64;
    let roll = rng.range(0, 99);
    let mut log = RequestLogRow {
        request_id: request_id.clone(),
        client_request_id: None,
        at,
        credential_id: Some(caller.credential_id.clone()),
        user_id: caller.user_id.clone(),
        service_account_id: caller.service_account_id.clone(),
        team_id: Some(caller.team_id.clone()),
        endpoint: if target.embeddings {
            "/v1/embeddings".into()
        } else {
            "/v1/chat/completions".into()
        },
        model_requested: Some(target.requested.clone()),
        model_served: None,
        provider_id: None,
        attempts: "[]".into(),
        status: 200,
        error_code: None,
        latency_us: overhead_us,
        upstream_latency_us: None,
        input_tokens: None,
        output_tokens: None,
        cost_micros: None,
        flags: Some(json!([FLAG]).to_string()),
        payload: None,
    };
    if roll < 3 {
        log.model_requested = Some(UNKNOWN_MODEL.into());
        log.status = 404;
        log.error_code = Some("model_not_found".into());
        return Record { log, ledger: None };
    }
    let upstream_us = if target.embeddings {
        rng.range(20_000, 180_000)
    } else {
        rng.range(250_000, 2_800_000)
    } as i64;
    log.model_served = Some(target.served.clone());
    log.latency_us = upstream_us + overhead_us;
    log.upstream_latency_us = Some(upstream_us);
    if roll < 5 {
        log.status = 502;
        log.error_code = Some("upstream_error".into());
        log.attempts = json!([{ "provider": PROVIDER, "status": 500,
            "error": "upstream answered 500 (demo sample)", "latency_us": upstream_us }])
        .to_string();
        return Record { log, ledger: None };
    }
    let usage = if target.embeddings {
        Usage {
            input_tokens: rng.range(40, 2_000),
            output_tokens: 0,
            cached_tokens: 0,
        }
    } else {
        let input = rng.range(300, 9_000);
        let cached = if rng.chance(25) { input / 3 } else { 0 };
        Usage {
            input_tokens: input,
            output_tokens: rng.range(40, 1_500),
            cached_tokens: cached,
        }
    };
    let cost = target.price.as_ref().map(|p| usage.cost_micros(p));
    log.provider_id = Some(PROVIDER.into());
    log.attempts =
        json!([{ "provider": PROVIDER, "status": 200, "latency_us": upstream_us }]).to_string();
    log.input_tokens = Some(usage.input_tokens as i64);
    log.output_tokens = Some(usage.output_tokens as i64);
    log.cost_micros = cost;
    if cost.is_none() {
        log.flags = Some(json!([FLAG, "unpriced"]).to_string());
    }
    let ledger = LedgerRow {
        request_id,
        client_request_id: None,
        at,
        credential_id: log.credential_id.clone(),
        user_id: log.user_id.clone(),
        service_account_id: log.service_account_id.clone(),
        team_id: log.team_id.clone(),
        model: target.served.clone(),
        provider_id: Some(PROVIDER.into()),
        input_tokens: usage.input_tokens as i64,
        output_tokens: usage.output_tokens as i64,
        cached_tokens: usage.cached_tokens as i64,
        cost_micros: cost,
        priced: cost.is_some(),
    };
    Record {
        log,
        ledger: Some(ledger),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn callers() -> Vec<Caller> {
        (0..3)
            .map(|i| Caller {
                credential_id: format!("c{i}"),
                user_id: Some(format!("u{i}")),
                service_account_id: None,
                team_id: "t".into(),
                traffic: 4,
            })
            .collect()
    }

    fn targets() -> Vec<Target> {
        vec![Target {
            requested: "m".into(),
            served: "m".into(),
            embeddings: false,
            price: Some(Price {
                input: 150_000,
                output: 600_000,
                cached_input: None,
            }),
        }]
    }

    #[test]
    fn samples_span_the_last_thirty_days_and_are_marked_as_demo() {
        let now = crate::store::now();
        let rows = generate(&callers(), &targets(), now);
        assert!(rows.len() > 100, "{}", rows.len());
        for r in &rows {
            assert!(r.log.at <= now && r.log.at > now - TimeDelta::days(DAYS));
            assert!(r.log.request_id.starts_with(DEMO_REQUEST_PREFIX));
            assert!(r.log.flags.as_deref().unwrap_or("").contains("\"demo\""));
            if let Some(l) = &r.ledger {
                assert_eq!(l.request_id, r.log.request_id);
                assert_eq!(l.cost_micros, r.log.cost_micros);
                assert_eq!(r.log.status, 200);
            }
        }
        let days: std::collections::BTreeSet<_> =
            rows.iter().map(|r| r.log.at.date_naive()).collect();
        assert!(days.len() >= 20, "{} distinct days", days.len());
        assert!(rows.iter().any(|r| r.log.status >= 400));
    }

    #[test]
    fn the_same_catalogue_always_gives_the_same_number_of_rows() {
        let now = crate::store::now();
        let a = generate(&callers(), &targets(), now);
        let b = generate(&callers(), &targets(), now);
        assert_eq!(a.len(), b.len());
        assert!(generate(&callers(), &[], now).is_empty());
    }
}
