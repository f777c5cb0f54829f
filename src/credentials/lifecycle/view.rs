//! How a credential is shown to people: owner, grants, dates and a derived status. Built from
//! a store row that never carries the secret or its hash, so a view cannot leak one.

use chrono::{DateTime, Utc};
use serde::{Serialize, Serializer};

use crate::credentials::Grants;
use crate::store::credentials::CredentialRecord;

/// Where a credential stands right now.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum CredentialStatus {
    Active,
    /// Past its expiry.
    Expired,
    Revoked,
    /// Replaced by a rotation and still working until its grace period ends.
    Rotating,
}

impl CredentialStatus {
    /// Revoked wins over expired, which wins over rotating (the key cache answers in the
    /// same order).
    pub fn of(
        revoked_at: Option<DateTime<Utc>>,
        expires_at: Option<DateTime<Utc>>,
        replaced_by: Option<&str>,
        now: DateTime<Utc>,
    ) -> CredentialStatus {
        if revoked_at.is_some() {
            CredentialStatus::Revoked
        } else if expires_at.is_some_and(|e| e <= now) {
            CredentialStatus::Expired
        } else if replaced_by.is_some() {
            CredentialStatus::Rotating
        } else {
            CredentialStatus::Active
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            CredentialStatus::Active => "active",
            CredentialStatus::Expired => "expired",
            CredentialStatus::Revoked => "revoked",
            CredentialStatus::Rotating => "rotating",
        }
    }

    /// Whether the key still authenticates (owner status aside).
    pub fn is_live(self) -> bool {
        matches!(self, CredentialStatus::Active | CredentialStatus::Rotating)
    }
}

/// Who holds a credential.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum CredentialOwner {
    ServiceAccount { id: String, name: String },
    User { id: String, email: String },
}

/// A credential as listed: never its secret.
#[derive(Debug, Clone, Serialize)]
pub struct CredentialView {
    pub id: String,
    pub public_id: String,
    /// How the key begins, `gw_<public id>_`; safe to show next to [`Self::last4`].
    pub prefix: String,
    /// Last four characters of the secret.
    pub last4: String,
    pub name: String,
    pub owner: CredentialOwner,
    /// The owning user or service account is active (if not, the key answers 401
    /// `api_key_owner_disabled` whatever its status).
    pub owner_active: bool,
    /// The service account's team, or the team a personal credential spends for.
    pub team_id: Option<String>,
    /// `"all"` or a list of model ids.
    #[serde(serialize_with = "grants_json")]
    pub grants: Grants,
    pub status: CredentialStatus,
    pub created_at: DateTime<Utc>,
    /// User id (or `cli`) that issued it.
    pub created_by: Option<String>,
    /// Flushed from the key cache in batches, so it can lag by a few seconds.
    pub last_used_at: Option<DateTime<Utc>>,
    pub expires_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
    /// The credential a rotation replaced this one with.
    pub replaced_by: Option<String>,
    pub rotated_at: Option<DateTime<Utc>>,
}

fn grants_json<S: Serializer>(grants: &Grants, s: S) -> Result<S::Ok, S::Error> {
    match grants {
        Grants::All => s.serialize_str("all"),
        Grants::Models(m) => m.serialize(s),
    }
}

impl CredentialView {
    pub(crate) fn from_record(r: CredentialRecord, now: DateTime<Utc>) -> CredentialView {
        let owner = match (r.service_account_id, r.user_id) {
            (Some(id), _) => CredentialOwner::ServiceAccount {
                name: r.service_account_name.unwrap_or_else(|| id.clone()),
                id,
            },
            (None, user_id) => CredentialOwner::User {
                id: user_id.unwrap_or_default(),
                email: r.user_email.unwrap_or_default(),
            },
        };
        CredentialView {
            status: CredentialStatus::of(r.revoked_at, r.expires_at, r.replaced_by.as_deref(), now),
            prefix: format!("{}{}_", crate::credentials::key::DATA_PLANE, r.public_id),
            grants: Grants::from_column(r.model_grants.as_deref()),
            id: r.id,
            public_id: r.public_id,
            last4: r.last4,
            name: r.name,
            owner,
            owner_active: r.owner_active,
            team_id: r.team_id,
            created_at: r.created_at,
            created_by: r.created_by,
            last_used_at: r.last_used_at,
            expires_at: r.expires_at,
            revoked_at: r.revoked_at,
            replaced_by: r.replaced_by,
            rotated_at: r.rotated_at,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_prefers_revoked_then_expired_then_rotating() {
        let now = Utc::now();
        let past = Some(now - chrono::Duration::hours(1));
        let future = Some(now + chrono::Duration::hours(1));
        use CredentialStatus::*;
        assert_eq!(CredentialStatus::of(None, None, None, now), Active);
        assert_eq!(CredentialStatus::of(None, future, None, now), Active);
        assert_eq!(CredentialStatus::of(None, future, Some("n"), now), Rotating);
        assert_eq!(CredentialStatus::of(None, past, Some("n"), now), Expired);
        assert_eq!(CredentialStatus::of(past, past, Some("n"), now), Revoked);
        assert!(Rotating.is_live() && Active.is_live());
        assert!(!Expired.is_live() && !Revoked.is_live());
    }

    #[test]
    fn grants_serialise_as_all_or_a_list() {
        let json = |g: Grants| {
            let mut s = serde_json::Serializer::new(Vec::new());
            grants_json(&g, &mut s).map(|_| String::from_utf8(s.into_inner()))
        };
        assert_eq!(
            json(Grants::All).ok().and_then(Result::ok),
            Some("\"all\"".into())
        );
        assert_eq!(
            json(Grants::Models(vec!["a".into()]))
                .ok()
                .and_then(Result::ok),
            Some("[\"a\"]".into())
        );
    }
}
