//! The registry of operational settings: every key the `settings` table may hold, with its
//! type, default, bounds and description, and the typed validation a new value goes through
//! (API, admin page and `gateway settings import` alike). A value that passes [`Def::parse`] is
//! stored in its normalised JSON form.
//!
//! Only the catalogue and the rules live here: no SQL, no permissions, no live snapshot.

use serde_json::{Value, json};

use crate::budgets::manage::{BudgetSpec, parse_spec};
use crate::recording::capture::JsonPath;

pub const SESSION_IDLE: &str = "sessions.idle_timeout_minutes";
pub const SESSION_ABSOLUTE: &str = "sessions.absolute_lifetime_hours";
pub const THROTTLE_FREE_ATTEMPTS: &str = "login_throttle.free_attempts";
pub const THROTTLE_WINDOW: &str = "login_throttle.window_minutes";
pub const THROTTLE_MAX_LOCKOUT: &str = "login_throttle.max_lockout_minutes";
pub const PASSWORD_MIN_LENGTH: &str = "passwords.min_length";
pub const INVITE_LIFETIME: &str = "invites.lifetime_hours";
pub const CAPTURE: &str = "request_logs.capture";
pub const MAX_PAYLOAD_BYTES: &str = "request_logs.max_payload_bytes";
pub const REDACT_PATHS: &str = "request_logs.redact_paths";
pub const RETENTION_DAYS: &str = "request_logs.retention_days";
pub const PUBLIC_BASE_URL: &str = "server.public_base_url";
pub const DEFAULT_SA_BUDGET: &str = "service_accounts.default_budget";

/// What kind of value a setting holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A whole number from `min` to `max`, counted in `unit`.
    Integer {
        min: i64,
        max: i64,
        unit: &'static str,
    },
    /// One of a fixed set of words.
    Choice(&'static [&'static str]),
    /// An `http(s)://` URL, or `""` for "not set".
    OptionalUrl,
    /// A list of JSON paths such as `messages[*].content`.
    JsonPaths,
    /// `null`, or a budget `{amount_usd, cadence, timezone, hard_limit}`.
    OptionalBudget,
}

impl Kind {
    /// The type's name as the API reports it.
    pub fn name(self) -> &'static str {
        match self {
            Kind::Integer { .. } => "integer",
            Kind::Choice(_) => "choice",
            Kind::OptionalUrl => "url",
            Kind::JsonPaths => "json_paths",
            Kind::OptionalBudget => "budget",
        }
    }

    /// What a valid value looks like, for error messages and the docs.
    pub fn expectation(self) -> String {
        match self {
            Kind::Integer { min, max, unit } => {
                format!("an integer from {min} to {max} ({unit})")
            }
            Kind::Choice(words) => format!("one of {}", quoted(words)),
            Kind::OptionalUrl => {
                "an http:// or https:// URL, or \"\" to use server.public_url from the config"
                    .into()
            }
            Kind::JsonPaths => "a list of JSON paths such as [\"messages[*].content\"]".into(),
            Kind::OptionalBudget => "null, or an object {\"amount_usd\": \"25\", \"cadence\": \
                                     \"daily|weekly|monthly\", \"timezone\": \"UTC\", \
                                     \"hard_limit\": true}"
                .into(),
        }
    }
}

fn quoted(words: &[&str]) -> String {
    words
        .iter()
        .map(|w| format!("{w:?}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// One operational setting.
#[derive(Debug)]
pub struct Def {
    pub key: &'static str,
    pub kind: Kind,
    /// The seeded value.
    pub default: fn() -> Value,
    pub description: &'static str,
}

/// Every operational setting, in the order pages and listings show them.
pub static DEFS: &[Def] = &[
    Def {
        key: SESSION_IDLE,
        kind: Kind::Integer {
            min: 5,
            max: 43_200,
            unit: "minutes",
        },
        default: || json!(120),
        description: "An admin session ends after this long without a request. Applies to \
                      open sessions at once.",
    },
    Def {
        key: SESSION_ABSOLUTE,
        kind: Kind::Integer {
            min: 1,
            max: 2_160,
            unit: "hours",
        },
        default: || json!(12),
        description: "An admin session ends this long after sign-in, however active. Applies \
                      to sessions started after the change.",
    },
    Def {
        key: THROTTLE_FREE_ATTEMPTS,
        kind: Kind::Integer {
            min: 1,
            max: 1_000,
            unit: "failed sign-ins",
        },
        default: || json!(5),
        description: "Failed sign-ins per account or client address within the window before \
                      sign-in is locked for a delay that doubles with each further failure.",
    },
    Def {
        key: THROTTLE_WINDOW,
        kind: Kind::Integer {
            min: 1,
            max: 1_440,
            unit: "minutes",
        },
        default: || json!(15),
        description: "How far back failed sign-ins are counted.",
    },
    Def {
        key: THROTTLE_MAX_LOCKOUT,
        kind: Kind::Integer {
            min: 1,
            max: 1_440,
            unit: "minutes",
        },
        default: || json!(15),
        description: "The longest sign-in lock.",
    },
    Def {
        key: PASSWORD_MIN_LENGTH,
        kind: Kind::Integer {
            min: 8,
            max: 128,
            unit: "characters",
        },
        default: || json!(12),
        description: "Shortest password accepted when a password is set or changed.",
    },
    Def {
        key: INVITE_LIFETIME,
        kind: Kind::Integer {
            min: 1,
            max: 2_160,
            unit: "hours",
        },
        default: || json!(168),
        description: "How long a new onboarding link stays valid. Links already issued keep \
                      their expiry.",
    },
    Def {
        key: CAPTURE,
        kind: Kind::Choice(&["off", "metadata", "redacted"]),
        default: || json!("off"),
        description: "What request logs keep of each request body: nothing, metadata (model, \
                      sizes, counts; no content), or the body with secrets and the redact \
                      paths replaced.",
    },
    Def {
        key: MAX_PAYLOAD_BYTES,
        kind: Kind::Integer {
            min: 64,
            max: 10_485_760,
            unit: "bytes",
        },
        default: || json!(16_384),
        description: "Upper bound on a captured payload.",
    },
    Def {
        key: REDACT_PATHS,
        kind: Kind::JsonPaths,
        default: || json!([]),
        description: "JSON paths replaced by \"[redacted]\" in captured bodies, on top of the \
                      built-in secret keys.",
    },
    Def {
        key: RETENTION_DAYS,
        kind: Kind::Integer {
            min: 0,
            max: 3_650,
            unit: "days; 0 keeps request logs forever",
        },
        default: || json!(0),
        description: "Request logs older than this are deleted in the background (the usage \
                      ledger is kept).",
    },
    Def {
        key: PUBLIC_BASE_URL,
        kind: Kind::OptionalUrl,
        default: || json!(""),
        description: "The URL people use to reach this gateway: onboarding links, and Secure \
                      cookies when https. Empty uses server.public_url from the config.",
    },
    Def {
        key: DEFAULT_SA_BUDGET,
        kind: Kind::OptionalBudget,
        default: || Value::Null,
        description: "When set, creating a service account also creates this budget for it.",
    },
];

/// The definition of `key`.
pub fn def(key: &str) -> Option<&'static Def> {
    DEFS.iter().find(|d| d.key == key)
}

/// "no setting named …; settings are: …", for unknown keys.
pub fn unknown(key: &str) -> String {
    let known: Vec<&str> = DEFS.iter().map(|d| d.key).collect();
    format!("setting {key:?} (known settings: {})", known.join(", "))
}

impl Def {
    /// Checks `value` against the type and bounds; returns the normalised value to store, or
    /// a message naming the key and what was expected.
    pub fn parse(&self, value: &Value) -> Result<Value, String> {
        let bad = || {
            format!(
                "{}: expected {}, got {}",
                self.key,
                self.kind.expectation(),
                value
            )
        };
        match self.kind {
            Kind::Integer { min, max, .. } => match value.as_i64() {
                Some(n) if (min..=max).contains(&n) => Ok(json!(n)),
                _ => Err(bad()),
            },
            Kind::Choice(words) => match value.as_str().map(str::trim) {
                Some(w) if words.contains(&w) => Ok(json!(w)),
                _ => Err(bad()),
            },
            Kind::OptionalUrl => match value {
                Value::Null => Ok(json!("")),
                Value::String(s) if s.trim().is_empty() => Ok(json!("")),
                Value::String(s) => parse_url(s.trim()).map(Value::String).ok_or_else(bad),
                _ => Err(bad()),
            },
            Kind::JsonPaths => {
                let items = value.as_array().ok_or_else(bad)?;
                let mut out = Vec::with_capacity(items.len());
                for (i, item) in items.iter().enumerate() {
                    let text = item.as_str().map(str::trim).ok_or_else(bad)?;
                    JsonPath::parse(text).map_err(|e| format!("{}[{i}]: {e}", self.key))?;
                    out.push(json!(text));
                }
                Ok(Value::Array(out))
            }
            Kind::OptionalBudget => parse_budget(self.key, value, &self.kind),
        }
    }
}

/// An absolute http(s) URL with a host, without a trailing `/`.
fn parse_url(s: &str) -> Option<String> {
    let url = url::Url::parse(s).ok()?;
    let web = matches!(url.scheme(), "http" | "https");
    (web && url.host_str().is_some_and(|h| !h.is_empty()) && url.query().is_none())
        .then(|| s.trim_end_matches('/').to_string())
}

fn parse_budget(key: &str, value: &Value, kind: &Kind) -> Result<Value, String> {
    let obj = match value {
        Value::Null => return Ok(Value::Null),
        Value::Object(o) => o,
        other => {
            return Err(format!(
                "{key}: expected {}, got {other}",
                kind.expectation()
            ));
        }
    };
    if let Some(extra) = obj
        .keys()
        .find(|k| !["amount_usd", "cadence", "timezone", "hard_limit"].contains(&k.as_str()))
    {
        return Err(format!(
            "{key}: unknown field {extra:?}; expected amount_usd, cadence, timezone, hard_limit"
        ));
    }
    let text = |field: &str, default: Option<&str>| -> Result<String, String> {
        match obj.get(field) {
            Some(Value::String(s)) => Ok(s.clone()),
            Some(Value::Number(n)) if field == "amount_usd" => Ok(n.to_string()),
            None | Some(Value::Null) => default
                .map(str::to_string)
                .ok_or_else(|| format!("{key}.{field}: required")),
            Some(other) => Err(format!("{key}.{field}: expected a string, got {other}")),
        }
    };
    let amount_usd = text("amount_usd", None)?;
    let cadence = text("cadence", None)?;
    let timezone = text("timezone", Some("UTC"))?;
    let hard_limit = match obj.get("hard_limit") {
        None | Some(Value::Null) => true,
        Some(Value::Bool(b)) => *b,
        Some(other) => {
            return Err(format!(
                "{key}.hard_limit: expected true or false, got {other}"
            ));
        }
    };
    let spec = BudgetSpec {
        cadence: &cadence,
        timezone: &timezone,
        amount_usd: &amount_usd,
        hard_limit,
    };
    let (_, change) = parse_spec(&spec).map_err(|e| {
        // The budget forms call the amount "amount"; here the field is `amount_usd`.
        let e = e.to_string();
        match e.strip_prefix("amount:") {
            Some(rest) => format!("{key}.amount_usd:{rest}"),
            None => format!("{key}.{e}"),
        }
    })?;
    Ok(json!({
        "amount_usd": amount_usd.trim().trim_start_matches('$'),
        "cadence": change.cadence,
        "timezone": change.timezone,
        "hard_limit": change.hard_limit,
    }))
}

#[cfg(test)]
#[path = "registry_tests.rs"]
mod tests;
