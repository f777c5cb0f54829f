//! How one request-log row is shown, on the page and in the JSON API: ids resolved to names
//! (user e-mail, service account and credential names), latency in milliseconds, cost in
//! dollars or `unpriced`, flags and attempts parsed from their JSON columns.

use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;

use super::view::{self, count, ms, usd, when};
use crate::store::observe::NameKind;
use crate::store::rows::RequestLogRow;
use crate::store::{Conn, Result};

/// A request as listed.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct LogEntry {
    /// The gateway's own id for the request (unique).
    pub request_id: String,
    /// The `x-request-id` the client sent, if any (for correlation; not unique).
    pub client_request_id: Option<String>,
    pub at: DateTime<Utc>,
    pub endpoint: String,
    pub team_id: Option<String>,
    pub user_id: Option<String>,
    pub user_email: Option<String>,
    pub service_account_id: Option<String>,
    pub service_account_name: Option<String>,
    pub credential_id: Option<String>,
    /// `name (public id)`.
    pub credential_name: Option<String>,
    pub model_requested: Option<String>,
    pub model_served: Option<String>,
    pub provider: Option<String>,
    pub status: i64,
    pub latency_us: i64,
    pub upstream_latency_us: Option<i64>,
    pub input_tokens: Option<i64>,
    pub output_tokens: Option<i64>,
    /// `None` when unpriced or not served.
    pub cost_micros: Option<i64>,
    /// Served by a route without a price: counted, never free.
    pub unpriced: bool,
    pub error_code: Option<String>,
    pub flags: Vec<String>,
}

impl LogEntry {
    pub fn time(&self) -> String {
        when(&self.at)
    }

    pub fn clock(&self) -> String {
        view::clock(&self.at)
    }

    pub fn day(&self) -> String {
        view::day(&self.at)
    }

    /// The first 8 characters of the request id, for narrow tables.
    pub fn short_id(&self) -> String {
        self.request_id.chars().take(8).collect()
    }

    /// Who called: the service account or the user, else the credential.
    pub fn principal(&self) -> String {
        let pick = |name: &Option<String>, id: &Option<String>| name.clone().or(id.clone());
        pick(&self.service_account_name, &self.service_account_id)
            .or_else(|| pick(&self.user_email, &self.user_id))
            .or_else(|| self.credential_name.clone())
            .unwrap_or_else(|| "—".into())
    }

    pub fn principal_kind(&self) -> &'static str {
        if self.service_account_id.is_some() {
            "service account"
        } else if self.user_id.is_some() {
            "user"
        } else {
            "unauthenticated"
        }
    }

    /// `requested → served`, or just one of them when they agree.
    pub fn model(&self) -> String {
        match (&self.model_requested, &self.model_served) {
            (Some(r), Some(s)) if r != s => format!("{r} → {s}"),
            (Some(m), _) | (None, Some(m)) => m.clone(),
            (None, None) => "—".into(),
        }
    }

    /// `ok`, `warn` or `bad`: the badge class of the status.
    pub fn status_class(&self) -> &'static str {
        match self.status {
            200..=399 => "ok",
            400..=499 => "warn",
            _ => "bad",
        }
    }

    pub fn latency(&self) -> String {
        ms(self.latency_us)
    }

    pub fn upstream_latency(&self) -> Option<String> {
        self.upstream_latency_us.map(ms)
    }

    /// `in / out`, or a dash when usage is unknown.
    pub fn tokens(&self) -> String {
        match (self.input_tokens, self.output_tokens) {
            (None, None) => "—".into(),
            (i, o) => format!("{} / {}", count(i.unwrap_or(0)), count(o.unwrap_or(0))),
        }
    }

    /// `$…`, or `—` when nothing was charged (unpriced requests show a badge instead).
    pub fn cost(&self) -> String {
        self.cost_micros.map_or_else(|| "—".into(), usd)
    }
}

/// Rows with their ids resolved to names.
pub async fn entries(conn: &mut Conn, rows: Vec<RequestLogRow>) -> Result<Vec<LogEntry>> {
    let ids = |f: fn(&RequestLogRow) -> &Option<String>| -> Vec<String> {
        let mut v: Vec<String> = rows.iter().filter_map(|r| f(r).clone()).collect();
        v.sort();
        v.dedup();
        v
    };
    let users = conn
        .ex()
        .names(NameKind::User, Some(&ids(|r| &r.user_id)))
        .await?;
    let accounts = conn
        .ex()
        .names(
            NameKind::ServiceAccount,
            Some(&ids(|r| &r.service_account_id)),
        )
        .await?;
    let credentials = conn
        .ex()
        .names(NameKind::Credential, Some(&ids(|r| &r.credential_id)))
        .await?;
    let name = |map: &std::collections::HashMap<String, String>, id: &Option<String>| {
        id.as_ref().and_then(|i| map.get(i).cloned())
    };
    Ok(rows
        .into_iter()
        .map(|r| {
            let flags: Vec<String> = r
                .flags
                .as_deref()
                .and_then(|f| serde_json::from_str(f).ok())
                .unwrap_or_default();
            LogEntry {
                user_email: name(&users, &r.user_id),
                service_account_name: name(&accounts, &r.service_account_id),
                credential_name: name(&credentials, &r.credential_id),
                unpriced: flags.iter().any(|f| f == "unpriced"),
                flags,
                request_id: r.request_id,
                client_request_id: r.client_request_id,
                at: r.at,
                endpoint: r.endpoint,
                team_id: r.team_id,
                user_id: r.user_id,
                service_account_id: r.service_account_id,
                credential_id: r.credential_id,
                model_requested: r.model_requested,
                model_served: r.model_served,
                provider: r.provider_id,
                status: r.status,
                latency_us: r.latency_us,
                upstream_latency_us: r.upstream_latency_us,
                input_tokens: r.input_tokens,
                output_tokens: r.output_tokens,
                cost_micros: r.cost_micros,
                error_code: r.error_code,
            }
        })
        .collect())
}

/// One upstream attempt of a request.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AttemptView {
    pub provider: String,
    /// `None` when no HTTP answer came back (connection error, timeout).
    pub status: Option<i64>,
    pub error: Option<String>,
    pub latency_us: i64,
}

impl AttemptView {
    pub fn latency(&self) -> String {
        ms(self.latency_us)
    }

    pub fn status_class(&self) -> &'static str {
        match self.status {
            Some(200..=399) => "ok",
            Some(400..=499) => "warn",
            _ => "bad",
        }
    }
}

/// A request with every attempt and its captured payload.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct LogDetail {
    #[serde(flatten)]
    pub entry: LogEntry,
    pub attempts: Vec<AttemptView>,
    /// The captured request payload (pretty-printed when JSON), per the capture policy.
    pub payload: Option<String>,
}

impl LogDetail {
    pub async fn new(conn: &mut Conn, mut row: RequestLogRow) -> Result<LogDetail> {
        let payload = row.payload.take().map(|p| {
            serde_json::from_str::<serde_json::Value>(&p)
                .ok()
                .and_then(|v| serde_json::to_string_pretty(&v).ok())
                .unwrap_or(p)
        });
        let attempts = attempts(&row.attempts);
        let entry = entries(conn, vec![row]).await?.into_iter().next();
        // `entries` maps every row it is given, so the one row comes back.
        let entry = entry.ok_or_else(|| crate::store::StoreError::Corrupt("log row".into()))?;
        Ok(LogDetail {
            entry,
            attempts,
            payload,
        })
    }
}

/// The `attempts` column: a JSON array of `{provider, status, error?, latency_us}`. Tolerant of
/// rows written by older versions: unknown shapes yield no attempts rather than an error.
fn attempts(json: &str) -> Vec<AttemptView> {
    let Ok(serde_json::Value::Array(items)) = serde_json::from_str(json) else {
        return Vec::new();
    };
    items
        .iter()
        .map(|a| AttemptView {
            provider: a["provider"].as_str().unwrap_or("?").to_string(),
            status: a["status"].as_i64(),
            error: a["error"].as_str().map(str::to_string),
            latency_us: a["latency_us"].as_i64().unwrap_or(0),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attempts_are_read_from_the_logged_json() {
        let a = attempts(
            r#"[{"provider":"a","status":502,"error":"bad gateway","latency_us":1500},
                {"provider":"b","status":null,"latency_us":20000}]"#,
        );
        assert_eq!(a.len(), 2);
        assert_eq!(
            (a[0].status, a[0].latency()),
            (Some(502), "1.5\u{a0}ms".into())
        );
        assert_eq!((a[1].status, a[1].status_class()), (None, "bad"));
        assert!(attempts("not json").is_empty());
    }
}
