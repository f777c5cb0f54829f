//! What members and team owners may see: only their own (and their teams') requests and
//! spend, and never the audit log.

use reqwest::Method;
use serde_json::json;

use super::world::*;
use crate::both_backends;
use crate::common::Backend;
use crate::common::admin::Browser;

async fn members_and_team_owners_see_only_their_scope_and_never_the_audit_log(backend: Backend) {
    let (s, t) = with_traffic(backend).await;

    let mut member = Browser::signed_in(&s.server, MEMBER, PASSWORD).await;
    let logs = api(&mut member, "/api/v1/admin/request-logs").await;
    assert_eq!(
        ids(&logs),
        vec![t.dev.clone()],
        "a member sees only their own requests"
    );
    assert_eq!(
        page_ids(&get_ok(&mut member, "/admin/logs").await),
        vec![t.dev.clone()]
    );
    // Filtering for someone else's rows does not widen the scope.
    let logs = api(&mut member, "/api/v1/admin/request-logs?service_account=ci").await;
    assert!(ids(&logs).is_empty());
    member
        .api(
            Method::GET,
            &format!("/api/v1/admin/request-logs/{}", t.ci[0]),
            None,
            None,
        )
        .await
        .assert_api_error(404, "not_found");
    assert_eq!(
        member.get(&format!("/admin/logs/{}", t.ci[0])).await.status,
        404
    );
    get_ok(&mut member, &format!("/admin/logs/{}", t.dev)).await;
    let spend = api(&mut member, "/api/v1/admin/spend?by=team").await;
    assert_eq!(
        (&spend["cost_micros"], &spend["requests"]),
        (&json!(COST), &json!(1))
    );
    get_ok(&mut member, "/admin/spend").await;
    member
        .api(Method::GET, "/api/v1/admin/audit", None, None)
        .await
        .assert_api_error(403, "forbidden");
    let page = member.get("/admin/audit").await;
    assert_eq!(page.status, 403, "{}", page.text);
    assert!(
        !get_ok(&mut member, "/admin/models")
            .await
            .text
            .contains("href=\"/admin/audit\""),
        "members are not offered the audit log"
    );
    assert_eq!(
        api(&mut member, "/api/v1/admin/models").await["items"]
            .as_array()
            .unwrap()
            .len(),
        3
    );

    let mut owner = Browser::signed_in(&s.server, OWNER, PASSWORD).await;
    let logs = api(&mut owner, "/api/v1/admin/request-logs").await;
    let want = only(
        &newest_first(&s.db).await,
        &[&t.dev, &t.missing, &t.free, &t.ci[1], &t.ci[0]],
    );
    assert_eq!(ids(&logs), want, "an owner sees their team, not research");
    assert_eq!(page_ids(&get_ok(&mut owner, "/admin/logs").await), want);
    assert_eq!(
        owner.get(&format!("/admin/logs/{}", t.lab)).await.status,
        404
    );
    let spend = api(&mut owner, "/api/v1/admin/spend?by=team").await;
    let keys: Vec<&str> = spend["totals"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["key"].as_str().unwrap())
        .collect();
    assert_eq!(keys, ["platform"]);
    assert_eq!(spend["cost_micros"], 3 * COST);
    owner
        .api(Method::GET, "/api/v1/admin/audit", None, None)
        .await
        .assert_api_error(403, "forbidden");
}

both_backends!(members_and_team_owners_see_only_their_scope_and_never_the_audit_log,);
