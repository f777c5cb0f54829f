//! Budgets through `/api/v1/admin/budgets`: create, read, replace and delete, each taking
//! effect on the next `/v1` call without a restart; validation messages; and who may manage
//! which budget.

use reqwest::Method;
use serde_json::json;

use super::world::{Api, MEMBER, OUTSIDER, OWNER, World};
use crate::both_backends;
use crate::common::Backend;

async fn budget_edits_take_effect_on_v1_without_a_restart(backend: Backend) {
    let w = World::new(backend).await;
    let mut admin = w.admin().await;
    admin.service_account("alpha", "spender").await;
    let (key, _) = admin.issue("spender", json!({"name": "k"})).await;
    assert_eq!(w.chat(&key, "small").await.status, 200);

    let created = admin
        .post(
            "/budgets",
            json!({
                "scope": "service_account", "scope_id": "spender", "cadence": "daily",
                "timezone": "Europe/Berlin", "amount_usd": "0.000001",
            }),
        )
        .await;
    let created = Api::expect(&created, 201);
    assert_eq!(created["id"], "spender-daily", "a readable default id");
    assert_eq!(created["hard_limit"], true, "hard by default");
    assert_eq!(created["teams"], json!(["alpha"]));
    assert_eq!(created["can_edit"], true);
    let refused = w.chat(&key, "small").await;
    let error = refused.assert_error(429, "budget_exceeded");
    assert!(
        error["message"].as_str().unwrap().contains("spender-daily"),
        "{error}"
    );

    let listed = Api::expect(&admin.get("/budgets?team=alpha").await, 200);
    assert_eq!(listed.as_array().map(Vec::len), Some(1));
    assert_eq!(listed[0]["scope_name"], "SA spender");
    assert!(listed[0]["resets_at"].is_string());

    // Raise it: the very next call passes, and the window shows the spend.
    let raised = admin
        .call(
            Method::PUT,
            "/budgets/spender-daily",
            Some(json!({"cadence": "daily", "timezone": "Europe/Berlin", "amount_usd": "5"})),
        )
        .await;
    assert_eq!(Api::expect(&raised, 200)["amount_micros"], 5_000_000);
    assert_eq!(w.chat(&key, "small").await.status, 200);
    let shown = Api::expect(&admin.get("/budgets/spender-daily").await, 200);
    assert!(shown["used_micros"].as_i64().unwrap() > 0, "{shown}");

    // Lower it within the same window while this replica still holds a lease from the call
    // above: the very next call is refused all the same.
    let lowered = admin
        .call(
            Method::PUT,
            "/budgets/spender-daily",
            Some(
                json!({"cadence": "daily", "timezone": "Europe/Berlin", "amount_usd": "0.000001"}),
            ),
        )
        .await;
    Api::expect(&lowered, 200);
    w.chat(&key, "small")
        .await
        .assert_error(429, "budget_exceeded");

    // Soft budgets only flag.
    let soft = admin
        .call(
            Method::PUT,
            "/budgets/spender-daily",
            Some(json!({"cadence": "weekly", "amount_usd": "0.000001", "hard_limit": false})),
        )
        .await;
    let soft = Api::expect(&soft, 200);
    assert_eq!(
        (soft["hard_limit"].as_bool(), soft["timezone"].as_str()),
        (Some(false), Some("UTC"))
    );
    assert_eq!(w.chat(&key, "small").await.status, 200);

    // Back to hard, then delete: blocked, then free again.
    let hard = admin
        .call(
            Method::PUT,
            "/budgets/spender-daily",
            Some(json!({"cadence": "monthly", "amount_usd": "0.000001"})),
        )
        .await;
    Api::expect(&hard, 200);
    w.chat(&key, "small")
        .await
        .assert_error(429, "budget_exceeded");
    let deleted = admin
        .call(Method::DELETE, "/budgets/spender-daily", None)
        .await;
    assert_eq!(deleted.status, 204, "{}", deleted.text);
    assert_eq!(w.chat(&key, "small").await.status, 200);
    admin
        .get("/budgets/spender-daily")
        .await
        .assert_api_error(404, "not_found");

    let audit =
        w.db.rows("SELECT action FROM audit_log WHERE target_kind = 'budget' ORDER BY id")
            .await;
    let actions: Vec<&str> = audit.iter().map(|r| r[0].as_str()).collect();
    assert_eq!(
        actions,
        [
            "budget.created",
            "budget.updated",
            "budget.updated",
            "budget.updated",
            "budget.updated",
            "budget.deleted"
        ]
    );
}

async fn bad_budgets_are_refused_with_the_field_named(backend: Backend) {
    let w = World::new(backend).await;
    let mut admin = w.admin().await;
    let base =
        json!({"scope": "team", "scope_id": "alpha", "cadence": "monthly", "amount_usd": "10"});
    let with = |k: &str, v: serde_json::Value| {
        let mut b = base.clone();
        b[k] = v;
        b
    };
    for (body, status, needle) in [
        (with("timezone", json!("Mars/Olympus")), 400, "timezone"),
        (with("cadence", json!("hourly")), 400, "cadence"),
        (with("amount_usd", json!("ten")), 400, "amount"),
        (with("amount_usd", json!("0")), 400, "amount"),
        (with("scope", json!("galaxy")), 400, "scope"),
        (with("id", json!("Bad Id")), 400, "id"),
        (with("scope_id", json!("nope")), 404, "team"),
    ] {
        let page = admin.post("/budgets", body).await;
        assert_eq!(page.status, status, "{}", page.text);
        let message = page.json()["error"]["message"]
            .as_str()
            .unwrap()
            .to_string();
        assert!(message.contains(needle), "{message:?} should name {needle}");
    }
    Api::expect(&admin.post("/budgets", base.clone()).await, 201);
    admin
        .post("/budgets", base)
        .await
        .assert_api_error(409, "conflict");
}

async fn team_owners_manage_their_teams_budgets_and_members_only_see_them(backend: Backend) {
    let w = World::new(backend).await;
    let mut owner = w.api(OWNER).await;
    let team = |team: &str| json!({"scope": "team", "scope_id": team, "cadence": "monthly", "amount_usd": "100"});
    let mine = Api::expect(&owner.post("/budgets", team("alpha")).await, 201);
    assert_eq!(mine["id"], "alpha-monthly");
    owner
        .post("/budgets", team("beta"))
        .await
        .assert_api_error(403, "forbidden");
    owner
        .post(
            "/budgets",
            json!({"scope": "service_account", "scope_id": "etl", "cadence": "daily", "amount_usd": "1"}),
        )
        .await
        .assert_api_error(403, "forbidden");

    // A single-team member's own budget is their team owner's to set.
    let member_id =
        w.db.scalar(&format!("SELECT id FROM users WHERE email = '{MEMBER}'"))
            .await;
    let user_budget = owner
        .post(
            "/budgets",
            json!({"scope": "user", "scope_id": member_id, "cadence": "weekly", "amount_usd": "3"}),
        )
        .await;
    assert_eq!(Api::expect(&user_budget, 201)["id"], "member-weekly");

    let mut member = w.api(MEMBER).await;
    let seen = Api::expect(&member.get("/budgets").await, 200);
    let ids: Vec<&str> = seen
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["id"].as_str().unwrap())
        .collect();
    assert_eq!(
        ids,
        ["alpha-monthly", "member-weekly"],
        "their team's and their own"
    );
    assert!(
        seen.as_array()
            .unwrap()
            .iter()
            .all(|b| b["can_edit"] == false)
    );
    member
        .call(
            Method::PUT,
            "/budgets/member-weekly",
            Some(json!({"cadence": "weekly", "amount_usd": "1000"})),
        )
        .await
        .assert_api_error(403, "forbidden");
    member
        .call(Method::DELETE, "/budgets/alpha-monthly", None)
        .await
        .assert_api_error(403, "forbidden");
    member
        .post("/budgets", team("alpha"))
        .await
        .assert_api_error(403, "forbidden");

    // Another team's owner does not even see them.
    let mut outsider = w.api(OUTSIDER).await;
    assert_eq!(Api::expect(&outsider.get("/budgets").await, 200), json!([]));
    outsider
        .get("/budgets/alpha-monthly")
        .await
        .assert_api_error(404, "not_found");
    outsider
        .call(Method::DELETE, "/budgets/alpha-monthly", None)
        .await
        .assert_api_error(404, "not_found");
    outsider
        .get("/budgets?team=alpha")
        .await
        .assert_api_error(403, "forbidden");
}

both_backends!(
    budget_edits_take_effect_on_v1_without_a_restart,
    bad_budgets_are_refused_with_the_field_named,
    team_owners_manage_their_teams_budgets_and_members_only_see_them,
);
