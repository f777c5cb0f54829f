//! A valid configuration for validation tests to break one key at a time.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;

use crate::config::env::{self, Overlay};
use crate::config::schema::Config;

const BASE: &str = r#"
database:
  url: "sqlite:./gateway.db"
auth:
  bootstrap_admin:
    email: admin@local
    password: admin
teams:
  - { id: platform, name: Platform }
  - { id: research, name: Research }
users:
  - email: Alice@Example.com
    name: Alice
    teams: [{ team: platform, role: owner }, { team: research, role: member }]
  - email: bob@example.com
    name: Bob
service_accounts:
  - { id: ci, team: platform, name: CI }
providers:
  - { id: mock, kind: mock }
  - id: openai
    kind: openai_compat
    base_url: https://api.openai.com/v1
    api_key: env://OPENAI_API_KEY
models:
  - id: gpt-4o-mini
    pricing: { input: "0.15", output: "0.60" }
    routes:
      - { provider: openai, model: gpt-4o-mini, pricing: { input: "0.15", output: "0.6", cached_input: "0.075" } }
      - { provider: mock, model: echo, weight: 3, priority: 1 }
  - { id: fast, alias_of: gpt-4o-mini }
  - { id: fastest, alias_of: fast }
  - id: echo
    routes: [{ provider: mock, model: echo }]
budgets:
  - { id: platform-monthly, team: platform, cadence: monthly, amount_usd: "1000" }
  - { id: alice-daily, user: alice@example.com, cadence: daily, timezone: Europe/Berlin, amount_usd: "12.5" }
  - { id: ci-weekly, service_account: ci, cadence: weekly, amount_usd: "0.5" }
"#;

/// The valid base config (secrets as written: literals resolved, references not).
pub(super) fn base() -> Config {
    serde_yaml::from_str(BASE).unwrap()
}

pub(super) fn problems(cfg: &Config) -> Vec<String> {
    super::validate(
        cfg,
        Path::new("config/gateway.prod.yaml"),
        &Overlay::default(),
    )
}

pub(super) fn problems_with_env(mut cfg: Config, vars: &[(&str, &str)]) -> (Vec<String>, Config) {
    let pairs = vars.iter().map(|(k, v)| (k.to_string(), v.to_string()));
    let overlay = env::apply(&mut cfg, pairs);
    let found = super::validate(&cfg, Path::new("config/gateway.prod.yaml"), &overlay);
    (found, cfg)
}
