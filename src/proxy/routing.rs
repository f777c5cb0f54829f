//! Route planning: weighted random choice among the healthy routes of the best priority tier,
//! then the rest of that tier, then the next tiers; routes cooling down after failures come
//! last, as a last resort rather than never.

use std::collections::BTreeMap;
use std::sync::Arc;

use rand::Rng;

use crate::catalog::Route;

/// The order in which to try `routes` for one request.
pub fn plan(routes: &[Arc<Route>], now_ms: i64, rng: &mut impl Rng) -> Vec<Arc<Route>> {
    let mut tiers: BTreeMap<u32, Vec<Arc<Route>>> = BTreeMap::new();
    let mut cooling = Vec::new();
    for r in routes {
        if r.health.is_healthy(now_ms) {
            tiers.entry(r.priority).or_default().push(r.clone());
        } else {
            cooling.push(r.clone());
        }
    }
    let mut order = Vec::with_capacity(routes.len());
    for (_, tier) in tiers {
        weighted_shuffle(tier, rng, &mut order);
    }
    cooling.sort_by_key(|r| r.priority);
    order.extend(cooling);
    order
}

/// Appends `tier` to `out` in weighted random order (each pick proportional to weight).
fn weighted_shuffle(mut tier: Vec<Arc<Route>>, rng: &mut impl Rng, out: &mut Vec<Arc<Route>>) {
    while !tier.is_empty() {
        let total: u64 = tier.iter().map(|r| u64::from(r.weight)).sum();
        let mut pick = rng.random_range(0..total.max(1));
        let mut index = tier.len() - 1;
        for (i, r) in tier.iter().enumerate() {
            if pick < u64::from(r.weight) {
                index = i;
                break;
            }
            pick -= u64::from(r.weight);
        }
        out.push(tier.swap_remove(index));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::Health;

    fn route(provider: &str, weight: u32, priority: u32) -> Arc<Route> {
        Arc::new(Route {
            provider_id: provider.into(),
            upstream_model: "m".into(),
            weight,
            priority,
            price: None,
            health: Health::default(),
        })
    }

    #[test]
    fn the_best_tier_is_tried_first_and_its_weights_hold_statistically() {
        let routes = vec![route("a", 3, 0), route("b", 1, 0), route("backup", 100, 1)];
        let mut rng = rand::rng();
        let mut first_a = 0;
        for _ in 0..4000 {
            let order = plan(&routes, 0, &mut rng);
            assert_eq!(order.len(), 3);
            assert_eq!(order[2].provider_id, "backup");
            if order[0].provider_id == "a" {
                first_a += 1;
            }
        }
        // Expect 75% ± a generous margin.
        assert!((2800..=3200).contains(&first_a), "a first {first_a} / 4000");
    }

    #[test]
    fn routes_cooling_down_come_last() {
        let routes = vec![route("sick", 1, 0), route("well", 1, 1)];
        for _ in 0..crate::catalog::health::FAILURE_THRESHOLD {
            routes[0].health.record_failure(0);
        }
        let order = plan(&routes, 1, &mut rand::rng());
        assert_eq!(order[0].provider_id, "well");
        assert_eq!(order[1].provider_id, "sick");
    }
}
