//! Budgets: one owner that exists, a real time zone and a positive amount.

use super::Validator;
use super::identity::IdentityIds;
use crate::budgets::money::MicroUsd;
use crate::config::schema::Config;
use crate::config::suggest::nearest;

pub(super) fn check(v: &mut Validator<'_>, cfg: &Config, ids: &IdentityIds<'_>) {
    super::Ids::collect(
        v,
        "budgets",
        "id",
        cfg.budgets.iter().map(|b| b.id.as_str()),
        false,
    );
    for (i, budget) in cfg.budgets.iter().enumerate() {
        let key = format!("budgets[{i}]");
        let owners = [
            ("team", budget.team.as_deref(), &ids.teams),
            ("user", budget.user.as_deref(), &ids.users),
            (
                "service_account",
                budget.service_account.as_deref(),
                &ids.service_accounts,
            ),
        ];
        let set: Vec<&str> = owners
            .iter()
            .filter(|(_, value, _)| value.is_some())
            .map(|(name, _, _)| *name)
            .collect();
        match set.len() {
            0 => v.push(format!(
                "{key} {:?} has no owner; set exactly one of team, user, service_account",
                budget.id
            )),
            1 => {
                for (name, value, index) in owners {
                    if let Some(value) = value {
                        index.require(v, &format!("{key}.{name}"), value);
                    }
                }
            }
            _ => v.push(format!(
                "{key} {:?} sets {}; set exactly one of team, user, service_account",
                budget.id,
                set.join(" and ")
            )),
        }

        if budget.timezone.parse::<chrono_tz::Tz>().is_err() {
            let names = chrono_tz::TZ_VARIANTS.iter().map(|tz| tz.name());
            let hint = match nearest(&budget.timezone, names) {
                Some(s) => format!(" — did you mean {s:?}?"),
                None => String::new(),
            };
            v.push(format!(
                "{key}.timezone {:?} is not an IANA time zone name such as \"UTC\" or \
                 \"Europe/Berlin\"{hint}",
                budget.timezone
            ));
        }

        match MicroUsd::parse_usd(&budget.amount_usd) {
            Err(e) => v.push(format!("{key}.amount_usd: {e}")),
            Ok(amount) if amount == MicroUsd::ZERO => {
                v.push(format!("{key}.amount_usd must be greater than 0"));
            }
            Ok(_) => {}
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::super::testutil::{base, problems};

    #[test]
    fn duplicate_budget_ids_are_reported() {
        let mut cfg = base();
        cfg.budgets[2].id = "platform-monthly".into();
        assert_eq!(
            problems(&cfg),
            ["budgets[2].id \"platform-monthly\" is a duplicate of budgets[0].id"]
        );
    }

    #[test]
    fn a_budget_needs_exactly_one_owner() {
        let mut cfg = base();
        cfg.budgets[0].team = None;
        cfg.budgets[1].team = Some("platform".into());
        assert_eq!(
            problems(&cfg),
            [
                "budgets[0] \"platform-monthly\" has no owner; set exactly one of team, user, \
                 service_account",
                "budgets[1] \"alice-daily\" sets team and user; set exactly one of team, user, \
                 service_account",
            ]
        );
    }

    #[test]
    fn budget_owners_must_exist_and_user_emails_match_in_any_case() {
        let mut cfg = base();
        cfg.budgets[0].team = Some("ghost".into());
        cfg.budgets[1].user = Some("ALICE@example.COM".into());
        cfg.budgets[2].service_account = Some("cd".into());
        assert_eq!(
            problems(&cfg),
            [
                "budgets[0].team \"ghost\" does not name an entry in teams",
                "budgets[2].service_account \"cd\" does not name an entry in service_accounts \
                 — did you mean \"ci\"?",
            ]
        );
    }

    #[test]
    fn budget_timezone_must_be_an_iana_name() {
        let mut cfg = base();
        cfg.budgets[1].timezone = "Europe/Berln".into();
        assert_eq!(
            problems(&cfg),
            [
                "budgets[1].timezone \"Europe/Berln\" is not an IANA time zone name such as \
              \"UTC\" or \"Europe/Berlin\" — did you mean \"Europe/Berlin\"?"
            ]
        );
        cfg.budgets[1].timezone = "CEST+2".into();
        assert_eq!(problems(&cfg).len(), 1);
    }

    #[test]
    fn budget_amount_must_parse_and_be_positive() {
        let mut cfg = base();
        cfg.budgets[0].amount_usd = "0.000".into();
        cfg.budgets[1].amount_usd = "12,50".into();
        let found = problems(&cfg);
        assert_eq!(found.len(), 2, "{found:#?}");
        assert_eq!(found[0], "budgets[0].amount_usd must be greater than 0");
        assert!(found[1].starts_with("budgets[1].amount_usd: \"12,50\" is not a valid amount"));
    }
}
