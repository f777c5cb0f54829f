//! The model catalogue and the OpenAPI document of the observability endpoints.

use reqwest::Method;
use serde_json::{Value, json};

use super::world::*;
use crate::both_backends;
use crate::common::Backend;
use crate::common::admin::Browser;

async fn the_model_catalogue_shows_routes_prices_aliases_and_health(backend: Backend) {
    let s = setup(backend).await;
    let mut b = admin(&s).await;
    let models = api(&mut b, "/api/v1/admin/models").await;
    let items = models["items"].as_array().unwrap();
    let ids: Vec<&str> = items.iter().map(|m| m["id"].as_str().unwrap()).collect();
    assert_eq!(ids, ["default", "free", "small"]);
    assert_eq!(
        (&items[0]["alias_of"], &items[0]["routes"]),
        (&json!("small"), &json!([]))
    );
    assert_eq!(
        items[1]["routes"][0]["price"],
        Value::Null,
        "free is unpriced"
    );
    let small = &items[2];
    assert_eq!(
        (&small["description"], &small["max_output_tokens"]),
        (&json!("Small chat model"), &json!(512))
    );
    let route = &small["routes"][0];
    assert_eq!(
        (&route["provider"], &route["upstream_model"]),
        (&json!("up"), &json!("up-small"))
    );
    assert_eq!(
        (&route["weight"], &route["priority"], &route["healthy"]),
        (&json!(1), &json!(0), &json!(true))
    );
    assert_eq!(route["price"]["input"], "$1.00");
    assert_eq!(route["price"]["output"], "$2.00");
    assert_eq!(route["price"]["cached_input"], "$0.50");
    assert_eq!(route["price"]["input_micros"], 1_000_000);

    let page = get_ok(&mut b, "/admin/models").await;
    assert!(page.text.contains("<table id=\"models\">"), "{}", page.text);
    for needle in [
        "up-small", "$1.00", "$2.00", "$0.50", "unpriced", "alias", "healthy", "512",
    ] {
        assert!(page.text.contains(needle), "the models page shows {needle}");
    }
}

async fn the_openapi_document_describes_the_observability_endpoints(backend: Backend) {
    let s = setup(backend).await;
    let mut b = admin(&s).await;
    let doc = api(&mut b, "/api/v1/admin/openapi.json").await;
    for path in [
        "/api/v1/admin/request-logs",
        "/api/v1/admin/request-logs/{request_id}",
        "/api/v1/admin/spend",
        "/api/v1/admin/audit",
        "/api/v1/admin/models",
    ] {
        assert!(
            doc["paths"][path]["get"].is_object(),
            "{path} missing from the OpenAPI document"
        );
    }
    let params: Vec<&str> = doc["paths"]["/api/v1/admin/request-logs"]["get"]["parameters"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    for p in [
        "request_id",
        "team",
        "user",
        "service_account",
        "credential",
        "model",
        "status",
        "error_code",
        "from",
        "to",
        "before",
        "after",
    ] {
        assert!(
            params.contains(&p),
            "request-logs parameter {p}: {params:?}"
        );
    }
    for schema in [
        "LogList",
        "LogEntry",
        "LogDetail",
        "SpendReport",
        "AuditList",
        "ModelList",
    ] {
        assert!(
            doc["components"]["schemas"][schema].is_object(),
            "schema {schema}"
        );
    }
    // Without a session every one of them answers 401.
    let mut b = Browser::new(&s.server);
    for path in [
        "/api/v1/admin/request-logs",
        "/api/v1/admin/spend",
        "/api/v1/admin/audit",
        "/api/v1/admin/models",
    ] {
        b.api(Method::GET, path, None, None)
            .await
            .assert_api_error(401, "unauthenticated");
    }
    for path in [
        "/admin/logs",
        "/admin/spend",
        "/admin/audit",
        "/admin/models",
    ] {
        b.get(path).await.assert_redirect("/admin/login");
    }
}

both_backends!(
    the_model_catalogue_shows_routes_prices_aliases_and_health,
    the_openapi_document_describes_the_observability_endpoints,
);
