//! Sign-in throttling: every attempt is recorded under the account and the client address
//! before the password is checked (so concurrent guesses cannot all slip in under the limit);
//! past a few failures within a window, the key is locked for a delay that doubles with each
//! further failure. The same rules apply whether or not the account exists.

use chrono::{DateTime, Duration, Utc};

use super::IdentityError;
use crate::store::Store;

/// Failures counted within this window…
pub const THROTTLE_WINDOW: Duration = Duration::minutes(15);
/// …beyond this many lock the account or address for a growing delay.
pub const THROTTLE_FREE_ATTEMPTS: i64 = 5;
/// The longest lock.
pub const THROTTLE_MAX_DELAY: Duration = Duration::minutes(15);

/// How long `key` is locked out, if it is, judging by the failures recorded before attempt
/// `attempt_id` (attempts are recorded before the password is checked, so concurrent guesses
/// cannot all slip in under the limit).
pub(super) async fn lockout(
    store: &Store,
    key: &str,
    attempt_id: i64,
    at: DateTime<Utc>,
) -> Result<Option<i64>, IdentityError> {
    let (count, last) = store
        .conn()
        .await?
        .ex()
        .login_failures(key, at - THROTTLE_WINDOW, attempt_id)
        .await?;
    if count < THROTTLE_FREE_ATTEMPTS {
        return Ok(None);
    }
    let excess = u32::try_from(count - THROTTLE_FREE_ATTEMPTS)
        .unwrap_or(u32::MAX)
        .min(10);
    let delay = (Duration::seconds(30) * 2i32.saturating_pow(excess)).min(THROTTLE_MAX_DELAY);
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
