//! Passive route health: a route that fails [`FAILURE_THRESHOLD`] times in a row is skipped
//! for [`COOL_DOWN`] (used only as a last resort), then tried again. Lock-free counters.

use std::sync::atomic::{AtomicI64, AtomicU32, Ordering};
use std::time::Duration;

pub const FAILURE_THRESHOLD: u32 = 3;
pub const COOL_DOWN: Duration = Duration::from_secs(30);

#[derive(Debug, Default)]
pub struct Health {
    consecutive_failures: AtomicU32,
    open_until_ms: AtomicI64,
}

impl Health {
    pub fn is_healthy(&self, now_ms: i64) -> bool {
        self.open_until_ms.load(Ordering::Relaxed) <= now_ms
    }

    pub fn record_success(&self) {
        self.consecutive_failures.store(0, Ordering::Relaxed);
        self.open_until_ms.store(0, Ordering::Relaxed);
    }

    pub fn record_failure(&self, now_ms: i64) {
        let n = self.consecutive_failures.fetch_add(1, Ordering::Relaxed) + 1;
        if n >= FAILURE_THRESHOLD {
            let until = now_ms + COOL_DOWN.as_millis() as i64;
            self.open_until_ms.store(until, Ordering::Relaxed);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_route_opens_after_repeated_failures_and_recovers_after_the_cool_down() {
        let h = Health::default();
        for _ in 0..FAILURE_THRESHOLD - 1 {
            h.record_failure(1_000);
        }
        assert!(h.is_healthy(1_000));
        h.record_failure(1_000);
        assert!(!h.is_healthy(1_001));
        assert!(h.is_healthy(1_000 + COOL_DOWN.as_millis() as i64));
        h.record_success();
        assert!(h.is_healthy(1_001));
    }
}
