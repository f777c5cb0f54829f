//! Which route serves a request: aliases resolve to their target's routes, credential grants
//! filter `/v1/models` and refuse other models, weights split traffic (checked statistically),
//! and a lower priority tier is untouched while the best tier works.

#![allow(clippy::expect_used, clippy::unwrap_used)]

mod common;

use common::plane::{BASE, chat, get, log_row, post, ready_key, request_id};
use common::upstream::{Behavior, FakeUpstream};
use common::{Backend, Gateway, Server, TestDb};
use futures_util::StreamExt;

struct Upstreams {
    small: FakeUpstream,
    large: FakeUpstream,
    heavy: FakeUpstream,
    light: FakeUpstream,
    primary: FakeUpstream,
    backup: FakeUpstream,
}

impl Upstreams {
    async fn start() -> Upstreams {
        Upstreams {
            small: FakeUpstream::start("small", Behavior::Ok).await,
            large: FakeUpstream::start("large", Behavior::Ok).await,
            heavy: FakeUpstream::start("heavy", Behavior::Ok).await,
            light: FakeUpstream::start("light", Behavior::Ok).await,
            primary: FakeUpstream::start("primary", Behavior::Ok).await,
            backup: FakeUpstream::start("backup", Behavior::Ok).await,
        }
    }
}

struct Setup {
    server: Server,
    gw: Gateway,
    db: TestDb,
}

async fn setup(backend: Backend, up: &Upstreams) -> Setup {
    let db = TestDb::new(backend).await;
    let provider = |id: &str, u: &FakeUpstream| {
        format!(
            "  - {{ id: {id}, kind: openai_compat, base_url: \"{}\" }}\n",
            u.base_url
        )
    };
    let yaml = format!(
        r#"{BASE}
providers:
{p_small}{p_large}{p_heavy}{p_light}{p_primary}{p_backup}
models:
  - {{ id: small, routes: [{{ provider: small, model: up-small }}] }}
  - {{ id: default, alias_of: small }}
  - {{ id: large, routes: [{{ provider: large, model: up-large }}] }}
  - id: split
    routes:
      - {{ provider: heavy, model: up-split, weight: 3, priority: 0 }}
      - {{ provider: light, model: up-split, weight: 1, priority: 0 }}
  - id: tiered
    routes:
      - {{ provider: primary, model: up-tiered, weight: 1, priority: 0 }}
      - {{ provider: backup, model: up-tiered, weight: 100, priority: 1 }}
"#,
        p_small = provider("small", &up.small),
        p_large = provider("large", &up.large),
        p_heavy = provider("heavy", &up.heavy),
        p_light = provider("light", &up.light),
        p_primary = provider("primary", &up.primary),
        p_backup = provider("backup", &up.backup),
    );
    let gw = Gateway::new(&db, &yaml);
    let server = gw.serve().await;
    Setup { server, gw, db }
}

async fn an_alias_is_served_by_its_targets_routes_and_logged_under_both_names(backend: Backend) {
    let up = Upstreams::start().await;
    let s = setup(backend, &up).await;
    let key = ready_key(&s.gw, &s.server, &[]).await.key;
    let id = request_id();
    let r = post(
        &s.server,
        "/v1/chat/completions",
        Some(&key),
        &chat("default"),
        Some(&id),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(
        r.json()["choices"][0]["message"]["content"],
        "hello from small"
    );
    assert_eq!(up.small.count(), 1);
    assert_eq!(up.small.received()[0].body["model"], "up-small");

    let row = log_row(&s.db, &id).await;
    assert_eq!(row.model_requested.as_deref(), Some("default"));
    assert_eq!(row.model_served.as_deref(), Some("small"));
    assert_eq!(row.provider.as_deref(), Some("small"));

    let alias = get(&s.server, "/v1/models/default", Some(&key)).await;
    assert_eq!(alias.status, 200, "{}", alias.text);
    assert_eq!(alias.json()["id"], "default");
}

async fn grants_filter_the_model_list_and_refuse_other_models_but_allow_aliases_of_granted_ones(
    backend: Backend,
) {
    let up = Upstreams::start().await;
    let s = setup(backend, &up).await;
    let limited = ready_key(&s.gw, &s.server, &["--models", "small"])
        .await
        .key;
    let all = ready_key(&s.gw, &s.server, &[]).await.key;

    let ids = |r: &common::plane::Reply| -> Vec<String> {
        assert_eq!(r.status, 200, "{}", r.text);
        r.json()["data"]
            .as_array()
            .expect("data")
            .iter()
            .map(|m| m["id"].as_str().unwrap().to_string())
            .collect()
    };
    let listed = ids(&get(&s.server, "/v1/models", Some(&limited)).await);
    assert_eq!(listed, ["default", "small"]);
    let everything = ids(&get(&s.server, "/v1/models", Some(&all)).await);
    assert_eq!(everything, ["default", "large", "small", "split", "tiered"]);

    let refused = post(
        &s.server,
        "/v1/chat/completions",
        Some(&limited),
        &chat("large"),
        None,
    )
    .await;
    let error = refused.assert_error(403, "model_not_allowed");
    assert_eq!(error["param"], "model");
    assert_ne!(
        get(&s.server, "/v1/models/large", Some(&limited))
            .await
            .status,
        200
    );
    assert_eq!(up.large.count(), 0, "a refused model reached upstream");

    for model in ["small", "default"] {
        let r = post(
            &s.server,
            "/v1/chat/completions",
            Some(&limited),
            &chat(model),
            None,
        )
        .await;
        assert_eq!(r.status, 200, "{model}: {}", r.text);
    }
    assert_eq!(up.small.count(), 2);
}

async fn equal_priority_routes_share_traffic_by_weight(backend: Backend) {
    let up = Upstreams::start().await;
    let s = setup(backend, &up).await;
    let key = ready_key(&s.gw, &s.server, &[]).await.key;
    const N: usize = 200;
    let body = chat("split");
    let statuses: Vec<u16> = futures_util::stream::iter(0..N)
        .map(|_| post(&s.server, "/v1/chat/completions", Some(&key), &body, None))
        .buffer_unordered(8)
        .map(|r| r.status)
        .collect()
        .await;
    assert!(statuses.iter().all(|s| *s == 200), "{statuses:?}");
    let (heavy, light) = (up.heavy.count(), up.light.count());
    assert_eq!(heavy + light, N, "each request is served exactly once");
    // Weight 3 : 1 expects 150 of 200; 120..=180 is about ±5 standard deviations.
    assert!(
        (120..=180).contains(&heavy),
        "heavy served {heavy} of {N}, light {light}"
    );
}

async fn a_lower_priority_route_is_unused_while_the_best_tier_works(backend: Backend) {
    let up = Upstreams::start().await;
    let s = setup(backend, &up).await;
    let key = ready_key(&s.gw, &s.server, &[]).await.key;
    for _ in 0..30 {
        let r = post(
            &s.server,
            "/v1/chat/completions",
            Some(&key),
            &chat("tiered"),
            None,
        )
        .await;
        assert_eq!(r.status, 200, "{}", r.text);
    }
    assert_eq!(up.primary.count(), 30);
    assert_eq!(up.backup.count(), 0, "the priority-1 route was used");
}

both_backends!(
    an_alias_is_served_by_its_targets_routes_and_logged_under_both_names,
    grants_filter_the_model_list_and_refuse_other_models_but_allow_aliases_of_granted_ones,
    equal_priority_routes_share_traffic_by_weight,
    a_lower_priority_route_is_unused_while_the_best_tier_works,
);
