//! One `/v1` exchange as it happens: who called, which model and routes were tried (every
//! attempt with provider, status and latency), usage and price; finished into a request-log row.

use std::time::Instant;

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::usage::Usage;
use crate::catalog::Price;
use crate::credentials::Principal;
use crate::recording::Record;
use crate::store::rows::{LedgerRow, RequestLogRow};

/// One upstream attempt.
#[derive(Debug, Clone, Serialize)]
pub struct Attempt {
    pub provider: String,
    pub status: Option<u16>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    pub latency_us: u64,
}

/// What is known about a request so far.
#[derive(Debug)]
pub struct Exchange {
    /// The gateway's own id (unique): the key of the log and ledger rows.
    pub request_id: String,
    /// The `x-request-id` the client sent, kept for correlation.
    pub client_request_id: Option<String>,
    pub started: Instant,
    pub at: DateTime<Utc>,
    pub endpoint: &'static str,
    pub principal: Principal,
    pub model_requested: Option<String>,
    pub model_served: Option<String>,
    pub provider_id: Option<String>,
    pub attempts: Vec<Attempt>,
    /// Time spent waiting on upstreams, to separate the gateway's own overhead.
    pub upstream_us: u64,
    pub usage: Option<Usage>,
    pub price: Option<Price>,
    /// Cost charged when a served request's usage is unknown (its reservation: an upper bound).
    pub charged: Option<i64>,
    /// Notes for the log, e.g. soft budgets this request ran over.
    pub flags: Vec<String>,
    /// Captured request payload, per the capture policy.
    pub payload: Option<String>,
    /// When the answer was complete, if it was recorded later (else the time of `finish`).
    pub answered: Option<Instant>,
}

impl Exchange {
    pub fn new(
        ids: crate::http::RequestIds,
        started: Instant,
        endpoint: &'static str,
        principal: Principal,
    ) -> Exchange {
        Exchange {
            request_id: ids.internal,
            client_request_id: ids.client,
            started,
            at: crate::store::now(),
            endpoint,
            principal,
            model_requested: None,
            model_served: None,
            provider_id: None,
            attempts: Vec::new(),
            upstream_us: 0,
            usage: None,
            price: None,
            charged: None,
            flags: Vec::new(),
            payload: None,
            answered: None,
        }
    }

    /// What this request cost: usage × the serving route's price, or what was charged when
    /// usage is unknown. `None` when unpriced or not served.
    pub fn cost(&self) -> Option<i64> {
        match (&self.usage, &self.price) {
            (Some(u), Some(p)) => Some(u.cost_micros(p)),
            (None, Some(_)) => self.charged,
            _ => None,
        }
    }

    /// Microseconds the gateway itself added so far (total minus upstream waits).
    pub fn overhead_us(&self) -> u64 {
        (self.started.elapsed().as_micros() as u64).saturating_sub(self.upstream_us)
    }

    /// The request-log row and, when a provider served the request, the ledger row.
    pub fn finish(&mut self, status: u16, error_code: Option<&str>) -> Record {
        let cost = self.cost();
        let served = self.provider_id.is_some() && (self.usage.is_some() || cost.is_some());
        if served && self.price.is_none() {
            // Recorded and counted, never silently free.
            self.flags.push("unpriced".into());
        }
        let ledger = served.then(|| LedgerRow {
            request_id: self.request_id.clone(),
            client_request_id: self.client_request_id.clone(),
            at: self.at,
            credential_id: Some(self.principal.credential_id.clone()),
            user_id: self.principal.user_id.clone(),
            service_account_id: self.principal.service_account_id.clone(),
            team_id: self.principal.team_id.clone(),
            model: self.model_served.clone().unwrap_or_default(),
            provider_id: self.provider_id.clone(),
            input_tokens: self.usage.map_or(0, |u| u.input_tokens as i64),
            output_tokens: self.usage.map_or(0, |u| u.output_tokens as i64),
            cached_tokens: self.usage.map_or(0, |u| u.cached_tokens as i64),
            cost_micros: cost,
            priced: self.price.is_some(),
        });
        let log = RequestLogRow {
            request_id: self.request_id.clone(),
            client_request_id: self.client_request_id.clone(),
            at: self.at,
            credential_id: Some(self.principal.credential_id.clone()),
            user_id: self.principal.user_id.clone(),
            service_account_id: self.principal.service_account_id.clone(),
            team_id: self.principal.team_id.clone(),
            endpoint: self.endpoint.to_string(),
            model_requested: self.model_requested.clone(),
            model_served: self.model_served.clone(),
            provider_id: self.provider_id.clone(),
            attempts: serde_json::to_string(&self.attempts).unwrap_or_else(|_| "[]".into()),
            status: i64::from(status),
            error_code: error_code.map(str::to_string),
            latency_us: self
                .answered
                .unwrap_or_else(Instant::now)
                .duration_since(self.started)
                .as_micros() as i64,
            upstream_latency_us: (self.upstream_us > 0).then_some(self.upstream_us as i64),
            input_tokens: self.usage.map(|u| u.input_tokens as i64),
            output_tokens: self.usage.map(|u| u.output_tokens as i64),
            cost_micros: cost,
            flags: (!self.flags.is_empty())
                .then(|| serde_json::to_string(&self.flags).unwrap_or_default()),
            payload: self.payload.take(),
        };
        Record { log, ledger }
    }
}
