//! Spend: `/admin/spend` — ledger spend by team, user, service account or model per UTC day,
//! totals per key and a stacked SVG chart of the top keys. [`report`] is what the page and
//! `GET /api/v1/admin/spend` both call: platform admins see everything, everyone else only
//! their managed teams plus their own usage. Unpriced requests are counted, never shown as free.

use std::collections::{BTreeMap, HashMap};

use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::{Query, State};
use axum::routing::get;
use chrono::{Days, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::Nav;
use super::chart::{self, Chart, Series};
use super::dashboard::scope_of;
use super::view::{count, given, usd};
use crate::admin::auth::Admin;
use crate::admin::error::AdminError;
use crate::http::AppState;
use crate::identity::permissions::Actor;
use crate::store::observe::NameKind;
use crate::store::usage::SpendBy;

pub fn routes() -> Router<AppState> {
    Router::new().route("/admin/spend", get(page))
}

const DEFAULT_DAYS: u64 = 30;
/// The `by` values and their column headings.
const GROUPINGS: [(&str, &str); 4] = [
    ("team", "Team"),
    ("user", "User"),
    ("service_account", "Service account"),
    ("model", "Model"),
];
const MAX_DAYS: u64 = 366;

/// What to group spend by, and over how many days.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SpendQuery {
    /// `team` (default), `user`, `service_account` or `model`.
    pub by: Option<String>,
    /// Days back from today (UTC), today included: 1–366, default 30.
    pub days: Option<String>,
}

impl SpendQuery {
    fn parse(&self) -> Result<(SpendBy, u64), AdminError> {
        let by = match given(&self.by).as_deref() {
            None | Some("team") => SpendBy::Team,
            Some("user") => SpendBy::User,
            Some("service_account" | "service-account") => SpendBy::ServiceAccount,
            Some("model") => SpendBy::Model,
            Some(other) => {
                return Err(AdminError::Invalid(format!(
                    "by: expected team, user, service_account or model, got {other:?}"
                )));
            }
        };
        let days = match given(&self.days) {
            None => DEFAULT_DAYS,
            Some(d) => d
                .parse()
                .ok()
                .filter(|d| (1..=MAX_DAYS).contains(d))
                .ok_or_else(|| AdminError::Invalid(format!("days: expected 1–366, got {d:?}")))?,
        };
        Ok((by, days))
    }
}

/// Spend of one key, over the period (`day` absent) or on one UTC day.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SpendLine {
    /// `YYYY-MM-DD`; absent on per-key totals.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub day: Option<String>,
    /// Team, user or service account id, or model; `-` when the request had none.
    pub key: String,
    /// Team name, user e-mail, service account name or model.
    pub label: String,
    pub requests: i64,
    pub input_tokens: i64,
    pub output_tokens: i64,
    /// Priced spend in micro-USD.
    pub cost_micros: i64,
    /// Requests served by unpriced routes: counted, not included in `cost_micros`.
    pub unpriced_requests: i64,
}

impl SpendLine {
    /// The priced spend; `—` when every request was unpriced (never `$0.00`, which would read
    /// as free).
    pub fn cost(&self) -> String {
        if self.cost_micros == 0 && self.unpriced_requests == self.requests {
            "—".into()
        } else {
            usd(self.cost_micros)
        }
    }

    /// (requests, input tokens, output tokens), grouped by thousands.
    pub fn counts(&self) -> [String; 3] {
        [self.requests, self.input_tokens, self.output_tokens].map(count)
    }
}

/// Spend over a period, as the page and the API show it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SpendReport {
    /// team | user | service_account | model
    pub by: String,
    pub days: u64,
    /// First UTC day of the period.
    pub from: String,
    /// Last UTC day (today), inclusive.
    pub to: String,
    pub requests: i64,
    pub cost_micros: i64,
    pub unpriced_requests: i64,
    /// Per key, largest spend first.
    pub totals: Vec<SpendLine>,
    /// Per key and day, newest day first.
    pub daily: Vec<SpendLine>,
}

impl SpendReport {
    pub fn cost(&self) -> String {
        usd(self.cost_micros)
    }

    pub fn request_count(&self) -> String {
        count(self.requests)
    }

    pub fn by_label(&self) -> &'static str {
        GROUPINGS
            .iter()
            .find(|(v, _)| *v == self.by)
            .map_or("Key", |(_, label)| label)
    }
}

/// What a key without a value (`-`) means for each grouping.
fn none_label(by: SpendBy) -> &'static str {
    match by {
        SpendBy::Team => "(no team)",
        SpendBy::User => "(service accounts)",
        SpendBy::ServiceAccount => "(personal credentials)",
        SpendBy::Model => "(unknown model)",
    }
}

/// The spend `actor` may see, grouped and bounded by `q`, and the period's UTC days.
pub async fn report(
    state: &AppState,
    actor: &Actor,
    q: &SpendQuery,
) -> Result<(SpendReport, Vec<String>), AdminError> {
    let (by, days) = q.parse()?;
    let today = Utc::now().date_naive();
    let first = today.checked_sub_days(Days::new(days - 1)).unwrap_or(today);
    let end = today.checked_add_days(Days::new(1)).unwrap_or(today);
    let midnight = |d: chrono::NaiveDate| d.and_time(chrono::NaiveTime::MIN).and_utc();
    let mut conn = state.store.conn().await?;
    let rows = conn
        .ex()
        .spend_by_scoped(by, &scope_of(actor), midnight(first), midnight(end))
        .await?;
    let mut keys: Vec<String> = rows.iter().map(|r| r.key.clone()).collect();
    keys.sort();
    keys.dedup();
    let kind = match by {
        SpendBy::Team => Some(NameKind::Team),
        SpendBy::User => Some(NameKind::User),
        SpendBy::ServiceAccount => Some(NameKind::ServiceAccount),
        SpendBy::Model => None,
    };
    let names: HashMap<String, String> = match kind {
        Some(kind) => conn.ex().names(kind, Some(&keys)).await?,
        None => HashMap::new(),
    };
    let label = |key: &str| match key {
        "-" => none_label(by).to_string(),
        k => names.get(k).cloned().unwrap_or_else(|| k.to_string()),
    };
    let mut totals: BTreeMap<String, SpendLine> = BTreeMap::new();
    let mut daily = Vec::with_capacity(rows.len());
    for r in rows {
        let t = totals.entry(r.key.clone()).or_insert_with(|| SpendLine {
            day: None,
            key: r.key.clone(),
            label: label(&r.key),
            requests: 0,
            input_tokens: 0,
            output_tokens: 0,
            cost_micros: 0,
            unpriced_requests: 0,
        });
        t.requests += r.requests;
        t.input_tokens += r.input_tokens;
        t.output_tokens += r.output_tokens;
        t.cost_micros += r.cost_micros;
        t.unpriced_requests += r.unpriced_requests;
        daily.push(SpendLine {
            day: Some(r.day),
            label: t.label.clone(),
            key: r.key,
            requests: r.requests,
            input_tokens: r.input_tokens,
            output_tokens: r.output_tokens,
            cost_micros: r.cost_micros,
            unpriced_requests: r.unpriced_requests,
        });
    }
    daily.sort_by(|a, b| b.day.cmp(&a.day).then(b.cost_micros.cmp(&a.cost_micros)));
    let mut totals: Vec<SpendLine> = totals.into_values().collect();
    totals.sort_by(|a, b| {
        (b.cost_micros, b.requests, &a.label).cmp(&(a.cost_micros, a.requests, &b.label))
    });
    let period: Vec<String> = first
        .iter_days()
        .take_while(|d| *d <= today)
        .map(|d| d.format("%Y-%m-%d").to_string())
        .collect();
    let report = SpendReport {
        by: match by {
            SpendBy::Team => "team",
            SpendBy::User => "user",
            SpendBy::ServiceAccount => "service_account",
            SpendBy::Model => "model",
        }
        .to_string(),
        days,
        from: first.format("%Y-%m-%d").to_string(),
        to: today.format("%Y-%m-%d").to_string(),
        requests: totals.iter().map(|t| t.requests).sum(),
        cost_micros: totals.iter().map(|t| t.cost_micros).sum(),
        unpriced_requests: totals.iter().map(|t| t.unpriced_requests).sum(),
        totals,
        daily,
    };
    Ok((report, period))
}

/// The chart's series: each key's priced spend per day of `period`.
fn chart_of(report: &SpendReport, period: &[String]) -> Chart {
    let index: HashMap<&str, usize> = period
        .iter()
        .enumerate()
        .map(|(i, d)| (d.as_str(), i))
        .collect();
    // Keys without priced spend (only unpriced requests) would draw nothing.
    let series = report
        .totals
        .iter()
        .filter(|t| t.cost_micros > 0)
        .map(|t| {
            let mut per_day = vec![0; period.len()];
            for line in report.daily.iter().filter(|l| l.key == t.key) {
                if let Some(i) = line.day.as_deref().and_then(|d| index.get(d)) {
                    per_day[*i] += line.cost_micros;
                }
            }
            Series {
                label: t.label.clone(),
                per_day,
            }
        })
        .collect();
    chart::stacked(period, &chart::top(series, period.len()))
}

#[derive(Template, WebTemplate)]
#[template(path = "spend.html")]
pub struct SpendPage {
    nav: Option<Nav>,
    r: SpendReport,
    chart: Chart,
    /// (value, label, selected) for the grouping links.
    groupings: Vec<(&'static str, &'static str, bool)>,
    periods: Vec<(u64, bool)>,
}

async fn page(
    State(state): State<AppState>,
    Admin(session): Admin,
    Query(q): Query<SpendQuery>,
) -> Result<SpendPage, AdminError> {
    let (r, period) = report(&state, &session.actor, &q).await?;
    let chart = chart_of(&r, &period);
    let groupings = GROUPINGS
        .into_iter()
        .map(|(v, l)| (v, l, v == r.by))
        .collect();
    let mut periods: Vec<(u64, bool)> = [7, 30, 90].into_iter().map(|d| (d, d == r.days)).collect();
    if !periods.iter().any(|(_, selected)| *selected) {
        periods.push((r.days, true));
    }
    Ok(SpendPage {
        nav: Some(Nav::new(&session, "spend")),
        r,
        chart,
        groupings,
        periods,
    })
}
