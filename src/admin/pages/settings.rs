//! `/admin/settings`: the operational settings, for platform admins — each with its value,
//! origin and description, and a small form that saves it (`POST /admin/settings/{key}`).
//! Form fields become the JSON value the API takes; validation, permission and the audit row
//! are `settings::manage`'s. A saved value applies on this replica at once.

use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::{Form, Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use serde_json::{Value, json};

use super::Nav;
use super::credentials::{Fields, NoticeQuery, fixable, rejected};
use super::view::when;
use crate::admin::api::settings::apply;
use crate::admin::auth::Admin;
use crate::admin::error::AdminError;
use crate::http::AppState;
use crate::identity::sessions::Session;
use crate::settings::manage::{self, SettingView};
use crate::settings::registry::{self, Kind};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/admin/settings", get(page))
        .route("/admin/settings/{key}", post(save))
}

/// One setting as a table row with its form.
pub struct Row {
    pub key: &'static str,
    pub description: &'static str,
    pub expected: String,
    /// integer | choice | url | json_paths | budget
    pub kind: &'static str,
    pub origin: String,
    pub updated: String,
    /// What the value input shows (for budgets: the amount).
    pub text: String,
    pub min: i64,
    pub max: i64,
    pub unit: &'static str,
    pub choices: &'static [&'static str],
    pub cadence: String,
    pub timezone: String,
    pub hard: bool,
    /// The default, as shown.
    pub default: String,
}

fn shown(v: &Value) -> String {
    match v {
        Value::String(s) if s.is_empty() => "(empty)".into(),
        Value::String(s) => s.clone(),
        Value::Null => "none".into(),
        Value::Array(items) if items.is_empty() => "(none)".into(),
        other => other.to_string(),
    }
}

impl Row {
    fn new(v: &SettingView) -> Row {
        let def = registry::def(v.key);
        let kind = def.map(|d| d.kind);
        let (min, max, unit) = match kind {
            Some(Kind::Integer { min, max, unit }) => (min, max, unit),
            _ => (0, 0, ""),
        };
        let choices = match kind {
            Some(Kind::Choice(words)) => words,
            _ => &[],
        };
        let text = match (&v.value, kind) {
            (Value::Array(items), _) => items
                .iter()
                .filter_map(Value::as_str)
                .collect::<Vec<_>>()
                .join("\n"),
            (Value::Object(b), Some(Kind::OptionalBudget)) => field(b.get("amount_usd")),
            (Value::String(s), _) => s.clone(),
            (Value::Null, _) => String::new(),
            (other, _) => other.to_string(),
        };
        let budget = v.value.as_object();
        Row {
            key: v.key,
            description: v.description,
            expected: v.expected.clone(),
            kind: v.kind,
            origin: v.origin.clone(),
            updated: v.updated_at.as_ref().map(when).unwrap_or_default(),
            text,
            min,
            max,
            unit,
            choices,
            cadence: budget.map(|b| field(b.get("cadence"))).unwrap_or_default(),
            timezone: budget
                .map(|b| field(b.get("timezone")))
                .unwrap_or_else(|| "UTC".into()),
            hard: budget
                .and_then(|b| b.get("hard_limit"))
                .and_then(Value::as_bool)
                .unwrap_or(true),
            default: shown(&v.default),
        }
    }
}

fn field(v: Option<&Value>) -> String {
    v.and_then(Value::as_str).unwrap_or_default().to_string()
}

#[derive(Template, WebTemplate)]
#[template(path = "settings.html")]
pub struct SettingsPage {
    nav: Option<Nav>,
    csrf: String,
    rows: Vec<Row>,
    notice: Option<&'static str>,
    error: Option<String>,
}

async fn render(
    state: &AppState,
    session: &Session,
    notice: Option<&'static str>,
    error: Option<String>,
) -> Result<SettingsPage, AdminError> {
    let all = manage::list(&state.store, &session.actor).await?;
    Ok(SettingsPage {
        nav: Some(Nav::new(session, "settings")),
        csrf: session.csrf_token.clone(),
        rows: all.iter().map(Row::new).collect(),
        notice,
        error,
    })
}

async fn page(
    State(state): State<AppState>,
    Admin(session): Admin,
    Query(q): Query<NoticeQuery>,
) -> Result<SettingsPage, AdminError> {
    render(&state, &session, q.message(), None).await
}

/// The JSON value a setting's form fields describe. Text that is not a number stays text, so
/// the validation message can show what was typed.
fn value_of(kind: Option<Kind>, f: &Fields) -> Value {
    let text = f.get("value");
    match kind {
        Some(Kind::Integer { .. }) => text
            .parse::<i64>()
            .map_or_else(|_| json!(text), |n| json!(n)),
        Some(Kind::JsonPaths) => Value::Array(
            text.lines()
                .map(str::trim)
                .filter(|l| !l.is_empty())
                .map(|l| json!(l))
                .collect(),
        ),
        Some(Kind::OptionalBudget) if text.is_empty() || f.get("cadence") == "none" => Value::Null,
        Some(Kind::OptionalBudget) => json!({
            "amount_usd": text,
            "cadence": f.get("cadence"),
            "timezone": f.get("timezone"),
            "hard_limit": f.get("limit") != "soft",
        }),
        _ => json!(text),
    }
}

async fn save(
    State(state): State<AppState>,
    Admin(session): Admin,
    Path(key): Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, AdminError> {
    let fields = Fields(pairs);
    let value = value_of(registry::def(&key).map(|d| d.kind), &fields);
    match manage::set(&state.store, &session.actor, &key, &value, None).await {
        Ok(saved) => {
            apply(&state).await;
            let to = format!("/admin/settings?notice=saved#{}", saved.key);
            Ok(Redirect::to(&to).into_response())
        }
        Err(e) => {
            let (status, message) = fixable(e.into())?;
            Ok(rejected(
                status,
                render(&state, &session, None, Some(message)).await?,
            ))
        }
    }
}
