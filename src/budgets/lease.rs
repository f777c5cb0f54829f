//! The database side of budget leases: taking a slice of a window's remaining budget, and
//! settling (spent moves from the lease into settled spend; unused lease goes back). Each call
//! is one short transaction that locks the window's usage row, so replicas never hand out more
//! than the limit between them.

use chrono::{DateTime, Duration, Utc};

use crate::store::budgets::WindowKey;
use crate::store::{Store, StoreError};

/// A lease whose replica has not sent a heartbeat for this long is presumed dead; its whole
/// lease is counted as spent.
pub const STALE_AFTER: Duration = Duration::seconds(10);

/// The answer to a lease request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Acquire {
    Granted {
        granted: i64,
        /// The window is nearly exhausted: lease exactly, settle at once.
        tight: bool,
        spent: i64,
    },
    Refused {
        /// Leases held by other replicas (may still come back).
        others_reserved: i64,
        spent: i64,
    },
}

/// How much to lease for `need` when `headroom` is left of `limit`.
pub fn chunk(need: i64, headroom: i64, limit: i64) -> (i64, bool) {
    if headroom < need.saturating_mul(4) {
        return (need, true);
    }
    let slice = (headroom / 8).min(limit / 10);
    (need.max(slice).min(headroom), false)
}

/// Leases at least `need` micro-dollars of window `w`, or says why not.
pub async fn acquire(
    store: &Store,
    w: WindowKey<'_>,
    me: &str,
    need: i64,
    limit: i64,
    now: DateTime<Utc>,
) -> Result<Acquire, StoreError> {
    let mut tx = store.begin().await?;
    let mut ex = tx.ex();
    let mut totals = ex.lock_window(w, me).await?;
    if ex.reclaim_stale_leases(w, me, now - STALE_AFTER).await? > 0 {
        totals = ex.lock_window(w, me).await?;
    }
    let headroom = limit - totals.spent - totals.reserved_all;
    let answer = if headroom < need {
        Acquire::Refused {
            others_reserved: totals.reserved_all - totals.reserved_mine,
            spent: totals.spent,
        }
    } else {
        let (granted, tight) = chunk(need, headroom, limit);
        ex.grow_lease(w, me, granted, now).await?;
        Acquire::Granted {
            granted,
            tight,
            spent: totals.spent,
        }
    };
    tx.commit().await?;
    Ok(answer)
}

/// Records `spent` and gives back `returned` (negative when more was spent than leased).
/// Returns the window's settled spend.
pub async fn settle(
    store: &Store,
    w: WindowKey<'_>,
    me: &str,
    spent: i64,
    returned: i64,
    now: DateTime<Utc>,
) -> Result<i64, StoreError> {
    let mut tx = store.begin().await?;
    let total = tx.ex().settle_lease(w, me, spent, returned, now).await?;
    tx.commit().await?;
    Ok(total)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn leases_are_slices_while_plenty_is_left_and_exact_near_the_end() {
        assert_eq!(chunk(10, 10_000, 10_000), (1_000, false));
        assert_eq!(chunk(10, 800, 10_000), (100, false));
        assert_eq!(chunk(10, 39, 10_000), (10, true));
        assert_eq!(chunk(500, 10_000, 10_000), (1_000, false));
        assert_eq!(chunk(3_000, 10_000, 10_000), (3_000, true));
    }
}
