//! Budget input as people type it — scope, id, cadence, timezone, amount — parsed into the
//! values the store keeps, with messages that name the field. No permissions, no SQL.

use chrono_tz::Tz;

use crate::budgets::gate::Scope;
use crate::budgets::money::MicroUsd;
use crate::budgets::window::Cadence;
use crate::identity::IdentityError;
use crate::store::budget_admin::BudgetChange;

/// Longest budget id, in bytes.
const MAX_ID_LEN: usize = 60;

/// The editable part of a budget, as typed by a person.
#[derive(Debug, Clone, Copy)]
pub struct BudgetSpec<'a> {
    /// `daily`, `weekly` or `monthly`.
    pub cadence: &'a str,
    /// An IANA name such as `Europe/Berlin`.
    pub timezone: &'a str,
    /// USD as a decimal string, e.g. `25` or `12.50`.
    pub amount_usd: &'a str,
    pub hard_limit: bool,
}

/// A budget to create.
#[derive(Debug, Clone, Copy)]
pub struct NewBudget<'a> {
    /// A slug; derived from the scope and cadence when absent.
    pub id: Option<&'a str>,
    /// `team`, `user` or `service_account`.
    pub scope: &'a str,
    /// Team id, user id or service-account id.
    pub scope_id: &'a str,
    pub spec: BudgetSpec<'a>,
}

pub(super) fn parse_scope(s: &str) -> Result<Scope, IdentityError> {
    let s = s.trim();
    Scope::parse(s).ok_or_else(|| {
        IdentityError::Invalid(format!(
            "scope: {s:?} must be team, user or service_account"
        ))
    })
}

pub(super) fn parse_cadence(s: &str) -> Result<Cadence, IdentityError> {
    let s = s.trim();
    crate::budgets::defs::parse_cadence(s).ok_or_else(|| {
        IdentityError::Invalid(format!("cadence: {s:?} must be daily, weekly or monthly"))
    })
}

pub(super) fn parse_tz(s: &str) -> Result<Tz, IdentityError> {
    s.trim().parse::<Tz>().map_err(|_| {
        IdentityError::Invalid(format!(
            "timezone: {s:?} is not an IANA timezone name such as UTC or Europe/Berlin"
        ))
    })
}

pub(super) fn parse_amount(s: &str) -> Result<MicroUsd, IdentityError> {
    let amount = MicroUsd::parse_usd(s.trim().trim_start_matches('$'))
        .map_err(|e| IdentityError::Invalid(format!("amount: {e}")))?;
    if amount.as_i64() <= 0 {
        return Err(IdentityError::Invalid(
            "amount: must be more than zero (delete the budget to remove the limit)".into(),
        ));
    }
    Ok(amount)
}

/// A budget id: 2–60 characters of `a-z`, `0-9`, `-` and `_`, starting with a letter or digit.
pub(super) fn parse_id(s: &str) -> Result<String, IdentityError> {
    let s = s.trim();
    let charset = s
        .bytes()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_');
    let starts = s.bytes().next().is_some_and(|b| b.is_ascii_alphanumeric());
    if (2..=MAX_ID_LEN).contains(&s.len()) && charset && starts {
        Ok(s.to_string())
    } else {
        Err(IdentityError::Invalid(format!(
            "id: {s:?} must be 2-{MAX_ID_LEN} characters of a-z, 0-9, '-' and '_', starting \
             with a letter or digit"
        )))
    }
}

/// `platform-monthly`, `dev-weekly`: a readable default id.
pub(super) fn default_id(base: &str, cadence: Cadence) -> String {
    let mut slug: String = base
        .to_lowercase()
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    slug = slug.trim_matches('-').to_string();
    slug.truncate(MAX_ID_LEN - 8);
    if slug.is_empty() {
        slug = "budget".into();
    }
    format!("{slug}-{}", cadence.as_str())
}

/// Parses the editable part of a budget; messages name the field (`cadence: …`).
pub fn parse_spec(spec: &BudgetSpec<'_>) -> Result<(Cadence, BudgetChange), IdentityError> {
    let cadence = parse_cadence(spec.cadence)?;
    let tz = parse_tz(spec.timezone)?;
    let amount = parse_amount(spec.amount_usd)?;
    Ok((
        cadence,
        BudgetChange {
            cadence: cadence.as_str(),
            timezone: tz.name().to_string(),
            amount_micros: amount.as_i64(),
            hard_limit: spec.hard_limit,
        },
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inputs_are_parsed_with_messages_naming_the_field() {
        let spec = |cadence, timezone, amount_usd| BudgetSpec {
            cadence,
            timezone,
            amount_usd,
            hard_limit: true,
        };
        let ok = parse_spec(&spec("weekly", " Europe/Berlin ", "$12.50")).map(|(_, c)| c);
        assert_eq!(
            ok.ok(),
            Some(BudgetChange {
                cadence: "weekly",
                timezone: "Europe/Berlin".into(),
                amount_micros: 12_500_000,
                hard_limit: true,
            })
        );
        let err = |s: BudgetSpec<'_>| parse_spec(&s).err().map(|e| e.to_string());
        assert!(err(spec("hourly", "UTC", "1")).is_some_and(|m| m.starts_with("cadence")));
        assert!(err(spec("daily", "Mars/Olympus", "1")).is_some_and(|m| m.starts_with("timezone")));
        assert!(err(spec("daily", "UTC", "0")).is_some_and(|m| m.contains("more than zero")));
        assert!(err(spec("daily", "UTC", "-1")).is_some_and(|m| m.starts_with("amount")));
    }

    #[test]
    fn ids_are_slugs_and_defaults_read_well() {
        assert!(parse_id("platform-monthly").is_ok());
        assert!(parse_id("a_1").is_ok());
        for bad in ["", "x", "-lead", "Upper", "has space", &"x".repeat(61)] {
            assert!(parse_id(bad).is_err(), "{bad:?}");
        }
        assert_eq!(default_id("Dev.Ops", Cadence::Weekly), "dev-ops-weekly");
        assert_eq!(default_id("", Cadence::Daily), "budget-daily");
        assert!(parse_id(&default_id(&"x".repeat(200), Cadence::Monthly)).is_ok());
    }
}
