//! Request logs: listing and filters (page and API alike), keyset pages of fifty, and the
//! detail view with attempts and the captured payload.

use reqwest::Method;
use serde_json::{Value, json};

use super::world::*;
use crate::both_backends;
use crate::common::{Backend, TestDb};

async fn request_logs_are_listed_newest_first_and_filtered_alike_on_the_page_and_in_the_api(
    backend: Backend,
) {
    let (s, t) = with_traffic(backend).await;
    let mut b = admin(&s).await;

    let all = api(&mut b, "/api/v1/admin/request-logs").await;
    let newest_first = newest_first(&s.db).await;
    assert_eq!(
        sorted(newest_first.clone()),
        sorted(t.all().iter().map(|s| s.to_string()).collect())
    );
    assert_eq!(ids(&all), newest_first, "{all}");
    assert_eq!((&all["newer"], &all["older"]), (&Value::Null, &Value::Null));
    let page = get_ok(&mut b, "/admin/logs").await;
    assert_eq!(
        page_ids(&page),
        newest_first,
        "the page lists what the API lists"
    );
    assert!(page.text.contains("Request logs"));

    let first = all["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["request_id"] == t.dev.as_str())
        .unwrap();
    assert_eq!(first["user_email"], MEMBER);
    assert_eq!(first["team_id"], "platform");
    assert_eq!(first["model_served"], "small");
    assert_eq!(first["provider"], "up");
    assert_eq!(first["status"], 200);
    assert_eq!(
        (
            first["input_tokens"].as_i64(),
            first["output_tokens"].as_i64()
        ),
        (Some(10), Some(20))
    );
    assert_eq!(first["cost_micros"], COST);
    assert!(
        first["credential_name"]
            .as_str()
            .unwrap()
            .starts_with("dev-key (")
    );
    let free = all["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["request_id"] == t.free.as_str())
        .unwrap();
    assert_eq!(
        (&free["unpriced"], &free["cost_micros"]),
        (&json!(true), &Value::Null)
    );

    let cases: Vec<(&str, Vec<&str>)> = vec![
        (
            "service_account=ci",
            vec![&t.missing, &t.free, &t.ci[1], &t.ci[0]],
        ),
        ("team=research", vec![&t.lab]),
        ("user=DEV%40example.com", vec![&t.dev]),
        ("model=free", vec![&t.free]),
        ("status=4xx", vec![&t.missing]),
        (
            "status=2xx&model=small&team=platform",
            vec![&t.dev, &t.ci[1], &t.ci[0]],
        ),
        ("error_code=model_not_found", vec![&t.missing]),
        ("status=5xx", vec![]),
        ("to=2000-01-31", vec![]),
    ];
    for (query, want) in cases {
        let want = only(&newest_first, &want);
        let got = api(&mut b, &format!("/api/v1/admin/request-logs?{query}")).await;
        assert_eq!(ids(&got), want, "API ?{query}");
        let page = get_ok(&mut b, &format!("/admin/logs?{query}")).await;
        assert_eq!(page_ids(&page), want, "page ?{query}");
        if want.is_empty() {
            assert!(
                page.text.contains("No requests match these filters"),
                "{}",
                page.text
            );
        }
    }
    // Dates are UTC days, the "to" day included.
    let today = chrono::Utc::now().format("%Y-%m-%d").to_string();
    let got = api(
        &mut b,
        &format!("/api/v1/admin/request-logs?from={today}&to={today}"),
    )
    .await;
    assert_eq!(ids(&got).len(), 6);
    // Credentials by public id, blank fields ignored (as an empty form submits them).
    let public =
        s.db.scalar("SELECT public_id FROM credentials WHERE name = 'lab-key'")
            .await;
    let got = api(
        &mut b,
        &format!("/api/v1/admin/request-logs?credential={public}&user=&model="),
    )
    .await;
    assert_eq!(ids(&got), vec![t.lab.clone()]);
    // A request is found by the gateway's id or by the x-request-id its client sent.
    let client = client_id(&s.db, &t.lab).await;
    for id in [&t.lab, &client] {
        let got = api(
            &mut b,
            &format!("/api/v1/admin/request-logs?request_id={id}"),
        )
        .await;
        assert_eq!(ids(&got), vec![t.lab.clone()], "request_id={id}");
        assert_eq!(got["items"][0]["client_request_id"], client.as_str());
    }
    let page = get_ok(&mut b, &format!("/admin/logs?request_id={client}")).await;
    assert_eq!(page_ids(&page), vec![t.lab.clone()]);

    for bad in ["status=teapot", "from=yesterday", "before=garbage"] {
        b.api(
            Method::GET,
            &format!("/api/v1/admin/request-logs?{bad}"),
            None,
            None,
        )
        .await
        .assert_api_error(400, "invalid_request");
        assert_eq!(
            b.get(&format!("/admin/logs?{bad}")).await.status,
            400,
            "{bad}"
        );
    }
}

/// Inserts `n` request-log rows for model `paged`, two per millisecond timestamp (so the
/// keyset must break ties by request id): `page-00` oldest … `page-{n-1}` newest.
async fn insert_paged_rows(db: &TestDb, n: usize) {
    let base = chrono::Utc::now().timestamp_millis() - 3_600_000;
    let values: Vec<String> = (0..n)
        .map(|i| {
            let ms = base + (i as i64 / 2) * 1000;
            let at = match db.backend {
                Backend::Sqlite => ms.to_string(),
                Backend::Postgres => format!("to_timestamp({ms} / 1000.0)"),
            };
            format!(
                "('page-{i:02}', {at}, 'platform', '/v1/chat/completions', 'paged', '[]', 200, 1000)"
            )
        })
        .collect();
    db.exec(&format!(
        "INSERT INTO request_logs (request_id, at, team_id, endpoint, model_requested, attempts, \
         status, latency_us) VALUES {}",
        values.join(", ")
    ))
    .await;
}

async fn request_logs_come_fifty_to_a_page_with_newer_and_older_links(backend: Backend) {
    let s = setup(backend).await;
    insert_paged_rows(&s.db, 60).await;
    let mut b = admin(&s).await;
    let expected = |range: std::ops::RangeInclusive<usize>| -> Vec<String> {
        range.rev().map(|i| format!("page-{i:02}")).collect()
    };

    let first = api(&mut b, "/api/v1/admin/request-logs?model=paged").await;
    assert_eq!(ids(&first), expected(10..=59));
    assert!(first["newer"].is_null());
    let older = first["older"].as_str().expect("an older page").to_string();
    let second = api(
        &mut b,
        &format!("/api/v1/admin/request-logs?model=paged&before={older}"),
    )
    .await;
    assert_eq!(ids(&second), expected(0..=9));
    assert!(second["older"].is_null(), "{second}");
    let newer = second["newer"].as_str().expect("a newer page").to_string();
    let back = api(
        &mut b,
        &format!("/api/v1/admin/request-logs?model=paged&after={newer}"),
    )
    .await;
    assert_eq!(ids(&back), expected(10..=59));
    assert!(back["newer"].is_null(), "{back}");
    assert!(back["older"].is_string());

    // The page walks the same way through its links, keeping the filters.
    let page = get_ok(&mut b, "/admin/logs?model=paged").await;
    assert_eq!(page_ids(&page), expected(10..=59));
    assert_eq!(link(&page, "prev"), None);
    let next = link(&page, "next").expect("Older link");
    assert!(
        next.starts_with("/admin/logs?model=paged&before="),
        "{next}"
    );
    let page = get_ok(&mut b, &next).await;
    assert_eq!(page_ids(&page), expected(0..=9));
    assert_eq!(link(&page, "next"), None);
    let prev = link(&page, "prev").expect("Newer link");
    assert_eq!(page_ids(&get_ok(&mut b, &prev).await), expected(10..=59));
}

async fn a_request_detail_shows_its_attempts_and_the_captured_payload(backend: Backend) {
    let (s, t) = with_traffic(backend).await;
    let mut b = admin(&s).await;
    let detail = api(&mut b, &format!("/api/v1/admin/request-logs/{}", t.ci[0])).await;
    assert_eq!(detail["request_id"], t.ci[0].as_str());
    assert_eq!(detail["service_account_name"], "CI");
    let attempts = detail["attempts"].as_array().expect("attempts");
    assert_eq!(attempts.len(), 1, "{detail}");
    assert_eq!(
        (&attempts[0]["provider"], &attempts[0]["status"]),
        (&json!("up"), &json!(200))
    );
    let payload = detail["payload"].as_str().expect("a captured payload");
    assert!(payload.contains("\"model\": \"small\""), "{payload}");

    let page = get_ok(&mut b, &format!("/admin/logs/{}", t.ci[0])).await;
    assert!(
        page.text.contains("<table id=\"attempts\">"),
        "{}",
        page.text
    );
    assert!(page.text.contains("Captured payload"));
    assert!(
        page.text.contains("&quot;model&quot;: &quot;small&quot;")
            || page.text.contains("&#34;model&#34;"),
        "{}",
        page.text
    );
    // A request no upstream saw has no attempts, and says so.
    let page = get_ok(&mut b, &format!("/admin/logs/{}", t.missing)).await;
    assert!(
        page.text.contains("No upstream was called"),
        "{}",
        page.text
    );
    assert!(page.text.contains("model_not_found"));

    assert_eq!(b.get("/admin/logs/no-such-request").await.status, 404);
    b.api(
        Method::GET,
        "/api/v1/admin/request-logs/no-such-request",
        None,
        None,
    )
    .await
    .assert_api_error(404, "not_found");
}

both_backends!(
    request_logs_are_listed_newest_first_and_filtered_alike_on_the_page_and_in_the_api,
    request_logs_come_fifty_to_a_page_with_newer_and_older_links,
    a_request_detail_shows_its_attempts_and_the_captured_payload,
);
