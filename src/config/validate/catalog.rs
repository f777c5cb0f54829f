//! Providers, models (routes, aliases) and pricing.

use std::collections::HashSet;

use super::{Ids, Validator, is_http_url};
use crate::budgets::money::MicroUsd;
use crate::config::schema::{Config, Model, Pricing, ProviderKind};

pub(super) fn check(v: &mut Validator<'_>, cfg: &Config) {
    let providers = Ids::collect(
        v,
        "providers",
        "id",
        cfg.providers.iter().map(|p| p.id.as_str()),
        false,
    );
    providers_fields(v, cfg);

    let models = Ids::collect(
        v,
        "models",
        "id",
        cfg.models.iter().map(|m| m.id.as_str()),
        false,
    );
    for (i, model) in cfg.models.iter().enumerate() {
        let key = format!("models[{i}]");
        match (&model.alias_of, model.routes.is_empty()) {
            (Some(_), false) => v.push(format!(
                "{key} {:?} has both alias_of and routes; give exactly one",
                model.id
            )),
            (None, true) => v.push(format!(
                "{key} {:?} has neither alias_of nor routes; give exactly one",
                model.id
            )),
            _ => {}
        }
        if let Some(target) = &model.alias_of {
            models.require(v, &format!("{key}.alias_of"), target);
        }
        for (r, route) in model.routes.iter().enumerate() {
            let route_key = format!("{key}.routes[{r}]");
            providers.require(v, &format!("{route_key}.provider"), &route.provider);
            if route.model.is_empty() {
                v.push(format!(
                    "{route_key}.model (the upstream model name) is empty"
                ));
            }
            if route.weight == 0 {
                v.push(format!("{route_key}.weight must be greater than 0"));
            }
            if let Some(pricing) = &route.pricing {
                check_pricing(v, &format!("{route_key}.pricing"), pricing);
            }
        }
        if let Some(pricing) = &model.pricing {
            check_pricing(v, &format!("{key}.pricing"), pricing);
        }
        if model.max_output_tokens == Some(0) {
            v.push(format!("{key}.max_output_tokens must be greater than 0"));
        }
    }
    alias_cycles(v, &cfg.models, &models);
}

fn providers_fields(v: &mut Validator<'_>, cfg: &Config) {
    for (i, provider) in cfg.providers.iter().enumerate() {
        let key = format!("providers[{i}]");
        match provider.kind {
            ProviderKind::OpenaiCompat => match provider.base_url.as_deref() {
                None | Some("") => v.push(format!(
                    "{key}.base_url is required for kind openai_compat \
                     (e.g. https://api.openai.com/v1)"
                )),
                Some(url) if !is_http_url(url) => v.push(format!(
                    "{key}.base_url {url:?} must start with http:// or https://"
                )),
                Some(_) => {}
            },
            ProviderKind::Mock => {
                if provider.base_url.is_some() {
                    v.push(format!("{key}.base_url is not allowed for kind mock"));
                }
                if !provider.api_key.is_unset() {
                    v.push(format!("{key}.api_key is not allowed for kind mock"));
                }
            }
        }
        let timeouts = &provider.timeouts;
        for (name, value) in [
            ("connect_ms", timeouts.connect_ms),
            ("first_byte_ms", timeouts.first_byte_ms),
            ("total_ms", timeouts.total_ms),
        ] {
            if value == 0 {
                v.push(format!("{key}.timeouts.{name} must be greater than 0"));
            }
        }
    }
}

fn check_pricing(v: &mut Validator<'_>, key: &str, pricing: &Pricing) {
    let fields = [
        ("input", Some(&pricing.input)),
        ("output", Some(&pricing.output)),
        ("cached_input", pricing.cached_input.as_ref()),
    ];
    for (name, value) in fields {
        if let Some(Err(e)) = value.map(|s| MicroUsd::parse_usd(s)) {
            v.push(format!("{key}.{name}: {e} (USD per million tokens)"));
        }
    }
}

/// Follows every `alias_of` chain and reports each cycle once, as `a -> b -> a`.
fn alias_cycles(v: &mut Validator<'_>, models: &[Model], ids: &Ids<'_>) {
    let mut in_reported_cycle: HashSet<usize> = HashSet::new();
    for start in 0..models.len() {
        let mut chain: Vec<usize> = vec![start];
        let mut current = start;
        while let Some(next) = models[current].alias_of.as_deref().and_then(|t| ids.get(t)) {
            if let Some(pos) = chain.iter().position(|&seen| seen == next) {
                let cycle = &chain[pos..];
                if cycle.iter().all(|m| !in_reported_cycle.contains(m)) {
                    in_reported_cycle.extend(cycle.iter().copied());
                    let mut names: Vec<&str> =
                        cycle.iter().map(|&m| models[m].id.as_str()).collect();
                    names.push(models[next].id.as_str());
                    v.push(format!(
                        "models[{}].alias_of forms a cycle: {}",
                        cycle[0],
                        names.join(" -> ")
                    ));
                }
                break;
            }
            chain.push(next);
            current = next;
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::super::testutil::{base, problems};
    use crate::config::schema::{Model, Pricing, ProviderKind};
    use crate::config::secret::SecretField;

    fn alias(id: &str, of: &str) -> Model {
        Model {
            id: id.into(),
            description: String::new(),
            alias_of: Some(of.into()),
            routes: Vec::new(),
            pricing: None,
            max_output_tokens: None,
        }
    }

    #[test]
    fn duplicate_and_empty_provider_and_model_ids_are_reported() {
        let mut cfg = base();
        cfg.providers[1].id = "mock".into();
        cfg.models.push(alias("", "echo"));
        cfg.models.push(alias("echo", "fast"));
        let found = problems(&cfg);
        assert!(
            found.contains(&"providers[1].id \"mock\" is a duplicate of providers[0].id".into())
        );
        assert!(
            found.contains(&"models[4].id is empty".into()),
            "{found:#?}"
        );
        assert!(found.contains(&"models[5].id \"echo\" is a duplicate of models[3].id".into()));
    }

    #[test]
    fn openai_compat_needs_an_http_base_url() {
        let mut cfg = base();
        cfg.providers[1].base_url = None;
        assert_eq!(
            problems(&cfg),
            ["providers[1].base_url is required for kind openai_compat \
              (e.g. https://api.openai.com/v1)"]
        );
        cfg.providers[1].base_url = Some("api.openai.com".into());
        assert_eq!(
            problems(&cfg),
            ["providers[1].base_url \"api.openai.com\" must start with http:// or https://"]
        );
    }

    #[test]
    fn openai_compat_may_omit_its_api_key() {
        let mut cfg = base();
        cfg.providers[1].api_key = SecretField::default();
        assert_eq!(problems(&cfg), Vec::<String>::new());
    }

    #[test]
    fn mock_rejects_base_url_and_api_key() {
        let mut cfg = base();
        assert_eq!(cfg.providers[0].kind, ProviderKind::Mock);
        cfg.providers[0].base_url = Some("http://x".into());
        cfg.providers[0].api_key = SecretField::literal("k");
        assert_eq!(
            problems(&cfg),
            [
                "providers[0].base_url is not allowed for kind mock",
                "providers[0].api_key is not allowed for kind mock",
            ]
        );
    }

    #[test]
    fn zero_timeouts_are_reported() {
        let mut cfg = base();
        cfg.providers[1].timeouts.first_byte_ms = 0;
        assert_eq!(
            problems(&cfg),
            ["providers[1].timeouts.first_byte_ms must be greater than 0"]
        );
    }

    #[test]
    fn routes_name_existing_providers_with_positive_weight_and_an_upstream_model() {
        let mut cfg = base();
        cfg.models[0].routes[0].provider = "opena".into();
        cfg.models[0].routes[1].weight = 0;
        cfg.models[3].routes[0].model = String::new();
        assert_eq!(
            problems(&cfg),
            [
                "models[0].routes[0].provider \"opena\" does not name an entry in providers — \
                 did you mean \"openai\"?",
                "models[0].routes[1].weight must be greater than 0",
                "models[3].routes[0].model (the upstream model name) is empty",
            ]
        );
    }

    #[test]
    fn a_model_has_either_alias_of_or_routes() {
        let mut cfg = base();
        cfg.models[1].routes = cfg.models[3].routes.clone();
        cfg.models[3].routes.clear();
        assert_eq!(
            problems(&cfg),
            [
                "models[1] \"fast\" has both alias_of and routes; give exactly one",
                "models[3] \"echo\" has neither alias_of nor routes; give exactly one",
            ]
        );
    }

    #[test]
    fn alias_of_names_an_existing_model() {
        let mut cfg = base();
        cfg.models.push(alias("big", "gpt-4o"));
        assert_eq!(
            problems(&cfg),
            ["models[4].alias_of \"gpt-4o\" does not name an entry in models"]
        );
    }

    #[test]
    fn alias_cycles_are_reported_once_with_their_path() {
        let mut cfg = base();
        cfg.models.push(alias("a", "b"));
        cfg.models.push(alias("b", "a"));
        cfg.models.push(alias("c", "a"));
        cfg.models.push(alias("self", "self"));
        assert_eq!(
            problems(&cfg),
            [
                "models[4].alias_of forms a cycle: a -> b -> a",
                "models[7].alias_of forms a cycle: self -> self",
            ]
        );
    }

    #[test]
    fn prices_must_be_non_negative_decimal_usd() {
        let mut cfg = base();
        cfg.models[0].pricing = Some(Pricing {
            input: "-1".into(),
            output: "0.6".into(),
            cached_input: Some("1e-3".into()),
        });
        cfg.models[0].routes[0].pricing.as_mut().unwrap().output = "0.0000001".into();
        let found = problems(&cfg);
        assert_eq!(found.len(), 3, "{found:#?}");
        assert!(found[0].starts_with("models[0].routes[0].pricing.output: \"0.0000001\""));
        assert!(found[1].starts_with("models[0].pricing.input: \"-1\" is not a valid amount"));
        assert!(found[2].starts_with("models[0].pricing.cached_input: \"1e-3\""));
    }

    #[test]
    fn max_output_tokens_must_be_positive() {
        let mut cfg = base();
        cfg.models[3].max_output_tokens = Some(0);
        assert_eq!(
            problems(&cfg),
            ["models[3].max_output_tokens must be greater than 0"]
        );
    }
}
