//! The usage ledger and budget outcomes one request at a time: a replayed ledger write is counted
//! once, an unpriced route is recorded as unpriced (never silently free), a soft budget flags
//! without blocking, a hard budget too small for one request refuses before any provider call,
//! and `gateway spend` reports what the ledger holds.
//!
//! Every request to model `m` costs exactly 50 µ$, to `m2` 100 µ$ (see `common::spend`).

#![allow(clippy::expect_used, clippy::unwrap_used)]

mod common;

use common::plane::{chat, log_row, post, request_id};
use common::spend::{self, COST, COST_M2, Spend};
use common::upstream::{Behavior, FakeUpstream};
use common::{Backend, TestDb};

const CHAT: &str = "/v1/chat/completions";

async fn a_client_reusing_a_request_id_cannot_hide_spend(backend: Backend) {
    let upstream = FakeUpstream::start("up", Behavior::Ok).await;
    let db = TestDb::new(backend).await;
    let yaml = spend::config(&upstream.base_url, &spend::team_budget("1", true));
    let (gw, key) = spend::setup(&db, &yaml).await;
    let server = gw.serve().await;

    let reused = request_id();
    let other = request_id();
    for id in [&reused, &reused, &other] {
        let reply = post(&server, CHAT, Some(&key), &spend::chat_body("m"), Some(id)).await;
        assert_eq!(reply.status, 200, "{}", reply.text);
        assert_eq!(
            reply.header("x-request-id"),
            Some(id.as_str()),
            "the client's id is echoed"
        );
    }
    assert_eq!(server.terminate().await, 0);

    // Rows are keyed by the gateway's own id; the client's id is kept beside it. Every served
    // call is in the ledger, the log and `spend`, and matches what the budget counted.
    assert_eq!(upstream.count(), 3);
    assert_eq!(spend::rows_for(&db, "usage_ledger", &reused).await, 2);
    assert_eq!(spend::rows_for(&db, "request_logs", &reused).await, 2);
    assert_eq!(spend::ledger_cost(&db).await, 3 * COST);
    let by_team = spend::spend(&gw, "team").await;
    assert_eq!(by_team["acme"].requests, 3, "{by_team:?}");
    assert_eq!(by_team["acme"].cost_micros, 3 * COST, "{by_team:?}");
    assert_eq!(spend::budget_spent(&db).await, 3 * COST);
}

async fn a_replayed_ledger_write_never_double_counts(backend: Backend) {
    let db = TestDb::new(backend).await;
    let store = db.migrated_store().await;
    let row = gateway::store::rows::LedgerRow {
        request_id: "req-1".into(),
        client_request_id: None,
        at: gateway::store::now(),
        credential_id: None,
        user_id: None,
        service_account_id: None,
        team_id: Some("acme".into()),
        model: "m".into(),
        provider_id: Some("up".into()),
        input_tokens: 10,
        output_tokens: 20,
        cached_tokens: 0,
        cost_micros: Some(COST),
        priced: true,
    };
    for _ in 0..3 {
        let mut tx = store.begin().await.expect("tx");
        tx.ex()
            .insert_ledger(std::slice::from_ref(&row))
            .await
            .expect("insert");
        tx.commit().await.expect("commit");
    }
    let total = store
        .conn()
        .await
        .expect("conn")
        .ex()
        .ledger_total()
        .await
        .expect("total");
    assert_eq!(
        total, COST,
        "the writer retrying a batch must not double-count"
    );
}

async fn an_unpriced_route_is_served_and_recorded_as_unpriced_never_as_free(backend: Backend) {
    let upstream = FakeUpstream::start("up", Behavior::Ok).await;
    let db = TestDb::new(backend).await;
    let (gw, key) = spend::setup(&db, &spend::config(&upstream.base_url, "")).await;
    let server = gw.serve().await;

    let id = request_id();
    let reply = post(&server, CHAT, Some(&key), &chat("free"), Some(&id)).await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    assert_eq!(server.terminate().await, 0);

    let row = db
        .rows(&format!(
            "SELECT CAST(CASE WHEN priced THEN 1 ELSE 0 END AS TEXT), CAST(cost_micros AS TEXT), \
             CAST(input_tokens AS TEXT), CAST(output_tokens AS TEXT), model \
             FROM usage_ledger WHERE (request_id = '{id}' OR client_request_id = '{id}')"
        ))
        .await;
    assert_eq!(row, vec![vec!["0", "NULL", "10", "20", "free"]]);
    let log = log_row(&db, &id).await;
    assert_eq!(log.cost_micros, None);
    assert!(
        spend::flags(&db, &id)
            .await
            .contains(&"unpriced".to_string())
    );
    let by_model = spend::spend(&gw, "model").await;
    assert_eq!(
        by_model["free"],
        Spend {
            requests: 1,
            input_tokens: 10,
            output_tokens: 20,
            cost_micros: 0,
            unpriced_requests: 1
        }
    );
}

async fn a_soft_budget_never_blocks_and_flags_requests_once_it_is_exceeded(backend: Backend) {
    let upstream = FakeUpstream::start("up", Behavior::Ok).await;
    let db = TestDb::new(backend).await;
    // 200 µ$ covers four requests; eight are sent one after another.
    let yaml = spend::config(&upstream.base_url, &spend::team_budget("0.0002", false));
    let (gw, key) = spend::setup(&db, &yaml).await;
    let server = gw.serve().await;

    let mut ids = Vec::new();
    for _ in 0..8 {
        let id = request_id();
        let reply = post(&server, CHAT, Some(&key), &spend::chat_body("m"), Some(&id)).await;
        assert_eq!(reply.status, 200, "a soft budget blocked: {}", reply.text);
        ids.push(id);
    }
    assert_eq!(server.terminate().await, 0);

    let flag = "soft_budget_exceeded:acme-daily".to_string();
    assert!(
        !spend::flags(&db, &ids[0]).await.contains(&flag),
        "the first request is well within the budget"
    );
    for id in &ids[5..] {
        let flags = spend::flags(&db, id).await;
        assert!(flags.contains(&flag), "{id}: flags {flags:?}");
    }
    assert_eq!(spend::ledger_cost(&db).await, 8 * COST);
}

async fn a_hard_budget_smaller_than_one_request_refuses_with_budget_exceeded_before_the_provider(
    backend: Backend,
) {
    let upstream = FakeUpstream::start("up", Behavior::Ok).await;
    let db = TestDb::new(backend).await;
    // 10 µ$: one request to `m` may cost up to 72 µ$ (prompt estimate + max_tokens).
    let yaml = spend::config(&upstream.base_url, &spend::team_budget("0.00001", true));
    let (gw, key) = spend::setup(&db, &yaml).await;
    let server = gw.serve().await;

    let id = request_id();
    let reply = post(&server, CHAT, Some(&key), &spend::chat_body("m"), Some(&id)).await;
    let error = reply.assert_error(429, "budget_exceeded");
    assert_eq!(error["type"], "insufficient_quota", "{}", reply.text);
    let message = error["message"].as_str().unwrap();
    assert!(
        message.contains("team acme") && message.contains("resets at"),
        "{message}"
    );
    assert_eq!(upstream.count(), 0, "the provider was called");

    let log = log_row(&db, &id).await;
    assert_eq!(log.status, 429);
    assert_eq!(log.error_code.as_deref(), Some("budget_exceeded"));
    assert_eq!(server.terminate().await, 0);
    assert_eq!(spend::rows_for(&db, "usage_ledger", &id).await, 0);
    assert_eq!(spend::budget_spent(&db).await, 0);
}

async fn spend_by_team_model_and_service_account_reports_requests_tokens_and_cost(
    backend: Backend,
) {
    let upstream = FakeUpstream::start("up", Behavior::Ok).await;
    let db = TestDb::new(backend).await;
    let (gw, key) = spend::setup(&db, &spend::config(&upstream.base_url, "")).await;
    let server = gw.serve().await;
    for model in ["m", "m", "m2", "free"] {
        let reply = post(&server, CHAT, Some(&key), &chat(model), Some(&request_id())).await;
        assert_eq!(reply.status, 200, "{}", reply.text);
    }
    // A refused request (unknown model) is logged but costs nothing and is not spend.
    let reply = post(&server, CHAT, Some(&key), &chat("nope"), None).await;
    reply.assert_error(404, "model_not_found");
    assert_eq!(server.terminate().await, 0);

    let team = Spend {
        requests: 4,
        input_tokens: 40,
        output_tokens: 80,
        cost_micros: 2 * COST + COST_M2,
        unpriced_requests: 1,
    };
    let by_team = spend::spend(&gw, "team").await;
    assert_eq!(by_team.len(), 1, "{by_team:?}");
    assert_eq!(by_team["acme"], team);
    let by_sa = spend::spend(&gw, "service-account").await;
    assert_eq!(by_sa.len(), 1, "{by_sa:?}");
    assert_eq!(by_sa["worker"], team);

    let by_model = spend::spend(&gw, "model").await;
    let one = |requests: i64, cost_micros: i64, unpriced_requests: i64| Spend {
        requests,
        input_tokens: 10 * requests,
        output_tokens: 20 * requests,
        cost_micros,
        unpriced_requests,
    };
    assert_eq!(by_model.len(), 3, "{by_model:?}");
    assert_eq!(by_model["m"], one(2, 2 * COST, 0));
    assert_eq!(by_model["m2"], one(1, COST_M2, 0));
    assert_eq!(by_model["free"], one(1, 0, 1));

    // The human table names the same keys.
    let out = gw.run(&["spend", "--by", "model"]).await;
    out.assert_code(0);
    for key in ["m2", "free"] {
        assert!(out.stdout.contains(key), "{}", out.stdout);
    }
}

/// The batch inserts (one array per column on PostgreSQL) keep every column and every NULL.
async fn request_log_and_ledger_batches_keep_every_column(backend: Backend) {
    use gateway::store::rows::{LedgerRow, RequestLogRow};
    let db = TestDb::new(backend).await;
    let store = db.migrated_store().await;
    let at = gateway::store::now();
    let full = RequestLogRow {
        request_id: "req-full".into(),
        client_request_id: Some("client-1".into()),
        at,
        credential_id: Some("cred".into()),
        user_id: Some("user".into()),
        service_account_id: Some("sa".into()),
        team_id: Some("acme".into()),
        endpoint: "chat.completions".into(),
        model_requested: Some("alias".into()),
        model_served: Some("m".into()),
        provider_id: Some("up".into()),
        attempts: r#"[{"provider":"up","status":200}]"#.into(),
        status: 200,
        error_code: Some("none".into()),
        latency_us: 1234,
        upstream_latency_us: Some(1000),
        input_tokens: Some(10),
        output_tokens: Some(20),
        cost_micros: Some(50),
        flags: Some(r#"["soft"]"#.into()),
        payload: Some(r#"{"model":"alias","note":"é \" ,{}"}"#.into()),
    };
    let bare = RequestLogRow {
        request_id: "req-bare".into(),
        client_request_id: None,
        at: at - chrono::Duration::milliseconds(1),
        credential_id: None,
        user_id: None,
        service_account_id: None,
        team_id: None,
        endpoint: "embeddings".into(),
        model_requested: None,
        model_served: None,
        provider_id: None,
        attempts: "[]".into(),
        status: 401,
        error_code: None,
        latency_us: 7,
        upstream_latency_us: None,
        input_tokens: None,
        output_tokens: None,
        cost_micros: None,
        flags: None,
        payload: None,
    };
    let ledger = |id: &str, cost: Option<i64>| LedgerRow {
        request_id: id.into(),
        client_request_id: cost.map(|_| "client-1".into()),
        at,
        credential_id: None,
        user_id: None,
        service_account_id: Some("sa".into()),
        team_id: Some("acme".into()),
        model: "m".into(),
        provider_id: Some("up".into()),
        input_tokens: 10,
        output_tokens: 20,
        cached_tokens: 4,
        cost_micros: cost,
        priced: cost.is_some(),
    };
    let mut tx = store.begin().await.expect("tx");
    let mut ex = tx.ex();
    ex.insert_request_logs(&[full.clone(), bare.clone()])
        .await
        .expect("insert logs");
    ex.insert_ledger(&[ledger("req-full", Some(50)), ledger("req-free", None)])
        .await
        .expect("insert ledger");
    tx.commit().await.expect("commit");

    let mut conn = store.conn().await.expect("conn");
    let read = conn.ex().recent_request_logs(10).await.expect("read");
    let json = |rows: &[RequestLogRow]| serde_json::to_value(rows).expect("json");
    assert_eq!(json(&read), json(&[full, bare]));
    assert_eq!(spend::ledger_cost(&db).await, 50);
    assert_eq!(spend::rows_for(&db, "usage_ledger", "client-1").await, 1);
    assert_eq!(spend::rows_for(&db, "usage_ledger", "req-free").await, 1);
}

both_backends!(
    request_log_and_ledger_batches_keep_every_column,
    a_client_reusing_a_request_id_cannot_hide_spend,
    a_replayed_ledger_write_never_double_counts,
    an_unpriced_route_is_served_and_recorded_as_unpriced_never_as_free,
    a_soft_budget_never_blocks_and_flags_requests_once_it_is_exceeded,
    a_hard_budget_smaller_than_one_request_refuses_with_budget_exceeded_before_the_provider,
    spend_by_team_model_and_service_account_reports_requests_tokens_and_cost,
);
