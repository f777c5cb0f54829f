//! Spend by team, user, service account and model per day: totals that match the ledger,
//! the SVG chart, and unpriced requests counted rather than shown as free.

use reqwest::Method;
use serde_json::{Value, json};

use super::world::*;
use crate::both_backends;
use crate::common::{Backend, TestDb};

/// Ledger spend per team, straight from SQL, for comparison.
async fn ledger_cost(db: &TestDb, team: &str) -> i64 {
    db.scalar(&format!(
        "SELECT CAST(COALESCE(SUM(cost_micros), 0) AS BIGINT) FROM usage_ledger WHERE team_id = '{team}'"
    ))
    .await
    .parse()
    .unwrap()
}

fn total<'a>(report: &'a Value, key: &str) -> &'a Value {
    report["totals"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["key"] == key)
        .unwrap_or_else(|| panic!("no total for {key}: {report}"))
}

async fn spend_is_grouped_per_key_and_day_with_an_svg_chart_and_unpriced_requests_counted(
    backend: Backend,
) {
    let (s, _t) = with_traffic(backend).await;
    let mut b = admin(&s).await;
    let today = chrono::Utc::now().format("%Y-%m-%d").to_string();

    let by_team = api(&mut b, "/api/v1/admin/spend?by=team&days=30").await;
    assert_eq!(by_team["by"], "team");
    assert_eq!(
        (&by_team["days"], &by_team["to"]),
        (&json!(30), &json!(today))
    );
    assert_eq!(by_team["cost_micros"], 4 * COST);
    assert_eq!(
        by_team["requests"], 5,
        "the unknown model never reached the ledger"
    );
    assert_eq!(by_team["unpriced_requests"], 1);
    let platform = total(&by_team, "platform");
    assert_eq!(platform["label"], "Platform");
    assert_eq!(
        platform["cost_micros"],
        ledger_cost(&s.db, "platform").await
    );
    assert_eq!(
        (&platform["cost_micros"], &platform["requests"]),
        (&json!(3 * COST), &json!(4))
    );
    assert_eq!(platform["unpriced_requests"], 1);
    assert_eq!(
        total(&by_team, "research")["cost_micros"],
        ledger_cost(&s.db, "research").await
    );
    assert_eq!(
        by_team["totals"][0]["key"], "platform",
        "largest spend first"
    );
    let daily = by_team["daily"].as_array().unwrap();
    assert_eq!(daily.len(), 2, "{by_team}");
    assert!(daily.iter().all(|d| d["day"] == today.as_str()));

    let by_model = api(&mut b, "/api/v1/admin/spend?by=model").await;
    let free = total(&by_model, "free");
    assert_eq!(
        (&free["cost_micros"], &free["unpriced_requests"]),
        (&json!(0), &json!(1))
    );
    let by_sa = api(&mut b, "/api/v1/admin/spend?by=service_account").await;
    assert_eq!(total(&by_sa, "ci")["label"], "CI");
    assert_eq!(total(&by_sa, "-")["label"], "(personal credentials)");
    let by_user = api(&mut b, "/api/v1/admin/spend?by=user").await;
    assert_eq!(
        by_user["totals"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|t| t["label"] == MEMBER)
            .count(),
        1
    );

    let page = get_ok(&mut b, "/admin/spend?by=service_account&days=7").await;
    assert!(
        page.text.contains("<svg id=\"spend-chart\""),
        "{}",
        page.text
    );
    assert!(page.text.contains("<rect"), "the chart has bars");
    assert!(page.text.contains("<svg id=\"spend-legend\""));
    assert!(
        page.text.contains(">CI<"),
        "the legend names the keys: {}",
        page.text
    );
    assert!(
        page.text.contains("1 unpriced"),
        "unpriced requests are counted, not free"
    );
    assert!(page.text.contains("<table id=\"spend-totals\">"));
    assert!(page.text.contains("<table id=\"spend-daily\">"));
    assert!(
        page.text.contains("$0.0002"),
        "the total of 4 × 50 µ$ is shown: {}",
        page.text
    );

    for bad in ["by=colour", "days=0", "days=400", "days=many"] {
        b.api(
            Method::GET,
            &format!("/api/v1/admin/spend?{bad}"),
            None,
            None,
        )
        .await
        .assert_api_error(400, "invalid_request");
    }
}

both_backends!(spend_is_grouped_per_key_and_day_with_an_svg_chart_and_unpriced_requests_counted,);
