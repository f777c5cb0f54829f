//! Sign-in throttling: every attempt is recorded under the account and the client address
//! before the password is checked (so concurrent guesses cannot all slip in under the limit);
//! past a few failures within a window, the key is locked for a delay that doubles with each
//! further failure. The same rules apply whether or not the account exists. The thresholds
//! are operational settings ([`Throttle`], `login_throttle.*`).

use chrono::{DateTime, Duration, Utc};

use super::IdentityError;
use crate::settings::Throttle;
use crate::store::Store;

/// How long `key` is locked out, if it is, judging by the failures recorded before attempt
/// `attempt_id` (attempts are recorded before the password is checked, so concurrent guesses
/// cannot all slip in under the limit).
pub(super) async fn lockout(
    store: &Store,
    rule: &Throttle,
    key: &str,
    attempt_id: i64,
    at: DateTime<Utc>,
) -> Result<Option<i64>, IdentityError> {
    let (count, last) = store
        .conn()
        .await?
        .ex()
        .login_failures(key, at - rule.window, attempt_id)
        .await?;
    if count < rule.free_attempts {
        return Ok(None);
    }
    let excess = u32::try_from(count - rule.free_attempts)
        .unwrap_or(u32::MAX)
        .min(10);
    let delay = (Duration::seconds(30) * 2i32.saturating_pow(excess)).min(rule.max_delay);
    let until = last.unwrap_or(at) + delay;
    Ok((until > at).then(|| (until - at).num_minutes().max(1)))
}

/// Records one attempt under every key (as a failure until it succeeds); returns the ids.
pub(super) async fn record_attempt(
    store: &Store,
    keys: &[String],
    at: DateTime<Utc>,
) -> Result<Vec<i64>, IdentityError> {
    let mut tx = store.begin().await?;
    let mut ids = Vec::with_capacity(keys.len());
    for key in keys {
        ids.push(tx.ex().record_login_failure(key, at).await?);
    }
    tx.commit().await?;
    Ok(ids)
}

pub(super) async fn forget_attempt(store: &Store, ids: &[i64]) -> Result<(), IdentityError> {
    let mut tx = store.begin().await?;
    for id in ids {
        tx.ex().delete_login_failure(*id).await?;
    }
    tx.commit().await?;
    Ok(())
}
